// Who is calling and may they: bearer tokens (static ones stored as SHA-256 hashes, and JWTs
// signed by a configured issuer key) mapped to roles, and the access policy — for every API method
// the roles in its (leadflow.v1.roles) option (proto/leadflow/v1/access.proto). The gRPC server and
// the HTTP server both ask the same Guard, so a call is checked the same way whichever door it
// takes, and every refusal is counted.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "leadflow/v1/access.pb.h"
#include "services/common/metrics/metrics.h"

namespace leadflow::security {

struct JwtOptions {
  std::string key_file;  // PEM public key (RS*, ES*) or the shared secret (HS*); empty: no JWTs
  std::string algorithm = "RS256";    // the one algorithm accepted (never "none")
  std::string issuer;                 // required `iss`
  std::string audience;               // required in `aud` when set
  std::string roles_claim = "roles";  // array of role names ("marketing-writer", ...)
  std::chrono::seconds leeway{60};    // clock skew allowed on exp / nbf
};

struct AuthOptions {
  std::string tokens_file;  // static tokens (AccessTokens YAML); empty: none
  JwtOptions jwt;
};

// The authenticated caller: a name for logs and metrics (a static token's name or a JWT's `sub`)
// and its roles.
struct Principal {
  std::string name;
  std::set<v1::Role> roles;
};

// The role's name as users write it ("marketing-writer"), and back (nullopt-like: UNSPECIFIED).
std::string RoleName(v1::Role role);
v1::Role RoleFromName(std::string_view name);

class Authenticator {
 public:
  // Loads the tokens file and the JWT key. Errors name the setting and the file (and line).
  static absl::StatusOr<std::unique_ptr<Authenticator>> Create(const AuthOptions& options);
  ~Authenticator();

  // The principal of an Authorization header value ("Bearer <token>"). Unauthenticated, with why
  // (never echoing the token), when it is missing, malformed, unknown, expired or badly signed.
  absl::StatusOr<Principal> Authenticate(std::string_view authorization) const;

  // Clock for JWT expiry, replaceable in tests.
  void SetClockForTest(std::function<std::chrono::system_clock::time_point()> now);

 private:
  Authenticator() = default;
  absl::StatusOr<Principal> VerifyJwt(const std::string& token) const;

  std::map<std::string, Principal> by_hash_;  // hex SHA-256 → principal
  JwtOptions jwt_;
  std::string jwt_key_;
  int jwt_alg_ = 0;  // jwt_alg_t
  std::function<std::chrono::system_clock::time_point()> now_;
};

// The roles of every method of the leadflow.v1 services, read from the descriptors.
class AccessPolicy {
 public:
  static AccessPolicy FromDescriptors();

  // `method` as gRPC names it on the wire ("/leadflow.v1.IntakeService/SubmitLead") or as a
  // descriptor's full name ("leadflow.v1.IntakeService.SubmitLead").
  // Public methods need no token (the gRPC health service).
  bool IsPublic(std::string_view method) const;
  // Methods open to any authenticated caller (server reflection: the API's shape, no data).
  bool IsAnyAuthenticated(std::string_view method) const;
  // The roles allowed to call `method`; empty for an unknown method or one without the option,
  // which nobody may call (fail closed).
  const std::set<v1::Role>& RolesFor(std::string_view method) const;

  // Every method with roles, by full name (for the docs and the role × call test).
  const std::map<std::string, std::set<v1::Role>, std::less<>>& methods() const { return roles_; }

 private:
  std::map<std::string, std::set<v1::Role>, std::less<>> roles_;
};

// Authentication + policy + counting, for one service's servers.
class Guard {
 public:
  // `authenticator` null: authentication is off (plaintext local mode, or auth.disabled); every
  // call is allowed.
  Guard(std::unique_ptr<Authenticator> authenticator, metrics::Registry* registry);

  bool enabled() const { return authenticator_ != nullptr; }

  // OK, or Unauthenticated (no/bad token) or PermissionDenied (token without a role the method
  // allows); refusals are counted in leadflow_auth_denied_total{method,reason} and logged with the
  // caller's name (never the token).
  // `caller` (optional) gets the authenticated principal's name when the call is allowed.
  absl::Status Check(std::string_view method, std::string_view authorization,
                     std::string* caller = nullptr) const;

  // Who is calling, for per-caller limits and audit: the principal's name of a valid token, or
  // "anonymous" (authentication off, or no valid token — such a call was refused already).
  std::string CallerOf(std::string_view authorization) const;

  const AccessPolicy& policy() const { return policy_; }

 private:
  std::unique_ptr<Authenticator> authenticator_;
  AccessPolicy policy_;
  metrics::Registry* registry_;
};

}  // namespace leadflow::security
