// The security of one service's endpoints, from its settings: TLS (tls.*) for the gRPC and HTTP
// servers and bearer-token authentication with the role policy (auth.*). Secure by default: a
// service without tls.cert_file/tls.key_file does not start unless tls.plaintext=true says it is
// for local use; with TLS it needs a way to authenticate (auth.tokens_file or auth.jwt.key_file)
// unless auth.disabled=true. Bearer tokens are refused over plaintext: they would be readable on
// the wire.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "services/common/config/settings.h"
#include "services/common/metrics/metrics.h"
#include "services/common/security/auth.h"
#include "services/common/security/tls.h"

namespace leadflow::security {

struct SecurityOptions {
  TlsOptions tls;
  AuthOptions auth;
  bool auth_disabled = false;  // mutual TLS as the only gate, no tokens
};

// The tls.* and auth.* settings every service declares.
std::vector<config::SettingSpec> SecuritySettingSpecs();

// Reads and cross-checks them; errors name the settings involved. `warnings` gets what the
// service must log at start (plaintext, authentication off).
absl::StatusOr<SecurityOptions> SecurityOptionsFrom(const config::Settings& settings,
                                                    std::vector<std::string>* warnings);

class ServerSecurity {
 public:
  // No TLS, no authentication: unit tests of the servers and local runs.
  static std::unique_ptr<ServerSecurity> Plaintext();
  // Loads the certificates and the authenticator (file errors name the setting).
  static absl::StatusOr<std::unique_ptr<ServerSecurity>> Create(const SecurityOptions& options,
                                                                metrics::Registry* registry);

  bool plaintext() const { return options_.tls.plaintext; }
  const TlsOptions& tls() const { return options_.tls; }
  // Authentication and the role policy; allows everything when authentication is off.
  const Guard& guard() const { return *guard_; }
  // The HTTP server's certificates (null when plaintext).
  ReloadingCertificates* http_certificates() const { return certificates_.get(); }

 private:
  ServerSecurity(SecurityOptions options, std::unique_ptr<Guard> guard,
                 std::unique_ptr<ReloadingCertificates> certificates);

  SecurityOptions options_;
  std::unique_ptr<Guard> guard_;
  std::unique_ptr<ReloadingCertificates> certificates_;
};

}  // namespace leadflow::security
