// The intake's two steps on the stream runtime:
//  - AdmissionProcessor: leadflow.intake.raw.v1 (LeadSubmission, any key) → LeadAdmitted on
//    leadflow.intake.admitted.v1 keyed by lead id, or the DLQ with the violations. Stateless.
//  - IdentityProcessor: leadflow.intake.admitted.v1 → LeadCaptured / LeadUpdated /
//    LeadEngagementRecorded on leadflow.leads.v1. State: the lead (store "leads"), whose record
//    also holds the idempotency keys applied to it within the TTL (Lead.seen_submissions), so a
//    submission costs one read and one write. The store "submissions" keeps the erase requests
//    seen (and, from before the keys moved into the lead, older keys), each expired by a timer.
//    A LeadErased (from IntakeService.EraseLead) erases the lead and its keys and goes on to
//    leadflow.leads.v1; with suppression on, the lead id is remembered (store "suppressed") and
//    later submissions of the person are dead-lettered (DEAD_LETTER_REASON_ERASED_LEAD).
#pragma once

#include <cstdint>
#include <string>

#include "services/common/metrics/metrics.h"
#include "services/common/stream/processor.h"
#include "services/intake/admission.h"
#include "services/intake/identity.h"

namespace leadflow::intake {

inline constexpr char kLeadsStore[] = "leads";  // lead id → Lead
// ErasureKey → LeadErased; from before the keys moved into the lead: SubmissionKey → lead id.
inline constexpr char kSubmissionsStore[] = "submissions";
inline constexpr char kSuppressedStore[] = "suppressed";  // lead id → LeadErased (suppression)

// The key under which identity remembers erase request `request_id` of a lead (for the
// idempotency TTL), so a retried EraseLead writes nothing new; the value is the LeadErased.
std::string ErasureKey(std::string_view lead_id, std::string_view request_id);

class AdmissionProcessor : public stream::Processor {
 public:
  AdmissionProcessor(std::string admitted_topic, AdmissionOptions options,
                     metrics::Registry* registry);
  absl::Status Process(const stream::InputRecord& record, stream::Context& ctx) override;

 private:
  std::string admitted_topic_;
  AdmissionOptions options_;
  metrics::Counter& admitted_;
  metrics::Counter& invalid_;
};

class IdentityProcessor : public stream::Processor {
 public:
  // `suppress_erased`: refuse the submissions of erased people (intake.suppress_erased).
  IdentityProcessor(std::string leads_topic, MergePolicy policy, int64_t idempotency_ttl_ms,
                    bool suppress_erased, metrics::Registry* registry);
  absl::Status Process(const stream::InputRecord& record, stream::Context& ctx) override;
  absl::Status OnTimer(const stream::Timer& timer, stream::Context& ctx) override;

 private:
  absl::Status Erase(const v1::LeadEvent& erased, stream::Context& ctx);

  std::string leads_topic_;
  MergePolicy policy_;
  int64_t idempotency_ttl_ms_;
  bool suppress_erased_;
  metrics::Counter& erased_;
  metrics::Counter& suppressed_;
  metrics::Counter& captured_;
  metrics::Counter& updated_;
  metrics::Counter& engagements_;
  metrics::Counter& duplicates_;
  metrics::Counter& unchanged_;
};

}  // namespace leadflow::intake
