// Scoring with values: every operator, grades and disqualification, decay arithmetic and caps.
#include <cmath>

#include "gtest/gtest.h"
#include "services/common/config/proto_yaml.h"
#include "services/common/config/yaml_file.h"
#include "services/qualification/scoring.h"

namespace leadflow::qualification {
namespace {

CompiledIcp Icp(const std::string& rules_yaml,
                const std::string& engagement_yaml = "{half_life: 1d}") {
  const std::string yaml =
      "name: t\nrules:\n" + rules_yaml +
      "\ngrade_thresholds: {a_min: 70, b_min: 50, c_min: 30}\nengagement: " + engagement_yaml +
      "\n";
  auto node = config::ParseYaml(yaml, "t.yaml");
  EXPECT_TRUE(node.ok()) << node.status();
  v1::IcpConfig icp;
  const absl::Status s = config::YamlToProto(*node, "t.yaml", &icp);
  EXPECT_TRUE(s.ok()) << s;
  auto compiled = CompiledIcp::Compile(icp);
  EXPECT_TRUE(compiled.ok()) << compiled.status();
  return *compiled;
}

v1::Lead Lead() {
  v1::Lead l;
  l.set_email_normalized("jane@acme.example");
  l.mutable_person()->set_seniority("vp");
  l.mutable_person()->set_department("marketing");
  l.mutable_person()->set_job_title("VP Marketing Operations");
  l.mutable_company()->set_employee_count(250);
  l.mutable_company()->set_industry("Software");
  l.mutable_company()->set_country_code("DE");
  l.mutable_company()->set_domain("acme.example");
  l.mutable_company()->mutable_annual_revenue()->set_currency_code("EUR");
  l.mutable_company()->mutable_annual_revenue()->set_amount_micros(int64_t{50'000'000} * 1'000'000);
  l.mutable_first_touch()->set_channel(v1::CHANNEL_WEBINAR);
  (*l.mutable_custom_attributes())["tech_stack"] = "Salesforce, Slack";
  return l;
}

TEST(FitScoringTest, EveryOperatorMatchesWhatItSays) {
  struct Case {
    std::string condition;
    bool match;
  };
  const Case cases[] = {
      {"{attribute: company.industry, op: equals, values: [software]}", true},  // case-insensitive
      {"{attribute: company.industry, op: equals, values: [saas]}", false},
      {"{attribute: company.industry, op: not_equals, values: [saas]}", true},
      {"{attribute: company.country_code, op: in, values: [US, de]}", true},
      {"{attribute: company.country_code, op: not_in, values: [US, DE]}", false},
      {"{attribute: company.employee_count, op: greater_than, values: ['250']}", false},
      {"{attribute: company.employee_count, op: greater_or_equal, values: ['250']}", true},
      {"{attribute: company.employee_count, op: less_than, values: ['251']}", true},
      {"{attribute: company.employee_count, op: less_or_equal, values: ['249']}", false},
      {"{attribute: company.employee_count, op: between, values: ['200', '250']}",
       false},  // upper excluded
      {"{attribute: company.employee_count, op: between, values: ['250', '251']}", true},
      {"{attribute: company.annual_revenue, op: between, values: ['10000000', '100000000']}", true},
      {"{attribute: person.job_title, op: contains, values: [OPERATIONS]}", true},
      {"{attribute: company.domain, op: ends_with, values: [.example]}", true},
      {"{attribute: company.region, op: exists}", false},
      {"{attribute: company.region, op: not_exists}", true},
      {"{attribute: company.region, op: not_in, values: [bavaria]}", true},  // absent is not in
      {"{attribute: person.email_local_part, op: in, values: [info, jane]}", true},
      {"{attribute: source.channel, op: equals, values: [webinar]}", true},
      {"{attribute: custom.tech_stack, op: contains, values: [salesforce]}", true},
      {"{attribute: custom.budget, op: exists}", false},
  };
  for (const Case& c : cases) {
    const CompiledIcp icp = Icp("  - {rule_id: r, condition: " + c.condition + ", weight: 10}");
    const FitResult r = icp.ScoreFit(Lead());
    EXPECT_EQ(r.matched.size(), c.match ? 1U : 0U) << c.condition;
  }
  v1::Lead unknown_size = Lead();
  unknown_size.mutable_company()->set_employee_count(0);
  EXPECT_TRUE(Icp("  - {rule_id: r, condition: {attribute: company.employee_count, op: less_than, "
                  "values: ['10']}, weight: 5}")
                  .ScoreFit(unknown_size)
                  .matched.empty())
      << "an unknown size (0) is not a small company";
}

TEST(FitScoringTest, WeightsSumClampAndGrade) {
  const CompiledIcp icp = Icp(R"(
  - {rule_id: size, condition: {attribute: company.employee_count, op: between, values: ['200', '2000']}, weight: 40}
  - {rule_id: senior, condition: {attribute: person.seniority, op: in, values: [vp, director]}, weight: 25}
  - {rule_id: industry, condition: {attribute: company.industry, op: equals, values: [software]}, weight: 20}
  - {rule_id: free_mail, condition: {attribute: company.domain, op: not_exists}, weight: -30}
  - {rule_id: geo, condition: {attribute: company.country_code, op: equals, values: [de]}, weight: 30})");
  FitResult r = icp.ScoreFit(Lead());
  EXPECT_EQ(r.score, 100) << "40 + 25 + 20 + 30 = 115, clamped";
  EXPECT_EQ(r.grade, v1::FIT_GRADE_A);
  EXPECT_EQ(r.matched, (std::vector<int>{0, 1, 2, 4}));

  v1::Lead weaker = Lead();
  weaker.mutable_person()->set_seniority("individual_contributor");
  weaker.mutable_company()->clear_domain();
  weaker.mutable_company()->set_country_code("US");
  r = icp.ScoreFit(weaker);
  EXPECT_EQ(r.score, 30) << "40 + 20 - 30";
  EXPECT_EQ(r.grade, v1::FIT_GRADE_C);
  weaker.mutable_company()->set_employee_count(10);
  r = icp.ScoreFit(weaker);
  EXPECT_EQ(r.score, 0) << "20 - 30, clamped";
  EXPECT_EQ(r.grade, v1::FIT_GRADE_D);

  const std::vector<v1::ScoreContribution> why = icp.Explain(icp.ScoreFit(Lead()));
  ASSERT_EQ(why.size(), 4U);
  EXPECT_EQ(why[0].rule_id(), "size");
  EXPECT_EQ(why[0].points(), 40);
  EXPECT_EQ(why[0].component(), v1::SCORE_COMPONENT_FIT);
  EXPECT_EQ(why[0].reason().code(), "fit.size");
}

TEST(FitScoringTest, ADisqualifyingRuleEndsTheScoring) {
  const CompiledIcp icp = Icp(R"(
  - {rule_id: size, condition: {attribute: company.employee_count, op: greater_than, values: ['100']}, weight: 50}
  - {rule_id: competitor, condition: {attribute: company.domain, op: in, values: [acme.example]}, disqualify: competitor}
  - {rule_id: senior, condition: {attribute: person.seniority, op: equals, values: [vp]}, weight: 30})");
  const FitResult r = icp.ScoreFit(Lead());
  EXPECT_EQ(r.disqualified_by, 1);
  EXPECT_EQ(r.matched, (std::vector<int>{0, 1}));
  EXPECT_EQ(icp.config().rules(r.disqualified_by).disqualify(),
            v1::DISQUALIFICATION_REASON_COMPETITOR);
}

constexpr int64_t kDay = 86'400'000;
constexpr int64_t kNow = 1'790'000'000'000 - 1'790'000'000'000 % kDay + kDay / 2;  // noon UTC

TEST(EngagementScoringTest, PointsHalveEveryHalfLife) {
  const CompiledIcp icp = Icp(
      "  []",
      "{half_life: 7d, weights: [{type: demo_request, points: 40}, {type: page_view, points: 2}]}");
  EngagementResult r = icp.ScoreEngagement({{v1::ENGAGEMENT_TYPE_DEMO_REQUEST, kNow}}, kNow);
  EXPECT_DOUBLE_EQ(r.score, 40);
  r = icp.ScoreEngagement({{v1::ENGAGEMENT_TYPE_DEMO_REQUEST, kNow - 7 * kDay}}, kNow);
  EXPECT_DOUBLE_EQ(r.score, 20);
  r = icp.ScoreEngagement({{v1::ENGAGEMENT_TYPE_DEMO_REQUEST, kNow - 14 * kDay}}, kNow);
  EXPECT_DOUBLE_EQ(r.score, 10);
  r = icp.ScoreEngagement({{v1::ENGAGEMENT_TYPE_DEMO_REQUEST, kNow - 7 * kDay / 2}}, kNow);
  EXPECT_NEAR(r.score, 40 / std::sqrt(2.0), 1e-9);
  r = icp.ScoreEngagement({{v1::ENGAGEMENT_TYPE_DEMO_REQUEST, kNow + kDay}}, kNow);
  EXPECT_DOUBLE_EQ(r.score, 40) << "a future timestamp (skew) counts in full, not more";
  EXPECT_TRUE(r.hand_raiser == false) << "no hand_raiser_types configured";
}

TEST(EngagementScoringTest, CapsNegativeSignalsClampAndHandRaisers) {
  const CompiledIcp icp = Icp(
      "  []",
      "{half_life: 1000d, hand_raiser_types: [pricing_request], weights: [{type: page_view, "
      "points: 10, max_per_day: 2, "
      "max_per_cycle: 3}, {type: unsubscribe, points: -25}, {type: pricing_request, points: 90}]}");
  // Day 1: three page views, the third over the daily cap; day 2: two more, the second over the
  // cycle cap.
  std::vector<EngagementFact> views = {{v1::ENGAGEMENT_TYPE_PAGE_VIEW, kNow - 2 * kDay},
                                       {v1::ENGAGEMENT_TYPE_PAGE_VIEW, kNow - 2 * kDay + 1},
                                       {v1::ENGAGEMENT_TYPE_PAGE_VIEW, kNow - 2 * kDay + 2},
                                       {v1::ENGAGEMENT_TYPE_PAGE_VIEW, kNow - kDay},
                                       {v1::ENGAGEMENT_TYPE_PAGE_VIEW, kNow - kDay + 1}};
  EngagementResult r = icp.ScoreEngagement(views, kNow);
  ASSERT_EQ(r.points.size(), 5U);
  EXPECT_GT(r.points[0], 9.9);
  EXPECT_GT(r.points[1], 9.9);
  EXPECT_EQ(r.points[2], 0) << "over the daily cap";
  EXPECT_GT(r.points[3], 9.9);
  EXPECT_EQ(r.points[4], 0) << "over the cycle cap";
  EXPECT_NEAR(r.score, 30, 0.1);

  views.push_back({v1::ENGAGEMENT_TYPE_UNSUBSCRIBE, kNow});
  EXPECT_NEAR(icp.ScoreEngagement(views, kNow).score, 5, 0.1) << "negative signals subtract";
  views.push_back({v1::ENGAGEMENT_TYPE_UNSUBSCRIBE, kNow});
  EXPECT_EQ(icp.ScoreEngagement(views, kNow).score, 0) << "clamped at 0";
  views.push_back({v1::ENGAGEMENT_TYPE_PRICING_REQUEST, kNow});
  views.push_back({v1::ENGAGEMENT_TYPE_PRICING_REQUEST, kNow});
  r = icp.ScoreEngagement(views, kNow);
  EXPECT_EQ(r.score, 100) << "clamped at 100";
  EXPECT_TRUE(r.hand_raiser);
}

}  // namespace
}  // namespace leadflow::qualification
