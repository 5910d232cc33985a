#include "services/common/security/server_security.h"

#include "services/common/base/status_macros.h"
#include "services/common/base/strings.h"

namespace leadflow::security {

std::vector<config::SettingSpec> SecuritySettingSpecs() {
  using config::SettingType;
  return {
      {"tls.plaintext", SettingType::kBool, "false",
       "serve gRPC and HTTP without TLS and without authentication: local use only (warned)"},
      {"tls.cert_file", SettingType::kString, "",
       "server certificate chain, PEM (required unless tls.plaintext); re-read when it changes"},
      {"tls.key_file", SettingType::kString, "", "the certificate's private key, PEM"},
      {"tls.client_ca_file", SettingType::kString, "",
       "CA certificates for client certificates (mutual TLS), PEM; empty: no client certificates"},
      {"tls.client_auth", SettingType::kString, "require",
       "with tls.client_ca_file: require (mutual TLS) or optional (verified when presented)"},
      {"tls.reload_interval", SettingType::kDuration, "60s",
       "how often the certificate files are checked for a rotation"},
      {"auth.disabled", SettingType::kBool, "false",
       "accept calls without a bearer token: only with mutual TLS required (warned)"},
      {"auth.tokens_file", SettingType::kString, "",
       "static bearer tokens: YAML of {name, sha256, roles} (docs/security.md)"},
      {"auth.jwt.key_file", SettingType::kString, "",
       "JWT issuer key: PEM public key (RS*/ES*) or shared secret file (HS*); empty: no JWTs"},
      {"auth.jwt.algorithm", SettingType::kString, "RS256",
       "the JWT signature algorithm accepted: RS256/384/512, ES256/384/512, HS256/384/512"},
      {"auth.jwt.issuer", SettingType::kString, "", "required JWT issuer (iss)"},
      {"auth.jwt.audience", SettingType::kString, "", "required JWT audience (aud), when set"},
      {"auth.jwt.roles_claim", SettingType::kString, "roles",
       "JWT claim with the roles (array of names, or a space-separated string)"},
      {"auth.jwt.leeway", SettingType::kDuration, "60s", "clock skew allowed on JWT exp and nbf"},
  };
}

absl::StatusOr<SecurityOptions> SecurityOptionsFrom(const config::Settings& s,
                                                    std::vector<std::string>* warnings) {
  SecurityOptions o;
  o.tls.plaintext = s.GetBool("tls.plaintext");
  o.tls.cert_file = s.GetString("tls.cert_file");
  o.tls.key_file = s.GetString("tls.key_file");
  o.tls.client_ca_file = s.GetString("tls.client_ca_file");
  o.tls.reload_interval = std::chrono::duration_cast<std::chrono::seconds>(
      std::max(s.GetDuration("tls.reload_interval"), std::chrono::milliseconds(1000)));
  o.auth_disabled = s.GetBool("auth.disabled");
  o.auth.tokens_file = s.GetString("auth.tokens_file");
  o.auth.jwt.key_file = s.GetString("auth.jwt.key_file");
  o.auth.jwt.algorithm = s.GetString("auth.jwt.algorithm");
  o.auth.jwt.issuer = s.GetString("auth.jwt.issuer");
  o.auth.jwt.audience = s.GetString("auth.jwt.audience");
  o.auth.jwt.roles_claim = s.GetString("auth.jwt.roles_claim");
  o.auth.jwt.leeway =
      std::chrono::duration_cast<std::chrono::seconds>(s.GetDuration("auth.jwt.leeway"));
  const bool tokens = !o.auth.tokens_file.empty() || !o.auth.jwt.key_file.empty();

  if (o.tls.plaintext) {
    for (const char* name : {"tls.cert_file", "tls.key_file", "tls.client_ca_file"}) {
      if (!s.GetString(name).empty()) {
        return absl::InvalidArgumentError(
            StrCat(name, " is set but tls.plaintext=true: choose TLS or plaintext"));
      }
    }
    if (tokens) {
      return absl::InvalidArgumentError(
          "auth.tokens_file / auth.jwt.key_file need TLS: with tls.plaintext=true a bearer token "
          "would cross the network readable; set tls.cert_file and tls.key_file");
    }
    warnings->push_back(
        "tls.plaintext=true: gRPC and HTTP are served without TLS and without authentication; "
        "for local use only");
    return o;
  }
  if (o.tls.cert_file.empty() || o.tls.key_file.empty()) {
    return absl::InvalidArgumentError(
        StrCat(o.tls.cert_file.empty() ? "tls.cert_file" : "tls.key_file",
               ": required (the server certificate and key, PEM); for local use without TLS set "
               "tls.plaintext=true"));
  }
  const std::string& client_auth = s.GetString("tls.client_auth");
  if (client_auth != "require" && client_auth != "optional") {
    return absl::InvalidArgumentError(
        StrCat("tls.client_auth: '", client_auth, "' is not require or optional"));
  }
  if (!o.tls.client_ca_file.empty()) {
    o.tls.client_auth = client_auth == "require" ? ClientAuth::kRequire : ClientAuth::kOptional;
  }
  if (o.auth_disabled) {
    if (tokens) {
      return absl::InvalidArgumentError(
          "auth.disabled=true but auth.tokens_file or auth.jwt.key_file is set: choose one");
    }
    if (o.tls.client_auth != ClientAuth::kRequire) {
      return absl::InvalidArgumentError(
          "auth.disabled=true needs mutual TLS (tls.client_ca_file with tls.client_auth=require): "
          "without tokens the client certificate is the only gate");
    }
    warnings->push_back(
        "auth.disabled=true: no bearer tokens are checked; any client with a certificate from "
        "tls.client_ca_file may call every method");
    return o;
  }
  if (!tokens) {
    return absl::InvalidArgumentError(
        "auth.tokens_file or auth.jwt.key_file: required with TLS (who may call what); "
        "auth.disabled=true turns authentication off");
  }
  return o;
}

std::unique_ptr<ServerSecurity> ServerSecurity::Plaintext() {
  SecurityOptions o;
  o.tls.plaintext = true;
  return std::unique_ptr<ServerSecurity>(
      new ServerSecurity(o, std::make_unique<Guard>(nullptr, nullptr), nullptr));
}

absl::StatusOr<std::unique_ptr<ServerSecurity>> ServerSecurity::Create(
    const SecurityOptions& options, metrics::Registry* registry) {
  if (options.tls.plaintext) return Plaintext();
  LF_ASSIGN_OR_RETURN(std::unique_ptr<ReloadingCertificates> certificates,
                      ReloadingCertificates::Create(options.tls));
  std::unique_ptr<Authenticator> authenticator;
  if (!options.auth_disabled) {
    LF_ASSIGN_OR_RETURN(authenticator, Authenticator::Create(options.auth));
  }
  return std::unique_ptr<ServerSecurity>(
      new ServerSecurity(options, std::make_unique<Guard>(std::move(authenticator), registry),
                         std::move(certificates)));
}

ServerSecurity::ServerSecurity(SecurityOptions options, std::unique_ptr<Guard> guard,
                               std::unique_ptr<ReloadingCertificates> certificates)
    : options_(std::move(options)),
      guard_(std::move(guard)),
      certificates_(std::move(certificates)) {}

}  // namespace leadflow::security
