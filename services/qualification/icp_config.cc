#include "services/qualification/icp_config.h"

#include <charconv>
#include <cmath>

#include "services/common/base/strings.h"
#include "services/common/lifecycle/conditions.h"

namespace leadflow::qualification {

const std::set<std::string, std::less<>>& IcpAttributes() {
  return lifecycle::ConditionAttributes();
}

std::vector<ConfigViolation> ValidateIcp(const v1::IcpConfig& icp) {
  std::vector<ConfigViolation> out;
  auto add = [&](std::string path, std::string why) {
    out.push_back({std::move(path), std::move(why)});
  };
  if (icp.name().empty()) add("name", "is required");
  std::set<std::string> ids;
  for (int i = 0; i < icp.rules_size(); ++i) {
    const v1::FitRule& r = icp.rules(i);
    const std::string at = StrCat("rules[", i, "]");
    if (!lifecycle::IsConfigId(r.rule_id())) {
      add(at + ".rule_id", "is required: 1-64 of a-z, 0-9, '_', '.', '-'");
    } else if (!ids.insert(r.rule_id()).second) {
      add(at + ".rule_id", StrCat("'", r.rule_id(), "' is used by an earlier rule"));
    }
    if (!r.has_condition()) {
      add(at + ".condition", "is required");
      continue;
    }
    lifecycle::ValidateCondition(r.condition(), at + ".condition", &out);
    if (r.disqualify() != v1::DISQUALIFICATION_REASON_UNSPECIFIED && r.weight() != 0) {
      add(at + ".weight", "a disqualifying rule has no weight (it ends the scoring)");
    }
    if (r.weight() < -100 || r.weight() > 100) add(at + ".weight", "must be within [-100, 100]");
  }
  const v1::GradeThresholds& g = icp.grade_thresholds();
  if (!icp.has_grade_thresholds()) {
    add("grade_thresholds", "is required");
  } else if (!(0 <= g.c_min() && g.c_min() <= g.b_min() && g.b_min() <= g.a_min() &&
               g.a_min() <= 100)) {
    add("grade_thresholds", "must satisfy 0 <= c_min <= b_min <= a_min <= 100");
  }
  const v1::EngagementScoring& e = icp.engagement();
  if (!e.has_half_life() || e.half_life().seconds() <= 0)
    add("engagement.half_life", "is required and positive");
  std::set<int> types;
  for (int i = 0; i < e.weights_size(); ++i) {
    const std::string at = StrCat("engagement.weights[", i, "]");
    const v1::EngagementWeight& w = e.weights(i);
    if (w.type() == v1::ENGAGEMENT_TYPE_UNSPECIFIED) {
      add(at + ".type", "is required");
    } else if (!types.insert(w.type()).second) {
      add(at + ".type", "is listed twice");
    }
    if (w.points() < -100 || w.points() > 100) add(at + ".points", "must be within [-100, 100]");
    if (w.max_per_cycle() < 0) add(at + ".max_per_cycle", "must not be negative");
    if (w.max_per_day() < 0) add(at + ".max_per_day", "must not be negative");
  }
  std::set<int> raisers;
  for (int i = 0; i < e.hand_raiser_types_size(); ++i) {
    if (!raisers.insert(e.hand_raiser_types(i)).second) {
      add(StrCat("engagement.hand_raiser_types[", i, "]"), "is listed twice");
    }
  }
  const v1::ScoreBlend& b = icp.blend();
  for (const auto& [field, weight] : {std::pair<const char*, double>{"fit_weight", b.fit_weight()},
                                      {"engagement_weight", b.engagement_weight()},
                                      {"predictive_weight", b.predictive_weight()}}) {
    if (!(weight >= 0 && weight <= 1)) add(StrCat("blend.", field), "must be within [0, 1]");
  }
  return out;
}

absl::StatusOr<v1::IcpConfig> LoadIcpFile(const std::string& path) {
  v1::IcpConfig icp;
  if (absl::Status s = config::LoadValidatedYamlFile(path, &icp, [&] { return ValidateIcp(icp); });
      !s.ok()) {
    return s;
  }
  return icp;
}

}  // namespace leadflow::qualification
