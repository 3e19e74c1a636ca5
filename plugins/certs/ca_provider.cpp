#include "ca_provider.hpp"

#include <exception>
#include <filesystem>
#include <string>
#include <utility>
#include <vector>

#include <roachrun/error.hpp>

#include "cert_ops.hpp"
#include "ossl.hpp"

namespace roachrun_certs {
namespace {

using Files = std::vector<std::filesystem::path>;

// A CertError's message is already the whole story and passes unchanged; anything else
// (std::filesystem_error, bad_alloc) was not foreseen and says where it came from.
template <typename Request>
std::function<Files(const Request&)> reporting_step_errors(Files (*op)(const Request&)) {
  return [op](const Request& request) -> Files {
    try {
      return op(request);
    } catch (const roachrun::Error&) {
      throw;
    } catch (const CertError& e) {
      throw roachrun::StepError(e.what());
    } catch (const std::exception& e) {
      throw roachrun::StepError(std::string("certs: ") + e.what());
    }
  };
}

}  // namespace

roachrun::CertificateAuthority certificate_authority() {
  return {.create_ca = reporting_step_errors<CaRequest>(create_ca),
          .create_node = reporting_step_errors<NodeCertRequest>(create_node),
          .create_client = reporting_step_errors<ClientCertRequest>(create_client)};
}

}  // namespace roachrun_certs
