// Scoring, pure: the ICP fit score and grade of a lead, and its engagement score with time decay
// and caps. No I/O, no allocation on the fit path beyond the result; the ICP is compiled once per
// config version (attribute accessors resolved, operands lower-cased and parsed), so a lead is
// scored in about a microsecond (tools/leadflow-bench scoring; docs/benchmarks.md).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "leadflow/v1/config.pb.h"
#include "leadflow/v1/lead.pb.h"
#include "services/common/lifecycle/conditions.h"
#include "services/common/lifecycle/scoring_model.h"

namespace leadflow::qualification {

using lifecycle::AttributeValue;
using lifecycle::LeadAttribute;

struct FitResult {
  double score = 0;  // clamped to 0–100
  v1::FitGrade grade = v1::FIT_GRADE_UNSPECIFIED;
  std::vector<int> matched;  // indices of the rules that matched, in order
  int disqualified_by = -1;  // index of the disqualifying rule, or -1
};

// One engagement as scoring sees it.
struct EngagementFact {
  v1::EngagementType type = v1::ENGAGEMENT_TYPE_UNSPECIFIED;
  int64_t occurred_ms = 0;
};

struct EngagementResult {
  double score = 0;  // clamped to 0–100
  // Per counted engagement (same order as the input): the decayed points; 0 for one beyond a cap
  // or of an unweighted type.
  std::vector<double> points;
  // Per engagement: it used up one of its type's cap slots (weighted and not over a cap).
  std::vector<bool> counted;
  bool hand_raiser = false;  // any hand-raiser type among them
};

// How many occurrences of each engagement type (by EngagementType number) already used up the
// per-cycle cap before the engagements given to ScoreEngagement (e.g. ones pruned from a history).
using CapsUsed = std::array<int, 32>;

class CompiledIcp {
 public:
  // Compiles a validated config (ValidateIcp); fails with the first violation otherwise.
  static absl::StatusOr<CompiledIcp> Compile(const v1::IcpConfig& icp);

  FitResult ScoreFit(const v1::Lead& lead) const;

  // Engagement score at `now_ms` of the engagements of one cycle, oldest first.
  EngagementResult ScoreEngagement(const std::vector<EngagementFact>& engagements, int64_t now_ms,
                                   const CapsUsed* caps_used = nullptr) const;

  // The explanation of a fit result: one contribution per matched rule.
  std::vector<v1::ScoreContribution> Explain(const FitResult& result) const;

  const v1::IcpConfig& config() const { return config_; }
  // The per-cycle cap of an engagement type (0 = none).
  int max_per_cycle(int type) const { return type > 0 && type < 32 ? max_per_cycle_[type] : 0; }
  // The points of an engagement type (0 = not weighted).
  double weight(int type) const { return type > 0 && type < 32 ? weights_[type] : 0; }

 private:
  struct Rule {
    lifecycle::CompiledCondition condition;
    double weight = 0;
    v1::DisqualificationReason disqualify = v1::DISQUALIFICATION_REASON_UNSPECIFIED;
  };

  v1::IcpConfig config_;
  std::vector<Rule> rules_;
  std::vector<v1::ScoreContribution> explained_;  // per rule, built once: Explain copies them
  double weights_[32] = {};                       // points by EngagementType number
  int max_per_cycle_[32] = {};
  int max_per_day_[32] = {};
  bool hand_raiser_[32] = {};
  double half_life_ms_ = 0;
};

// The predictive model, shared with reporting's trainer (services/common/lifecycle/
// scoring_model.h).
using CompiledModel = lifecycle::CompiledScoringModel;
using lifecycle::PredictiveResult;

// The total score: Σ weight × score / Σ weight over the components present (IcpConfig.blend; all
// zero = fit 0.5, engagement 0.5), clamped to 0–100.
double BlendTotal(const v1::ScoreBlend& blend, double fit, double engagement,
                  std::optional<double> predictive);

}  // namespace leadflow::qualification
