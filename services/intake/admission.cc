#include "services/intake/admission.h"

#include "services/common/base/strings.h"
#include "services/common/events/ids.h"
#include "services/common/events/lead_events.h"
#include "services/intake/normalize.h"

namespace leadflow::intake {
namespace {

using events::MillisFromTimestamp;
using events::TimestampFromMillis;

// Collects violations and warnings while one submission is checked.
class Checker {
 public:
  Checker(int64_t now_ms, const AdmissionOptions& options) : now_ms_(now_ms), options_(options) {}

  void Violation(std::string field, std::string why) {
    Add(&violations_, std::move(field), std::move(why));
  }
  void Warning(std::string field, std::string why) {
    Add(&warnings_, std::move(field), std::move(why));
  }

  // A free-text field: checked, whitespace-collapsed (or only trimmed when `multiline`). Returns
  // "" (and records a violation) when unacceptable.
  std::string Text(std::string_view field, std::string_view value, size_t max_bytes) {
    if (value.empty()) return std::string();
    if (std::optional<std::string> problem = TextProblem(value, max_bytes); problem.has_value()) {
      Violation(std::string(field), *problem);
      return std::string();
    }
    return CollapseSpaces(value);
  }

  // A required free-text field.
  std::string Required(std::string_view field, std::string_view value, size_t max_bytes) {
    std::string out = Text(field, value, max_bytes);
    if (out.empty() && !HasViolation(field)) Violation(std::string(field), "is required");
    return out;
  }

  // A timestamp: well-formed and within the sane window; `fallback_ms` when unset.
  google::protobuf::Timestamp Time(std::string_view field, bool has,
                                   const google::protobuf::Timestamp& t, int64_t fallback_ms) {
    if (!has) return TimestampFromMillis(fallback_ms);
    if (t.nanos() < 0 || t.nanos() > 999'999'999) {
      Violation(std::string(field), "has nanos outside [0, 999999999]");
      return TimestampFromMillis(fallback_ms);
    }
    const int64_t ms = MillisFromTimestamp(t);
    if (ms < now_ms_ - options_.max_past_ms) {
      Violation(std::string(field),
                StrCat("is more than ", options_.max_past_ms / 86'400'000, " days in the past"));
    } else if (ms > now_ms_ + options_.max_future_ms) {
      Violation(std::string(field),
                StrCat("is more than ", options_.max_future_ms / 1000, " s in the future"));
    }
    return t;
  }

  bool HasViolation(std::string_view field) const {
    for (const auto& v : violations_) {
      if (v.field() == field) return true;
    }
    return false;
  }

  std::vector<v1::FieldViolation>& violations() { return violations_; }
  std::vector<v1::FieldViolation>& warnings() { return warnings_; }
  int64_t now_ms() const { return now_ms_; }
  const AdmissionOptions& options() const { return options_; }

 private:
  static void Add(std::vector<v1::FieldViolation>* to, std::string field, std::string why) {
    v1::FieldViolation v;
    v.set_field(std::move(field));
    v.set_description(std::move(why));
    to->push_back(std::move(v));
  }

