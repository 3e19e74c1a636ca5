#include "ossl.hpp"

#include <array>

#include <openssl/err.h>

namespace roachrun_certs {

std::string take_openssl_errors() {
  std::string out;
  while (unsigned long code = ERR_get_error()) {
    std::array<char, 256> buf{};
    ERR_error_string_n(code, buf.data(), buf.size());
    if (!out.empty()) out += "; ";
    out += buf.data();
  }
  return out;
}

void throw_openssl_error(const std::string& what) {
  std::string reasons = take_openssl_errors();
  throw CertError(reasons.empty() ? what : what + ": " + reasons);
}

}  // namespace roachrun_certs
