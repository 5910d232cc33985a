// Security of the service endpoints: the settings' rules, the certificate files, static and JWT
// bearer tokens, the role policy of every API method, and real gRPC and HTTP servers on TLS and
// mutual TLS with tokens — every role × every method over the wire, refusals counted, and
// certificate rotation picked up without a restart.
#include <jwt.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "fmt/ranges.h"
#include "gmock/gmock.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "httplib.h"
#include "leadflow/v1/config_service.grpc.pb.h"
#include "leadflow/v1/handoff_service.grpc.pb.h"
#include "leadflow/v1/intake_service.grpc.pb.h"
#include "leadflow/v1/qualification_service.grpc.pb.h"
#include "leadflow/v1/recycle_service.grpc.pb.h"
#include "leadflow/v1/reporting_service.grpc.pb.h"
#include "services/common/base/strings.h"
#include "services/common/http/http_server.h"
#include "services/common/kafka/properties.h"
#include "services/common/rpc/grpc_server.h"
#include "services/common/security/rate_limit.h"
#include "services/common/security/server_security.h"
#include "tests/support/temp_dir.h"
#include "tests/support/test_pki.h"
#include "tools/common/client_security.h"

namespace leadflow::security {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using testing::TempDir;
using testing::TestPki;

// ---- settings ----

absl::StatusOr<SecurityOptions> FromFlags(const std::vector<std::string>& flags,
                                          std::vector<std::string>* warnings) {
  config::SettingsSchema schema{"test", SecuritySettingSpecs(), {}};
  absl::StatusOr<config::Settings> s = config::Settings::Load(schema, {flags, {}});
  if (!s.ok()) return s.status();
  return SecurityOptionsFrom(*s, warnings);
}

TEST(SecuritySettingsTest, SecureByDefaultAndEveryMisconfigurationNamesItsSettings) {
  struct Case {
    std::vector<std::string> flags;
    std::string error;  // empty: accepted
    std::string warning;
  };
  const std::vector<Case> cases = {
      {{}, "tls.cert_file: required", ""},
      {{"--tls.cert_file=c.pem"}, "tls.key_file: required", ""},
      {{"--tls.cert_file=c.pem", "--tls.key_file=k.pem"},
       "auth.tokens_file or auth.jwt.key_file",
       ""},
      {{"--tls.cert_file=c.pem", "--tls.key_file=k.pem", "--auth.tokens_file=t.yaml"}, "", ""},
      {{"--tls.cert_file=c.pem", "--tls.key_file=k.pem", "--auth.disabled=true"},
       "auth.disabled=true needs mutual TLS",
       ""},
      {{"--tls.cert_file=c.pem", "--tls.key_file=k.pem", "--auth.disabled=true",
        "--tls.client_ca_file=ca.pem", "--tls.client_auth=optional"},
       "auth.disabled=true needs mutual TLS",
       ""},
      {{"--tls.cert_file=c.pem", "--tls.key_file=k.pem", "--auth.disabled=true",
        "--tls.client_ca_file=ca.pem"},
       "",
       "auth.disabled=true"},
      {{"--tls.cert_file=c.pem", "--tls.key_file=k.pem", "--auth.disabled=true",
        "--auth.tokens_file=t.yaml"},
       "choose one",
       ""},
      {{"--tls.plaintext=true"}, "", "tls.plaintext=true"},
      {{"--tls.plaintext=true", "--tls.cert_file=c.pem"}, "tls.cert_file is set", ""},
      {{"--tls.plaintext=true", "--auth.tokens_file=t.yaml"}, "need TLS", ""},
      {{"--tls.cert_file=c.pem", "--tls.key_file=k.pem", "--auth.disabled=true",
        "--tls.client_ca_file=ca.pem", "--tls.client_auth=sometimes"},
       "tls.client_auth: 'sometimes'",
       ""},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(fmt::format("{}", fmt::join(c.flags, " ")));
    std::vector<std::string> warnings;
    absl::StatusOr<SecurityOptions> o = FromFlags(c.flags, &warnings);
    if (c.error.empty()) {
      ASSERT_TRUE(o.ok()) << o.status();
      if (!c.warning.empty()) {
        ASSERT_EQ(warnings.size(), 1u);
        EXPECT_THAT(warnings[0], HasSubstr(c.warning));
      } else {
        EXPECT_TRUE(warnings.empty());
      }
    } else {
      ASSERT_FALSE(o.ok());
      EXPECT_THAT(std::string(o.status().message()), HasSubstr(c.error));
    }
  }
}

TEST(SecuritySettingsTest, ClientAuthFollowsTheClientCa) {
  std::vector<std::string> w;
  auto none = FromFlags({"--tls.cert_file=c", "--tls.key_file=k", "--auth.tokens_file=t"}, &w);
  ASSERT_TRUE(none.ok());
  EXPECT_EQ(none->tls.client_auth, ClientAuth::kNone);
  auto require = FromFlags(
      {"--tls.cert_file=c", "--tls.key_file=k", "--auth.disabled=true", "--tls.client_ca_file=a"},
      &w);
  ASSERT_TRUE(require.ok());
  EXPECT_EQ(require->tls.client_auth, ClientAuth::kRequire);
  auto optional = FromFlags({"--tls.cert_file=c", "--tls.key_file=k", "--auth.tokens_file=t",
                             "--tls.client_ca_file=a", "--tls.client_auth=optional"},
                            &w);
  ASSERT_TRUE(optional.ok());
  EXPECT_EQ(optional->tls.client_auth, ClientAuth::kOptional);
}

// ---- Kafka security pass-through ----

TEST(KafkaClientIssueTest, ScramWithAnOldLibrdkafkaIsWarnedAbout) {
  const kafka::Properties scram = {{"security.protocol", "SASL_SSL"},
                                   {"sasl.mechanisms", "SCRAM-SHA-512"}};
  const std::string issue = kafka::KnownClientIssue(scram, 0x020002ff);  // Debian's 2.0.2
  EXPECT_THAT(issue, HasSubstr("librdkafka 2.0.2"));
  EXPECT_THAT(issue, HasSubstr("Kafka 4.x brokers reject"));
  EXPECT_EQ(kafka::KnownClientIssue(scram, 0x020601ff), "");  // fixed in 2.6.1
  EXPECT_EQ(kafka::KnownClientIssue({{"sasl.mechanisms", "PLAIN"}}, 0x020002ff), "");
  EXPECT_EQ(kafka::KnownClientIssue({}, 0x020002ff), "");
}

// ---- rate limit ----

TEST(RateLimiterTest, EachCallerHasABucketThatRefillsAtTheRateAndRefusalsSayWhenToRetry) {
  auto now = std::chrono::steady_clock::time_point{};
  RateLimiter limiter(
      {10, 20, "submissions"}, [&] { return now; }, [&](std::chrono::milliseconds d) { now += d; });
  EXPECT_TRUE(limiter.TryAcquire("crm", 20).ok());  // the burst, at once
  absl::Status s = limiter.TryAcquire("crm", 1);
  EXPECT_TRUE(absl::IsResourceExhausted(s));
  EXPECT_EQ(s.message(),
            "rate limit: caller 'crm' may send 10 submissions/s (bursts of 20); retry in 100 ms");
  EXPECT_TRUE(limiter.TryAcquire("webform", 20).ok());  // another caller: its own bucket
  now += std::chrono::milliseconds(500);                // refilled by 5
  EXPECT_TRUE(limiter.TryAcquire("crm", 5).ok());
  EXPECT_FALSE(limiter.TryAcquire("crm", 1).ok());
  EXPECT_THAT(std::string(limiter.TryAcquire("bi", 21).message()),
              HasSubstr("21 submissions at once is more than the burst of 20"));
  // Acquire waits for the budget instead (the injected sleep moves the clock): 10 take 1 s...
  const auto before = now;
  EXPECT_TRUE(limiter.Acquire("crm", 10, std::chrono::seconds(10)).ok());
  EXPECT_EQ(now - before, std::chrono::milliseconds(1000));
  // ... more than a burst is taken a burst at a time (50 at 10/s from empty: 5 s) ...
  EXPECT_TRUE(limiter.Acquire("crm", 50, std::chrono::seconds(60)).ok());
  EXPECT_EQ(now - before, std::chrono::milliseconds(6000));
  // ... and it gives up after max_wait.
  EXPECT_TRUE(
      absl::IsResourceExhausted(limiter.Acquire("crm", 20, std::chrono::milliseconds(500))));
  EXPECT_TRUE(RateLimiter({0, 0, "x"}).TryAcquire("any", 1e9).ok());  // 0: no limit
}

// ---- certificate files ----

class PkiTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_NO_FATAL_FAILURE(pki_.Create()); }
  TlsOptions Tls() const {
    TlsOptions o;
    o.cert_file = pki_.server_cert();
    o.key_file = pki_.server_key();
    return o;
  }
  TempDir dir_{"security-test"};
  TestPki pki_{dir_.Sub("pki")};
};

