#include "pem_files.hpp"

#include <cerrno>
#include <cstring>

#include <openssl/err.h>
#include <openssl/pem.h>

namespace roachrun_certs {
namespace {

std::string bio_text(BIO& bio) {
  BUF_MEM* mem = nullptr;
  BIO_get_mem_ptr(&bio, &mem);
  return mem ? std::string(mem->data, mem->length) : std::string();
}

BioPtr open_for_reading(const std::filesystem::path& path) {
  errno = 0;
  BioPtr bio(BIO_new_file(path.c_str(), "r"));
  if (!bio) {
    const int err = errno;
    take_openssl_errors();  // errno says it better than the queue's "system library" entries
    throw CertError("cannot open " + path.string() + ": " + (err ? std::strerror(err) : "unknown error"));
  }
  return bio;
}

// Without this callback OpenSSL would prompt on the terminal for an encrypted key's passphrase
// and block an unattended run; refusing makes the read fail instead.
int refuse_passphrase(char*, int, int, void*) { return -1; }

}  // namespace

std::string certificate_pem(X509& cert) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_X509(bio.get(), &cert) != 1) throw_openssl_error("cannot PEM-encode a certificate");
  return bio_text(*bio);
}

std::string private_key_pem(EVP_PKEY& key) {
  // A secure-memory BIO wipes its buffer when freed, so the key text is left in one place only.
  BioPtr bio(BIO_new(BIO_s_secmem()));
  if (!bio ||
      PEM_write_bio_PrivateKey_traditional(bio.get(), &key, nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    throw_openssl_error("cannot PEM-encode a private key");
  }
  return bio_text(*bio);
}

std::vector<X509Ptr> read_certificates(const std::filesystem::path& path) {
  BioPtr bio = open_for_reading(path);
  std::vector<X509Ptr> certs;
  while (X509* cert = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr)) certs.emplace_back(cert);
  // The loop always ends on an error; "no start line" after at least one certificate is just
  // the end of the file, anything else is damage.
  const unsigned long last = ERR_peek_last_error();
  if (!certs.empty() && ERR_GET_LIB(last) == ERR_LIB_PEM && ERR_GET_REASON(last) == PEM_R_NO_START_LINE) {
    ERR_clear_error();
    return certs;
  }
  const std::string reasons = take_openssl_errors();
  throw CertError(path.string() + " is not a PEM certificate file" + (reasons.empty() ? "" : " (" + reasons + ")"));
}

EvpPkeyPtr read_private_key(const std::filesystem::path& path) {
  BioPtr bio = open_for_reading(path);
  EvpPkeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, refuse_passphrase, nullptr));
  if (!key) {
    const std::string reasons = take_openssl_errors();
    throw CertError(path.string() + " is not an unencrypted PEM private key" +
                    (reasons.empty() ? "" : " (" + reasons + ")"));
  }
  return key;
}

}  // namespace roachrun_certs
