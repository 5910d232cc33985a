#include "services/common/lifecycle/conditions.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <map>

#include "services/common/base/strings.h"

namespace leadflow::lifecycle {
namespace {

char Lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

bool EqualsLowerImpl(std::string_view text, std::string_view lower) {
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
  return text.size() >= lower.size() &&
         EqualsLowerImpl(text.substr(text.size() - lower.size()), lower);
}

double ToDouble(const std::string& s) {
  double v = 0;
  std::from_chars(s.data(), s.data() + s.size(), v);
  return v;
}

bool IsNumber(const std::string& s) {
  double v = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  return ec == std::errc() && ptr == s.data() + s.size() && std::isfinite(v);
}

const std::string& Empty() {
  static const std::string empty;
  return empty;
}

}  // namespace

bool EqualsLower(std::string_view text, std::string_view lower) {
  return EqualsLowerImpl(text, lower);
}

bool IsConfigId(std::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  return std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
  });
}

const std::set<std::string, std::less<>>& ConditionAttributes() {
  static const std::set<std::string, std::less<>> attributes = {
      "company.employee_count",  "company.annual_revenue", "company.industry",
      "company.country_code",    "company.region",         "company.domain",
      "company.segment",         "company.name",           "person.seniority",
      "person.department",       "person.job_title",       "person.country_code",
      "person.email_local_part", "source.channel",         "source.campaign_id",
      "source.source_system",    "score.fit_grade",
  };
  return attributes;
}

bool IsNumericAttribute(std::string_view attribute) {
  return attribute == "company.employee_count" || attribute == "company.annual_revenue";
}

void ValidateCondition(const v1::AttributeCondition& c, const std::string& at,
                       std::vector<config::ConfigViolation>* out) {
  auto add = [&](std::string path, std::string why) {
    out->push_back({std::move(path), std::move(why)});
  };
  const bool custom = StartsWith(c.attribute(), "custom.") && c.attribute().size() > 7;
  if (!custom && ConditionAttributes().count(c.attribute()) == 0) {
    std::string known;
    for (const auto& a : ConditionAttributes()) StrAppend(&known, known.empty() ? "" : ", ", a);
    add(at + ".attribute",
        StrCat("unknown attribute '", c.attribute(), "' (one of ", known, ", custom.<key>)"));
  }
  const int n = c.values_size();
  const v1::MatchOperator op = c.op();
  size_t want_min = 1;
  size_t want_max = 1;
  bool numeric = false;
  switch (op) {
    case v1::MATCH_OPERATOR_UNSPECIFIED:
      add(at + ".op", "is required");
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
    add(at + ".values",
        want_min == want_max
            ? StrCat("this operator takes ", want_min, " value(s), got ", n)
            : StrCat("this operator takes at least ", want_min, " value(s), got ", n));
  }
  if (numeric) {
    if (!custom && !IsNumericAttribute(c.attribute()) &&
        ConditionAttributes().count(c.attribute()) != 0) {
      add(at + ".op",
          StrCat("a numeric comparison on '", c.attribute(), "', which is not a number"));
    }
    for (int k = 0; k < n; ++k) {
      if (!IsNumber(c.values(k)))
        add(StrCat(at, ".values[", k, "]"), StrCat("'", c.values(k), "' is not a number"));
    }
    if (op == v1::MATCH_OPERATOR_BETWEEN && n == 2 && IsNumber(c.values(0)) &&
        IsNumber(c.values(1)) && std::stod(c.values(0)) >= std::stod(c.values(1))) {
      add(at + ".values", "between needs a lower bound below the upper bound");
    }
  }
}

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
  kFitGrade,
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
      {"score.fit_grade", Kind::kFitGrade},
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
    case Kind::kFitGrade: {
      // "A" … "D" (compared case-insensitively); absent when not graded.
      static constexpr std::string_view kGrades[] = {"", "A", "B", "C", "D"};
      const int g = lead.score().fit_grade();
      if (g > 0 && g < 5) text = kGrades[g];
      break;
    }
    case Kind::kChannel: {
      // Channel names without the enum prefix, lower-case, compared against e.g. "webinar".
      // A channel number this build does not know (a newer producer) has no name: no value.
      const std::string_view name = v1::Channel_Name(lead.first_touch().channel());
      constexpr std::string_view kPrefix = "CHANNEL_";
      if (name.size() > kPrefix.size() && name != "CHANNEL_UNSPECIFIED") {
        text = name.substr(kPrefix.size());
      }
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

CompiledCondition CompiledCondition::Compile(const v1::AttributeCondition& c) {
  CompiledCondition out;
  out.attr_ = LeadAttribute::Parse(c.attribute());
  out.op_ = c.op();
  for (const std::string& v : c.values()) out.values_.push_back(AsciiStrToLower(v));
  if (!out.values_.empty()) out.low_ = ToDouble(out.values_[0]);
  if (out.values_.size() > 1) out.high_ = ToDouble(out.values_[1]);
  return out;
}

bool CompiledCondition::Matches(const v1::Lead& lead) const {
  if (!attr_.has_value()) return false;
  const AttributeValue value = attr_->Of(lead);
  const double number = value.number;
  const bool is_number = value.is_number;
  const std::string_view text = value.text;
  const bool present = value.present();
  switch (op_) {
    case v1::MATCH_OPERATOR_EXISTS:
      return present;
    case v1::MATCH_OPERATOR_NOT_EXISTS:
      return !present;
    case v1::MATCH_OPERATOR_GREATER_THAN:
      return is_number && number > low_;
    case v1::MATCH_OPERATOR_GREATER_OR_EQUAL:
      return is_number && number >= low_;
    case v1::MATCH_OPERATOR_LESS_THAN:
      return is_number && number < low_;
    case v1::MATCH_OPERATOR_LESS_OR_EQUAL:
      return is_number && number <= low_;
    case v1::MATCH_OPERATOR_BETWEEN:
      return is_number && number >= low_ && number < high_;
    default:
      break;
  }
  if (!present) return op_ == v1::MATCH_OPERATOR_NOT_EQUALS || op_ == v1::MATCH_OPERATOR_NOT_IN;
  if (is_number) return false;  // string operators on numbers are rejected by validation
  switch (op_) {
    case v1::MATCH_OPERATOR_EQUALS:
      return EqualsLowerImpl(text, values_[0]);
    case v1::MATCH_OPERATOR_NOT_EQUALS:
      return !EqualsLowerImpl(text, values_[0]);
    case v1::MATCH_OPERATOR_IN:
      return std::any_of(values_.begin(), values_.end(),
                         [&](const std::string& v) { return EqualsLowerImpl(text, v); });
    case v1::MATCH_OPERATOR_NOT_IN:
      return std::none_of(values_.begin(), values_.end(),
                          [&](const std::string& v) { return EqualsLowerImpl(text, v); });
    case v1::MATCH_OPERATOR_CONTAINS:
      return std::any_of(values_.begin(), values_.end(),
                         [&](const std::string& v) { return ContainsLower(text, v); });
    case v1::MATCH_OPERATOR_ENDS_WITH:
      return std::any_of(values_.begin(), values_.end(),
                         [&](const std::string& v) { return EndsWithLower(text, v); });
    default:
      return false;
  }
}

}  // namespace leadflow::lifecycle
