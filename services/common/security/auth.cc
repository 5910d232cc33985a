#include "services/common/security/auth.h"

#include <jwt.h>
#include <openssl/evp.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <optional>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/descriptor.pb.h"
#include "leadflow/v1/config_service.pb.h"
#include "leadflow/v1/handoff_service.pb.h"
#include "leadflow/v1/intake_service.pb.h"
#include "leadflow/v1/qualification_service.pb.h"
#include "leadflow/v1/recycle_service.pb.h"
#include "leadflow/v1/reporting_service.pb.h"
#include "nlohmann/json.hpp"
#include "services/common/base/files.h"
#include "services/common/base/status_macros.h"
#include "services/common/base/strings.h"
#include "services/common/config/proto_yaml.h"
#include "services/common/log/log.h"

namespace leadflow::security {
namespace {

constexpr std::string_view kBearer = "bearer ";

std::string Sha256Hex(std::string_view data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  LF_CHECK(EVP_Digest(data.data(), data.size(), digest, &len, EVP_sha256(), nullptr) == 1,
           "SHA-256 is always available");
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(2 * len);
  for (unsigned int i = 0; i < len; ++i) {
    out.push_back(kHex[digest[i] >> 4]);
    out.push_back(kHex[digest[i] & 0xf]);
  }
  return out;
}

// "/leadflow.v1.IntakeService/SubmitLead" and "leadflow.v1.IntakeService.SubmitLead" → the latter.
std::string FullName(std::string_view method) {
  if (!method.empty() && method.front() == '/') method.remove_prefix(1);
  std::string out(method);
  for (char& c : out) {
    if (c == '/') c = '.';
  }
  return out;
}

struct JwtFree {
  void operator()(jwt_t* j) const { jwt_free(j); }
};
struct CFree {
  void operator()(char* p) const { std::free(p); }
};

constexpr std::pair<std::string_view, jwt_alg_t> kAlgorithms[] = {
    {"HS256", JWT_ALG_HS256}, {"HS384", JWT_ALG_HS384}, {"HS512", JWT_ALG_HS512},
    {"RS256", JWT_ALG_RS256}, {"RS384", JWT_ALG_RS384}, {"RS512", JWT_ALG_RS512},
    {"ES256", JWT_ALG_ES256}, {"ES384", JWT_ALG_ES384}, {"ES512", JWT_ALG_ES512},
};

const std::set<v1::Role>& NoRoles() {
  static const std::set<v1::Role> none;
  return none;
}

}  // namespace

std::string RoleName(v1::Role role) {
  std::string name = absl::AsciiStrToLower(absl::StripPrefix(v1::Role_Name(role), "ROLE_"));
  for (char& c : name) {
    if (c == '_') c = '-';
  }
  return name;
}

v1::Role RoleFromName(std::string_view name) {
  const google::protobuf::EnumValueDescriptor* v =
      config::FindEnumValueByShortName(v1::Role_descriptor(), name);
  return v == nullptr ? v1::ROLE_UNSPECIFIED : static_cast<v1::Role>(v->number());
}

Authenticator::~Authenticator() = default;

absl::StatusOr<std::unique_ptr<Authenticator>> Authenticator::Create(const AuthOptions& options) {
  std::unique_ptr<Authenticator> a(new Authenticator());
  a->now_ = [] { return std::chrono::system_clock::now(); };
  if (!options.tokens_file.empty()) {
    v1::AccessTokens tokens;
    LF_RETURN_IF_ERROR(config::LoadValidatedYamlFile(options.tokens_file, &tokens, [&tokens]() {
      std::vector<config::ConfigViolation> v;
      std::set<std::string> names;
      for (int i = 0; i < tokens.tokens_size(); ++i) {
        const v1::AccessToken& t = tokens.tokens(i);
        const std::string at = StrCat("tokens[", i, "]");
        if (t.name().empty()) v.push_back({StrCat(at, ".name"), "required"});
        if (!names.insert(t.name()).second) {
          v.push_back({StrCat(at, ".name"), StrCat("'", t.name(), "' is used twice")});
        }
        const bool hex = t.sha256().size() == 64 &&
                         t.sha256().find_first_not_of("0123456789abcdef") == std::string::npos;
        if (!hex) {
          v.push_back({StrCat(at, ".sha256"),
                       "must be 64 lower-case hex digits: the SHA-256 of the token, never the "
                       "token itself"});
        }
        if (t.roles_size() == 0) v.push_back({StrCat(at, ".roles"), "at least one role"});
      }
      return v;
    }));
    for (const v1::AccessToken& t : tokens.tokens()) {
      Principal p{t.name(), {}};
      for (int r : t.roles()) p.roles.insert(static_cast<v1::Role>(r));
      if (!a->by_hash_.emplace(t.sha256(), std::move(p)).second) {
        return absl::InvalidArgumentError(StrCat("auth.tokens_file: ", options.tokens_file,
                                                 ": token '", t.name(),
                                                 "' has the same sha256 as another"));
      }
    }
  }
  if (!options.jwt.key_file.empty()) {
    a->jwt_ = options.jwt;
    for (const auto& [name, alg] : kAlgorithms) {
      if (name == options.jwt.algorithm) a->jwt_alg_ = alg;
    }
    if (a->jwt_alg_ == 0) {
      return absl::InvalidArgumentError(
          StrCat("auth.jwt.algorithm: '", options.jwt.algorithm,
                 "' is not one of HS256, HS384, HS512, RS256, RS384, RS512, ES256, ES384, ES512"));
    }
    if (options.jwt.issuer.empty()) {
      return absl::InvalidArgumentError(
          "auth.jwt.issuer: required with auth.jwt.key_file (tokens of any issuer would pass)");
    }
    if (options.jwt.audience.empty()) {
      return absl::InvalidArgumentError(
          "auth.jwt.audience: required with auth.jwt.key_file (tokens the issuer made for other "
          "applications would pass)");
    }
    LF_ASSIGN_OR_RETURN(a->jwt_key_, ReadFileToString("auth.jwt.key_file", options.jwt.key_file));
    const bool pem = absl::StrContains(a->jwt_key_, "-----BEGIN PUBLIC KEY-----");
    const bool hmac = options.jwt.algorithm[0] == 'H';
    // Any PEM (a public key, a certificate) is public material: as an HMAC secret anyone could
    // forge tokens with it.
    if (hmac && absl::StrContains(a->jwt_key_, "-----BEGIN ")) {
      return absl::InvalidArgumentError(StrCat("auth.jwt.key_file: ", options.jwt.key_file,
                                               ": is PEM (a key or certificate) but "
                                               "auth.jwt.algorithm ",
                                               options.jwt.algorithm, " needs the shared secret"));
    }
    if (!hmac && !pem) {
      return absl::InvalidArgumentError(StrCat(
          "auth.jwt.key_file: ", options.jwt.key_file,
          ": expected a PEM public key (-----BEGIN PUBLIC KEY-----) for ", options.jwt.algorithm));
    }
    if (hmac) {
      // A secret file usually ends in a newline the issuer did not sign with.
      while (!a->jwt_key_.empty() && std::isspace(static_cast<unsigned char>(a->jwt_key_.back()))) {
        a->jwt_key_.pop_back();
      }
      if (a->jwt_key_.size() < 32) {
        return absl::InvalidArgumentError(StrCat("auth.jwt.key_file: ", options.jwt.key_file,
                                                 ": an HMAC secret needs at least 32 bytes"));
      }
    }
  }
  if (a->by_hash_.empty() && a->jwt_key_.empty()) {
    return absl::InvalidArgumentError(
        "auth: no way to authenticate: set auth.tokens_file (with at least one token) or "
        "auth.jwt.key_file, or auth.disabled=true");
  }
  return a;
}

void Authenticator::SetClockForTest(std::function<std::chrono::system_clock::time_point()> now) {
  now_ = std::move(now);
}

absl::StatusOr<Principal> Authenticator::Authenticate(std::string_view authorization) const {
  if (authorization.empty()) {
    return absl::UnauthenticatedError("no bearer token (header authorization: Bearer <token>)");
  }
  std::string scheme(authorization.substr(0, kBearer.size()));
  absl::AsciiStrToLower(&scheme);
  if (authorization.size() <= kBearer.size() || scheme != kBearer) {
    return absl::UnauthenticatedError("the authorization header is not 'Bearer <token>'");
  }
  std::string token(authorization.substr(kBearer.size()));
  absl::StripAsciiWhitespace(&token);
  if (!by_hash_.empty()) {
    auto it = by_hash_.find(Sha256Hex(token));
    if (it != by_hash_.end()) return it->second;
  }
  // A JWT has three base64url parts; a static token we do not know is just unknown.
  if (!jwt_key_.empty() && std::count(token.begin(), token.end(), '.') == 2)
    return VerifyJwt(token);
  return absl::UnauthenticatedError("unknown token");
}

absl::StatusOr<Principal> Authenticator::VerifyJwt(const std::string& token) const {
  jwt_t* raw = nullptr;
  if (jwt_decode(&raw, token.c_str(), reinterpret_cast<const unsigned char*>(jwt_key_.data()),
                 static_cast<int>(jwt_key_.size())) != 0 ||
      raw == nullptr) {
    return absl::UnauthenticatedError("JWT: malformed or bad signature");
  }
  std::unique_ptr<jwt_t, JwtFree> jwt(raw);
  // The algorithm is ours to choose, not the token's: an HS256 token "signed" with our RSA public
  // key as the secret verifies in jwt_decode, and must not pass.
  if (jwt_get_alg(jwt.get()) != jwt_alg_) {
    return absl::UnauthenticatedError(StrCat("JWT: algorithm is not ", jwt_.algorithm));
  }
  const char* iss = jwt_get_grant(jwt.get(), "iss");
  if (iss == nullptr || jwt_.issuer != iss) {
    return absl::UnauthenticatedError("JWT: wrong or missing issuer (iss)");
  }
  const long long now =
      std::chrono::duration_cast<std::chrono::seconds>(now_().time_since_epoch()).count();
  const long long leeway = jwt_.leeway.count();
  // NumericDate claims, read from their JSON: absent, a number, or refused (libjwt's integer
  // getter cannot tell a string from a missing claim).
  auto date = [&jwt](const char* name) -> absl::StatusOr<std::optional<double>> {
    std::unique_ptr<char, CFree> text(jwt_get_grants_json(jwt.get(), name));
    if (text == nullptr) return std::optional<double>();
    const nlohmann::json v = nlohmann::json::parse(text.get(), nullptr, false);
    if (!v.is_number()) {
      return absl::UnauthenticatedError(StrCat("JWT: ", name, " is not a number"));
    }
    return std::optional<double>(v.get<double>());
  };
  LF_ASSIGN_OR_RETURN(std::optional<double> exp, date("exp"));
  if (!exp.has_value()) return absl::UnauthenticatedError("JWT: no expiry (exp)");
  if (static_cast<double>(now - leeway) > *exp) return absl::UnauthenticatedError("JWT: expired");
  LF_ASSIGN_OR_RETURN(std::optional<double> nbf, date("nbf"));
  if (nbf.has_value() && static_cast<double>(now + leeway) < *nbf) {
    return absl::UnauthenticatedError("JWT: not valid yet");
  }
  if (!jwt_.audience.empty()) {
    std::unique_ptr<char, CFree> aud_json(jwt_get_grants_json(jwt.get(), "aud"));
    const nlohmann::json aud = aud_json == nullptr
                                   ? nlohmann::json()
                                   : nlohmann::json::parse(aud_json.get(), nullptr, false);
    bool match = aud.is_string() && aud.get<std::string>() == jwt_.audience;
    if (aud.is_array()) {
      for (const nlohmann::json& a : aud) match = match || (a.is_string() && a == jwt_.audience);
    }
    if (!match) return absl::UnauthenticatedError("JWT: not for this audience (aud)");
  }
  Principal p;
  const char* sub = jwt_get_grant(jwt.get(), "sub");
  p.name = sub == nullptr ? "jwt" : StrCat("jwt:", sub);
  std::unique_ptr<char, CFree> roles_json(jwt_get_grants_json(jwt.get(), jwt_.roles_claim.c_str()));
  const nlohmann::json roles = roles_json == nullptr
                                   ? nlohmann::json()
                                   : nlohmann::json::parse(roles_json.get(), nullptr, false);
  if (roles.is_array()) {
    for (const nlohmann::json& r : roles) {
      if (!r.is_string()) continue;
      const v1::Role role = RoleFromName(r.get<std::string>());
      if (role != v1::ROLE_UNSPECIFIED) p.roles.insert(role);  // unknown roles grant nothing
    }
  } else if (roles.is_string()) {
    for (absl::string_view r : absl::StrSplit(roles.get<std::string>(), ' ', absl::SkipEmpty())) {
      const v1::Role role = RoleFromName(std::string_view(r.data(), r.size()));
      if (role != v1::ROLE_UNSPECIFIED) p.roles.insert(role);
    }
  }
  return p;
}

AccessPolicy AccessPolicy::FromDescriptors() {
  // One message of each service file, named so its generated code is linked into every binary.
  AccessPolicy policy;
  for (const google::protobuf::Descriptor* d :
       {v1::SubmitLeadRequest::descriptor(), v1::GetScoreRequest::descriptor(),
        v1::AcceptLeadRequest::descriptor(), v1::GetNurtureStatusRequest::descriptor(),
        v1::GetFunnelRequest::descriptor(), v1::GetConfigRequest::descriptor()}) {
    const google::protobuf::FileDescriptor* f = d->file();
    for (int s = 0; s < f->service_count(); ++s) {
      const google::protobuf::ServiceDescriptor* service = f->service(s);
      for (int m = 0; m < service->method_count(); ++m) {
        const google::protobuf::MethodDescriptor* method = service->method(m);
        std::set<v1::Role> roles;
        const google::protobuf::MethodOptions& o = method->options();
        for (int i = 0; i < o.ExtensionSize(v1::roles); ++i) {
          roles.insert(static_cast<v1::Role>(o.GetExtension(v1::roles, i)));
        }
        policy.roles_.emplace(method->full_name(), std::move(roles));
      }
    }
  }
  return policy;
}

bool AccessPolicy::IsPublic(std::string_view method) const {
  return FullName(method).rfind("grpc.health.v1.Health.", 0) == 0;
}

bool AccessPolicy::IsAnyAuthenticated(std::string_view method) const {
  return FullName(method).rfind("grpc.reflection.", 0) == 0;
}

const std::set<v1::Role>& AccessPolicy::RolesFor(std::string_view method) const {
  auto it = roles_.find(FullName(method));
  return it == roles_.end() ? NoRoles() : it->second;
}

Guard::Guard(std::unique_ptr<Authenticator> authenticator, metrics::Registry* registry)
    : authenticator_(std::move(authenticator)),
      policy_(AccessPolicy::FromDescriptors()),
      registry_(registry) {}

std::string Guard::CallerOf(std::string_view authorization) const {
  if (authenticator_ == nullptr) return "anonymous";
  absl::StatusOr<Principal> who = authenticator_->Authenticate(authorization);
  return who.ok() ? who->name : "anonymous";
}

absl::Status Guard::Check(std::string_view method, std::string_view authorization,
                          std::string* caller) const {
  if (authenticator_ == nullptr || policy_.IsPublic(method)) return absl::OkStatus();
  // The label is a known method's name or "other", so random paths cannot grow the series.
  const std::string full = FullName(method);
  const bool known = policy_.methods().count(full) > 0 || policy_.IsAnyAuthenticated(method);
  auto deny = [&](absl::Status status, const std::string& who) {
    const bool unauthenticated = absl::IsUnauthenticated(status);
    if (registry_ != nullptr) {
      registry_
          ->GetCounter("leadflow_auth_denied_total",
                       "API calls refused: reason=unauthenticated (no or bad token) or forbidden "
                       "(the token's roles do not include one the method allows)",
                       {{"method", known ? full : "other"},
                        {"reason", unauthenticated ? "unauthenticated" : "forbidden"}})
          .Increment();
    }
    log::Warn("call refused", {{"method", known ? full : "other"},
                               {"caller", who},
                               {"why", std::string(status.message())}});
    return status;
  };
  absl::StatusOr<Principal> who = authenticator_->Authenticate(authorization);
  if (!who.ok()) return deny(who.status(), "unauthenticated");
  if (caller != nullptr) *caller = who->name;
  if (policy_.IsAnyAuthenticated(method)) return absl::OkStatus();
  const std::set<v1::Role>& allowed = policy_.RolesFor(method);
  for (v1::Role r : who->roles) {
    if (allowed.count(r) > 0) return absl::OkStatus();
  }
  std::string names;
  for (v1::Role r : allowed) names += (names.empty() ? "" : ", ") + RoleName(r);
  return deny(absl::PermissionDeniedError(
                  allowed.empty() ? StrCat(full, " is not an API method anyone may call")
                                  : StrCat(full, " needs one of the roles: ", names)),
              who->name);
}

}  // namespace leadflow::security
