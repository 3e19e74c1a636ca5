// RAII for the OpenSSL handles this plugin uses, and the one error type of its certificate logic.
//
// The certificate code (x509_builder, pem_files, file_set, cert_ops) does not depend on the step
// machinery, so it throws CertError; the step wrappers turn that into roachrun::StepError at the
// step boundary. Every OpenSSL object is owned by one of the unique_ptr aliases below from the
// moment it is created, so no error path leaks one.
#pragma once

#include <memory>
#include <stdexcept>
#include <string>

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

namespace roachrun_certs {

// A certificate operation could not be done. what() is the whole message a user sees: it names
// the file involved and, where there is one, the fix.
class CertError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Calls an OpenSSL free function; a stateless functor, so each unique_ptr stays one pointer wide.
template <typename T, void (*Free)(T*)>
struct OsslDeleter {
  void operator()(T* p) const noexcept { Free(p); }
};

using EvpPkeyPtr = std::unique_ptr<EVP_PKEY, OsslDeleter<EVP_PKEY, EVP_PKEY_free>>;
using X509Ptr = std::unique_ptr<X509, OsslDeleter<X509, X509_free>>;
using X509NamePtr = std::unique_ptr<X509_NAME, OsslDeleter<X509_NAME, X509_NAME_free>>;
using X509ExtPtr = std::unique_ptr<X509_EXTENSION, OsslDeleter<X509_EXTENSION, X509_EXTENSION_free>>;
using X509StorePtr = std::unique_ptr<X509_STORE, OsslDeleter<X509_STORE, X509_STORE_free>>;
using X509StoreCtxPtr = std::unique_ptr<X509_STORE_CTX, OsslDeleter<X509_STORE_CTX, X509_STORE_CTX_free>>;
using BioPtr = std::unique_ptr<BIO, OsslDeleter<BIO, BIO_free_all>>;
using BignumPtr = std::unique_ptr<BIGNUM, OsslDeleter<BIGNUM, BN_free>>;
using GeneralNamePtr = std::unique_ptr<GENERAL_NAME, OsslDeleter<GENERAL_NAME, GENERAL_NAME_free>>;
using GeneralNamesPtr = std::unique_ptr<GENERAL_NAMES, OsslDeleter<GENERAL_NAMES, GENERAL_NAMES_free>>;
using OctetStringPtr = std::unique_ptr<ASN1_OCTET_STRING, OsslDeleter<ASN1_OCTET_STRING, ASN1_OCTET_STRING_free>>;
using Ia5StringPtr = std::unique_ptr<ASN1_IA5STRING, OsslDeleter<ASN1_IA5STRING, ASN1_IA5STRING_free>>;

// Drains OpenSSL's thread-local error queue into one line ("" if it is empty). Draining matters:
// a stale entry left behind would be blamed on the next, unrelated failure.
std::string take_openssl_errors();

// Throws CertError("<what>: <OpenSSL's reasons>"). For calls that fail only on a library error
// (out of memory, a broken provider), where the user can do nothing but report it.
[[noreturn]] void throw_openssl_error(const std::string& what);

}  // namespace roachrun_certs
