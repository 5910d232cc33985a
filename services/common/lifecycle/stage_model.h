// The stage model as configuration (config/stages.yaml): loaded and validated with file:line
// errors, and the two questions the services ask of it — is this transition allowed, and does a
// lead pass the MQL gate. Shared by qualification, handoff and recycle; pure.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "leadflow/v1/config.pb.h"
#include "services/common/config/proto_yaml.h"

namespace leadflow::lifecycle {

using config::ConfigViolation;

// Stages defined once each with an owner (INQUIRY, MQL and ERASED required); transitions between
// defined stages, named by a LeadEvent member, none out of a terminal stage; gate thresholds in
// range with at least one path into MQL; SLAs not negative.
std::vector<ConfigViolation> ValidateStageModel(const v1::StageModel& model);

// Loads and validates a YAML file; every violation on its own line, "file:line:column: path: why".
absl::StatusOr<v1::StageModel> LoadStageModelFile(const std::string& path);

// Whether `trigger` (a LeadEvent member name) may move a lead from `from` to `to`. Any stage may
// go to ERASED.
bool TransitionAllowed(const v1::StageModel& model, v1::Stage from, v1::Stage to,
                       std::string_view trigger);

// Whether a rep may reject with `reason`: one of the model's rejection_reasons (any but
// UNSPECIFIED and SLA_EXPIRED when the list is empty).
bool RejectionReasonAllowed(const v1::StageModel& model, v1::RejectionReason reason);

// The definition of `stage`, or null.
const v1::StageDefinition* FindStage(const v1::StageModel& model, v1::Stage stage);

enum class GateResult {
  kNotPassed,
  kPassedOnScore,  // fit and engagement (and predictive, when configured) pass
  kPassedAsHandRaiser,
};

// The MQL gate for a lead with this grade and scores.
GateResult EvaluateGate(const v1::StageGate& gate, v1::FitGrade grade, double engagement_score,
                        std::optional<double> predictive_score, bool hand_raiser);

}  // namespace leadflow::lifecycle
