#include "services/qualification/scoring.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
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

// A number for explanations: integers plainly, others with at most 2 decimals.
std::string FormatNumber(double v) {
  char buf[32];
  if (v == std::floor(v) && std::fabs(v) < 1e15) {
    std::snprintf(buf, sizeof(buf), "%.0f", v);
  } else {
    std::snprintf(buf, sizeof(buf), "%.2f", v);
  }
  return buf;
}

const std::string& Empty() {
  static const std::string empty;
  return empty;
}

}  // namespace

enum class LeadAttribute::Kind : uint8_t {
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

std::optional<LeadAttribute> LeadAttribute::Parse(std::string_view path) {
  static const std::map<std::string, Kind, std::less<>> kKinds = {
      {"company.employee_count", Kind::kEmployeeCount},
      {"company.annual_revenue", Kind::kAnnualRevenue},
      {"company.industry", Kind::kIndustry},
      {"company.country_code", Kind::kCompanyCountry},
      {"company.region", Kind::kRegion},
      {"company.domain", Kind::kDomain},
      {"company.segment", Kind::kSegment},
      {"company.name", Kind::kCompanyName},
      {"person.seniority", Kind::kSeniority},
      {"person.department", Kind::kDepartment},
      {"person.job_title", Kind::kJobTitle},
      {"person.country_code", Kind::kPersonCountry},
      {"person.email_local_part", Kind::kEmailLocalPart},
      {"source.channel", Kind::kChannel},
      {"source.campaign_id", Kind::kCampaign},
      {"source.source_system", Kind::kSourceSystem},
  };
  LeadAttribute out;
  if (auto it = kKinds.find(path); it != kKinds.end()) {
    out.kind_ = it->second;
    return out;
  }
  constexpr std::string_view kCustomPrefix = "custom.";
  if (path.size() > kCustomPrefix.size() && path.substr(0, kCustomPrefix.size()) == kCustomPrefix) {
    out.kind_ = Kind::kCustom;
    out.custom_key_ = std::string(path.substr(kCustomPrefix.size()));
    return out;
  }
  return std::nullopt;
}

bool LeadAttribute::numeric() const {
  return kind_ == Kind::kEmployeeCount || kind_ == Kind::kAnnualRevenue;
}

absl::StatusOr<CompiledIcp> CompiledIcp::Compile(const v1::IcpConfig& icp) {
  if (std::vector<ConfigViolation> v = ValidateIcp(icp); !v.empty()) {
    return absl::InvalidArgumentError(StrCat("icp: ", v.front().path, ": ", v.front().why));
  }
  CompiledIcp out;
  out.config_ = icp;
  for (const v1::FitRule& r : icp.rules()) {
    Rule rule;
    // Validation (above) admitted only known attributes.
    rule.attr = *LeadAttribute::Parse(r.condition().attribute());
    rule.op = r.condition().op();
    for (const std::string& v : r.condition().values()) rule.values.push_back(AsciiStrToLower(v));
    if (!rule.values.empty()) rule.low = ToDouble(rule.values[0]);
    if (rule.values.size() > 1) rule.high = ToDouble(rule.values[1]);
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

AttributeValue LeadAttribute::Of(const v1::Lead& lead) const {
  double number = 0;
  bool is_number = false;
  std::string_view text;
  switch (kind_) {
    case Kind::kEmployeeCount:
      number = lead.company().employee_count();
      is_number = number > 0;  // 0 = unknown
      break;
    case Kind::kAnnualRevenue:
      is_number = lead.company().has_annual_revenue();
      number = static_cast<double>(lead.company().annual_revenue().amount_micros()) / 1e6;
      break;
    case Kind::kIndustry:
      text = lead.company().industry();
      break;
    case Kind::kCompanyCountry:
      text = lead.company().country_code();
      break;
    case Kind::kRegion:
      text = lead.company().region();
      break;
    case Kind::kDomain:
      text = lead.company().domain();
      break;
    case Kind::kSegment:
      text = lead.company().segment();
      break;
    case Kind::kCompanyName:
      text = lead.company().name();
      break;
    case Kind::kSeniority:
      text = lead.person().seniority();
      break;
    case Kind::kDepartment:
      text = lead.person().department();
      break;
    case Kind::kJobTitle:
      text = lead.person().job_title();
      break;
    case Kind::kPersonCountry:
      text = lead.person().country_code();
      break;
    case Kind::kEmailLocalPart: {
      const std::string& email = lead.email_normalized();
      text = std::string_view(email).substr(0, std::min(email.find('@'), email.size()));
      break;
    }
    case Kind::kChannel: {
      // Channel names without the enum prefix, lower-case, compared against e.g. "webinar".
      const v1::Channel c = lead.first_touch().channel();
      if (c != v1::CHANNEL_UNSPECIFIED)
        text = std::string_view(v1::Channel_Name(c)).substr(8);  // "CHANNEL_"
      break;
    }
    case Kind::kCampaign:
      text = lead.first_touch().campaign_id();
      break;
    case Kind::kSourceSystem:
      text = lead.first_touch().source_system();
      break;
    case Kind::kCustom: {
      auto it = lead.custom_attributes().find(custom_key_);
      text = it == lead.custom_attributes().end() ? std::string_view(Empty())
                                                  : std::string_view(it->second);
      break;
    }
  }
  return AttributeValue{number, is_number, text};
}

bool CompiledIcp::Matches(const Rule& rule, const v1::Lead& lead) const {
  const AttributeValue value = rule.attr.Of(lead);
  const double number = value.number;
  const bool is_number = value.is_number;
  const std::string_view text = value.text;
  const bool present = value.present();
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
        value = EqualsLower(f.attr->Of(lead).text, f.value) ? 1 : 0;
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
            ? StrCat(f.name, " (", points >= 0 ? "+" : "", FormatNumber(points), " log-odds)")
            : StrCat(f.name, " ", FormatNumber(value), " x ", FormatNumber(f.weight), " = ",
                     FormatNumber(points), " log-odds"));
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
