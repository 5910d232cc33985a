// The intake's two steps on the stream runtime:
//  - AdmissionProcessor: leadflow.intake.raw.v1 (LeadSubmission, any key) → LeadAdmitted on
//    leadflow.intake.admitted.v1 keyed by lead id, or the DLQ with the violations. Stateless.
//  - IdentityProcessor: leadflow.intake.admitted.v1 → LeadCaptured / LeadUpdated /
//    LeadEngagementRecorded on leadflow.leads.v1. State: the lead (store "leads") and the
//    idempotency keys seen (store "submissions", expired by a timer after the configured TTL).
#pragma once

#include <cstdint>
#include <string>

#include "services/common/metrics/metrics.h"
#include "services/common/stream/processor.h"
#include "services/intake/admission.h"
#include "services/intake/identity.h"

namespace leadflow::intake {

inline constexpr char kLeadsStore[] = "leads";              // lead id → Lead
inline constexpr char kSubmissionsStore[] = "submissions";  // SubmissionKey → lead id

// The identity state's key of a submission: source system, US (0x1f), idempotency key.
std::string SubmissionKey(std::string_view source_system, std::string_view idempotency_key);

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
  IdentityProcessor(std::string leads_topic, MergePolicy policy, int64_t idempotency_ttl_ms,
                    metrics::Registry* registry);
  absl::Status Process(const stream::InputRecord& record, stream::Context& ctx) override;
  absl::Status OnTimer(const stream::Timer& timer, stream::Context& ctx) override;

 private:
  std::string leads_topic_;
  MergePolicy policy_;
  int64_t idempotency_ttl_ms_;
  metrics::Counter& captured_;
  metrics::Counter& updated_;
  metrics::Counter& engagements_;
  metrics::Counter& duplicates_;
  metrics::Counter& unchanged_;
};

}  // namespace leadflow::intake
