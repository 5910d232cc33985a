#include "services/intake/identity.h"

#include <algorithm>
#include <functional>

#include "services/common/base/status_macros.h"
#include "services/common/base/strings.h"
#include "services/common/events/ids.h"
#include "services/common/events/lead_events.h"

namespace leadflow::intake {
namespace {

using events::MillisFromTimestamp;

size_t Rank(const MergePolicy& policy, const std::string& system) {
  auto it = std::find(policy.source_precedence.begin(), policy.source_precedence.end(), system);
  return static_cast<size_t>(it - policy.source_precedence.begin());  // unlisted: size()
}

// Field-by-field merge of one submission into the lead, recording what changed.
class Merger {
 public:
  Merger(v1::Lead* lead, const MergePolicy& policy, const std::string& system,
         const google::protobuf::Timestamp& at)
      : lead_(lead), policy_(policy), system_(system), at_(at) {}

  // Offers `incoming` for the field at `path`; `empty` says whether a value counts as absent.
  template <typename T>
  void Offer(const std::string& path, const T& incoming, T* current,
             const std::function<bool(const T&)>& empty) {
    if (empty(incoming)) return;
    if (!empty(*current)) {
      if (Same(incoming, *current)) return;
      auto prov = lead_->field_sources().find(path);
      if (prov != lead_->field_sources().end()) {
        const size_t mine = Rank(policy_, system_);
        const size_t theirs = Rank(policy_, prov->second.source_system());
        if (mine > theirs) return;  // a source of higher precedence wrote it
        if (mine == theirs &&
            MillisFromTimestamp(at_) < MillisFromTimestamp(prov->second.written_at())) {
          return;  // an older submission of the same rank
        }
      }
    }
    *current = incoming;
    v1::FieldSource& source = (*lead_->mutable_field_sources())[path];
    source.set_source_system(system_);
    *source.mutable_written_at() = at_;
    changed_.push_back(path);
  }

  void Text(const std::string& path, const std::string& incoming, std::string* current) {
    Offer<std::string>(path, incoming, current, [](const std::string& v) { return v.empty(); });
  }

  const std::vector<std::string>& changed() const { return changed_; }

 private:
  template <typename T>
  static bool Same(const T& a, const T& b) {
    if constexpr (std::is_base_of_v<google::protobuf::Message, T>) {
      return a.SerializeAsString() == b.SerializeAsString();
    } else {
      return a == b;
    }
  }

