// DescribeConfig: the active ICP, MQL gate and model in plain words, for marketing and sales
// (QualificationService.ExplainIcp).
#include <cmath>
#include <cstdio>

#include "services/common/base/strings.h"
#include "services/common/base/words.h"
#include "services/qualification/qualifier.h"

namespace leadflow::qualification {
namespace {

std::string Duration(const google::protobuf::Duration& d) {
  const int64_t s = d.seconds();
  if (s > 0 && s % 86400 == 0) return StrCat(s / 86400, " days");
  if (s > 0 && s % 3600 == 0) return StrCat(s / 3600, " hours");
  return StrCat(s, " seconds");
}

std::string AttributeWords(const std::string& path) {
  if (StartsWith(path, "custom.")) return StrCat("custom attribute '", path.substr(7), "'");
  std::string out = path;
  for (char& c : out) {
    if (c == '.' || c == '_') c = ' ';
  }
  return out;
}

std::string List(const v1::AttributeCondition& c) {
  std::string out;
  for (int i = 0; i < c.values_size(); ++i) {
    if (i > 0) out += i + 1 == c.values_size() ? " or " : ", ";
    out += c.values(i);
  }
  return out;
}

std::string ConditionWords(const v1::AttributeCondition& c) {
  const std::string a = AttributeWords(c.attribute());
  const std::string v0 = c.values_size() > 0 ? c.values(0) : "";
  switch (c.op()) {
    case v1::MATCH_OPERATOR_EQUALS:
      return StrCat(a, " is ", v0);
    case v1::MATCH_OPERATOR_NOT_EQUALS:
      return StrCat(a, " is not ", v0);
    case v1::MATCH_OPERATOR_IN:
      return StrCat(a, " is ", List(c));
    case v1::MATCH_OPERATOR_NOT_IN:
      return StrCat(a, " is none of ", List(c));
    case v1::MATCH_OPERATOR_GREATER_THAN:
      return StrCat(a, " is above ", v0);
    case v1::MATCH_OPERATOR_GREATER_OR_EQUAL:
      return StrCat(a, " is at least ", v0);
    case v1::MATCH_OPERATOR_LESS_THAN:
      return StrCat(a, " is below ", v0);
    case v1::MATCH_OPERATOR_LESS_OR_EQUAL:
      return StrCat(a, " is at most ", v0);
    case v1::MATCH_OPERATOR_BETWEEN:
      return StrCat(a, " is from ", v0, " up to (not including) ",
                    c.values_size() > 1 ? c.values(1) : "");
    case v1::MATCH_OPERATOR_CONTAINS:
      return StrCat(a, " contains ", List(c));
    case v1::MATCH_OPERATOR_ENDS_WITH:
      return StrCat(a, " ends with ", List(c));
    case v1::MATCH_OPERATOR_EXISTS:
      return StrCat(a, " is known");
    case v1::MATCH_OPERATOR_NOT_EXISTS:
      return StrCat(a, " is unknown");
    default:
      return a;
  }
}

}  // namespace

std::string DescribeConfig(const QualificationConfig& config) {
  const v1::IcpConfig& icp = config.icp.config();
  std::string out;
  StrAppend(&out, "# ", icp.name().empty() ? "ICP" : icp.name(), " (ICP version ",
            config.icp_version, config.icp_version == 0 ? ", from the local file" : "", ")\n\n");
  if (!icp.description().empty()) StrAppend(&out, icp.description(), "\n\n");

  StrAppend(&out, "## Fit (0-100: the points of every matching rule, added up)\n\n");
  for (const v1::FitRule& r : icp.rules()) {
    const std::string what = ConditionWords(r.condition());
    if (r.disqualify() != v1::DISQUALIFICATION_REASON_UNSPECIFIED) {
      StrAppend(
          &out, "- Disqualified (",
          EnumWords(v1::DisqualificationReason_Name(r.disqualify()), "DISQUALIFICATION_REASON_"),
          ") when ", what);
    } else {
      StrAppend(&out, "- ", r.weight() >= 0 ? "+" : "", FormatNumber(r.weight(), 2),
                " points when ", what);
    }
    if (!r.description().empty()) StrAppend(&out, ": ", r.description());
    StrAppend(&out, " [", r.rule_id(), "]\n");
  }
  const v1::GradeThresholds& g = icp.grade_thresholds();
  StrAppend(&out, "\nGrades: A from ", FormatNumber(g.a_min(), 2), " fit points, B from ",
            FormatNumber(g.b_min(), 2), ", C from ", FormatNumber(g.c_min(), 2), ", D below.\n\n");

  const v1::EngagementScoring& e = icp.engagement();
  StrAppend(&out, "## Engagement (0-100; every activity's points halve every ",
            Duration(e.half_life()), ")\n\n");
  for (const v1::EngagementWeight& w : e.weights()) {
    StrAppend(&out, "- ", EnumWords(v1::EngagementType_Name(w.type()), "ENGAGEMENT_TYPE_"), ": ",
              w.points() >= 0 ? "+" : "", FormatNumber(w.points(), 2), " points");
    if (w.max_per_cycle() > 0) StrAppend(&out, ", at most ", w.max_per_cycle(), " per cycle");
    if (w.max_per_day() > 0) StrAppend(&out, ", at most ", w.max_per_day(), " per day");
    StrAppend(&out, "\n");
  }
  if (e.hand_raiser_types_size() > 0) {
    StrAppend(&out, "\nHand-raisers (can qualify on their own): ");
    for (int i = 0; i < e.hand_raiser_types_size(); ++i) {
      StrAppend(&out, i > 0 ? ", " : "",
                EnumWords(v1::EngagementType_Name(e.hand_raiser_types(i)), "ENGAGEMENT_TYPE_"));
    }
    StrAppend(&out, ".\n");
  }

  const v1::StageGate& gate = config.mql_gate;
  StrAppend(&out, "\n## Into MQL (stage model version ", config.stage_model_version, ")\n\n");
  if (gate.grade_thresholds_size() > 0) {
    for (const v1::GradeEngagementThreshold& t : gate.grade_thresholds()) {
      StrAppend(&out, "- Grade ", GradeLetter(t.grade()), " with engagement of at least ",
                FormatNumber(t.min_engagement_score(), 2), "\n");
    }
  } else if (gate.min_fit_grade() != v1::FIT_GRADE_UNSPECIFIED) {
    StrAppend(&out, "- Grade ", GradeLetter(gate.min_fit_grade()),
              " or better with engagement of at least ",
              FormatNumber(gate.min_engagement_score(), 2), "\n");
  }
  if (gate.has_min_predictive_score()) {
    StrAppend(&out, "- and, while a model is active, a predictive score of at least ",
              FormatNumber(gate.min_predictive_score(), 2), "\n");
  }
  if (gate.hand_raiser_min_fit_grade() != v1::FIT_GRADE_UNSPECIFIED) {
    StrAppend(&out, "- Or a hand-raiser of grade ", GradeLetter(gate.hand_raiser_min_fit_grade()),
              " or better\n");
  }
  StrAppend(&out, "- A matching disqualification rule sends the lead to DISQUALIFIED instead\n");

  const v1::ScoreBlend& b = icp.blend();
  const bool default_blend =
      b.fit_weight() == 0 && b.engagement_weight() == 0 && b.predictive_weight() == 0;
  StrAppend(&out, "\n## Total score\n\n",
            default_blend ? std::string("Fit and engagement, half each.")
                          : StrCat("Weighted mean: fit ", FormatNumber(b.fit_weight(), 2),
                                   ", engagement ", FormatNumber(b.engagement_weight(), 2),
                                   ", predictive ", FormatNumber(b.predictive_weight(), 2),
                                   " (predictive only while a model is active)."),
            "\n\n## Predictive model\n\n");
  if (config.model.has_value()) {
    StrAppend(&out, "Active: ", config.model->version(), " (config version ",
              config.model_config_version, ").\n");
  } else {
    StrAppend(&out, "None active: scores have no predictive part.\n");
  }
  return out;
}

}  // namespace leadflow::qualification
