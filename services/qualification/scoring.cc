#include "services/qualification/scoring.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <map>

#include "services/common/base/strings.h"
#include "services/common/base/words.h"
#include "services/qualification/icp_config.h"

namespace leadflow::qualification {
absl::StatusOr<CompiledIcp> CompiledIcp::Compile(const v1::IcpConfig& icp) {
  if (std::vector<ConfigViolation> v = ValidateIcp(icp); !v.empty()) {
    return absl::InvalidArgumentError(StrCat("icp: ", v.front().path, ": ", v.front().why));
  }
  CompiledIcp out;
  out.config_ = icp;
  for (const v1::FitRule& r : icp.rules()) {
    Rule rule;
    rule.condition = lifecycle::CompiledCondition::Compile(r.condition());  // validated above
    rule.weight = r.weight();
    rule.disqualify = r.disqualify();
    out.rules_.push_back(std::move(rule));
    v1::ScoreContribution c;
    c.set_component(v1::SCORE_COMPONENT_FIT);
    c.set_rule_id(r.rule_id());
    c.set_points(r.disqualify() != v1::DISQUALIFICATION_REASON_UNSPECIFIED ? 0 : r.weight());
    c.mutable_reason()->set_code(StrCat("fit.", r.rule_id()));
    c.mutable_reason()->set_text(r.description().empty() ? r.rule_id() : r.description());
    out.explained_.push_back(std::move(c));
  }
  for (const v1::EngagementWeight& w : icp.engagement().weights()) {
    const int t = static_cast<int>(w.type());
    if (t < 0 || t >= 32) continue;
    out.weights_[t] = w.points();
    out.max_per_cycle_[t] = w.max_per_cycle();
    out.max_per_day_[t] = w.max_per_day();
  }
  for (int t : icp.engagement().hand_raiser_types()) {
    if (t >= 0 && t < 32) out.hand_raiser_[t] = true;
  }
  out.half_life_ms_ = static_cast<double>(icp.engagement().half_life().seconds()) * 1000.0 +
                      icp.engagement().half_life().nanos() / 1e6;
  return out;
}

FitResult CompiledIcp::ScoreFit(const v1::Lead& lead) const {
  FitResult out;
  double sum = 0;
  for (size_t i = 0; i < rules_.size(); ++i) {
    const Rule& rule = rules_[i];
    if (!rule.condition.Matches(lead)) continue;
    out.matched.push_back(static_cast<int>(i));
    if (rule.disqualify != v1::DISQUALIFICATION_REASON_UNSPECIFIED) {
      out.disqualified_by = static_cast<int>(i);
      break;  // disqualification ends the scoring
    }
    sum += rule.weight;
  }
  out.score = std::clamp(sum, 0.0, 100.0);
  const v1::GradeThresholds& g = config_.grade_thresholds();
  out.grade = out.score >= g.a_min()   ? v1::FIT_GRADE_A
              : out.score >= g.b_min() ? v1::FIT_GRADE_B
              : out.score >= g.c_min() ? v1::FIT_GRADE_C
                                       : v1::FIT_GRADE_D;
  return out;
}

EngagementResult CompiledIcp::ScoreEngagement(const std::vector<EngagementFact>& engagements,
                                              int64_t now_ms, const CapsUsed* caps_used) const {
  EngagementResult out;
  out.points.reserve(engagements.size());
  out.counted.reserve(engagements.size());
  int per_cycle[32] = {};
  if (caps_used != nullptr) std::copy(caps_used->begin(), caps_used->end(), per_cycle);
  int per_day[32] = {};
  int64_t day_of[32];
  std::fill(std::begin(day_of), std::end(day_of), INT64_MIN);
  double sum = 0;
  for (const EngagementFact& e : engagements) {
    const int t = static_cast<int>(e.type);
    if (t <= 0 || t >= 32) {
      out.points.push_back(0);
      out.counted.push_back(false);
      continue;
    }
    out.hand_raiser = out.hand_raiser || hand_raiser_[t];
    const int64_t day =
        e.occurred_ms >= 0 ? e.occurred_ms / 86'400'000 : (e.occurred_ms - 86'399'999) / 86'400'000;
    if (day != day_of[t]) {
      day_of[t] = day;
      per_day[t] = 0;
    }
    const bool capped = (max_per_cycle_[t] > 0 && per_cycle[t] >= max_per_cycle_[t]) ||
                        (max_per_day_[t] > 0 && per_day[t] >= max_per_day_[t]);
    if (capped || weights_[t] == 0) {
      out.points.push_back(0);
      out.counted.push_back(false);
      continue;
    }
    ++per_cycle[t];  // only counted occurrences use up a cap
    ++per_day[t];
    // Exponential decay by age; an engagement "from the future" (clock skew) counts in full.
    const double age_ms = std::max<double>(0, static_cast<double>(now_ms - e.occurred_ms));
    const double points =
        half_life_ms_ > 0 ? weights_[t] * std::exp2(-age_ms / half_life_ms_) : weights_[t];
    out.points.push_back(points);
    out.counted.push_back(true);
    sum += points;
  }
  out.score = std::clamp(sum, 0.0, 100.0);
  return out;
}

std::vector<v1::ScoreContribution> CompiledIcp::Explain(const FitResult& result) const {
  std::vector<v1::ScoreContribution> out;
  out.reserve(result.matched.size());
  for (int i : result.matched) out.push_back(explained_[static_cast<size_t>(i)]);
  return out;
}

double BlendTotal(const v1::ScoreBlend& blend, double fit, double engagement,
                  std::optional<double> predictive) {
  double wf = blend.fit_weight();
  double we = blend.engagement_weight();
  double wp = blend.predictive_weight();
  if (!predictive.has_value()) wp = 0;
  if (wf == 0 && we == 0 && wp == 0) {  // unset, or only predictive and no model: half each
    wf = 0.5;
    we = 0.5;
  }
  const double sum = wf + we + wp;
  if (sum <= 0) return 0;
  return std::clamp((wf * fit + we * engagement + wp * predictive.value_or(0)) / sum, 0.0, 100.0);
}

}  // namespace leadflow::qualification
