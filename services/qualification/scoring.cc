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

absl::StatusOr<CompiledModel> CompiledModel::Compile(const v1::ScoringModel& model) {
  CompiledModel out;
  out.version_ = model.model_version();
  out.intercept_ = model.intercept();
  if (!std::isfinite(out.intercept_)) {
    return absl::InvalidArgumentError("scoring_model.intercept: is not a finite number");
  }
  for (int i = 0; i < model.features_size(); ++i) {
    const v1::FeatureWeight& fw = model.features(i);
    Feature f;
    f.name = fw.feature();
    f.weight = fw.weight();
    const std::string where = StrCat("scoring_model.features[", i, "] '", fw.feature(), "'");
    if (!std::isfinite(f.weight)) {
      return absl::InvalidArgumentError(StrCat(where, ": weight is not a finite number"));
    }
    const std::string_view name = fw.feature();
    const size_t eq = name.find('=');
    if (name == "fit_score") {
      f.kind = Feature::Kind::kFitScore;
    } else if (name == "engagement_score") {
      f.kind = Feature::Kind::kEngagementScore;
    } else if (eq == std::string_view::npos) {
      f.attr = LeadAttribute::Parse(name);
      if (!f.attr.has_value() || !f.attr->numeric()) {
        return absl::InvalidArgumentError(
            StrCat(where,
                   ": not fit_score, engagement_score, a numeric attribute or "
                   "<attribute>=<value>"));
      }
      f.kind = Feature::Kind::kNumber;
    } else if (name.substr(0, eq) == "fit_grade") {
      const std::string grade = AsciiStrToUpper(name.substr(eq + 1));
      v1::FitGrade g = v1::FIT_GRADE_UNSPECIFIED;
      if (grade.size() != 1 || !v1::FitGrade_Parse(StrCat("FIT_GRADE_", grade), &g)) {
        return absl::InvalidArgumentError(StrCat(where, ": fit_grade must be A, B, C or D"));
      }
      f.kind = Feature::Kind::kGrade;
      f.grade = g;
    } else {
      f.attr = LeadAttribute::Parse(name.substr(0, eq));
      if (!f.attr.has_value() || f.attr->numeric()) {
        return absl::InvalidArgumentError(StrCat(where, ": unknown text attribute"));
      }
      f.kind = Feature::Kind::kEquals;
      f.value = AsciiStrToLower(name.substr(eq + 1));
      if (name.substr(0, eq) == "source.channel" && StartsWith(f.value, "channel_")) {
        f.value = f.value.substr(8);
      }
    }
    out.features_.push_back(std::move(f));
  }
  return out;
}

PredictiveResult CompiledModel::Predict(const v1::Lead& lead, const FitResult& fit,
                                        double engagement_score, bool explain) const {
  PredictiveResult out;
  double logit = intercept_;
  for (const Feature& f : features_) {
    double value = 0;
    switch (f.kind) {
      case Feature::Kind::kFitScore:
        value = fit.score;
        break;
      case Feature::Kind::kEngagementScore:
        value = engagement_score;
        break;
      case Feature::Kind::kNumber: {
        const AttributeValue v = f.attr->Of(lead);
        value = v.is_number ? v.number : 0;
        break;
      }
      case Feature::Kind::kEquals:
        value = lifecycle::EqualsLower(f.attr->Of(lead).text, f.value) ? 1 : 0;
        break;
      case Feature::Kind::kGrade:
        value = fit.grade == f.grade ? 1 : 0;
        break;
    }
    if (value == 0) continue;
    const double points = f.weight * value;
    logit += points;
    if (!explain) continue;
    v1::ScoreContribution c;
    c.set_component(v1::SCORE_COMPONENT_PREDICTIVE);
    c.set_rule_id(f.name);
    c.set_points(points);
    c.mutable_reason()->set_code(StrCat("model.", f.name));
    c.mutable_reason()->set_text(
        f.kind == Feature::Kind::kEquals || f.kind == Feature::Kind::kGrade
            ? StrCat(f.name, " (", points >= 0 ? "+" : "", FormatNumber(points, 2), " log-odds)")
            : StrCat(f.name, " ", FormatNumber(value, 2), " x ", FormatNumber(f.weight, 2), " = ",
                     FormatNumber(points, 2), " log-odds"));
    out.contributions.push_back(std::move(c));
  }
  out.score = 100.0 / (1.0 + std::exp(-logit));
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
