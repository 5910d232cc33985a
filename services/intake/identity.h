// Identity: folds an admitted submission into the lead it belongs to. First sight captures the
// lead; later submissions merge field by field; engagements are recorded. Pure: the processor
// (identity_processor.h) supplies the stored lead and persists the result.
#pragma once

#include <functional>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "leadflow/v1/lead.pb.h"

namespace leadflow::intake {

struct MergePolicy {
  // Source systems, highest precedence first. A value written by a source of higher precedence
  // is only replaced by a source of the same or higher precedence; between equals the newer
  // submission (occurred_at) wins. Sources not listed rank below all listed ones.
  std::vector<std::string> source_precedence;
  // Engagement types that mark a hand-raiser (LeadEngagementRecorded.hand_raiser).
  std::set<int> hand_raisers = {v1::ENGAGEMENT_TYPE_DEMO_REQUEST,
                                v1::ENGAGEMENT_TYPE_PRICING_REQUEST,
                                v1::ENGAGEMENT_TYPE_CONTACT_REQUEST};
};

struct IdentityOutcome {
  // The lead after the submission (intake's copy).
  v1::Lead lead;
  // In order: LeadCaptured or LeadUpdated (when something changed), then LeadEngagementRecorded
  // (when the submission carried an engagement). May be empty (a repeat that changed nothing).
  std::vector<v1::LeadEvent> events;
};

// The idempotency keys identity remembers per lead (Lead.seen_submissions): those applied within
// the TTL, at most this many (the oldest are forgotten first).
inline constexpr int kMaxSeenSubmissions = 256;

// Whether `lead` remembers the submission (`source_system`, `idempotency_key`) as applied less
// than `ttl_ms` before `now_ms`.
bool HasSeenSubmission(const v1::Lead& lead, std::string_view source_system,
                       std::string_view idempotency_key, int64_t now_ms, int64_t ttl_ms);
// Remembers the submission in `lead`, forgetting the keys older than `ttl_ms` and, beyond
// kMaxSeenSubmissions, the oldest.
void RememberSubmission(v1::Lead* lead, std::string_view source_system,
                        std::string_view idempotency_key, int64_t now_ms, int64_t ttl_ms);

// The identity state's key of a submission: lead id, US (0x1f), source system, US, idempotency
// key. Led by the lead id so an erasure finds every key of the person.
std::string SubmissionKey(std::string_view lead_id, std::string_view source_system,
                          std::string_view idempotency_key);

// Whether identity applied the submission (`source_system`, `idempotency_key`) to the stored
// `lead` within `ttl_ms`: from the lead's record (Lead.seen_submissions), or, for a record written
// before the keys moved into it, from the store "submissions" through `read_submissions`.
absl::StatusOr<bool> SeenBefore(
    const v1::Lead& lead, std::string_view source_system, std::string_view idempotency_key,
    int64_t now_ms, int64_t ttl_ms,
    const std::function<absl::StatusOr<std::optional<std::string>>(const std::string&)>&
        read_submissions);

// `admitted` is a LeadEvent whose `admitted` member is set (admission.h). `now_ms` stamps
// produced_at.
IdentityOutcome ApplyAdmitted(std::optional<v1::Lead> current, const v1::LeadEvent& admitted,
                              const MergePolicy& policy, int64_t now_ms);

}  // namespace leadflow::intake