TEST_F(PkiTest, TlsFilesAreCheckedWithErrorsThatNameTheSetting) {
  EXPECT_TRUE(CheckTlsFiles(Tls()).ok());
  TlsOptions mismatched = Tls();
  mismatched.key_file = pki_.client_key();
  EXPECT_THAT(std::string(CheckTlsFiles(mismatched).message()),
              HasSubstr("tls.key_file: " + pki_.client_key() + ": does not match"));
  TlsOptions missing = Tls();
  missing.cert_file = dir_.Sub("nope.pem");
  EXPECT_THAT(std::string(CheckTlsFiles(missing).message()), HasSubstr("tls.cert_file: "));
  testing::WriteFile(dir_.Sub("junk.pem"), "not a certificate\n");
  TlsOptions junk = Tls();
  junk.client_ca_file = dir_.Sub("junk.pem");
  EXPECT_THAT(std::string(CheckTlsFiles(junk).message()),
              HasSubstr("tls.client_ca_file: " + dir_.Sub("junk.pem") + ": no PEM certificate"));
  TlsOptions key_as_cert = Tls();
  key_as_cert.key_file = pki_.server_cert();
  EXPECT_THAT(std::string(CheckTlsFiles(key_as_cert).message()),
              HasSubstr("no unencrypted PEM private key"));
}