  int64_t now_ms_;
  const AdmissionOptions& options_;
  std::vector<v1::FieldViolation> violations_;
  std::vector<v1::FieldViolation> warnings_;
};

std::string Lower(std::string_view s) { return AsciiStrToLower(s); }

// Attribution of a touch; `prefix` is its field path ("source", "engagement.source").
v1::Source CheckSource(Checker& c, const std::string& prefix, const v1::Source& in,
                       const std::string& default_system,
                       const google::protobuf::Timestamp& default_time) {
  v1::Source out;
  const std::string system = Lower(c.Text(prefix + ".source_system", in.source_system(), 64));
  out.set_source_system(system.empty() ? default_system : system);
  if (!v1::Channel_IsValid(in.channel())) {
    c.Violation(prefix + ".channel", StrCat("unknown value ", static_cast<int>(in.channel())));
  } else {
    out.set_channel(in.channel());
  }
  out.set_campaign_id(c.Text(prefix + ".campaign_id", in.campaign_id(), 256));
  if (in.has_utm()) {
    v1::UtmAttribution* utm = out.mutable_utm();
    utm->set_utm_source(Lower(c.Text(prefix + ".utm.utm_source", in.utm().utm_source(), 256)));
    utm->set_utm_medium(Lower(c.Text(prefix + ".utm.utm_medium", in.utm().utm_medium(), 256)));
    utm->set_utm_campaign(
        Lower(c.Text(prefix + ".utm.utm_campaign", in.utm().utm_campaign(), 256)));
    utm->set_utm_term(Lower(c.Text(prefix + ".utm.utm_term", in.utm().utm_term(), 256)));
    utm->set_utm_content(Lower(c.Text(prefix + ".utm.utm_content", in.utm().utm_content(), 256)));
  }
  out.set_landing_page(
      StripQueryAndFragment(c.Text(prefix + ".landing_page", in.landing_page(), 2048)));
  *out.mutable_touched_at() = c.Time(prefix + ".touched_at", in.has_touched_at(), in.touched_at(),
                                     MillisFromTimestamp(default_time));
  return out;
}

}  // namespace

std::string LeadIdForEmail(std::string_view email_normalized, std::string_view secret) {
  return events::UuidFromDigest(events::HmacSha256(secret, email_normalized));
}

std::string SubmissionCause(std::string_view source_system, std::string_view idempotency_key) {
  return StrCat("submission:", source_system, ":", idempotency_key);
}

std::string DescribeViolations(const std::vector<v1::FieldViolation>& violations) {
  std::string out;
  for (const auto& v : violations) {
    StrAppend(&out, out.empty() ? "" : "; ", v.field().empty() ? "submission" : v.field(), ": ",
              v.description());
  }
  return out;
}

Admission Admit(const v1::LeadSubmission& s, v1::IngressChannel ingress, int64_t now_ms,
                const AdmissionOptions& options) {
  Admission result;
  Checker c(now_ms, options);
  if (const size_t size = s.ByteSizeLong(); size > options.max_submission_bytes) {
    c.Violation("", StrCat("larger than ", options.max_submission_bytes, " bytes"));
    result.violations = std::move(c.violations());
    return result;
  }
  v1::LeadAdmitted& a = *result.event.mutable_admitted();

  // Who sent it, and the key that makes a retry idempotent.
  a.set_idempotency_key(c.Required("idempotency_key", s.idempotency_key(), 256));
  const std::string system = Lower(c.Required("source_system", s.source_system(), 64));
  for (char ch : system) {
    const bool ok =
        (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_' || ch == '-' || ch == '.';
    if (!ok) {
      c.Violation("source_system", "may only contain letters, digits, '_', '-' and '.'");
      break;
    }
  }
  a.set_source_system(system);
  a.set_external_id(c.Text("external_id", s.external_id(), 256));
  a.set_ingress(ingress);
  const google::protobuf::Timestamp occurred =
      c.Time("occurred_at", s.has_occurred_at(), s.occurred_at(), now_ms);

  // The person. The email is the identity.
  const v1::Person& p = s.person();
  v1::Person& person = *a.mutable_person();
  if (s.person().email().empty()) {
    c.Violation("person.email", "is required");
  } else if (std::optional<std::string> problem = TextProblem(p.email(), 254);
             problem.has_value()) {
    c.Violation("person.email", *problem);
  } else if (absl::StatusOr<std::string> email = NormalizeEmail(p.email()); !email.ok()) {
    c.Violation("person.email", std::string(email.status().message()));
  } else {
    a.set_email_normalized(*email);
    person.set_email(CollapseSpaces(p.email()));
  }
  person.set_first_name(c.Text("person.first_name", p.first_name(), 256));
  person.set_last_name(c.Text("person.last_name", p.last_name(), 256));
  person.set_job_title(c.Text("person.job_title", p.job_title(), 256));
  person.set_profile_url(c.Text("person.profile_url", p.profile_url(), 2048));
  const TitleClass title = ClassifyTitle(person.job_title());
  const std::string seniority = NormalizeSeniority(c.Text("person.seniority", p.seniority(), 64));
  const std::string department =
      NormalizeDepartment(c.Text("person.department", p.department(), 64));
  if (!p.seniority().empty() && seniority.empty())
    c.Warning("person.seniority", "not in the vocabulary; derived from the title");
  if (!p.department().empty() && department.empty())
    c.Warning("person.department", "not in the vocabulary; derived from the title");
  person.set_seniority(seniority.empty() ? title.seniority : seniority);
  person.set_department(department.empty() ? title.department : department);
  if (const std::string country = c.Text("person.country_code", p.country_code(), 64);
      !country.empty()) {
    if (std::optional<std::string> code = NormalizeCountry(country); code.has_value()) {
      person.set_country_code(*code);
    } else {
      c.Warning("person.country_code", "not a recognised country; dropped");
    }
  }

  // The company.
  const v1::Company& co = s.company();
  v1::Company& company = *a.mutable_company();
  company.set_name(c.Text("company.name", co.name(), 256));
  company.set_industry(c.Text("company.industry", co.industry(), 128));
  if (co.employee_count() < 0) {
    c.Violation("company.employee_count", "is negative");
  } else {
    company.set_employee_count(co.employee_count());
  }
  if (co.has_annual_revenue()) {
    const v1::Money& m = co.annual_revenue();
    const std::string& cur = m.currency_code();
    const bool iso = cur.size() == 3 && std::all_of(cur.begin(), cur.end(),
                                                    [](char ch) { return ch >= 'A' && ch <= 'Z'; });
    if (!iso) {
      c.Violation("company.annual_revenue.currency_code",
                  "is not an ISO 4217 code (three capital letters)");
    } else if (m.amount_micros() < 0) {
      c.Violation("company.annual_revenue.amount_micros", "is negative");
    } else {
      *company.mutable_annual_revenue() = m;
    }
  }
  if (const std::string country = c.Text("company.country_code", co.country_code(), 64);
      !country.empty()) {
    if (std::optional<std::string> code = NormalizeCountry(country); code.has_value()) {
      company.set_country_code(*code);
    } else {
      c.Warning("company.country_code", "not a recognised country; dropped");
    }
  }
  company.set_region(c.Text("company.region", co.region(), 64));
  company.set_segment(SnakeCase(c.Text("company.segment", co.segment(), 64)));
  company.set_account_id(c.Text("company.account_id", co.account_id(), 128));
  std::string domain;
  if (const std::string given = c.Text("company.domain", co.domain(), 2048); !given.empty()) {
    if (absl::StatusOr<std::string> d = NormalizeDomain(given); d.ok()) {
      domain = *d;
    } else {
      c.Warning("company.domain", StrCat(d.status().message(), "; using the email's domain"));
    }
  }
  if (domain.empty() && !a.email_normalized().empty()) {
    const std::string email_domain =
        a.email_normalized().substr(a.email_normalized().rfind('@') + 1);
    if (absl::StatusOr<std::string> d = NormalizeDomain(email_domain); d.ok()) domain = *d;
  }
  if (!domain.empty() && IsFreeMailDomain(domain, options.extra_free_mail_domains)) {
    if (!co.domain().empty())
      c.Warning("company.domain", "a free-mail domain is not a company; cleared");
    domain.clear();
  }
  company.set_domain(domain);

  // Phone last: it needs the country.
  if (const std::string phone = c.Text("person.phone", p.phone(), 64); !phone.empty()) {
    const std::string& region =
        !person.country_code().empty() ? person.country_code() : company.country_code();
    if (absl::StatusOr<std::string> e164 = NormalizePhone(phone, region); e164.ok()) {
      person.set_phone(*e164);
    } else {
      c.Warning("person.phone", StrCat(e164.status().message(), "; dropped"));
    }
  }

  // Attribution, engagement, consent, custom attributes.
  *a.mutable_source() = CheckSource(c, "source", s.source(), system, occurred);
  if (s.has_engagement()) {
    const v1::Engagement& e = s.engagement();
    v1::Engagement& engagement = *a.mutable_engagement();
    if (e.type() == v1::ENGAGEMENT_TYPE_UNSPECIFIED) {
      c.Violation("engagement.type", "is required");
    } else if (!v1::EngagementType_IsValid(e.type())) {
      c.Violation("engagement.type", StrCat("unknown value ", static_cast<int>(e.type())));
    } else {
      engagement.set_type(e.type());
    }
    *engagement.mutable_occurred_at() = c.Time("engagement.occurred_at", e.has_occurred_at(),
                                               e.occurred_at(), MillisFromTimestamp(occurred));
    engagement.set_asset_id(c.Text("engagement.asset_id", e.asset_id(), 256));
    *engagement.mutable_source() = e.has_source() ? CheckSource(c, "engagement.source", e.source(),
                                                                system, engagement.occurred_at())
                                                  : a.source();
  }
  if (s.has_consent()) {
    const v1::Consent& in = s.consent();
    v1::Consent& consent = *a.mutable_consent();
    for (const auto& [field, value, setter] :
         {std::tuple{"consent.marketing_email", in.marketing_email(),
                     &v1::Consent::set_marketing_email},
          std::tuple{"consent.sales_contact", in.sales_contact(),
                     &v1::Consent::set_sales_contact}}) {
      if (!v1::ConsentStatus_IsValid(value)) {
        c.Violation(field, StrCat("unknown value ", static_cast<int>(value)));
      } else {
        (consent.*setter)(value);
      }
    }
    consent.set_lawful_basis(SnakeCase(c.Text("consent.lawful_basis", in.lawful_basis(), 64)));
    consent.set_policy_version(c.Text("consent.policy_version", in.policy_version(), 64));
    if (in.has_recorded_at()) {
      *consent.mutable_recorded_at() =
          c.Time("consent.recorded_at", true, in.recorded_at(), now_ms);
    }
  }
  if (s.custom_attributes_size() > 64) {
    c.Violation("custom_attributes", "more than 64 entries");
  } else {
    for (const auto& [key, value] : s.custom_attributes()) {
      const std::string k = SnakeCase(key);
      if (k.empty() || k.size() > 64 || TextProblem(key, 64).has_value()) {
        c.Violation("custom_attributes", "a key is empty, longer than 64 bytes or not text");
        continue;
      }
      const std::string field = StrCat("custom_attributes.", k);
      if (std::optional<std::string> problem = TextProblem(value, 1024, /*multiline=*/true);
          problem.has_value()) {
        c.Violation(field, *problem);
        continue;
      }
      (*a.mutable_custom_attributes())[k] = std::string(value);
    }
  }

  result.violations = std::move(c.violations());
  if (!result.ok()) {
    result.event.Clear();
    return result;
  }
  for (auto& w : c.warnings()) *a.add_warnings() = std::move(w);

  const std::string cause = SubmissionCause(a.source_system(), a.idempotency_key());
  v1::EventEnvelope& env = *result.event.mutable_envelope();
  env.set_event_id(events::EventId(cause, "admitted"));
  env.set_lead_id(LeadIdForEmail(a.email_normalized(), options.lead_id_secret));
  *env.mutable_occurred_at() = occurred;
  *env.mutable_produced_at() = TimestampFromMillis(now_ms);
  env.set_causation_id(cause);
  env.set_correlation_id(cause);
  env.set_producer_service(v1::SERVICE_NAME_INTAKE);
  return result;
}

}  // namespace leadflow::intake
