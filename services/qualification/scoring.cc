#include "services/qualification/scoring.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <map>

#include "services/common/base/strings.h"
#include "services/qualification/icp_config.h"

namespace leadflow::qualification {
namespace {

char Lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

// `text` equals `lower` (already lower-case), ignoring ASCII case.
bool EqualsLower(std::string_view text, std::string_view lower) {
  if (text.size() != lower.size()) return false;
  for (size_t i = 0; i < text.size(); ++i) {
    if (Lower(text[i]) != lower[i]) return false;
  }
  return true;
}

bool ContainsLower(std::string_view text, std::string_view lower) {
  if (lower.empty()) return true;
  if (text.size() < lower.size()) return false;
  for (size_t i = 0; i + lower.size() <= text.size(); ++i) {
    size_t k = 0;
    while (k < lower.size() && Lower(text[i + k]) == lower[k]) ++k;
    if (k == lower.size()) return true;
  }
  return false;
}

bool EndsWithLower(std::string_view text, std::string_view lower) {
  return text.size() >= lower.size() && EqualsLower(text.substr(text.size() - lower.size()), lower);
}

double ToDouble(const std::string& s) {
  double v = 0;
  std::from_chars(s.data(), s.data() + s.size(), v);
  return v;
}

const std::string& Empty() {
  static const std::string empty;
  return empty;
}

}  // namespace

enum class CompiledIcp::Attr : uint8_t {
  kEmployeeCount,
  kAnnualRevenue,
  kIndustry,
  kCompanyCountry,
  kRegion,
  kDomain,
  kSegment,
  kCompanyName,
  kSeniority,
  kDepartment,
  kJobTitle,
  kPersonCountry,
  kEmailLocalPart,
  kChannel,
  kCampaign,
  kSourceSystem,
  kCustom,
};

absl::StatusOr<CompiledIcp> CompiledIcp::Compile(const v1::IcpConfig& icp) {
  if (std::vector<ConfigViolation> v = ValidateIcp(icp); !v.empty()) {
    return absl::InvalidArgumentError(StrCat("icp: ", v.front().path, ": ", v.front().why));
  }
  static const std::map<std::string, Attr, std::less<>> kAttrs = {
      {"company.employee_count", Attr::kEmployeeCount},
      {"company.annual_revenue", Attr::kAnnualRevenue},
      {"company.industry", Attr::kIndustry},
      {"company.country_code", Attr::kCompanyCountry},
      {"company.region", Attr::kRegion},
      {"company.domain", Attr::kDomain},
      {"company.segment", Attr::kSegment},
      {"company.name", Attr::kCompanyName},
      {"person.seniority", Attr::kSeniority},
      {"person.department", Attr::kDepartment},
      {"person.job_title", Attr::kJobTitle},
      {"person.country_code", Attr::kPersonCountry},
      {"person.email_local_part", Attr::kEmailLocalPart},
      {"source.channel", Attr::kChannel},
      {"source.campaign_id", Attr::kCampaign},
      {"source.source_system", Attr::kSourceSystem},
  };
  CompiledIcp out;
  out.config_ = icp;
  for (const v1::FitRule& r : icp.rules()) {
    Rule rule;
    const std::string& a = r.condition().attribute();
    if (auto it = kAttrs.find(a); it != kAttrs.end()) {
      rule.attr = it->second;
    } else {
      rule.attr = Attr::kCustom;
      rule.custom_key = a.substr(7);  // "custom."
    }
    rule.op = r.condition().op();
    for (const std::string& v : r.condition().values()) rule.values.push_back(AsciiStrToLower(v));
    if (!rule.values.empty()) rule.low = ToDouble(rule.values[0]);
    if (rule.values.size() > 1) rule.high = ToDouble(rule.values[1]);
    rule.weight = r.weight();
    rule.disqualify = r.disqualify();
    out.rules_.push_back(std::move(rule));
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

bool CompiledIcp::Matches(const Rule& rule, const v1::Lead& lead) const {
  // The attribute: a number, or a string (by reference; nothing is copied).
  double number = 0;
  bool is_number = false;
  std::string_view text;
  switch (rule.attr) {
    case Attr::kEmployeeCount:
      number = lead.company().employee_count();
      is_number = number > 0;  // 0 = unknown
      break;
    case Attr::kAnnualRevenue:
      is_number = lead.company().has_annual_revenue();
      number = static_cast<double>(lead.company().annual_revenue().amount_micros()) / 1e6;
      break;
    case Attr::kIndustry:
      text = lead.company().industry();
      break;
    case Attr::kCompanyCountry:
      text = lead.company().country_code();
      break;
    case Attr::kRegion:
      text = lead.company().region();
      break;
    case Attr::kDomain:
      text = lead.company().domain();
      break;
    case Attr::kSegment:
      text = lead.company().segment();
      break;
    case Attr::kCompanyName:
      text = lead.company().name();
      break;
    case Attr::kSeniority:
      text = lead.person().seniority();
      break;
    case Attr::kDepartment:
      text = lead.person().department();
      break;
    case Attr::kJobTitle:
      text = lead.person().job_title();
      break;
    case Attr::kPersonCountry:
      text = lead.person().country_code();
      break;
    case Attr::kEmailLocalPart: {
      const std::string& email = lead.email_normalized();
      text = std::string_view(email).substr(0, std::min(email.find('@'), email.size()));
      break;
    }
    case Attr::kChannel: {
      // Channel names without the enum prefix, lower-case, compared against e.g. "webinar".
      const v1::Channel c = lead.first_touch().channel();
      if (c != v1::CHANNEL_UNSPECIFIED)
        text = std::string_view(v1::Channel_Name(c)).substr(8);  // "CHANNEL_"
      break;
    }
    case Attr::kCampaign:
      text = lead.first_touch().campaign_id();
      break;
    case Attr::kSourceSystem:
      text = lead.first_touch().source_system();
      break;
    case Attr::kCustom: {
      auto it = lead.custom_attributes().find(rule.custom_key);
      text = it == lead.custom_attributes().end() ? std::string_view(Empty())
                                                  : std::string_view(it->second);
      break;
    }
  }
  const bool present = is_number || !text.empty();
  switch (rule.op) {
    case v1::MATCH_OPERATOR_EXISTS:
      return present;
    case v1::MATCH_OPERATOR_NOT_EXISTS:
      return !present;
    case v1::MATCH_OPERATOR_GREATER_THAN:
      return is_number && number > rule.low;
    case v1::MATCH_OPERATOR_GREATER_OR_EQUAL:
      return is_number && number >= rule.low;
    case v1::MATCH_OPERATOR_LESS_THAN:
      return is_number && number < rule.low;
    case v1::MATCH_OPERATOR_LESS_OR_EQUAL:
      return is_number && number <= rule.low;
    case v1::MATCH_OPERATOR_BETWEEN:
      return is_number && number >= rule.low && number < rule.high;
    default:
      break;
  }
  if (!present)
    return rule.op == v1::MATCH_OPERATOR_NOT_EQUALS || rule.op == v1::MATCH_OPERATOR_NOT_IN;
  if (is_number) return false;  // string operators on numbers are rejected by validation
  switch (rule.op) {
    case v1::MATCH_OPERATOR_EQUALS:
      return EqualsLower(text, rule.values[0]);
    case v1::MATCH_OPERATOR_NOT_EQUALS:
      return !EqualsLower(text, rule.values[0]);
    case v1::MATCH_OPERATOR_IN:
      return std::any_of(rule.values.begin(), rule.values.end(),
                         [&](const std::string& v) { return EqualsLower(text, v); });
    case v1::MATCH_OPERATOR_NOT_IN:
      return std::none_of(rule.values.begin(), rule.values.end(),
                          [&](const std::string& v) { return EqualsLower(text, v); });
    case v1::MATCH_OPERATOR_CONTAINS:
      return std::any_of(rule.values.begin(), rule.values.end(),
                         [&](const std::string& v) { return ContainsLower(text, v); });
    case v1::MATCH_OPERATOR_ENDS_WITH:
      return std::any_of(rule.values.begin(), rule.values.end(),
                         [&](const std::string& v) { return EndsWithLower(text, v); });
    default:
      return false;
  }
}

FitResult CompiledIcp::ScoreFit(const v1::Lead& lead) const {
  FitResult out;
  double sum = 0;
  for (size_t i = 0; i < rules_.size(); ++i) {
    const Rule& rule = rules_[i];
    if (!Matches(rule, lead)) continue;
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
                                              int64_t now_ms) const {
  EngagementResult out;
  out.points.reserve(engagements.size());
  int per_cycle[32] = {};
  int per_day[32] = {};
  int64_t day_of[32];
  std::fill(std::begin(day_of), std::end(day_of), INT64_MIN);
  double sum = 0;
  for (const EngagementFact& e : engagements) {
    const int t = static_cast<int>(e.type);
    if (t <= 0 || t >= 32) {
      out.points.push_back(0);
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
      continue;
    }
    ++per_cycle[t];  // only counted occurrences use up a cap
    ++per_day[t];
    // Exponential decay by age; an engagement "from the future" (clock skew) counts in full.
    const double age_ms = std::max<double>(0, static_cast<double>(now_ms - e.occurred_ms));
    const double points =
        half_life_ms_ > 0 ? weights_[t] * std::exp2(-age_ms / half_life_ms_) : weights_[t];
    out.points.push_back(points);
    sum += points;
  }
  out.score = std::clamp(sum, 0.0, 100.0);
  return out;
}

std::vector<v1::ScoreContribution> CompiledIcp::Explain(const FitResult& result) const {
  std::vector<v1::ScoreContribution> out;
  for (int i : result.matched) {
    const v1::FitRule& r = config_.rules(i);
    v1::ScoreContribution c;
    c.set_component(v1::SCORE_COMPONENT_FIT);
    c.set_rule_id(r.rule_id());
    c.set_points(r.disqualify() != v1::DISQUALIFICATION_REASON_UNSPECIFIED ? 0 : r.weight());
    c.mutable_reason()->set_code(StrCat("fit.", r.rule_id()));
    c.mutable_reason()->set_text(r.description().empty() ? r.rule_id() : r.description());
    out.push_back(std::move(c));
  }
  return out;
}

}  // namespace leadflow::qualification
