// Qualification's decisions, pure: how one input event (a lead event of intake or recycle, or a
// re-score command) changes a lead's QualificationState, and which events that produces —
// LeadScored when the score changed, LeadQualified when an INQUIRY passes the MQL gate,
// LeadDisqualified when an exclusion rule matches. No I/O and no clock: time comes from the events,
// so a replay decides the same way. The processor (processor.h) adapts records to this.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "leadflow/v1/config.pb.h"
#include "leadflow/v1/feedback.pb.h"
#include "leadflow/v1/lead.pb.h"
#include "leadflow/v1/qualification_state.pb.h"
#include "services/qualification/scoring.h"

namespace leadflow::qualification {

// The config one decision is made with: an immutable snapshot, shared by the processor and the API.
struct QualificationConfig {
  CompiledIcp icp;
  int64_t icp_version = 0;  // 0 = the local file (nothing published yet)
  v1::StageModel stage_model;
  int64_t stage_model_version = 0;
  v1::StageGate mql_gate;              // the gate of the MQL stage
  std::optional<CompiledModel> model;  // the active scoring model, if any
  int64_t model_config_version = 0;    // its ConfigRecord version
  v1::NurtureConfig nurture;           // to tell whether a disqualification may be nurtured
  int64_t nurture_version = 0;

  // The global config version of this snapshot (the highest version it is made of).
  int64_t version() const;
};

// Builds a snapshot; fails when the ICP does not compile or the stage model has no MQL stage.
absl::StatusOr<std::shared_ptr<const QualificationConfig>> BuildConfig(
    const v1::IcpConfig& icp, int64_t icp_version, const v1::StageModel& stage_model,
    int64_t stage_model_version, const v1::ScoringModel* model, int64_t model_config_version,
    const v1::NurtureConfig* nurture, int64_t nurture_version);

// What happened to an input.
enum class Outcome {
  kApplied,    // state changed (and maybe events)
  kDuplicate,  // an engagement already applied (same event id): nothing changed
  kHeld,       // the lead is in a stage qualification does not decide in (e.g. ARCHIVED)
  kIgnored,    // an event kind qualification does not use
  kErased,     // the lead's state is to be deleted
};

struct Decision {
  Outcome outcome = Outcome::kApplied;
  v1::QualificationState state;       // the new state (unless kErased)
  std::vector<v1::LeadEvent> events;  // to publish on leadflow.qualification.v1, in order
};

// Applies one lead event. Errors are input errors (the record goes to the DLQ with the message):
// an update or engagement of a lead never captured, an event without lead id.
absl::StatusOr<Decision> Apply(std::optional<v1::QualificationState> current,
                               const v1::LeadEvent& event, const QualificationConfig& config,
                               int64_t now_ms);

// Re-scores a stored lead with `config` at `at_ms` (a Rescore command): the same scoring and gate
// as an event, caused by "rescore:<command_id>:<lead id>".
Decision Rescore(v1::QualificationState current, const std::string& command_id, int64_t at_ms,
                 const QualificationConfig& config, int64_t now_ms);

// A stored lead's score explained under `config`: the contributions (recomputed at the score's
// scored_at), the MQL gate's verdict now. Exact when config has the versions the score was made
// with; `config_differs` says when it has not (a newer ICP or model, no re-score yet).
struct Explanation {
  std::vector<v1::ScoreContribution> contributions;
  v1::Reason gate_result;
  bool passes_mql_gate = false;
  bool config_differs = false;
};
Explanation ExplainState(const v1::QualificationState& state, const QualificationConfig& config);

// Sets the account facts of a LeadQualified event (company.account_id, existing_customer,
// open_opportunity) from the accounts table's record of the lead's domain.
void AddAccount(const v1::AccountRecord& account, v1::LeadQualified* qualified);

// The active ICP, MQL gate and model in plain words, one statement per line (ExplainIcp).
std::string DescribeConfig(const QualificationConfig& config);

// The kept engagements of a state as scoring takes them, oldest first (pruned ones are carried
// as the cap slots they used: see PrunedEngagements).
std::vector<EngagementFact> EngagementFacts(const v1::QualificationState& state);

}  // namespace leadflow::qualification
