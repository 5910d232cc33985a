// The ICP configuration: the shipped config/icp.yaml is valid; broken ones name file, line, field.
#include "services/qualification/icp_config.h"
#include "gtest/gtest.h"
#include "tests/support/temp_dir.h"

namespace leadflow::qualification {
namespace {

TEST(IcpConfigTest, TheShippedIcpIsValidAndComplete) {
  absl::StatusOr<v1::IcpConfig> icp = LoadIcpFile(LEADFLOW_CONFIG_DIR "/icp.yaml");
  ASSERT_TRUE(icp.ok()) << icp.status();
  EXPECT_GE(icp->rules_size(), 10);
  bool disqualifies = false;
  bool negative = false;
  for (const auto& r : icp->rules()) {
    disqualifies = disqualifies || r.disqualify() != v1::DISQUALIFICATION_REASON_UNSPECIFIED;
    negative = negative || r.weight() < 0;
  }
  EXPECT_TRUE(disqualifies);
  EXPECT_TRUE(negative);
  EXPECT_EQ(icp->grade_thresholds().a_min(), 70);
  EXPECT_EQ(icp->engagement().half_life().seconds(), 14 * 86400);
  EXPECT_EQ(icp->engagement().hand_raiser_types_size(), 3);
}

std::string LoadError(const std::string& yaml) {
  testing::TempDir dir;
  const std::string path = dir.Sub("icp.yaml");
  testing::WriteFile(path, yaml);
  absl::StatusOr<v1::IcpConfig> icp = LoadIcpFile(path);
  EXPECT_FALSE(icp.ok()) << yaml;
  std::string message(icp.status().message());
  // The temp path varies; keep "icp.yaml:line:col: ..." for the comparison.
  size_t at;
  while ((at = message.find(dir.path().string() + "/")) != std::string::npos) {
    message.erase(at, dir.path().string().size() + 1);
  }
  return message;
}

constexpr char kValidTail[] = R"(
grade_thresholds: {a_min: 70, b_min: 50, c_min: 30}
engagement: {half_life: 14d}
)";

TEST(IcpConfigTest, SemanticErrorsNameTheLineAndField) {
  struct Case {
    std::string yaml;
    std::string error;
  };
  const Case cases[] = {
      {std::string("rules: []\n") + kValidTail, "icp.yaml:1:1: name: is required"},
      {std::string("name: x\nrules:\n  - rule_id: a\n    condition: {attribute: company.shoe_size, "
                   "op: exists}\n") +
           kValidTail,
       "icp.yaml:4:28: rules[0].condition.attribute: unknown attribute 'company.shoe_size'"},
      {std::string("name: x\nrules:\n  - rule_id: a\n    condition: {attribute: company.industry, "
                   "op: in}\n") +
           kValidTail,
       "icp.yaml:4:16: rules[0].condition.values: this operator takes at least 1 value(s), got 0"},
      {std::string("name: x\nrules:\n  - rule_id: a\n    condition: {attribute: "
                   "company.employee_count, op: "
                   "between, values: [\"500\", \"50\"]}\n") +
           kValidTail,
       "icp.yaml:4:73: rules[0].condition.values: between needs a lower bound below the upper "
       "bound"},
      {std::string("name: x\nrules:\n  - rule_id: a\n    condition: {attribute: company.industry, "
                   "op: greater_than, "
                   "values: [\"5\"]}\n") +
           kValidTail,
       "icp.yaml:4:50: rules[0].condition.op: a numeric comparison on 'company.industry', which is "
       "not a number"},
      {std::string(
           "name: x\nrules:\n  - {rule_id: a, condition: {attribute: company.name, op: exists}}\n"
           "  - {rule_id: a, condition: {attribute: company.name, op: exists}}\n") +
           kValidTail,
       "icp.yaml:4:15: rules[1].rule_id: 'a' is used by an earlier rule"},
      {std::string(
           "name: x\nrules:\n  - rule_id: a\n    condition: {attribute: company.name, op: exists}\n"
           "    disqualify: spam\n    weight: 5\n") +
           kValidTail,
       "icp.yaml:6:13: rules[0].weight: a disqualifying rule has no weight"},
      {"name: x\ngrade_thresholds: {a_min: 40, b_min: 50, c_min: 30}\nengagement: {half_life: "
       "14d}\n",
       "icp.yaml:2:19: grade_thresholds: must satisfy 0 <= c_min <= b_min <= a_min <= 100"},
      {"name: x\ngrade_thresholds: {a_min: 70, b_min: 50, c_min: 30}\nengagement:\n  weights:\n    "
       "- {type: "
       "demo_request}\n    - {type: demo_request}\n  half_life: 1d\n",
       "icp.yaml:6:14: engagement.weights[1].type: is listed twice"},
  };
  for (const Case& c : cases) {
    const std::string error = LoadError(c.yaml);
    EXPECT_EQ(error.substr(0, c.error.size()), c.error) << error;
  }
}

TEST(IcpConfigTest, EveryViolationIsReportedOnItsOwnLine) {
  const std::string error = LoadError("rules:\n  - {weight: 500}\n");
  EXPECT_NE(error.find("name: is required"), std::string::npos) << error;
  EXPECT_NE(error.find("\nicp.yaml:2:5: rules[0].rule_id: is required"), std::string::npos)
      << error;
  EXPECT_NE(error.find("rules[0].condition: is required"), std::string::npos) << error;
  EXPECT_NE(error.find("grade_thresholds: is required"), std::string::npos) << error;
  EXPECT_NE(error.find("engagement.half_life: is required and positive"), std::string::npos)
      << error;
}

}  // namespace
}  // namespace leadflow::qualification
