// The pipeline verifier's checks with values: each finds what it names, and a sound run has no
// findings.
#include "tests/support/pipeline_verifier.h"

#include "gtest/gtest.h"

namespace leadflow::testing {
namespace {

struct Maker {
  int64_t offset = 0;
  // An event of `lead` on `topic` (partition 0, the next offset) produced at `ms`.
  ReadRecord Event(const std::string& topic, const std::string& lead, const std::string& id,
                   const std::string& cause, int64_t ms, v1::Stage to = v1::STAGE_UNSPECIFIED,
                   int cycle = 1) {
    v1::LeadEvent e;
    v1::EventEnvelope& env = *e.mutable_envelope();
    env.set_event_id(id);
    env.set_lead_id(lead);
    env.set_causation_id(cause);
    env.set_cycle(cycle);
    env.mutable_produced_at()->set_seconds(ms / 1000);
    env.mutable_produced_at()->set_nanos(static_cast<int32_t>(ms % 1000) * 1000000);
    if (to != v1::STAGE_UNSPECIFIED) env.mutable_stage_change()->set_to_stage(to);
    return {topic, 0, offset++, lead, e.SerializeAsString()};
  }
};

// A lead captured, qualified and handed off, in order.
PipelineVerifier Sound(Maker& m) {
  PipelineVerifier v;
  v.Add(m.Event("leads", "L1", "e1", "submission:web:k1", 1000, v1::STAGE_INQUIRY));
  v.Add(m.Event("qualification", "L1", "e2", "e1", 1100, v1::STAGE_MQL));
  v.Add(m.Event("handoffs", "L1", "e3", "e2", 1200));
  return v;
}

TEST(PipelineVerifierTest, ASoundRunHasNoFindings) {
  Maker m;
  PipelineVerifier v = Sound(m);
  EXPECT_EQ(v.events(), 3u);
  EXPECT_TRUE(v.Malformed().empty());
  EXPECT_TRUE(v.Duplicates().empty());
  EXPECT_TRUE(v.CausalityViolations().empty());
  EXPECT_TRUE(v.StageMismatches({{"L1", {v1::STAGE_MQL, v1::STAGE_INQUIRY}}}).empty());
  EXPECT_EQ(v.EnteredCounts(),
            (std::map<v1::Stage, int64_t>{{v1::STAGE_INQUIRY, 1}, {v1::STAGE_MQL, 1}}));
}

TEST(PipelineVerifierTest, AnEventIdTwiceIsADuplicateOnOneTopicOrAcrossTopics) {
  Maker m;
  PipelineVerifier v = Sound(m);
  v.Add(m.Event("handoffs", "L1", "e3", "e2", 1300));  // a redelivered handoff
  v.Add(m.Event("recycle", "L1", "e2", "e1", 1400));   // the same id on another topic
  const std::vector<std::string> d = v.Duplicates();
  ASSERT_EQ(d.size(), 2u);
  EXPECT_EQ(d[0], "event e2 (L1) 2 times: qualification/0@1 recycle/0@4");
  EXPECT_EQ(d[1], "event e3 (L1) 2 times: handoffs/0@2 handoffs/0@3");
  // Counted once all the same: the funnel is per lead, cycle and stage.
  EXPECT_EQ(v.EnteredCounts().at(v1::STAGE_MQL), 1);
}

TEST(PipelineVerifierTest, AnEffectBeforeItsCauseIsFound) {
  Maker m;
  PipelineVerifier v;
  v.Add(m.Event("handoffs", "L1", "e2", "e1", 1000));  // offset 0: the effect
  v.Add(m.Event("handoffs", "L1", "e1", "x", 900));    // offset 1: its cause, later on the log
  v.Add(m.Event("recycle", "L1", "e3", "e1", 800));    // produced before its cause
  const std::vector<std::string> c = v.CausalityViolations();
  ASSERT_EQ(c.size(), 2u);
  EXPECT_EQ(c[0], "lead L1: handoffs/0@0 before its cause handoffs/0@1");
  EXPECT_EQ(c[1], "lead L1: recycle/0@2 before its cause handoffs/0@1");
}

TEST(PipelineVerifierTest, StagesAreComparedLeadByLead) {
  Maker m;
  PipelineVerifier v = Sound(m);
  v.Add(m.Event("leads", "L9", "e9", "submission:web:k9", 1000, v1::STAGE_INQUIRY));
  const std::vector<std::string> s = v.StageMismatches(
      {{"L1", {v1::STAGE_INQUIRY, v1::STAGE_MQL, v1::STAGE_SAL}}, {"L2", {v1::STAGE_INQUIRY}}});
  ASSERT_EQ(s.size(), 3u);
  EXPECT_EQ(s[0],
            "lead L1: entered STAGE_INQUIRY STAGE_MQL, expected STAGE_INQUIRY STAGE_MQL "
            "STAGE_SAL");
  EXPECT_EQ(s[1], "lead L2: never seen (expected STAGE_INQUIRY)");
  EXPECT_EQ(s[2], "lead L9: seen, not expected");
}

TEST(PipelineVerifierTest, ARecordThatIsNotALeadEventOrNamesAnotherLeadIsMalformed) {
  PipelineVerifier v;
  v.Add({"leads", 0, 0, "L1", "\x08\x96\x01 not an event"});
  Maker m;
  ReadRecord wrong_key = m.Event("leads", "L1", "e1", "c", 1000);
  wrong_key.key = "L2";
  v.Add(wrong_key);
  const std::vector<std::string> bad = v.Malformed();
  ASSERT_EQ(bad.size(), 2u);
  EXPECT_EQ(bad[0], "leads/0@0: not a LeadEvent");
  EXPECT_EQ(bad[1], "leads/0@0: key 'L2' but envelope.lead_id 'L1'");
}

TEST(PipelineVerifierTest, ARecycledLeadCountsAgainInItsNewCycle) {
  Maker m;
  PipelineVerifier v;
  v.Add(m.Event("leads", "L1", "e1", "s", 1000, v1::STAGE_INQUIRY, 1));
  v.Add(m.Event("recycle", "L1", "e2", "e1", 1100, v1::STAGE_NURTURE, 1));
  v.Add(m.Event("recycle", "L1", "e3", "e2", 1200, v1::STAGE_INQUIRY, 2));
  EXPECT_EQ(v.EnteredCounts(),
            (std::map<v1::Stage, int64_t>{{v1::STAGE_INQUIRY, 2}, {v1::STAGE_NURTURE, 1}}));
}

}  // namespace
}  // namespace leadflow::testing
