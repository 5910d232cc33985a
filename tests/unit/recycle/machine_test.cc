// Recycle with values and injected times: reason → track tables, the archive rules and the recycle
// limit, early release by engagement or score, the re-check and maximum-stay timers, the INQUIRY
// stage SLA, ops requests (idempotent, refused with the reason), and the shipped nurture config.
#include "services/recycle/machine.h"

#include "gtest/gtest.h"
#include "services/common/base/strings.h"
#include "services/common/config/proto_yaml.h"
#include "services/common/config/yaml_file.h"
#include "services/common/events/lead_events.h"
#include "services/common/lifecycle/stage_model.h"
#include "services/recycle/nurture.h"

namespace leadflow::recycle {
namespace {

constexpr int64_t kDay = 86'400'000;
constexpr int64_t kT0 = 1'790'000'000'000;

const char* kNurture = R"(
recycle_limit: 2
default_track_id: general
archive_rejection_reasons: [not_a_buyer]
archive_loss_reason_codes: [competitor_signed]
tracks:
  - {track_id: not-now, name: Not now, recycle_reasons: [rejected, lost],
     rejection_reasons: [bad_timing], loss_reason_codes: [timing],
     recheck_interval: 10d, max_duration: 25d,
     release: {min_engagement_score: 40, min_engagements: 3, release_on: [demo_request]}}
  - {track_id: a-leads, name: Grade A, recycle_reasons: [rejected],
     conditions: [{attribute: score.fit_grade, op: in, values: [A]}],
     recheck_interval: 5d, release: {min_engagement_score: 20}}
  - {track_id: future-fit, name: Future fit, recycle_reasons: [disqualified],
     disqualification_reasons: [not_icp], recheck_interval: 30d,
     release: {release_on: [demo_request]}}
  - {track_id: general, name: General, recycle_reasons: [rejected, lost, not_ready, manual],
     recheck_interval: 30d, max_duration: 90d, release: {min_engagement_score: 50}}
)";

RecycleConfig MakeConfig() {
  RecycleConfig c;
  c.version = 9;
  auto node = config::ParseYaml(kNurture, "nurture.yaml");
  EXPECT_TRUE(node.ok()) << node.status();
  EXPECT_TRUE(config::YamlToProto(*node, "nurture.yaml", &c.nurture).ok());
  const auto violations = ValidateNurture(c.nurture);
  EXPECT_TRUE(violations.empty()) << violations.front().path << ": " << violations.front().why;
  auto stages = lifecycle::LoadStageModelFile(LEADFLOW_CONFIG_DIR "/stages.yaml");
  EXPECT_TRUE(stages.ok()) << stages.status();
  c.stages = *stages;
  return c;
}

v1::LeadEvent Event(const std::string& id, int cycle) {
  v1::LeadEvent e;
  e.mutable_envelope()->set_event_id(id);
  e.mutable_envelope()->set_lead_id("lead-1");
  e.mutable_envelope()->set_cycle(cycle);
  *e.mutable_envelope()->mutable_occurred_at() = events::TimestampFromMillis(kT0);
  return e;
}

v1::LeadEvent Rejected(const std::string& id, v1::RejectionReason reason, int cycle = 1) {
  v1::LeadEvent e = Event(id, cycle);
  e.mutable_rejected()->set_reason_code(reason);
  e.mutable_rejected()->mutable_reason()->set_text("call me in Q3");
  e.mutable_rejected()->set_rep_id("rep-anna");
  return e;
}

v1::LeadEvent Engaged(const std::string& id, v1::EngagementType type, int cycle = 1) {
  v1::LeadEvent e = Event(id, cycle);
  e.mutable_engagement_recorded()->mutable_engagement()->set_type(type);
  return e;
}

v1::LeadEvent Scored(const std::string& id, v1::ScoreTrigger trigger, double engagement,
                     int cycle = 1) {
  v1::LeadEvent e = Event(id, cycle);
  e.mutable_scored()->set_trigger(trigger);
  e.mutable_scored()->mutable_score()->set_engagement_score(engagement);
  e.mutable_scored()->mutable_score()->set_fit_grade(v1::FIT_GRADE_B);
  return e;
}

// A lead captured and handed off in cycle 1, then `rejection`.
Effects Reject(const RecycleConfig& c, v1::RejectionReason rejection,
               v1::FitGrade grade = v1::FIT_GRADE_B) {
  v1::LeadEvent captured = Event("captured", 1);
  captured.mutable_captured()->mutable_person()->set_first_name("Jane");
  Effects a = OnEvent(std::nullopt, captured, c, kT0);
  v1::LeadEvent q = Event("qualified", 1);
  q.mutable_qualified()->mutable_score()->set_fit_grade(grade);
  Effects b = OnEvent(a.state, q, c, kT0);
  return OnEvent(b.state, Rejected("rejected", rejection), c, kT0 + kDay);
}

std::optional<int64_t> TimerDue(const Effects& e, const std::string& key) {
  for (const auto& t : e.timers) {
    if (t.key == key) return t.due_ms.value_or(-1);
  }
  return std::nullopt;
}

TEST(RecycleMachineTest, ReasonsChooseTheTrackOrArchive) {
  const RecycleConfig c = MakeConfig();
  struct Case {
    const char* name;
    v1::RejectionReason rejection;
    v1::FitGrade grade;
    const char* track;  // "" = archived
  };
  const Case cases[] = {
      {"not now", v1::REJECTION_REASON_BAD_TIMING, v1::FIT_GRADE_B, "not-now"},
      {"grade A, other reason", v1::REJECTION_REASON_NO_NEED, v1::FIT_GRADE_A, "a-leads"},
      {"grade B, other reason: default", v1::REJECTION_REASON_NO_NEED, v1::FIT_GRADE_B, "general"},
      {"never nurtured", v1::REJECTION_REASON_NOT_A_BUYER, v1::FIT_GRADE_A, ""},
  };
  for (const Case& t : cases) {
    SCOPED_TRACE(t.name);
    Effects e = Reject(c, t.rejection, t.grade);
    ASSERT_EQ(e.events.size(), 1u);
    if (*t.track == '\0') {
      ASSERT_TRUE(e.events[0].has_archived());
      EXPECT_EQ(e.events[0].archived().reason_code(), v1::ARCHIVE_REASON_NOT_NURTURABLE);
      EXPECT_EQ(e.state.stage(), v1::STAGE_ARCHIVED);
      continue;
    }
    ASSERT_TRUE(e.events[0].has_recycled());
    const v1::LeadRecycled& r = e.events[0].recycled();
    EXPECT_EQ(r.nurture_track_id(), t.track);
    EXPECT_EQ(r.reason_code(), v1::RECYCLE_REASON_REJECTED);
    EXPECT_EQ(r.rejection_reason(), t.rejection);
    EXPECT_EQ(r.reason().text(), "call me in Q3") << "the sales note goes to marketing";
    EXPECT_EQ(r.rep_id(), "rep-anna");
    EXPECT_EQ(r.recycle_count(), 1);
    EXPECT_EQ(r.person().first_name(), "Jane");
    EXPECT_EQ(e.events[0].envelope().stage_change().from_stage(), v1::STAGE_REJECTED);
    EXPECT_EQ(e.events[0].envelope().stage_change().to_stage(), v1::STAGE_NURTURE);
    EXPECT_EQ(e.events[0].envelope().causation_id(), "rejected");
    EXPECT_EQ(e.state.stage(), v1::STAGE_NURTURE);
  }

  // Lost deals by loss reason; disqualifications only where a track takes them.
  v1::LeadEvent lost = Event("lost", 1);
  lost.mutable_opportunity_closed()->set_outcome(v1::OPPORTUNITY_OUTCOME_LOST);
  lost.mutable_opportunity_closed()->mutable_reason()->set_code("timing");
  Effects l = OnEvent(std::nullopt, lost, c, kT0);
  ASSERT_EQ(l.events.size(), 1u);
  EXPECT_EQ(l.events[0].recycled().nurture_track_id(), "not-now");
  lost.mutable_opportunity_closed()->mutable_reason()->set_code("competitor_signed");
  EXPECT_TRUE(OnEvent(std::nullopt, lost, c, kT0).events[0].has_archived());

  v1::LeadEvent dq = Event("dq", 1);
  dq.mutable_disqualified()->set_reason_code(v1::DISQUALIFICATION_REASON_NOT_ICP);
  dq.mutable_disqualified()->set_nurture_allowed(true);
  EXPECT_EQ(OnEvent(std::nullopt, dq, c, kT0).events[0].recycled().nurture_track_id(),
            "future-fit");
  dq.mutable_disqualified()->set_nurture_allowed(false);
  EXPECT_TRUE(OnEvent(std::nullopt, dq, c, kT0).events[0].has_archived());
}

TEST(RecycleMachineTest, EngagementReleasesEarlyIntoANewCycle) {
  const RecycleConfig c = MakeConfig();
  Effects r = Reject(c, v1::REJECTION_REASON_BAD_TIMING);  // not-now: score 40, 3 engagements
  EXPECT_EQ(TimerDue(r, NurtureTimerKey("lead-1")), kT0 + kDay + 10 * kDay);
  v1::RecycleState s = r.state;

  // A score computed before qualification saw the recycle does not count.
  Effects early = OnEvent(s, Scored("s0", v1::SCORE_TRIGGER_ENGAGEMENT, 80), c, kT0 + 2 * kDay);
  EXPECT_TRUE(early.events.empty());
  s = early.state;
  s = OnEvent(s, Scored("s1", v1::SCORE_TRIGGER_RECYCLED, 0), c, kT0 + 2 * kDay).state;
  Effects low = OnEvent(s, Scored("s2", v1::SCORE_TRIGGER_ENGAGEMENT, 25), c, kT0 + 3 * kDay);
  EXPECT_TRUE(low.events.empty());
  s = low.state;
  EXPECT_EQ(s.engagement_score(), 25);
  Effects high = OnEvent(s, Scored("s3", v1::SCORE_TRIGGER_ENGAGEMENT, 45), c, kT0 + 4 * kDay);
  ASSERT_EQ(high.events.size(), 1u);
  const v1::LeadEvent& rel = high.events[0];
  ASSERT_TRUE(rel.has_nurture_released());
  EXPECT_EQ(rel.nurture_released().trigger(), v1::RELEASE_TRIGGER_RE_ENGAGEMENT);
  EXPECT_EQ(rel.nurture_released().previous_cycle(), 1);
  EXPECT_EQ(rel.envelope().cycle(), 2);
  EXPECT_EQ(rel.envelope().stage_change().to_stage(), v1::STAGE_INQUIRY);
  EXPECT_EQ(rel.nurture_released().time_in_nurture().seconds(), 3 * 86'400);
  EXPECT_EQ(high.state.cycle(), 2);
  EXPECT_EQ(TimerDue(high, NurtureTimerKey("lead-1")), -1) << "the re-check is cancelled";
  EXPECT_EQ(TimerDue(high, InquiryTimerKey("lead-1")), kT0 + 4 * kDay + 30 * kDay)
      << "the new cycle's INQUIRY clock (30 days in the shipped stage model)";

  // A release_on engagement releases at once, whatever the score.
  Effects demo = OnEvent(r.state, Engaged("e1", v1::ENGAGEMENT_TYPE_DEMO_REQUEST), c, kT0 + kDay);
  ASSERT_EQ(demo.events.size(), 1u);
  EXPECT_EQ(demo.events[0].nurture_released().engagement().type(),
            v1::ENGAGEMENT_TYPE_DEMO_REQUEST);
  // Enough engagements release too (3 in not-now).
  s = r.state;
  for (int i = 0; i < 2; ++i) {
    Effects e = OnEvent(s, Engaged("v" + std::to_string(i), v1::ENGAGEMENT_TYPE_PAGE_VIEW), c, kT0);
    EXPECT_TRUE(e.events.empty());
    s = e.state;
  }
  EXPECT_EQ(OnEvent(s, Engaged("v2", v1::ENGAGEMENT_TYPE_PAGE_VIEW), c, kT0).events.size(), 1u);
}

TEST(RecycleMachineTest, RecheckAndMaximumStayWithInjectedTimes) {
  const RecycleConfig c = MakeConfig();
  Effects r = Reject(c, v1::REJECTION_REASON_BAD_TIMING);  // re-check 10 d, max 25 d
  v1::RecycleState s = r.state;
  const int64_t recycled = kT0 + kDay;
  // A stale timer does nothing.
  EXPECT_EQ(OnTimer(s, NurtureTimerKey("lead-1"), recycled + 9 * kDay, c, 0).store,
            Effects::Store::kKeep);
  // Day 10: thresholds not met: next re-check on day 20.
  Effects first = OnTimer(s, NurtureTimerKey("lead-1"), recycled + 10 * kDay, c, 0);
  EXPECT_TRUE(first.events.empty());
  EXPECT_EQ(TimerDue(first, NurtureTimerKey("lead-1")), recycled + 20 * kDay);
  // Day 20: next due is the end of the stay (day 25), sooner than day 30.
  Effects second = OnTimer(first.state, NurtureTimerKey("lead-1"), recycled + 20 * kDay, c, 0);
  EXPECT_EQ(TimerDue(second, NurtureTimerKey("lead-1")), recycled + 25 * kDay);
  // Day 25: archived as expired.
  Effects expired = OnTimer(second.state, NurtureTimerKey("lead-1"), recycled + 25 * kDay, c, 0);
  ASSERT_EQ(expired.events.size(), 1u);
  EXPECT_EQ(expired.events[0].archived().reason_code(), v1::ARCHIVE_REASON_NURTURE_EXPIRED);
  EXPECT_EQ(expired.state.stage(), v1::STAGE_ARCHIVED);
  // Met at a re-check: released by the re-check.
  v1::RecycleState met = s;
  met.set_engagements(3);
  Effects rel = OnTimer(met, NurtureTimerKey("lead-1"), recycled + 10 * kDay, c, 0);
  ASSERT_EQ(rel.events.size(), 1u);
  EXPECT_EQ(rel.events[0].nurture_released().trigger(), v1::RELEASE_TRIGGER_RECHECK);
  // An archived lead is terminal in the shipped stage model: a demo request does not release it.
  EXPECT_TRUE(OnEvent(expired.state, Engaged("late", v1::ENGAGEMENT_TYPE_DEMO_REQUEST), c, 0)
                  .events.empty());
}

TEST(RecycleMachineTest, TheRecycleLimitArchives) {
  const RecycleConfig c = MakeConfig();  // limit 2
  v1::RecycleState s = Reject(c, v1::REJECTION_REASON_BAD_TIMING).state;
  for (int cycle = 2; cycle <= 3; ++cycle) {
    s = OnEvent(s, Engaged(StrCat("demo", cycle), v1::ENGAGEMENT_TYPE_DEMO_REQUEST, cycle - 1), c,
                kT0)
            .state;
    ASSERT_EQ(s.cycle(), cycle);
    Effects r =
        OnEvent(s, Rejected(StrCat("rej", cycle), v1::REJECTION_REASON_BAD_TIMING, cycle), c, kT0);
    ASSERT_EQ(r.events.size(), 1u);
    if (cycle == 2) {
      EXPECT_EQ(r.events[0].recycled().recycle_count(), 2);
    } else {
      ASSERT_TRUE(r.events[0].has_archived());
      EXPECT_EQ(r.events[0].archived().reason_code(), v1::ARCHIVE_REASON_RECYCLE_LIMIT);
      EXPECT_EQ(r.events[0].archived().recycle_count(), 2);
    }
    s = r.state;
  }
  // An event of an older cycle changes nothing.
  EXPECT_EQ(OnEvent(s, Rejected("old", v1::REJECTION_REASON_BAD_TIMING, 1), c, kT0).store,
            Effects::Store::kKeep);
}

TEST(RecycleMachineTest, InquiryTooLongIsRecycledAsNotReady) {
  const RecycleConfig c = MakeConfig();
  Effects captured = OnEvent(
      std::nullopt,
      [] {
        v1::LeadEvent e = Event("captured", 1);
        e.mutable_captured();
        return e;
      }(),
      c, kT0);
  ASSERT_EQ(TimerDue(captured, InquiryTimerKey("lead-1")), kT0 + 30 * kDay);
  Effects fired = OnTimer(captured.state, InquiryTimerKey("lead-1"), kT0 + 30 * kDay, c, 0);
  ASSERT_EQ(fired.events.size(), 1u);
  EXPECT_EQ(fired.events[0].recycled().reason_code(), v1::RECYCLE_REASON_NOT_READY);
  EXPECT_EQ(fired.events[0].recycled().nurture_track_id(), "general");
}

TEST(RecycleMachineTest, OpsRequestsAreIdempotentAndRefusedWithTheReason) {
  const RecycleConfig c = MakeConfig();
  v1::RecycleState nurturing = Reject(c, v1::REJECTION_REASON_BAD_TIMING).state;
  v1::RecycleCommand release;
  release.set_request_id("ops-1");
  release.mutable_release();
  Effects r = OnCommand(nurturing, release, c, kT0 + 2 * kDay);
  ASSERT_EQ(r.events.size(), 1u);
  EXPECT_EQ(r.events[0].nurture_released().trigger(), v1::RELEASE_TRIGGER_MANUAL);
  EXPECT_EQ(r.events[0].envelope().causation_id(), "ops:ops-1@lead-1/1");
  EXPECT_TRUE(OnCommand(r.state, release, c, kT0).duplicate);
  // Releasing again under a new id: not in nurture any more.
  release.set_request_id("ops-2");
  Effects again = OnCommand(r.state, release, c, kT0);
  ASSERT_TRUE(again.refusal.has_value());
  EXPECT_EQ(again.detail, "release: the lead is not in nurture (it is INQUIRY)");
  EXPECT_EQ(OnCommand(again.state, release, c, kT0).detail, again.detail) << "remembered";

  // Recycle by hand into a named track; an unknown track is refused.
  v1::RecycleCommand recycle;
  recycle.set_request_id("ops-3");
  recycle.set_reason("asked to be contacted next year");
  recycle.mutable_recycle()->set_nurture_track_id("not-now");
  Effects m = OnCommand(r.state, recycle, c, kT0);
  ASSERT_EQ(m.events.size(), 1u);
  EXPECT_EQ(m.events[0].recycled().reason_code(), v1::RECYCLE_REASON_MANUAL);
  EXPECT_EQ(m.events[0].recycled().nurture_track_id(), "not-now");
  recycle.set_request_id("ops-4");
  recycle.mutable_recycle()->set_nurture_track_id("nope");
  EXPECT_EQ(OnCommand(r.state, recycle, c, kT0).detail, "nurture_track_id: 'nope' is not a track");
  // From SAL the stage model does not allow it.
  v1::RecycleState sal = r.state;
  sal.set_stage(v1::STAGE_SAL);
  recycle.set_request_id("ops-5");
  recycle.mutable_recycle()->clear_nurture_track_id();
  EXPECT_EQ(OnCommand(sal, recycle, c, kT0).detail,
            "recycle: not allowed while the lead is SAL (cycle 2)");
  EXPECT_EQ(*OnCommand(std::nullopt, recycle, c, kT0).refusal, v1::DEAD_LETTER_REASON_UNKNOWN_LEAD);
}

TEST(RecycleMachineTest, SalesEventsOfACycleThatLeftSalesChangeNothing) {
  const RecycleConfig c = MakeConfig();
  // An operator recycles an MQL; its handoff then expires in the same cycle.
  v1::LeadEvent q = Event("qualified", 1);
  q.mutable_qualified();
  Effects mql = OnEvent(std::nullopt, q, c, kT0);
  v1::RecycleCommand recycle;
  recycle.set_request_id("ops-1");
  recycle.set_reason("not now");
  recycle.mutable_recycle();
  Effects recycled = OnCommand(mql.state, recycle, c, kT0);
  ASSERT_EQ(recycled.events.size(), 1u);
  Effects expired =
      OnEvent(recycled.state, Rejected("sla", v1::REJECTION_REASON_SLA_EXPIRED), c, kT0 + kDay);
  EXPECT_TRUE(expired.events.empty()) << "no second recycle";
  EXPECT_EQ(expired.store, Effects::Store::kKeep);
  v1::LeadEvent accepted = Event("accepted", 1);
  accepted.mutable_accepted();
  EXPECT_EQ(OnEvent(recycled.state, accepted, c, kT0).store, Effects::Store::kKeep);
}

TEST(RecycleMachineTest, NurtureConfigValidationAndTheShippedFile) {
  v1::NurtureConfig bad = MakeConfig().nurture;
  bad.set_default_track_id("missing");
  bad.set_recycle_limit(0);
  bad.mutable_tracks(0)->clear_recheck_interval();
  bad.mutable_tracks(2)->clear_disqualification_reasons();
  std::vector<std::string> paths;
  for (const auto& v : ValidateNurture(bad)) paths.push_back(v.path);
  EXPECT_EQ(paths, (std::vector<std::string>{"tracks[0].recheck_interval",
                                             "tracks[2].disqualification_reasons",
                                             "default_track_id", "recycle_limit"}));
  auto shipped = LoadNurtureFile(LEADFLOW_CONFIG_DIR "/nurture.yaml");
  ASSERT_TRUE(shipped.ok()) << shipped.status();
  EXPECT_EQ(shipped->default_track_id(), "general");
}

}  // namespace
}  // namespace leadflow::recycle
