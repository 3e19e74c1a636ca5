// PEM encoding and decoding of certificates and private keys.
//
// Encoding is in memory (file_set writes the result); decoding reads a file straight into
// OpenSSL, so a key's text never sits in a std::string. Throws CertError naming the file.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "ossl.hpp"

namespace roachrun_certs {

// "-----BEGIN CERTIFICATE-----..."
std::string certificate_pem(X509& cert);

// "-----BEGIN RSA PRIVATE KEY-----..." (PKCS#1), the form `cockroach cert` writes; libpq,
// CockroachDB and psycopg2 all read it. Unencrypted: the server and client load it unattended.
// The caller should wipe the result when done (file_set's OutputFile does).
std::string private_key_pem(EVP_PKEY& key);

// Every certificate in a PEM file, in file order: a CockroachDB ca.crt may hold several during
// CA rotation. REQUIRES: the file exists (callers check, to say which step creates it).
std::vector<X509Ptr> read_certificates(const std::filesystem::path& path);

// An unencrypted PEM private key (PKCS#1 or PKCS#8). An encrypted key is refused rather than
// prompted for: a scenario runs unattended. REQUIRES: the file exists.
EvpPkeyPtr read_private_key(const std::filesystem::path& path);

}  // namespace roachrun_certs
