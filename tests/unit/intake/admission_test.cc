// Admission: every way in gets the same verdict; violations name the field and the reason.
#include <algorithm>
#include <string>

#include "gtest/gtest.h"
#include "services/common/events/ids.h"
#include "services/common/events/lead_events.h"
#include "services/intake/admission.h"

namespace leadflow::intake {
namespace {

constexpr int64_t kNow = 1'790'000'000'000;  // 2026-09-21

AdmissionOptions Options() {
  AdmissionOptions o;
  o.lead_id_secret = "test-secret";
  return o;
}

v1::LeadSubmission Valid() {
  v1::LeadSubmission s;
  s.set_idempotency_key("form-123");
  s.set_source_system("WebForm");
  *s.mutable_occurred_at() = events::TimestampFromMillis(kNow - 60'000);
  s.mutable_person()->set_email("  Jane.Doe@Acme.example.COM ");
  s.mutable_person()->set_first_name(" Jane ");
  s.mutable_person()->set_last_name("Doe");
  s.mutable_person()->set_job_title("VP Marketing");
  s.mutable_person()->set_phone("030 1234567");
  s.mutable_person()->set_country_code("Germany");
  s.mutable_company()->set_name("Acme GmbH");
  s.mutable_source()->set_channel(v1::CHANNEL_PAID_SEARCH);
  s.mutable_source()->set_campaign_id("q3-launch");
  s.mutable_source()->set_landing_page("https://acme.example.com/demo?email=jane@acme.example.com");
  s.mutable_source()->mutable_utm()->set_utm_source(" Google ");
  s.mutable_engagement()->set_type(v1::ENGAGEMENT_TYPE_DEMO_REQUEST);
  (*s.mutable_custom_attributes())["Budget Range"] = "50k-100k";
  return s;
}

std::string Fields(const Admission& a) {
  std::string out;
  for (const auto& v : a.violations) out += v.field() + "=" + v.description() + "\n";
  return out;
}

bool HasViolation(const Admission& a, const std::string& field, const std::string& why_part) {
  return std::any_of(a.violations.begin(), a.violations.end(), [&](const v1::FieldViolation& v) {
    return v.field() == field && v.description().find(why_part) != std::string::npos;
  });
}

TEST(AdmissionTest, ValidSubmissionIsNormalisedAndGetsItsIds) {
  const Admission a = Admit(Valid(), v1::INGRESS_CHANNEL_GRPC, kNow, Options());
  ASSERT_TRUE(a.ok()) << Fields(a);
  const v1::LeadAdmitted& ad = a.event.admitted();
  EXPECT_EQ(ad.email_normalized(), "jane.doe@acme.example.com");
  EXPECT_EQ(ad.source_system(), "webform");
  EXPECT_EQ(ad.person().first_name(), "Jane");
  EXPECT_EQ(ad.person().seniority(), "vp");
  EXPECT_EQ(ad.person().department(), "marketing");
  EXPECT_EQ(ad.person().country_code(), "DE");
  EXPECT_EQ(ad.person().phone(), "+49301234567");
  EXPECT_EQ(ad.company().domain(), "example.com");  // registrable domain of the email
  EXPECT_EQ(ad.source().landing_page(), "https://acme.example.com/demo");
  EXPECT_EQ(ad.source().utm().utm_source(), "google");
  EXPECT_EQ(ad.source().source_system(), "webform");
  EXPECT_EQ(ad.engagement().occurred_at().seconds(), Valid().occurred_at().seconds());
  EXPECT_EQ(ad.custom_attributes().at("budget_range"), "50k-100k");
  EXPECT_EQ(ad.ingress(), v1::INGRESS_CHANNEL_GRPC);

  const v1::EventEnvelope& env = a.event.envelope();
  EXPECT_EQ(env.lead_id(), LeadIdForEmail("jane.doe@acme.example.com", "test-secret"));
  EXPECT_EQ(env.causation_id(), "submission:webform:form-123");
  EXPECT_EQ(env.event_id(), events::EventId("submission:webform:form-123", "admitted"));
  EXPECT_EQ(env.producer_service(), v1::SERVICE_NAME_INTAKE);
  EXPECT_EQ(events::MillisFromTimestamp(env.produced_at()), kNow);
}

TEST(AdmissionTest, TheSamePersonGetsTheSameIdWhateverTheSpelling) {
  v1::LeadSubmission other = Valid();
  other.set_idempotency_key("csv-row-9");
  other.set_source_system("csv");
  other.mutable_person()->set_email("JANE.DOE@acme.EXAMPLE.com");
  const Admission a = Admit(Valid(), v1::INGRESS_CHANNEL_GRPC, kNow, Options());
  const Admission b = Admit(other, v1::INGRESS_CHANNEL_CSV, kNow, Options());
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a.lead_id(), b.lead_id());
  EXPECT_NE(a.event.envelope().event_id(), b.event.envelope().event_id());
  AdmissionOptions other_key = Options();
  other_key.lead_id_secret = "another-installation";
  EXPECT_NE(Admit(Valid(), v1::INGRESS_CHANNEL_GRPC, kNow, other_key).lead_id(), a.lead_id());
}

TEST(AdmissionTest, MissingEverythingNamesEveryRequiredField) {
  const Admission a = Admit(v1::LeadSubmission(), v1::INGRESS_CHANNEL_HTTP, kNow, Options());
  ASSERT_FALSE(a.ok());
  EXPECT_TRUE(HasViolation(a, "idempotency_key", "is required")) << Fields(a);
  EXPECT_TRUE(HasViolation(a, "source_system", "is required")) << Fields(a);
  EXPECT_TRUE(HasViolation(a, "person.email", "is required")) << Fields(a);
  EXPECT_FALSE(a.event.has_admitted()) << "nothing is admitted";
}

TEST(AdmissionTest, HostileInputIsRejectedByFieldOrKeptAsData) {
  struct Case {
    const char* name;
    std::function<void(v1::LeadSubmission&)> mutate;
    std::string field;  // "" = admitted
    std::string why;
  };
  const Case cases[] = {
      {"invalid UTF-8 name", [](auto& s) { s.mutable_person()->set_first_name("J\xff\xfe"); },
       "person.first_name", "UTF-8"},
      {"NUL in last name",
       [](auto& s) { s.mutable_person()->set_last_name(std::string("Do\0e", 4)); },
       "person.last_name", "NUL"},
      {"escape sequence in company", [](auto& s) { s.mutable_company()->set_name("Acme\x1b[2J"); },
       "company.name", "control"},
      {"1 MiB title", [](auto& s) { s.mutable_person()->set_job_title(std::string(1 << 20, 'x')); },
       "", "larger than"},
      {"300-byte name", [](auto& s) { s.mutable_person()->set_first_name(std::string(300, 'x')); },
       "person.first_name", "longer than 256"},
      {"bad email", [](auto& s) { s.mutable_person()->set_email("jane at acme"); }, "person.email",
       "'@'"},
      {"unknown channel",
       [](auto& s) { s.mutable_source()->set_channel(static_cast<v1::Channel>(99)); },
       "source.channel", "unknown value 99"},
      {"unknown engagement type",
       [](auto& s) { s.mutable_engagement()->set_type(static_cast<v1::EngagementType>(77)); },
       "engagement.type", "unknown value 77"},
      {"engagement without type", [](auto& s) { s.mutable_engagement()->clear_type(); },
       "engagement.type", "is required"},
      {"unknown consent",
       [](auto& s) { s.mutable_consent()->set_marketing_email(static_cast<v1::ConsentStatus>(5)); },
       "consent.marketing_email", "unknown value 5"},
      {"occurred in 1970",
       [](auto& s) { *s.mutable_occurred_at() = events::TimestampFromMillis(0); }, "occurred_at",
       "in the past"},
      {"occurred next week",
       [](auto& s) {
         *s.mutable_occurred_at() = events::TimestampFromMillis(kNow + 7 * 86'400'000LL);
       },
       "occurred_at", "in the future"},
      {"bad nanos", [](auto& s) { s.mutable_occurred_at()->set_nanos(-5); }, "occurred_at",
       "nanos"},
      {"negative employees", [](auto& s) { s.mutable_company()->set_employee_count(-1); },
       "company.employee_count", "negative"},
      {"bad currency",
       [](auto& s) { s.mutable_company()->mutable_annual_revenue()->set_currency_code("euro"); },
       "company.annual_revenue.currency_code", "ISO 4217"},
      {"colon in source system", [](auto& s) { s.set_source_system("a:b"); }, "source_system",
       "may only contain"},
      {"65 custom attributes",
       [](auto& s) {
         for (int i = 0; i < 65; ++i)
           (*s.mutable_custom_attributes())["k" + std::to_string(i)] = "v";
       },
       "custom_attributes", "more than 64"},
      {"SQL injection in name",
       [](auto& s) { s.mutable_person()->set_last_name("Robert'); DROP TABLE leads;--"); }, "", ""},
      {"script in company",
       [](auto& s) { s.mutable_company()->set_name("<script>alert('x')</script>"); }, "", ""},
      {"emoji and IDN",
       [](auto& s) {
         s.mutable_person()->set_first_name("Zoë 🚀");
         s.mutable_person()->set_email("zoe@bücher.example");
       },
       "", ""},
  };
  for (const Case& c : cases) {
    v1::LeadSubmission s = Valid();
    c.mutate(s);
    const Admission a = Admit(s, v1::INGRESS_CHANNEL_RAW_TOPIC, kNow, Options());
    if (c.field.empty() && c.why.empty()) {
      EXPECT_TRUE(a.ok()) << c.name << ": " << Fields(a);
    } else {
      EXPECT_TRUE(HasViolation(a, c.field, c.why)) << c.name << ": " << Fields(a);
    }
  }
  // Stored as data, unchanged.
  v1::LeadSubmission s = Valid();
  s.mutable_person()->set_last_name("Robert'); DROP TABLE leads;--");
  s.mutable_company()->set_name("<script>alert('x')</script>");
  const Admission a = Admit(s, v1::INGRESS_CHANNEL_RAW_TOPIC, kNow, Options());
  EXPECT_EQ(a.event.admitted().person().last_name(), "Robert'); DROP TABLE leads;--");
  EXPECT_EQ(a.event.admitted().company().name(), "<script>alert('x')</script>");
}

TEST(AdmissionTest, SoftProblemsBecomeWarningsNotRejections) {
  v1::LeadSubmission s = Valid();
  s.mutable_person()->set_email("jane@gmail.com");
  s.mutable_company()->set_domain("gmail.com");
  s.mutable_person()->set_country_code("Atlantis");
  s.mutable_person()->set_phone("12345");
  const Admission a = Admit(s, v1::INGRESS_CHANNEL_GRPC, kNow, Options());
  ASSERT_TRUE(a.ok()) << Fields(a);
  EXPECT_EQ(a.event.admitted().company().domain(), "") << "free mail is not a company";
  EXPECT_EQ(a.event.admitted().person().country_code(), "");
  EXPECT_EQ(a.event.admitted().person().phone(), "");
  std::string warned;
  for (const auto& w : a.event.admitted().warnings()) warned += w.field() + ";";
  EXPECT_EQ(warned, "person.country_code;company.domain;person.phone;");
  for (const auto& w : a.event.admitted().warnings()) {
    EXPECT_EQ(w.description().find("gmail"), std::string::npos) << "no values in warnings";
    EXPECT_EQ(w.description().find("12345"), std::string::npos) << "no values in warnings";
  }
}

TEST(AdmissionTest, ViolationsNeverEchoTheValue) {
  v1::LeadSubmission s = Valid();
  s.mutable_person()->set_email("secret.person@@example.com");
  const Admission a = Admit(s, v1::INGRESS_CHANNEL_GRPC, kNow, Options());
  ASSERT_FALSE(a.ok());
  EXPECT_EQ(DescribeViolations(a.violations).find("secret.person"), std::string::npos);
  EXPECT_EQ(DescribeViolations(a.violations), "person.email: has more than one '@'");
}

}  // namespace
}  // namespace leadflow::intake
