// YAML → protobuf by reflection, with errors that name file, line, column and field.
#include "services/common/config/proto_yaml.h"
#include "gtest/gtest.h"
#include "leadflow/v1/config.pb.h"
#include "services/common/config/yaml_file.h"

namespace leadflow::config {
namespace {

absl::Status Read(const std::string& yaml, v1::IcpConfig* out) {
  absl::StatusOr<YAML::Node> node = ParseYaml(yaml, "icp.yaml");
  if (!node.ok()) return node.status();
  return YamlToProto(*node, "icp.yaml", out);
}

TEST(ProtoYamlTest, ReadsMessagesListsEnumsNumbersAndDurations) {
  v1::IcpConfig icp;
  ASSERT_TRUE(Read(R"(
name: 2026 ICP
rules:
  - rule_id: size.mid_market
    condition: {attribute: company.employee_count, op: between, values: ["200", "2000"]}
    weight: 25
  - rule_id: exclude.competitor
    condition: {attribute: company.domain, op: IN, values: [rival.example]}
    disqualify: competitor
grade_thresholds: {a_min: 70, b_min: 50.5, c_min: 30}
engagement:
  half_life: 14d
  weights:
    - {type: demo_request, points: 40, max_per_cycle: 2}
    - {type: ENGAGEMENT_TYPE_UNSUBSCRIBE, points: -30}
  hand_raiser_types: [demo_request, pricing-request]
)",
                   &icp)
                  .ok());
  EXPECT_EQ(icp.name(), "2026 ICP");
  ASSERT_EQ(icp.rules_size(), 2);
  EXPECT_EQ(icp.rules(0).condition().op(), v1::MATCH_OPERATOR_BETWEEN);
  EXPECT_EQ(icp.rules(0).condition().values(1), "2000");
  EXPECT_EQ(icp.rules(0).weight(), 25);
  EXPECT_EQ(icp.rules(1).condition().op(), v1::MATCH_OPERATOR_IN);
  EXPECT_EQ(icp.rules(1).disqualify(), v1::DISQUALIFICATION_REASON_COMPETITOR);
  EXPECT_EQ(icp.grade_thresholds().b_min(), 50.5);
  EXPECT_EQ(icp.engagement().half_life().seconds(), 14 * 86400);
  EXPECT_EQ(icp.engagement().weights(1).type(), v1::ENGAGEMENT_TYPE_UNSUBSCRIBE);
  EXPECT_EQ(icp.engagement().weights(1).points(), -30);
  EXPECT_EQ(icp.engagement().weights(0).max_per_cycle(), 2);
  EXPECT_EQ(icp.engagement().hand_raiser_types(1), v1::ENGAGEMENT_TYPE_PRICING_REQUEST);
}

TEST(ProtoYamlTest, ErrorsNameFileLineColumnFieldAndWhy) {
  struct Case {
    std::string yaml;
    std::string error;
  };
  const Case cases[] = {
      {"name: x\nrulez: []\n",
       "icp.yaml:2:1: rulez: unknown field (fields of IcpConfig: name, description, rules, "},
      {"rules:\n  - rule_id: a\n    condition: {attribute: x, op: greater}\n",
       "icp.yaml:3:35: rules[0].condition.op: unknown value 'greater' (one of: equals, not_equals, "
       "in, "},
      {"rules:\n  - weight: lots\n",
       "icp.yaml:2:13: rules[0].weight: expected a number, got 'lots'"},
      {"rules: {a: 1}\n", "icp.yaml:1:8: rules: expected a list"},
      {"engagement:\n  half_life: fortnight\n", "icp.yaml:2:14: engagement.half_life: "},
      {"engagement:\n  weights:\n    - {type: demo_request, max_per_cycle: 2.5}\n",
       "icp.yaml:3:43: engagement.weights[0].max_per_cycle: expected a whole number, got '2.5'"},
      {"grade_thresholds: 70\n", "icp.yaml:1:19: grade_thresholds: expected a mapping of fields"},
      {"rules:\n  - disqualify: unspecified\n",
       "icp.yaml:2:17: rules[0].disqualify: unknown value 'unspecified'"},
  };
  for (const Case& c : cases) {
    v1::IcpConfig icp;
    const absl::Status s = Read(c.yaml, &icp);
    ASSERT_FALSE(s.ok()) << c.yaml;
    EXPECT_EQ(std::string(s.message()).substr(0, c.error.size()), c.error) << s.message();
  }
}

}  // namespace
}  // namespace leadflow::config
