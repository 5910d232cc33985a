#include "services/qualification/icp_config.h"

#include <charconv>
#include <cmath>

#include "services/common/base/strings.h"

namespace leadflow::qualification {
namespace {

bool IsNumber(const std::string& s) {
  double v = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  return ec == std::errc() && ptr == s.data() + s.size() && std::isfinite(v);
}

bool IsRuleId(const std::string& id) {
  if (id.empty() || id.size() > 64) return false;
  for (char c : id) {
    const bool ok =
        (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
    if (!ok) return false;
  }
  return true;
}

}  // namespace

const std::set<std::string, std::less<>>& IcpAttributes() {
  static const std::set<std::string, std::less<>> attributes = {
      "company.employee_count",  "company.annual_revenue", "company.industry",
      "company.country_code",    "company.region",         "company.domain",
      "company.segment",         "company.name",           "person.seniority",
      "person.department",       "person.job_title",       "person.country_code",
      "person.email_local_part", "source.channel",         "source.campaign_id",
      "source.source_system",
  };
  return attributes;
}

bool IsNumericAttribute(std::string_view attribute) {
  return attribute == "company.employee_count" || attribute == "company.annual_revenue";
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
    if (!IsRuleId(r.rule_id())) {
      add(at + ".rule_id", "is required: 1-64 of a-z, 0-9, '_', '.', '-'");
    } else if (!ids.insert(r.rule_id()).second) {
      add(at + ".rule_id", StrCat("'", r.rule_id(), "' is used by an earlier rule"));
    }
    if (!r.has_condition()) {
      add(at + ".condition", "is required");
      continue;
    }
    const v1::AttributeCondition& c = r.condition();
    const bool custom = StartsWith(c.attribute(), "custom.") && c.attribute().size() > 7;
    if (!custom && IcpAttributes().count(c.attribute()) == 0) {
      std::string known;
      for (const auto& a : IcpAttributes()) StrAppend(&known, known.empty() ? "" : ", ", a);
      add(at + ".condition.attribute",
          StrCat("unknown attribute '", c.attribute(), "' (one of ", known, ", custom.<key>)"));
    }
    const int n = c.values_size();
    const v1::MatchOperator op = c.op();
    size_t want_min = 1;
    size_t want_max = 1;
    bool numeric = false;
    switch (op) {
      case v1::MATCH_OPERATOR_UNSPECIFIED:
        add(at + ".condition.op", "is required");
        break;
      case v1::MATCH_OPERATOR_EXISTS:
      case v1::MATCH_OPERATOR_NOT_EXISTS:
        want_min = want_max = 0;
        break;
      case v1::MATCH_OPERATOR_IN:
      case v1::MATCH_OPERATOR_NOT_IN:
      case v1::MATCH_OPERATOR_ENDS_WITH:
        want_max = SIZE_MAX;
        break;
      case v1::MATCH_OPERATOR_BETWEEN:
        want_min = want_max = 2;
        numeric = true;
        break;
      case v1::MATCH_OPERATOR_GREATER_THAN:
      case v1::MATCH_OPERATOR_GREATER_OR_EQUAL:
      case v1::MATCH_OPERATOR_LESS_THAN:
      case v1::MATCH_OPERATOR_LESS_OR_EQUAL:
        numeric = true;
        break;
      default:
        break;
    }
    if (op != v1::MATCH_OPERATOR_UNSPECIFIED &&
        (static_cast<size_t>(n) < want_min || static_cast<size_t>(n) > want_max)) {
      add(at + ".condition.values",
          want_min == want_max
              ? StrCat("this operator takes ", want_min, " value(s), got ", n)
              : StrCat("this operator takes at least ", want_min, " value(s), got ", n));
    }
    if (numeric) {
      if (!custom && !IsNumericAttribute(c.attribute()) &&
          IcpAttributes().count(c.attribute()) != 0) {
        add(at + ".condition.op",
            StrCat("a numeric comparison on '", c.attribute(), "', which is not a number"));
      }
      for (int k = 0; k < n; ++k) {
        if (!IsNumber(c.values(k)))
          add(StrCat(at, ".condition.values[", k, "]"),
              StrCat("'", c.values(k), "' is not a number"));
      }
      if (op == v1::MATCH_OPERATOR_BETWEEN && n == 2 && IsNumber(c.values(0)) &&
          IsNumber(c.values(1)) && std::stod(c.values(0)) >= std::stod(c.values(1))) {
        add(at + ".condition.values", "between needs a lower bound below the upper bound");
      }
    }
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