  v1::Lead* lead_;
  const MergePolicy& policy_;
  const std::string& system_;
  const google::protobuf::Timestamp& at_;
  std::vector<std::string> changed_;
};

void MergeProfile(Merger& m, const v1::LeadAdmitted& a, v1::Lead* lead) {
  const v1::Person& p = a.person();
  v1::Person* person = lead->mutable_person();
  m.Text("person.first_name", p.first_name(), person->mutable_first_name());
  m.Text("person.last_name", p.last_name(), person->mutable_last_name());
  // person.email (the raw spelling) is not merged: every spelling that normalises to the same
  // address is the same person, and a different casing is not a change.
  if (person->email().empty()) person->set_email(p.email());
  m.Text("person.phone", p.phone(), person->mutable_phone());
  m.Text("person.job_title", p.job_title(), person->mutable_job_title());
  m.Text("person.seniority", p.seniority(), person->mutable_seniority());
  m.Text("person.department", p.department(), person->mutable_department());
  m.Text("person.country_code", p.country_code(), person->mutable_country_code());
  m.Text("person.profile_url", p.profile_url(), person->mutable_profile_url());

  const v1::Company& c = a.company();
  v1::Company* company = lead->mutable_company();
  m.Text("company.name", c.name(), company->mutable_name());
  m.Text("company.domain", c.domain(), company->mutable_domain());
  m.Text("company.industry", c.industry(), company->mutable_industry());
  m.Text("company.country_code", c.country_code(), company->mutable_country_code());
  m.Text("company.region", c.region(), company->mutable_region());
  m.Text("company.segment", c.segment(), company->mutable_segment());
  m.Text("company.account_id", c.account_id(), company->mutable_account_id());
  int32_t employees = company->employee_count();
  m.Offer<int32_t>("company.employee_count", c.employee_count(), &employees,
                   [](const int32_t& v) { return v == 0; });
  company->set_employee_count(employees);
  if (c.has_annual_revenue()) {
    v1::Money revenue = company->annual_revenue();
    m.Offer<v1::Money>("company.annual_revenue", c.annual_revenue(), &revenue,
                       [](const v1::Money& v) { return v.currency_code().empty(); });
    *company->mutable_annual_revenue() = revenue;
  }
  for (const auto& [key, value] : a.custom_attributes()) {
    std::string current =
        lead->custom_attributes().count(key) != 0 ? lead->custom_attributes().at(key) : "";
    m.Text(StrCat("custom_attributes.", key), value, &current);
    if (!current.empty()) (*lead->mutable_custom_attributes())[key] = current;
  }
}

// Consent: the most recently recorded one wins (a submission without recorded_at counts at its
// occurred_at).
bool MergeConsent(const v1::LeadAdmitted& a, const google::protobuf::Timestamp& occurred,
                  v1::Lead* lead) {
  if (!a.has_consent()) return false;
  v1::Consent incoming = a.consent();
  if (!incoming.has_recorded_at()) *incoming.mutable_recorded_at() = occurred;
  if (lead->has_consent() && MillisFromTimestamp(incoming.recorded_at()) <
                                 MillisFromTimestamp(lead->consent().recorded_at())) {
    return false;
  }
  if (lead->has_consent() && lead->consent().SerializeAsString() == incoming.SerializeAsString())
    return false;
  *lead->mutable_consent() = incoming;
  return true;
}

v1::LeadEvent Derived(const v1::LeadEvent& admitted, std::string_view kind, int64_t now_ms) {
  return events::DeriveEvent(admitted, kind, v1::SERVICE_NAME_INTAKE, now_ms);
}

bool SameRef(const v1::ExternalRef& a, const v1::ExternalRef& b) {
  return a.source_system() == b.source_system() && a.external_id() == b.external_id();
}

}  // namespace

std::string SubmissionKey(std::string_view lead_id, std::string_view source_system,
                          std::string_view idempotency_key) {
  return StrCat(lead_id, "\x1f", source_system, "\x1f", idempotency_key);
}

absl::StatusOr<bool> SeenBefore(
    const v1::Lead& lead, std::string_view source_system, std::string_view idempotency_key,
    int64_t now_ms, int64_t ttl_ms,
    const std::function<absl::StatusOr<std::optional<std::string>>(const std::string&)>&
        read_submissions) {
  if (lead.seen_submissions_size() > 0) {
    return HasSeenSubmission(lead, source_system, idempotency_key, now_ms, ttl_ms);
  }
  // Every record identity writes names at least the submission that wrote it; one that names
  // none was written before the keys moved into the lead, when they had a store of their own
  // (expired there by their timers).
  LF_ASSIGN_OR_RETURN(
      std::optional<std::string> old,
      read_submissions(SubmissionKey(lead.lead_id(), source_system, idempotency_key)));
  return old.has_value();
}

bool HasSeenSubmission(const v1::Lead& lead, std::string_view source_system,
                       std::string_view idempotency_key, int64_t now_ms, int64_t ttl_ms) {
  return std::any_of(lead.seen_submissions().begin(), lead.seen_submissions().end(),
                     [&](const v1::SeenSubmission& s) {
                       return s.seen_at_ms() > now_ms - ttl_ms &&
                              s.idempotency_key() == idempotency_key &&
                              s.source_system() == source_system;
                     });
}

void RememberSubmission(v1::Lead* lead, std::string_view source_system,
                        std::string_view idempotency_key, int64_t now_ms, int64_t ttl_ms) {
  auto& seen = *lead->mutable_seen_submissions();
  int kept = 0;  // the live keys, in their order, to the front
  for (int i = 0; i < seen.size(); ++i) {
    if (seen.Get(i).seen_at_ms() <= now_ms - ttl_ms) continue;
    if (kept != i) seen.SwapElements(kept, i);
    ++kept;
  }
  seen.DeleteSubrange(kept, seen.size() - kept);
  if (const int over = kept + 1 - kMaxSeenSubmissions; over > 0) seen.DeleteSubrange(0, over);
  v1::SeenSubmission& s = *seen.Add();
  s.set_source_system(std::string(source_system));
  s.set_idempotency_key(std::string(idempotency_key));
  s.set_seen_at_ms(now_ms);
}

IdentityOutcome ApplyAdmitted(std::optional<v1::Lead> current, const v1::LeadEvent& admitted,
                              const MergePolicy& policy, int64_t now_ms) {
  IdentityOutcome out;
  const v1::LeadAdmitted& a = admitted.admitted();
  const google::protobuf::Timestamp& occurred = admitted.envelope().occurred_at();
  v1::ExternalRef ref;
  ref.set_source_system(a.source_system());
  ref.set_external_id(a.external_id());

  if (!current.has_value()) {
    v1::Lead& lead = out.lead;
    lead.set_lead_id(admitted.envelope().lead_id());
    lead.set_email_normalized(a.email_normalized());
    Merger m(&lead, policy, a.source_system(), occurred);
    MergeProfile(m, a, &lead);
    MergeConsent(a, occurred, &lead);
    *lead.mutable_first_touch() = a.source();
    *lead.mutable_last_touch() = a.source();
    lead.set_stage(v1::STAGE_INQUIRY);
    lead.set_cycle(1);
    *lead.mutable_created_at() = occurred;
    *lead.mutable_updated_at() = occurred;
    *lead.mutable_stage_entered_at() = occurred;
    lead.set_idempotency_key(a.idempotency_key());
    if (!a.external_id().empty()) *lead.add_merged_from() = ref;

    v1::LeadEvent e = Derived(admitted, "captured", now_ms);
    e.mutable_envelope()->set_cycle(1);
    e.mutable_envelope()->mutable_stage_change()->set_to_stage(v1::STAGE_INQUIRY);
    v1::LeadCaptured& captured = *e.mutable_captured();
    captured.set_email_normalized(lead.email_normalized());
    *captured.mutable_person() = lead.person();
    *captured.mutable_company() = lead.company();
    *captured.mutable_first_touch() = lead.first_touch();
    if (lead.has_consent()) *captured.mutable_consent() = lead.consent();
    *captured.mutable_custom_attributes() = lead.custom_attributes();
    captured.set_idempotency_key(a.idempotency_key());
    if (!a.external_id().empty()) *captured.mutable_external_ref() = ref;
    captured.set_ingress(a.ingress());
    out.events.push_back(std::move(e));
  } else {
    out.lead = std::move(*current);
    v1::Lead& lead = out.lead;
    Merger m(&lead, policy, a.source_system(), occurred);
    MergeProfile(m, a, &lead);
    std::vector<std::string> changed = m.changed();
    if (MergeConsent(a, occurred, &lead)) changed.push_back("consent");
    const bool new_ref = !a.external_id().empty() &&
                         std::none_of(lead.merged_from().begin(), lead.merged_from().end(),
                                      [&](const v1::ExternalRef& r) { return SameRef(r, ref); });
    if (new_ref) *lead.add_merged_from() = ref;
    if (MillisFromTimestamp(occurred) >= MillisFromTimestamp(lead.last_touch().touched_at())) {
      *lead.mutable_last_touch() = a.source();
    }
    if (MillisFromTimestamp(occurred) > MillisFromTimestamp(lead.updated_at()))
      *lead.mutable_updated_at() = occurred;
    if (!changed.empty() || new_ref) {
      v1::LeadEvent e = Derived(admitted, "updated", now_ms);
      v1::LeadUpdated& updated = *e.mutable_updated();
      *updated.mutable_person() = lead.person();
      *updated.mutable_company() = lead.company();
      *updated.mutable_last_touch() = a.source();
      if (lead.has_consent()) *updated.mutable_consent() = lead.consent();
      *updated.mutable_custom_attributes() = lead.custom_attributes();
      for (const std::string& path : changed) updated.add_changed_fields(path);
      updated.set_idempotency_key(a.idempotency_key());
      if (new_ref) *updated.mutable_merged_ref() = ref;
      updated.set_ingress(a.ingress());
      out.events.push_back(std::move(e));
    }
  }

  if (a.has_engagement()) {
    v1::Lead& lead = out.lead;
    lead.set_engagement_count(lead.engagement_count() + 1);
    if (MillisFromTimestamp(a.engagement().occurred_at()) >
        MillisFromTimestamp(lead.last_engaged_at())) {
      *lead.mutable_last_engaged_at() = a.engagement().occurred_at();
    }
    v1::LeadEvent e = Derived(admitted, "engagement_recorded", now_ms);
    *e.mutable_envelope()->mutable_occurred_at() = a.engagement().occurred_at();
    v1::LeadEngagementRecorded& recorded = *e.mutable_engagement_recorded();
    *recorded.mutable_engagement() = a.engagement();
    recorded.set_hand_raiser(policy.hand_raisers.count(a.engagement().type()) != 0);
    recorded.set_engagement_count(lead.engagement_count());
    recorded.set_idempotency_key(a.idempotency_key());
    out.events.push_back(std::move(e));
  }
  return out;
}

}  // namespace leadflow::intake