// ---- tokens ----

TEST(TokensFileTest, ViolationsNameTheFileLineAndField) {
  TempDir dir("tokens");
  const std::string path = dir.Sub("tokens.yaml");
  testing::WriteFile(path,
                     "tokens:\n"
                     "  - name: crm\n"
                     "    sha256: not-a-hash\n"
                     "    roles: [marketing-writer]\n"
                     "  - name: crm\n"
                     "    sha256: " +
                         std::string(64, 'a') +
                         "\n"
                         "    roles: []\n");
  absl::StatusOr<std::unique_ptr<Authenticator>> a = Authenticator::Create({path, {}});
  ASSERT_FALSE(a.ok());
  const std::string m(a.status().message());
  EXPECT_THAT(m, HasSubstr(path + ":3:"));  // the bad hash's line
  EXPECT_THAT(m, HasSubstr("tokens[0].sha256: must be 64 lower-case hex digits"));
  EXPECT_THAT(m, HasSubstr("'crm' is used twice"));
  EXPECT_THAT(m, HasSubstr("tokens[1].roles: at least one role"));
  // An unknown role is an error with its line, never silently no role.
  testing::WriteFile(path, "tokens:\n  - name: bi\n    sha256: " + std::string(64, 'b') +
                               "\n    roles: [superuser]\n");
  a = Authenticator::Create({path, {}});
  ASSERT_FALSE(a.ok());
  EXPECT_THAT(std::string(a.status().message()), HasSubstr(path + ":4:"));
  EXPECT_THAT(std::string(a.status().message()), HasSubstr("superuser"));
}

TEST(AuthenticatorTest, StaticTokensAreMatchedByHashAndBadHeadersSayWhy) {
  TempDir dir("tokens");
  const std::string path = dir.Sub("tokens.yaml");
  testing::WriteTokensFile(
      path, {{"s3cret-writer", {"marketing-writer"}}, {"s3cret-ops", {"ops-admin", "reader"}}});
  absl::StatusOr<std::unique_ptr<Authenticator>> a = Authenticator::Create({path, {}});
  ASSERT_TRUE(a.ok()) << a.status();
  absl::StatusOr<Principal> writer = (*a)->Authenticate("Bearer s3cret-writer");
  ASSERT_TRUE(writer.ok()) << writer.status();
  EXPECT_EQ(writer->roles, std::set<v1::Role>{v1::ROLE_MARKETING_WRITER});
  absl::StatusOr<Principal> ops = (*a)->Authenticate("bearer s3cret-ops");  // scheme: any case
  ASSERT_TRUE(ops.ok());
  EXPECT_EQ(ops->roles, (std::set<v1::Role>{v1::ROLE_OPS_ADMIN, v1::ROLE_READER}));
  struct Bad {
    std::string header, why;
  };
  for (const Bad& b : std::vector<Bad>{{"", "no bearer token"},
                                       {"Basic dXNlcjpwYXNz", "not 'Bearer <token>'"},
                                       {"Bearer ", "not 'Bearer <token>'"},
                                       {"Bearer s3cret-writer2", "unknown token"}}) {
    absl::StatusOr<Principal> p = (*a)->Authenticate(b.header);
    ASSERT_FALSE(p.ok()) << b.header;
    EXPECT_TRUE(absl::IsUnauthenticated(p.status()));
    EXPECT_THAT(std::string(p.status().message()), HasSubstr(b.why));
    EXPECT_THAT(std::string(p.status().message()), Not(HasSubstr("s3cret")));  // never echoed
  }
}

// ---- JWT ----

struct KeyPair {
  std::string private_pem, public_pem;
};

KeyPair NewKey(const char* type) {
  EVP_PKEY* key = std::string(type) == "RSA" ? EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", 2048)
                                             : EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
  KeyPair out;
  BIO* priv = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey(priv, key, nullptr, nullptr, 0, nullptr, nullptr);
  BIO* pub = BIO_new(BIO_s_mem());
  PEM_write_bio_PUBKEY(pub, key);
  char* data = nullptr;
  long n = BIO_get_mem_data(priv, &data);
  out.private_pem.assign(data, n);
  n = BIO_get_mem_data(pub, &data);
  out.public_pem.assign(data, n);
  BIO_free(priv);
  BIO_free(pub);
  EVP_PKEY_free(key);
  return out;
}

std::string Sign(jwt_alg_t alg, const std::string& key, const std::string& claims_json) {
  jwt_t* jwt = nullptr;
  jwt_new(&jwt);
  jwt_add_grants_json(jwt, claims_json.c_str());
  jwt_set_alg(jwt, alg, reinterpret_cast<const unsigned char*>(key.data()),
              static_cast<int>(key.size()));
  char* token = jwt_encode_str(jwt);
  std::string out = token == nullptr ? "" : token;
  free(token);
  jwt_free(jwt);
  return out;
}

