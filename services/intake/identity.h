// Identity: folds an admitted submission into the lead it belongs to. First sight captures the
// lead; later submissions merge field by field; engagements are recorded. Pure: the processor
// (identity_processor.h) supplies the stored lead and persists the result.
#pragma once

#include <optional>
#include <set>
#include <string>
#include <vector>

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

// `admitted` is a LeadEvent whose `admitted` member is set (admission.h). `now_ms` stamps
// produced_at.
IdentityOutcome ApplyAdmitted(const std::optional<v1::Lead>& current, const v1::LeadEvent& admitted,
                              const MergePolicy& policy, int64_t now_ms);

}  // namespace leadflow::intake
