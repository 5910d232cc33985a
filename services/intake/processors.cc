#include "services/intake/processors.h"

#include "services/common/base/status_macros.h"
#include "services/common/base/strings.h"
#include "services/common/events/lead_events.h"

namespace leadflow::intake {
namespace {

constexpr char kTimerPrefix[] = "idem:";

metrics::Counter& IntakeCounter(metrics::Registry* r, std::string_view kind) {
  return r->GetCounter("leadflow_intake_identity_total",
                       "Admitted submissions by what identity did with them.",
                       {{"kind", std::string(kind)}});
}

}  // namespace

std::string ErasureKey(std::string_view lead_id, std::string_view request_id) {
  // "\x1e" sorts before any printable source system: a request never collides with a submission.
  return SubmissionKey(lead_id,
                       "\x1e"
                       "erase",
                       request_id);
}

AdmissionProcessor::AdmissionProcessor(std::string admitted_topic, AdmissionOptions options,
                                       metrics::Registry* registry)
    : admitted_topic_(std::move(admitted_topic)),
      options_(std::move(options)),
      admitted_(registry->GetCounter("leadflow_intake_admissions_total",
                                     "Submissions judged by admission, by ingress and outcome.",
                                     {{"ingress", "raw_topic"}, {"outcome", "admitted"}})),
      invalid_(registry->GetCounter("leadflow_intake_admissions_total",
                                    "Submissions judged by admission, by ingress and outcome.",
                                    {{"ingress", "raw_topic"}, {"outcome", "invalid"}})) {}

absl::Status AdmissionProcessor::Process(const stream::InputRecord& record, stream::Context& ctx) {
  if (record.value.size() > options_.max_submission_bytes) {
    invalid_.Increment();
    return stream::Reject(v1::DEAD_LETTER_REASON_TOO_LARGE,
                          StrCat("submission of ", record.value.size(), " bytes; the limit is ",
                                 options_.max_submission_bytes));
  }
  v1::LeadSubmission submission;
  if (!submission.ParseFromArray(record.value.data(), static_cast<int>(record.value.size()))) {
    invalid_.Increment();
    return stream::Reject(v1::DEAD_LETTER_REASON_MALFORMED,
                          "not a leadflow.v1.LeadSubmission (protobuf parse failed)");
  }
  Admission admission = Admit(submission, v1::INGRESS_CHANNEL_RAW_TOPIC, ctx.now_ms(), options_);
  if (!admission.ok()) {
    invalid_.Increment();
    return stream::Reject(v1::DEAD_LETTER_REASON_INVALID, DescribeViolations(admission.violations));
  }
  if (record.raw != nullptr) {
    if (std::optional<std::string> tp = record.raw->header("traceparent"); tp.has_value()) {
      admission.event.mutable_envelope()->set_trace_parent(*tp);
    }
  }
  ctx.Emit(events::LeadEventRecord(admitted_topic_, admission.event));
  admitted_.Increment();
  return absl::OkStatus();
}

IdentityProcessor::IdentityProcessor(std::string leads_topic, MergePolicy policy,
                                     int64_t idempotency_ttl_ms, bool suppress_erased,
                                     metrics::Registry* registry)
    : leads_topic_(std::move(leads_topic)),
      policy_(std::move(policy)),
      idempotency_ttl_ms_(idempotency_ttl_ms),
      suppress_erased_(suppress_erased),
      erased_(IntakeCounter(registry, "erased")),
      suppressed_(IntakeCounter(registry, "suppressed")),
      captured_(IntakeCounter(registry, "captured")),
      updated_(IntakeCounter(registry, "updated")),
      engagements_(IntakeCounter(registry, "engagement_recorded")),
      duplicates_(IntakeCounter(registry, "duplicate_submission")),
      unchanged_(IntakeCounter(registry, "unchanged")) {}

absl::Status IdentityProcessor::Process(const stream::InputRecord& record, stream::Context& ctx) {
  v1::LeadEvent in;
  if (!in.ParseFromArray(record.value.data(), static_cast<int>(record.value.size()))) {
    return stream::Reject(v1::DEAD_LETTER_REASON_MALFORMED, "not a leadflow.v1.LeadEvent");
  }
  if (!in.has_admitted() && !in.has_erased()) {
    return stream::Reject(
        v1::DEAD_LETTER_REASON_UNSUPPORTED,
        StrCat("expected an 'admitted' or 'erased' event, got '", events::EventKind(in), "'"));
  }
  const std::string& lead_id = in.envelope().lead_id();
  if (lead_id.empty() || record.key != lead_id) {
    return stream::Reject(v1::DEAD_LETTER_REASON_INVALID,
                          "record key is not the envelope's lead_id (not written by admission)");
  }
  if (in.has_erased()) return Erase(in, ctx);
  const v1::LeadAdmitted& a = in.admitted();
  // One read: the lead's record holds the idempotency keys applied to it (no record: none).
  LF_ASSIGN_OR_RETURN(std::optional<std::string> stored, ctx.Get(kLeadsStore, lead_id));
  std::optional<v1::Lead> current;
  if (stored.has_value()) {
    current.emplace();
    if (!current->ParseFromString(*stored)) {
      return absl::DataLossError(StrCat("stored lead ", lead_id, " does not parse"));
    }
    LF_ASSIGN_OR_RETURN(const bool seen,
                        SeenBefore(*current, a.source_system(), a.idempotency_key(), ctx.now_ms(),
                                   idempotency_ttl_ms_, [&](const std::string& key) {
                                     return ctx.Get(kSubmissionsStore, key);
                                   }));
    if (seen) {
      duplicates_.Increment();  // a retried submission: its first answer stands, nothing new
      return absl::OkStatus();
    }
  }
  if (suppress_erased_) {
    LF_ASSIGN_OR_RETURN(std::optional<std::string> erased, ctx.Get(kSuppressedStore, lead_id));
    if (erased.has_value()) {
      suppressed_.Increment();
      v1::LeadErased request;
      const std::string which = request.ParseFromString(*erased)
                                    ? StrCat(" by request '", request.request_id(), "'")
                                    : "";
      return stream::Reject(v1::DEAD_LETTER_REASON_ERASED_LEAD,
                            StrCat("the person was erased", which,
                                   " and intake.suppress_erased refuses their submissions"));
    }
  }
  IdentityOutcome outcome = ApplyAdmitted(std::move(current), in, policy_, ctx.now_ms());
  RememberSubmission(&outcome.lead, a.source_system(), a.idempotency_key(), ctx.now_ms(),
                     idempotency_ttl_ms_);
  ctx.Put(kLeadsStore, lead_id, outcome.lead.SerializeAsString());
  if (outcome.events.empty()) unchanged_.Increment();
  for (const v1::LeadEvent& e : outcome.events) {
    if (e.has_captured()) captured_.Increment();
    if (e.has_updated()) updated_.Increment();
    if (e.has_engagement_recorded()) engagements_.Increment();
    ctx.Emit(events::LeadEventRecord(leads_topic_, e));
  }
  return absl::OkStatus();
}

absl::Status IdentityProcessor::Erase(const v1::LeadEvent& erased, stream::Context& ctx) {
  const std::string& lead_id = erased.envelope().lead_id();
  const std::string request_key = ErasureKey(lead_id, erased.erased().request_id());
  LF_ASSIGN_OR_RETURN(std::optional<std::string> done, ctx.Get(kSubmissionsStore, request_key));
  if (done.has_value()) {
    duplicates_.Increment();  // a retried EraseLead: erased already, its event went on
    return absl::OkStatus();
  }
  ctx.Erase(kLeadsStore, lead_id);
  // Every idempotency key of the person (they lead with the lead id) and its expiry timer: keys
  // are the sender's and may name the person.
  const std::string prefix = StrCat(lead_id, "\x1f");
  std::string after = prefix;
  for (bool more = true; more;) {
    LF_ASSIGN_OR_RETURN(stream::ScanPage page, ctx.Scan(kSubmissionsStore, after, 256));
    more = page.more;
    for (const auto& [key, value] : page.entries) {
      if (!StartsWith(key, prefix)) {
        more = false;
        break;
      }
      ctx.Erase(kSubmissionsStore, key);
      ctx.CancelTimer(StrCat(kTimerPrefix, key));
    }
    after = page.next_after;
  }
  // The request itself is remembered (no personal data: the lead id and the request) for the
  // idempotency TTL, so a retry is answered as done.
  ctx.Put(kSubmissionsStore, request_key, erased.erased().SerializeAsString());
  ctx.ScheduleTimer(StrCat(kTimerPrefix, request_key), ctx.now_ms() + idempotency_ttl_ms_, "");
  if (suppress_erased_) ctx.Put(kSuppressedStore, lead_id, erased.erased().SerializeAsString());
  ctx.Emit(events::ForwardErasure(erased, leads_topic_, v1::SERVICE_NAME_INTAKE, ctx.now_ms()));
  erased_.Increment();
  return absl::OkStatus();
}

absl::Status IdentityProcessor::OnTimer(const stream::Timer& timer, stream::Context& ctx) {
  // An idempotency key expired: a submission with it after this is a new submission.
  if (StartsWith(timer.key, kTimerPrefix)) {
    ctx.Delete(kSubmissionsStore, std::string_view(timer.key).substr(sizeof(kTimerPrefix) - 1));
  }
  return absl::OkStatus();
}

}  // namespace leadflow::intake