class JwtTest : public ::testing::Test {
 protected:
  void SetUp() override {
    key_ = NewKey("RSA");
    testing::WriteFile(dir_.Sub("issuer.pem"), key_.public_pem);
    AuthOptions o;
    o.jwt.key_file = dir_.Sub("issuer.pem");
    o.jwt.algorithm = "RS256";
    o.jwt.issuer = "https://idp.example";
    o.jwt.audience = "leadflow";
    auto a = Authenticator::Create(o);
    ASSERT_TRUE(a.ok()) << a.status();
    auth_ = std::move(*a);
    auth_->SetClockForTest([] { return std::chrono::system_clock::from_time_t(1'800'000'000); });
  }
  std::string Claims(const std::string& extra = "") const {
    return R"({"iss":"https://idp.example","aud":"leadflow","sub":"hubspot","exp":1800000600,)"
           R"("roles":["marketing-writer","no-such-role"])" +
           extra + "}";
  }
  absl::Status Verify(const std::string& token) const {
    return auth_->Authenticate("Bearer " + token).status();
  }
  TempDir dir_{"jwt"};
  KeyPair key_;
  std::unique_ptr<Authenticator> auth_;
};

TEST_F(JwtTest, AValidTokenGivesItsSubjectAndKnownRoles) {
  absl::StatusOr<Principal> p =
      auth_->Authenticate("Bearer " + Sign(JWT_ALG_RS256, key_.private_pem, Claims()));
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->name, "jwt:hubspot");
  EXPECT_EQ(p->roles, std::set<v1::Role>{v1::ROLE_MARKETING_WRITER});  // the unknown one ignored
}

TEST_F(JwtTest, ForgedExpiredAndMisdirectedTokensAreRefused) {
  const KeyPair other = NewKey("RSA");
  struct Case {
    std::string name, token, why;
  };
  const std::string claims = Claims();
  const std::vector<Case> cases = {
      {"signed by another key", Sign(JWT_ALG_RS256, other.private_pem, claims), "bad signature"},
      // The classic confusion: HS256 "signed" with the issuer's public key as the secret.
      {"alg HS256 keyed with the public key", Sign(JWT_ALG_HS256, key_.public_pem, claims),
       "algorithm is not RS256"},
      {"alg none", Sign(JWT_ALG_NONE, "", claims), ""},
      {"expired",
       Sign(JWT_ALG_RS256, key_.private_pem,
            R"({"iss":"https://idp.example","aud":"leadflow","exp":1799990000})"),
       "expired"},
      {"no exp",
       Sign(JWT_ALG_RS256, key_.private_pem, R"({"iss":"https://idp.example","aud":"leadflow"})"),
       "no expiry"},
      {"not yet valid",
       Sign(JWT_ALG_RS256, key_.private_pem,
            R"({"iss":"https://idp.example","aud":"leadflow","exp":1800009000,"nbf":1800005000})"),
       "not valid yet"},
      {"other issuer",
       Sign(JWT_ALG_RS256, key_.private_pem,
            R"({"iss":"https://evil.example","aud":"leadflow","exp":1800000600})"),
       "issuer"},
      {"nbf not a number",
       Sign(JWT_ALG_RS256, key_.private_pem,
            R"({"iss":"https://idp.example","aud":"leadflow","exp":1800009000,"nbf":"soon"})"),
       "nbf is not a number"},
      {"other audience",
       Sign(JWT_ALG_RS256, key_.private_pem,
            R"({"iss":"https://idp.example","aud":["crm"],"exp":1800000600})"),
       "audience"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    ASSERT_FALSE(c.token.empty() && c.name != "alg none");
    absl::Status s = Verify(c.token.empty() ? "x.y.z" : c.token);
    EXPECT_TRUE(absl::IsUnauthenticated(s)) << s;
    EXPECT_THAT(std::string(s.message()), HasSubstr(c.why));
  }
  // Within the leeway (60 s) an expired token still passes: clocks differ.
  EXPECT_TRUE(Verify(Sign(JWT_ALG_RS256, key_.private_pem,
                          R"({"iss":"https://idp.example","aud":"leadflow","exp":1799999970})"))
                  .ok());
}

TEST(JwtConfigTest, KeyAndAlgorithmMustAgree) {
  TempDir dir("jwt-config");
  testing::WriteFile(dir.Sub("pub.pem"), NewKey("EC").public_pem);
  testing::WriteFile(dir.Sub("secret"), "short\n");
  AuthOptions o;
  o.jwt.key_file = dir.Sub("pub.pem");
  o.jwt.issuer = "i";
  o.jwt.audience = "leadflow";
  o.jwt.algorithm = "HS256";
  EXPECT_THAT(std::string(Authenticator::Create(o).status().message()),
              HasSubstr("needs the shared secret"));
  o.jwt.algorithm = "none";
  EXPECT_THAT(std::string(Authenticator::Create(o).status().message()),
              HasSubstr("auth.jwt.algorithm: 'none'"));
  o.jwt.algorithm = "ES256";
  o.jwt.issuer = "";
  EXPECT_THAT(std::string(Authenticator::Create(o).status().message()),
              HasSubstr("auth.jwt.issuer: required"));
  o.jwt.issuer = "i";
  o.jwt.audience = "";
  EXPECT_THAT(std::string(Authenticator::Create(o).status().message()),
              HasSubstr("auth.jwt.audience: required"));
  o.jwt.audience = "leadflow";
  EXPECT_TRUE(Authenticator::Create(o).ok());
  o.jwt.algorithm = "HS256";  // a certificate is public too: never an HMAC secret
  testing::WriteFile(dir.Sub("cert.pem"), "-----BEGIN CERTIFICATE-----\nMIIB\n");
  o.jwt.key_file = dir.Sub("cert.pem");
  EXPECT_THAT(std::string(Authenticator::Create(o).status().message()),
              HasSubstr("is PEM (a key or certificate)"));
  o.jwt.algorithm = "ES256";
  o.jwt.key_file = dir.Sub("secret");
  o.jwt.algorithm = "HS256";
  EXPECT_THAT(std::string(Authenticator::Create(o).status().message()), HasSubstr("32 bytes"));
}

// ---- the policy: every role × every method ----

constexpr const char* kRoleNames[] = {"marketing-writer", "sales-tool", "ops-admin", "reader"};

// Who may call what, written out by hand (docs/security.md has the same table). Letters: M
// marketing-writer, S sales-tool, O ops-admin, R reader.
const std::map<std::string, std::string>& ExpectedTable() {
  static const auto* table = new std::map<std::string, std::string>{
      {"leadflow.v1.IntakeService.SubmitLead", "M"},
      {"leadflow.v1.IntakeService.SubmitLeads", "M"},
      {"leadflow.v1.IntakeService.StreamLeads", "M"},
      {"leadflow.v1.IntakeService.RecordEngagement", "M"},
      {"leadflow.v1.IntakeService.GetLead", "MSO"},
      {"leadflow.v1.IntakeService.EraseLead", "O"},
      {"leadflow.v1.QualificationService.GetScore", "MSO"},
      {"leadflow.v1.QualificationService.ExplainScore", "MSO"},
      {"leadflow.v1.QualificationService.ExplainIcp", "MSOR"},
      {"leadflow.v1.QualificationService.Rescore", "O"},
      {"leadflow.v1.HandoffService.AcceptLead", "S"},
      {"leadflow.v1.HandoffService.RejectLead", "S"},
      {"leadflow.v1.HandoffService.ConvertLead", "S"},
      {"leadflow.v1.HandoffService.RecordOpportunity", "S"},
      {"leadflow.v1.HandoffService.WatchHandoffs", "S"},
      {"leadflow.v1.HandoffService.GetHandoff", "SO"},
      {"leadflow.v1.RecycleService.GetNurtureStatus", "MSO"},
      {"leadflow.v1.RecycleService.WatchRecycled", "MO"},
      {"leadflow.v1.RecycleService.ListRecycled", "MO"},
      {"leadflow.v1.RecycleService.Release", "O"},
      {"leadflow.v1.RecycleService.Recycle", "O"},
      {"leadflow.v1.ReportingService.GetFunnel", "RO"},
      {"leadflow.v1.ReportingService.GetConversion", "RO"},
      {"leadflow.v1.ReportingService.GetVelocity", "RO"},
      {"leadflow.v1.ReportingService.GetSlaCompliance", "RO"},
      {"leadflow.v1.ReportingService.GetSourceQuality", "RO"},
      {"leadflow.v1.ReportingService.GetWinLoss", "RO"},
      {"leadflow.v1.ReportingService.GetAttribution", "RO"},
      {"leadflow.v1.ReportingService.GetRecycleEffectiveness", "RO"},
      {"leadflow.v1.ReportingService.GetCompSummary", "RO"},
      {"leadflow.v1.ReportingService.GetScoringModel", "RO"},
      {"leadflow.v1.ConfigService.GetConfig", "RO"},
      {"leadflow.v1.ConfigService.PutConfig", "O"},
      {"leadflow.v1.ConfigService.ListConfigVersions", "RO"},
  };
  return *table;
}

bool Allowed(const std::string& method, const std::string& role) {
  const std::string& letters = ExpectedTable().at(method);
  const char letter = role == "marketing-writer" ? 'M'
                      : role == "sales-tool"     ? 'S'
                      : role == "ops-admin"      ? 'O'
                                                 : 'R';
  return letters.find(letter) != std::string::npos;
}

TEST(AccessPolicyTest, EveryApiMethodHasRolesAndTheyAreTheDocumentedOnes) {
  const AccessPolicy policy = AccessPolicy::FromDescriptors();
  std::set<std::string> seen;
  for (const auto& [method, roles] : policy.methods()) {
    SCOPED_TRACE(method);
    EXPECT_FALSE(roles.empty()) << "a method without (leadflow.v1.roles) is refused to everyone";
    ASSERT_EQ(ExpectedTable().count(method), 1u) << "a new method: add it to the table and docs";
    for (const char* r : kRoleNames) {
      EXPECT_EQ(roles.count(RoleFromName(r)) > 0, Allowed(method, r)) << r;
    }
    seen.insert(method);
  }
  EXPECT_EQ(seen.size(), ExpectedTable().size());
  EXPECT_TRUE(policy.IsPublic("/grpc.health.v1.Health/Check"));
  EXPECT_TRUE(policy.RolesFor("/leadflow.v1.IntakeService/NoSuchMethod").empty());
}

// ---- real servers on TLS ----

// Every leadflow service with every method unimplemented: a call that passes the guard reaches
// the service and comes back UNIMPLEMENTED; one that does not never gets there.
struct AllServices {
  v1::IntakeService::Service intake;
  v1::QualificationService::Service qualification;
  v1::HandoffService::Service handoff;
  v1::RecycleService::Service recycle;
  v1::ReportingService::Service reporting;
  v1::ConfigService::Service config;
  // Registers them all and starts `server`.
  void Serve(rpc::GrpcServer* server) {
    for (grpc::Service* s : std::initializer_list<grpc::Service*>{&intake, &qualification, &handoff,
                                                                  &recycle, &reporting, &config}) {
      server->AddService(s);
    }
    ASSERT_TRUE(server->Start().ok());
  }
};

// One call of any kind (unary or streaming) with an empty request: the final status.
grpc::Status RawCall(grpc::GenericStub& stub, const std::string& method, const std::string& token) {
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  if (!token.empty()) ctx.AddMetadata("authorization", "Bearer " + token);
  grpc::CompletionQueue cq;
  auto next = [&cq] {
    void* tag = nullptr;
    bool ok = false;
    cq.Next(&tag, &ok);
    return ok;
  };
  std::unique_ptr<grpc::GenericClientAsyncReaderWriter> call = stub.PrepareCall(&ctx, method, &cq);
  call->StartCall(reinterpret_cast<void*>(1));
  grpc::Status status;
  if (next()) {
    grpc::Slice empty(std::string(""));
    grpc::ByteBuffer request(&empty, 1);
    call->WriteLast(request, grpc::WriteOptions(), reinterpret_cast<void*>(2));
    next();
    grpc::ByteBuffer response;
    call->Read(&response, reinterpret_cast<void*>(3));
    next();
  }
  call->Finish(&status, reinterpret_cast<void*>(4));
  next();
  cq.Shutdown();
  void* tag = nullptr;
  bool ok = false;
  while (cq.Next(&tag, &ok)) {
  }
  return status;
}

class TlsServersTest : public PkiTest {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(PkiTest::SetUp());
    std::map<std::string, std::vector<std::string>> tokens;
    for (const char* r : kRoleNames) tokens[StrCat("token-", r)] = {r};
    testing::WriteTokensFile(dir_.Sub("tokens.yaml"), tokens);
  }
  std::unique_ptr<ServerSecurity> Security(ClientAuth client_auth) {
    SecurityOptions o;
    o.tls = Tls();
    if (client_auth != ClientAuth::kNone) o.tls.client_ca_file = pki_.ca();
    o.tls.client_auth = client_auth;
    o.tls.reload_interval = std::chrono::seconds(1);
    o.auth.tokens_file = dir_.Sub("tokens.yaml");
    auto s = ServerSecurity::Create(o, &registry_);
    EXPECT_TRUE(s.ok()) << s.status();
    return s.ok() ? std::move(*s) : nullptr;
  }
  local::ClientSecurity Client(bool with_cert) const {
    local::ClientSecurity c;
    c.ca_file = pki_.ca();
    if (with_cert) {
      c.cert_file = pki_.client_cert();
      c.key_file = pki_.client_key();
    }
    return c;
  }
  metrics::Registry registry_;
};

TEST_F(TlsServersTest, GrpcChecksEveryRoleAgainstEveryMethodOverMutualTls) {
  std::unique_ptr<ServerSecurity> security = Security(ClientAuth::kRequire);
  ASSERT_NE(security, nullptr);
  AllServices services;
  rpc::GrpcServer server({"127.0.0.1", 0, 4 << 20, security.get()});
  ASSERT_NO_FATAL_FAILURE(services.Serve(&server));
  const std::string address = StrCat("localhost:", server.port());
  grpc::GenericStub stub(Client(/*with_cert=*/true).Channel(address));

  int denied = 0;
  for (const auto& [method, letters] : ExpectedTable()) {
    const std::string path =
        "/" + method.substr(0, method.rfind('.')) + "/" + method.substr(method.rfind('.') + 1);
    for (const char* role : kRoleNames) {
      SCOPED_TRACE(StrCat(method, " as ", role));
      const grpc::Status s = RawCall(stub, path, StrCat("token-", role));
      if (Allowed(method, role)) {
        EXPECT_EQ(s.error_code(), grpc::StatusCode::UNIMPLEMENTED) << s.error_message();
      } else {
        EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED) << s.error_message();
        EXPECT_THAT(s.error_message(), HasSubstr("needs one of the roles"));
        ++denied;
      }
    }
    SCOPED_TRACE(StrCat(method, " without a token"));
    EXPECT_EQ(RawCall(stub, path, "").error_code(), grpc::StatusCode::UNAUTHENTICATED);
    EXPECT_EQ(RawCall(stub, path, "forged").error_code(), grpc::StatusCode::UNAUTHENTICATED);
  }
  // Health needs no token (probes); an unknown method is refused, not UNIMPLEMENTED.
  auto health = grpc::health::v1::Health::NewStub(Client(true).Channel(address));
  grpc::ClientContext ctx;
  grpc::health::v1::HealthCheckResponse response;
  EXPECT_TRUE(health->Check(&ctx, {}, &response).ok());
  EXPECT_EQ(RawCall(stub, "/leadflow.v1.IntakeService/Nope", "token-ops-admin").error_code(),
            grpc::StatusCode::PERMISSION_DENIED);

  const std::string metrics = registry_.Render();
  EXPECT_THAT(metrics, HasSubstr("leadflow_auth_denied_total{method=\"leadflow.v1.HandoffService."
                                 "AcceptLead\",reason=\"forbidden\"} 3"));
  EXPECT_THAT(metrics, HasSubstr("leadflow_auth_denied_total{method=\"leadflow.v1.IntakeService."
                                 "SubmitLead\",reason=\"unauthenticated\"} 2"));
  EXPECT_THAT(metrics, HasSubstr("method=\"other\",reason=\"forbidden\"} 1"));
  EXPECT_GT(denied, 60);
  server.Shutdown(0);
}

TEST_F(TlsServersTest, GrpcRefusesPlaintextAndMissingClientCertificates) {
  std::unique_ptr<ServerSecurity> security = Security(ClientAuth::kRequire);
  ASSERT_NE(security, nullptr);
  AllServices services;
  rpc::GrpcServer server({"127.0.0.1", 0, 4 << 20, security.get()});
  ASSERT_NO_FATAL_FAILURE(services.Serve(&server));
  const std::string address = StrCat("localhost:", server.port());
  const std::string path = "/leadflow.v1.IntakeService/GetLead";
  grpc::GenericStub plaintext(local::ClientSecurity{}.Channel(address));
  EXPECT_EQ(RawCall(plaintext, path, "").error_code(), grpc::StatusCode::UNAVAILABLE);
  grpc::GenericStub no_cert(Client(/*with_cert=*/false).Channel(address));
  EXPECT_EQ(RawCall(no_cert, path, "token-ops-admin").error_code(), grpc::StatusCode::UNAVAILABLE);
  grpc::GenericStub with_cert(Client(/*with_cert=*/true).Channel(address));
  EXPECT_EQ(RawCall(with_cert, path, "token-ops-admin").error_code(),
            grpc::StatusCode::UNIMPLEMENTED);
  server.Shutdown(0);
}

class HttpTlsTest : public TlsServersTest {
 protected:
  void Serve(ClientAuth client_auth) {
    security_ = Security(client_auth);
    ASSERT_NE(security_, nullptr);
    http::HttpServerOptions o;
    o.security = security_.get();
    server_ = std::make_unique<http::HttpServer>(o, &registry_, &readiness_);
    server_->Handle("POST", "/v1/leads",
                    http::Access::Method("leadflow.v1.IntakeService.SubmitLead"),
                    [this](const http::Request&) {
                      ++handled_;
                      return http::Response{200, "application/json", "{}"};
                    });
    server_->Handle("GET", "/v1/reports/funnel",
                    http::Access::Method("leadflow.v1.ReportingService.GetFunnel"),
                    [](const http::Request&) {
                      return http::Response{200, "application/json", "{}"};
                    });
    ASSERT_TRUE(server_->Start().ok());
  }
  std::unique_ptr<httplib::Client> Client(bool with_cert, const std::string& token) {
    local::ClientSecurity c = TlsServersTest::Client(with_cert);
    c.token = token;
    auto client = c.HttpClient("localhost", server_->port());
    client->set_connection_timeout(30, 0);
    client->set_read_timeout(30, 0);
    return client;
  }
  http::Readiness readiness_;
  std::unique_ptr<ServerSecurity> security_;
  std::unique_ptr<http::HttpServer> server_;
  std::atomic<int> handled_{0};
};

TEST_F(HttpTlsTest, RoutesAnswer401Or403BeforeTheHandlerRuns) {
  ASSERT_NO_FATAL_FAILURE(Serve(ClientAuth::kOptional));
  auto anonymous = Client(false, "");
  auto res = anonymous->Post("/v1/leads", "{}", "application/json");
  ASSERT_TRUE(res) << httplib::to_string(res.error());
  EXPECT_EQ(res->status, 401);
  EXPECT_EQ(res->get_header_value("WWW-Authenticate"), R"(Bearer realm="leadflow")");
  EXPECT_THAT(res->body, HasSubstr("no bearer token"));
  res = Client(false, "token-reader")->Post("/v1/leads", "{}", "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 403);
  EXPECT_THAT(res->body, HasSubstr("needs one of the roles: marketing-writer"));
  EXPECT_EQ(handled_.load(), 0);
  res = Client(false, "token-marketing-writer")->Post("/v1/leads", "{}", "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(handled_.load(), 1);
  res = Client(false, "token-reader")->Get("/v1/reports/funnel");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  // Probes and scrapes need no token and no client certificate.
  for (const char* path : {"/healthz", "/metrics"}) {
    res = anonymous->Get(path);
    ASSERT_TRUE(res) << path;
    EXPECT_EQ(res->status, 200) << path;
  }
  EXPECT_THAT(res->body, HasSubstr("leadflow_auth_denied_total{method=\"leadflow.v1.IntakeService."
                                   "SubmitLead\",reason=\"forbidden\"} 1"));
  // Two credentials in one request are refused: the check and the handler must agree who calls.
  res =
      Client(false, "")->Post("/v1/leads",
                              httplib::Headers{{"Authorization", "Bearer token-reader"},
                                               {"Authorization", "Bearer token-marketing-writer"}},
                              "{}", "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 401);
  EXPECT_THAT(res->body, HasSubstr("more than one authorization header"));
  // A plaintext request to the TLS port gets no HTTP answer.
  httplib::Client plain("127.0.0.1", server_->port());
  plain.set_read_timeout(30, 0);
  EXPECT_FALSE(plain.Get("/healthz"));
}

TEST_F(HttpTlsTest, MutualTlsRefusesAClientWithoutACertificate) {
  ASSERT_NO_FATAL_FAILURE(Serve(ClientAuth::kRequire));
  EXPECT_FALSE(Client(false, "token-marketing-writer")->Get("/healthz"));
  auto res = Client(true, "token-marketing-writer")->Get("/healthz");
  ASSERT_TRUE(res) << httplib::to_string(res.error());
  EXPECT_EQ(res->status, 200);
}

// Rotation: the server's files are replaced by a certificate from a new CA; without a restart,
// new connections get the new certificate (a client trusting only the new CA gets through).
TEST_F(HttpTlsTest, RotatedCertificatesAreServedWithoutARestart) {
  TestPki next(dir_.Sub("pki-next"));
  ASSERT_NO_FATAL_FAILURE(next.Create());
  // Serve from copies, so the rotation can overwrite them.
  std::filesystem::copy_file(pki_.server_cert(), dir_.Sub("live.pem"));
  std::filesystem::copy_file(pki_.server_key(), dir_.Sub("live-key.pem"));
  SecurityOptions o;
  o.tls.cert_file = dir_.Sub("live.pem");
  o.tls.key_file = dir_.Sub("live-key.pem");
  o.tls.reload_interval = std::chrono::seconds(1);
  o.auth_disabled = true;
  auto security = ServerSecurity::Create(o, &registry_);
  ASSERT_TRUE(security.ok()) << security.status();
  http::HttpServerOptions ho;
  ho.security = security->get();
  http::HttpServer http(ho, &registry_, &readiness_);
  ASSERT_TRUE(http.Start().ok());
  AllServices services;
  rpc::GrpcServer grpc_server({"127.0.0.1", 0, 4 << 20, security->get()});
  ASSERT_NO_FATAL_FAILURE(services.Serve(&grpc_server));

  local::ClientSecurity old_ca, new_ca;
  old_ca.ca_file = pki_.ca();
  new_ca.ca_file = next.ca();
  auto https_ok = [&](const local::ClientSecurity& c) {
    auto client = c.HttpClient("localhost", http.port());
    client->set_read_timeout(30, 0);
    auto res = client->Get("/healthz");
    return res && res->status == 200;
  };
  auto grpc_ok = [&](const local::ClientSecurity& c) {
    grpc::GenericStub stub(c.Channel(StrCat("localhost:", grpc_server.port())));
    return RawCall(stub, "/leadflow.v1.IntakeService/GetLead", "").error_code() ==
           grpc::StatusCode::UNIMPLEMENTED;
  };
  ASSERT_TRUE(https_ok(old_ca));
  ASSERT_TRUE(grpc_ok(old_ca));
  ASSERT_FALSE(https_ok(new_ca));

  // Key first, then certificate (a half-written rotation must keep the old pair serving).
  std::filesystem::copy_file(next.server_key(), dir_.Sub("live-key.pem"),
                             std::filesystem::copy_options::overwrite_existing);
  EXPECT_FALSE((*security)->http_certificates()->ReloadIfChanged());
  EXPECT_TRUE(https_ok(old_ca));
  std::filesystem::copy_file(next.server_cert(), dir_.Sub("live.pem"),
                             std::filesystem::copy_options::overwrite_existing);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  bool https_rotated = false, grpc_rotated = false;
  while (std::chrono::steady_clock::now() < deadline && !(https_rotated && grpc_rotated)) {
    https_rotated = https_rotated || https_ok(new_ca);
    grpc_rotated = grpc_rotated || grpc_ok(new_ca);
    if (!(https_rotated && grpc_rotated))
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  EXPECT_TRUE(https_rotated);
  EXPECT_TRUE(grpc_rotated);
  EXPECT_FALSE(https_ok(old_ca));
  EXPECT_EQ((*security)->http_certificates()->reloads(), 1);
  grpc_server.Shutdown(0);
  http.Stop();
}

}  // namespace
}  // namespace leadflow::security
