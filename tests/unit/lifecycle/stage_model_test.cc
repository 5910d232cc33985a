// The stage model: the shipped config/stages.yaml, transitions, the MQL gate, and config errors.
#include "services/common/lifecycle/stage_model.h"
#include "gtest/gtest.h"
#include "tests/support/temp_dir.h"

namespace leadflow::lifecycle {
namespace {

v1::StageModel Shipped() {
  absl::StatusOr<v1::StageModel> model = LoadStageModelFile(LEADFLOW_CONFIG_DIR "/stages.yaml");
  EXPECT_TRUE(model.ok()) << model.status();
  return model.ok() ? *model : v1::StageModel();
}

TEST(StageModelTest, TheShippedModelMapsTheLifecycleOfTheDesign) {
  const v1::StageModel m = Shipped();
  EXPECT_EQ(m.stages_size(), 12);
  EXPECT_TRUE(TransitionAllowed(m, v1::STAGE_INQUIRY, v1::STAGE_MQL, "qualified"));
  EXPECT_TRUE(TransitionAllowed(m, v1::STAGE_MQL, v1::STAGE_SAL, "accepted"));
  EXPECT_TRUE(TransitionAllowed(m, v1::STAGE_OPPORTUNITY, v1::STAGE_WON, "opportunity_closed"));
  EXPECT_TRUE(TransitionAllowed(m, v1::STAGE_NURTURE, v1::STAGE_INQUIRY, "nurture_released"));
  EXPECT_TRUE(TransitionAllowed(m, v1::STAGE_WON, v1::STAGE_ERASED, "erased"))
      << "any stage may be erased";
  EXPECT_FALSE(TransitionAllowed(m, v1::STAGE_INQUIRY, v1::STAGE_WON, "opportunity_closed"))
      << "closing what was never opened";
  EXPECT_FALSE(TransitionAllowed(m, v1::STAGE_MQL, v1::STAGE_SAL, "converted")) << "wrong trigger";
  EXPECT_FALSE(TransitionAllowed(m, v1::STAGE_WON, v1::STAGE_NURTURE, "recycled"))
      << "won is terminal";
  ASSERT_NE(FindStage(m, v1::STAGE_MQL), nullptr);
  EXPECT_EQ(FindStage(m, v1::STAGE_MQL)->owner(), v1::STAGE_OWNER_MARKETING);
  EXPECT_EQ(FindStage(m, v1::STAGE_SAL)->owner(), v1::STAGE_OWNER_SALES);
}

TEST(StageModelTest, TheMqlGatePerGradeAndForHandRaisers) {
  const v1::StageGate gate = FindStage(Shipped(), v1::STAGE_MQL)->gate();
  struct Case {
    v1::FitGrade grade;
    double engagement;
    bool hand_raiser;
    GateResult want;
  };
  const Case cases[] = {
      {v1::FIT_GRADE_A, 20, false, GateResult::kPassedOnScore},
      {v1::FIT_GRADE_A, 19.9, false, GateResult::kNotPassed},
      {v1::FIT_GRADE_B, 35, false, GateResult::kPassedOnScore},
      {v1::FIT_GRADE_B, 30, false, GateResult::kNotPassed},
      {v1::FIT_GRADE_C, 59, false, GateResult::kNotPassed},
      {v1::FIT_GRADE_C, 60, false, GateResult::kPassedOnScore},
      {v1::FIT_GRADE_D, 100, false, GateResult::kNotPassed},
      {v1::FIT_GRADE_C, 0, true, GateResult::kPassedAsHandRaiser},
      {v1::FIT_GRADE_D, 0, true, GateResult::kNotPassed},
      {v1::FIT_GRADE_UNSPECIFIED, 100, true, GateResult::kNotPassed},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(EvaluateGate(gate, c.grade, c.engagement, std::nullopt, c.hand_raiser), c.want)
        << v1::FitGrade_Name(c.grade) << " " << c.engagement << " " << c.hand_raiser;
  }
  v1::StageGate simple;
  simple.set_min_fit_grade(v1::FIT_GRADE_B);
  simple.set_min_engagement_score(40);
  simple.set_min_predictive_score(50);
  EXPECT_EQ(EvaluateGate(simple, v1::FIT_GRADE_A, 40, std::nullopt, false),
            GateResult::kPassedOnScore)
      << "no model yet: the predictive minimum does not apply";
  EXPECT_EQ(EvaluateGate(simple, v1::FIT_GRADE_A, 40, 49.0, false), GateResult::kNotPassed);
  EXPECT_EQ(EvaluateGate(simple, v1::FIT_GRADE_B, 40, 50.0, false), GateResult::kPassedOnScore);
  EXPECT_EQ(EvaluateGate(simple, v1::FIT_GRADE_C, 90, 90.0, false), GateResult::kNotPassed);
}

std::string LoadError(const std::string& yaml) {
  testing::TempDir dir;
  testing::WriteFile(dir.Sub("stages.yaml"), yaml);
  absl::StatusOr<v1::StageModel> m = LoadStageModelFile(dir.Sub("stages.yaml"));
  EXPECT_FALSE(m.ok()) << yaml;
  std::string message(m.status().message());
  size_t at;
  while ((at = message.find(dir.path().string() + "/")) != std::string::npos) {
    message.erase(at, dir.path().string().size() + 1);
  }
  return message;
}

TEST(StageModelTest, BrokenModelsNameTheLine) {
  const std::string base =
      "stages:\n"
      "  - {stage: inquiry, owner: marketing}\n"
      "  - {stage: mql, owner: marketing, gate: {min_fit_grade: b}}\n"
      "  - {stage: won, owner: sales, terminal: true}\n"
      "  - {stage: erased, owner: system, terminal: true}\n";
  std::string e = LoadError(
      base + "transitions:\n  - {from_stage: inquiry, to_stage: mql, trigger: promoted}\n");
  EXPECT_EQ(e,
            "stages.yaml:7:51: transitions[0].trigger: 'promoted' is not a LeadEvent (e.g. "
            "qualified, accepted, recycled)");
  e = LoadError(
      base + "transitions:\n  - {from_stage: won, to_stage: inquiry, trigger: nurture_released}\n");
  EXPECT_EQ(e, "stages.yaml:7:18: transitions[0].from_stage: 'won' is terminal: nothing leaves it");
  e = LoadError(base +
                "transitions:\n  - {from_stage: inquiry, to_stage: sal, trigger: accepted}\n");
  EXPECT_EQ(e, "stages.yaml:7:37: transitions[0].to_stage: is not a defined stage");
  e = LoadError("stages:\n  - {stage: inquiry, owner: marketing}\n  - {stage: inquiry}\n");
  EXPECT_NE(e.find("stages.yaml:3:13: stages[1].stage: 'inquiry' is defined twice"),
            std::string::npos)
      << e;
  EXPECT_NE(e.find("stages[1].owner: is required"), std::string::npos) << e;
  EXPECT_NE(e.find("stages: 'mql' must be defined"), std::string::npos) << e;
  e = LoadError(
      "stages:\n  - {stage: inquiry, owner: marketing}\n  - {stage: mql, owner: marketing}\n  - "
      "{stage: erased, "
      "owner: system}\n");
  EXPECT_EQ(
      e,
      "stages.yaml:3:5: stages[1].gate: no way into MQL: set grade_thresholds, min_fit_grade or "
      "hand_raiser_min_fit_grade");
}

}  // namespace
}  // namespace leadflow::lifecycle
