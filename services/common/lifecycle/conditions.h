// Attribute conditions on a lead, as the ICP's fit rules and routing's rules write them
// ({attribute: company.country_code, op: in, values: [DE, FR]}): the attributes a condition may
// name, their validation with field paths, and a compiled form that matches a lead without copying
// or allocating. Pure; shared by qualification and handoff.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "leadflow/v1/config.pb.h"
#include "leadflow/v1/lead.pb.h"
#include "services/common/config/proto_yaml.h"

namespace leadflow::lifecycle {

// The attribute paths a condition may name besides "custom.<key>".
const std::set<std::string, std::less<>>& ConditionAttributes();
bool IsNumericAttribute(std::string_view attribute);

// Adds what is wrong with `c` to `out`, each under `at` ("rules[3].condition"): a known attribute,
// an operator, operand counts and number formats per operator, numeric operators only on numbers,
// between's bounds in order.
void ValidateCondition(const v1::AttributeCondition& c, const std::string& at,
                       std::vector<config::ConfigViolation>* out);

// The value of one attribute of a lead: a number, or a string (a view into the lead).
struct AttributeValue {
  double number = 0;
  bool is_number = false;
  std::string_view text;
  bool present() const { return is_number || !text.empty(); }
};

// An attribute of a lead as conditions and model features name it: "company.employee_count",
// "person.seniority", "source.channel" (the first touch's; the enum name without "CHANNEL_"),
// "custom.<key>", "score.fit_grade" ("A" … "D"), ... (ConditionAttributes()). Resolved once;
// reading it copies nothing.
class LeadAttribute {
 public:
  static std::optional<LeadAttribute> Parse(std::string_view path);
  AttributeValue Of(const v1::Lead& lead) const;
  bool numeric() const;

 private:
  enum class Kind : uint8_t;
  Kind kind_{};
  std::string custom_key_;
};

// A validated condition, compiled: the attribute resolved, operands lower-cased and parsed.
class CompiledCondition {
 public:
  // `c` must have passed ValidateCondition (an unknown attribute matches nothing).
  static CompiledCondition Compile(const v1::AttributeCondition& c);
  bool Matches(const v1::Lead& lead) const;

 private:
  std::optional<LeadAttribute> attr_;
  v1::MatchOperator op_ = v1::MATCH_OPERATOR_UNSPECIFIED;
  std::vector<std::string> values_;  // lower-cased
  double low_ = 0;                   // numeric operands
  double high_ = 0;
};

// A config id (rule ids): 1-64 of a-z, 0-9, '_', '.', '-'.
bool IsConfigId(std::string_view id);

// `text` equals `lower` (already lower-case), ignoring ASCII case.
bool EqualsLower(std::string_view text, std::string_view lower);

}  // namespace leadflow::lifecycle
