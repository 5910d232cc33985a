// The handoff machine with values and injected times: an MQL is routed and handed off with its SLA
// deadline and comp annotation; sales answers move it through the stage model and every illegal
// one is refused (and remembered for a retry); the SLA chain escalates, reassigns and finally
// rejects or queues; stale timers and routing answers do nothing but give slots back.
#include "services/handoff/machine.h"

#include "gtest/gtest.h"
#include "services/common/config/proto_yaml.h"
#include "services/common/config/yaml_file.h"
#include "services/common/events/lead_events.h"
#include "services/common/lifecycle/comp.h"
#include "services/common/lifecycle/stage_model.h"

namespace leadflow::handoff {
namespace {
using lifecycle::Annotate;
using lifecycle::LoadCompFile;
using lifecycle::ValidateComp;

constexpr int64_t kMinute = 60'000;
constexpr int64_t kHour = 60 * kMinute;
constexpr int64_t kDay = 24 * kHour;
constexpr int64_t kT0 = 1'790'000'000'000;  // 2026-09-21

template <typename M>
M Parse(const std::string& yaml) {
  auto node = config::ParseYaml(yaml, "test.yaml");
  EXPECT_TRUE(node.ok()) << node.status();
  M out;
  const absl::Status s = config::YamlToProto(*node, "test.yaml", &out);
  EXPECT_TRUE(s.ok()) << s;
  return out;
}

const char* kRouting = R"(
fallback_queue: inside
reps:
  - {rep_id: anna, queues: [inside], weight: 1, active: true, manager_rep_id: mgr}
  - {rep_id: bob, queues: [inside], weight: 1, active: true, manager_rep_id: mgr}
  - {rep_id: mgr, queues: [managers], weight: 1, active: true}
)";

const char* kSla = R"(
accept_within: 8h
grade_overrides: [{grade: a, accept_within: 1h}]
escalation_chain:
  - {action: notify_manager, grace: 30m}
  - {action: reassign, grace: 2h}
  - {action: reassign, grace: 2h}
max_reassignments: 1
)";

const char* kComp = R"(
plan_name: Test plan
effective_from: "2026-01-01T00:00:00Z"
marketing_sourced: {touch: first, channels: [webinar, paid_search], attribution_window: 90d,
                    require_mql: true}
products:
  - {product_id: core, accelerator_percent: 100}
  - {product_id: analytics, accelerator_percent: 150}
summary_text: Webinar and paid search leads count as marketing-sourced for 90 days.
)";

HandoffConfig MakeConfig(v1::SlaExhaustedAction on_exhausted = v1::SLA_EXHAUSTED_ACTION_RECYCLE) {
  HandoffConfig c;
  c.version = 7;
  auto router = Router::Create(Parse<v1::RoutingConfig>(kRouting));
  EXPECT_TRUE(router.ok()) << router.status();
  c.router = *router;
  c.sla_config = Parse<v1::SlaConfig>(kSla);
  c.sla_config.set_on_exhausted(on_exhausted);
  auto sla = Sla::Create(c.sla_config);
  EXPECT_TRUE(sla.ok()) << sla.status();
  c.sla = *sla;
  auto stages = lifecycle::LoadStageModelFile(LEADFLOW_CONFIG_DIR "/stages.yaml");
  EXPECT_TRUE(stages.ok()) << stages.status();
  c.stages = *stages;
  c.comp = Parse<v1::CompSummary>(kComp);
  EXPECT_TRUE(ValidateComp(*c.comp).empty());
  c.comp_version = 5;
  return c;
}

v1::LeadEvent Qualified(const std::string& lead, int cycle, v1::FitGrade grade,
                        v1::Channel first_channel = v1::CHANNEL_WEBINAR) {
  v1::LeadEvent e;
  e.mutable_envelope()->set_event_id("q-" + lead + "-" + std::to_string(cycle));
  e.mutable_envelope()->set_lead_id(lead);
  e.mutable_envelope()->set_cycle(cycle);
  e.mutable_envelope()->set_correlation_id("submission:web:1");
  *e.mutable_envelope()->mutable_occurred_at() = events::TimestampFromMillis(kT0);
  v1::LeadQualified& q = *e.mutable_qualified();
  q.set_basis(v1::MQL_BASIS_SCORE);
  q.mutable_score()->set_fit_grade(grade);
  q.mutable_company()->set_country_code("DE");
  q.mutable_first_touch()->set_channel(first_channel);
  *q.mutable_first_touch()->mutable_touched_at() = events::TimestampFromMillis(kT0 - 10 * kDay);
  return e;
}

v1::RoutingAssignment Assignment(const v1::HandoffState& s, const std::string& rep) {
  v1::RoutingAssignment a;
  a.set_lead_id(s.handoff().lead_id());
  a.set_cycle(s.handoff().cycle());
  a.set_attempt(s.handoff().attempt());
  a.set_rep_id(rep);
  a.set_queue("inside");
  a.mutable_decision()->set_method(v1::ROUTING_METHOD_FALLBACK);
  return a;
}

v1::SalesFeedback Feedback(const std::string& key, const std::string& rep) {
  v1::SalesFeedback f;
  f.set_idempotency_key(key);
  f.set_source_system("crm");
  f.set_lead_id("lead-1");
  f.set_rep_id(rep);
  return f;
}

v1::SalesFeedback Accept(const std::string& key, const std::string& rep) {
  v1::SalesFeedback f = Feedback(key, rep);
  f.mutable_accept();
  return f;
}

// A lead handed off to `rep` at kT0 (grade A: deadline kT0 + 1h).
v1::HandoffState HandedOff(const HandoffConfig& c, const std::string& rep) {
  Effects q = OnQualified(std::nullopt, Qualified("lead-1", 1, v1::FIT_GRADE_A), c);
  Effects a = OnAssignment(q.state, Assignment(q.state, rep), c, kT0);
  EXPECT_EQ(a.store, Effects::Store::kPut);
  return a.state;
}

TEST(MachineTest, QualifiedIsRoutedThenHandedOffWithDeadlineAndComp) {
  const HandoffConfig c = MakeConfig();
  Effects q = OnQualified(std::nullopt, Qualified("lead-1", 1, v1::FIT_GRADE_A), c);
  ASSERT_EQ(q.store, Effects::Store::kPut);
  EXPECT_TRUE(q.events.empty()) << "nothing is published before routing answers";
  ASSERT_EQ(q.routing.size(), 1u);
  EXPECT_EQ(q.routing[0].route().lead_id(), "lead-1");
  EXPECT_EQ(q.routing[0].route().lead().company().country_code(), "DE");
  EXPECT_TRUE(q.state.awaiting_route());

  Effects a = OnAssignment(q.state, Assignment(q.state, "anna"), c, kT0);
  ASSERT_EQ(a.events.size(), 1u);
  const v1::LeadEvent& e = a.events[0];
  ASSERT_TRUE(e.has_handed_off());
  EXPECT_EQ(e.handed_off().owner_rep_id(), "anna");
  EXPECT_EQ(e.handed_off().attempt(), 1);
  EXPECT_EQ(events::MillisFromTimestamp(e.handed_off().sla_deadline()), kT0 + kHour);
  EXPECT_EQ(e.envelope().causation_id(), "q-lead-1-1");
  EXPECT_EQ(e.envelope().config_version(), 7);
  EXPECT_TRUE(e.handed_off().comp().marketing_sourced())
      << e.handed_off().comp().marketing_sourced_reason().text();
  EXPECT_EQ(e.handed_off().comp().comp_summary_version(), 5);
  EXPECT_EQ(a.timer, Effects::Timer::kSchedule);
  EXPECT_EQ(a.timer_due_ms, kT0 + kHour);

  // The same MQL again (a replayed input) changes nothing.
  Effects again = OnQualified(a.state, Qualified("lead-1", 1, v1::FIT_GRADE_A), c);
  EXPECT_EQ(again.store, Effects::Store::kKeep);
  EXPECT_TRUE(again.routing.empty());
}

TEST(MachineTest, TheWholeSalesPathMovesThroughTheStageModel) {
  const HandoffConfig c = MakeConfig();
  v1::HandoffState s = HandedOff(c, "anna");

  Effects accept = OnFeedback(s, Accept("k1", "anna"), c, kT0 + 20 * kMinute, kT0 + 60 * kDay);
  ASSERT_EQ(accept.outcome, v1::FEEDBACK_OUTCOME_APPLIED);
  ASSERT_EQ(accept.events.size(), 1u);
  const v1::LeadAccepted& accepted = accept.events[0].accepted();
  EXPECT_TRUE(accepted.within_sla());
  EXPECT_EQ(accepted.time_to_accept().seconds(), 20 * 60);
  EXPECT_EQ(accept.events[0].envelope().stage_change().to_stage(), v1::STAGE_SAL);
  EXPECT_EQ(accept.events[0].envelope().causation_id(), "feedback:crm:k1");
  EXPECT_EQ(accept.timer, Effects::Timer::kCancel);
  ASSERT_EQ(accept.routing.size(), 1u);
  EXPECT_TRUE(accept.routing[0].has_release());
  s = accept.state;

  // A retry of the same answer is a duplicate: nothing new.
  Effects retry = OnFeedback(s, Accept("k1", "anna"), c, kT0 + 21 * kMinute, kT0 + 60 * kDay);
  EXPECT_EQ(retry.outcome, v1::FEEDBACK_OUTCOME_DUPLICATE);
  EXPECT_EQ(retry.store, Effects::Store::kKeep);
  EXPECT_TRUE(retry.events.empty());

  v1::SalesFeedback convert = Feedback("k2", "anna");
  convert.mutable_convert()->mutable_criteria()->set_need(true);
  convert.mutable_convert()->mutable_criteria()->set_budget(true);
  Effects converted = OnFeedback(s, convert, c, kT0 + kDay, kT0 + 60 * kDay);
  ASSERT_EQ(converted.outcome, v1::FEEDBACK_OUTCOME_APPLIED);
  EXPECT_EQ(converted.events[0].envelope().stage_change().to_stage(), v1::STAGE_SQL);
  EXPECT_TRUE(converted.routing.empty()) << "only a pending handoff holds a capacity slot";
  s = converted.state;

  v1::SalesFeedback open = Feedback("k3", "anna");
  open.mutable_opportunity_opened()->set_opportunity_id("opp-1");
  open.mutable_opportunity_opened()->mutable_amount()->set_currency_code("EUR");
  open.mutable_opportunity_opened()->mutable_amount()->set_amount_micros(50'000'000'000);
  open.mutable_opportunity_opened()->add_product_ids("core");
  open.mutable_opportunity_opened()->add_product_ids("analytics");
  Effects opened = OnFeedback(s, open, c, kT0 + 2 * kDay, kT0 + 60 * kDay);
  ASSERT_EQ(opened.outcome, v1::FEEDBACK_OUTCOME_APPLIED);
  const v1::LeadOpportunityOpened& o = opened.events[0].opportunity_opened();
  EXPECT_TRUE(o.comp().marketing_sourced()) << o.comp().marketing_sourced_reason().text();
  ASSERT_EQ(o.comp().accelerated_product_ids_size(), 1);
  EXPECT_EQ(o.comp().accelerated_product_ids(0), "analytics");
  s = opened.state;
  EXPECT_EQ(s.handoff().opportunity_id(), "opp-1");

  v1::SalesFeedback close = Feedback("k4", "anna");
  close.mutable_opportunity_closed()->set_opportunity_id("opp-1");
  close.mutable_opportunity_closed()->set_outcome(v1::OPPORTUNITY_OUTCOME_WON);
  close.mutable_opportunity_closed()->mutable_amount()->set_amount_micros(48'000'000'000);
  close.mutable_opportunity_closed()->set_competitor("rivalcorp");
  Effects closed = OnFeedback(s, close, c, kT0 + 30 * kDay, kT0 + 60 * kDay);
  ASSERT_EQ(closed.outcome, v1::FEEDBACK_OUTCOME_APPLIED);
  const v1::LeadOpportunityClosed& won = closed.events[0].opportunity_closed();
  EXPECT_EQ(closed.events[0].envelope().stage_change().to_stage(), v1::STAGE_WON);
  EXPECT_TRUE(won.comp().marketing_sourced());
  EXPECT_EQ(won.product_ids_size(), 2) << "the opened products when the close names none";
  EXPECT_EQ(closed.state.handoff().status(), v1::HANDOFF_STATUS_WON);
}

TEST(MachineTest, IllegalAnswersAreRefusedWithTheReasonAndRememberedForRetries) {
  const HandoffConfig c = MakeConfig();
  const v1::HandoffState s = HandedOff(c, "anna");
  struct Case {
    const char* name;
    v1::SalesFeedback feedback;
    const char* detail;
  };
  v1::SalesFeedback convert = Feedback("c", "anna");
  convert.mutable_convert()->mutable_criteria()->set_need(true);
  v1::SalesFeedback close = Feedback("x", "anna");
  close.mutable_opportunity_closed()->set_opportunity_id("opp-9");
  close.mutable_opportunity_closed()->set_outcome(v1::OPPORTUNITY_OUTCOME_LOST);
  const Case cases[] = {
      {"someone else's handoff", Accept("a", "bob"), "rep_id: bob does not own this handoff"},
      {"convert before accept", convert, "convert: not allowed while the lead is MQL"},
      {"close what was never opened", close,
       "opportunity_closed: not allowed while the lead is MQL"},
  };
  for (const Case& t : cases) {
    SCOPED_TRACE(t.name);
    Effects r = OnFeedback(s, t.feedback, c, kT0 + kMinute, kT0);
    ASSERT_TRUE(r.refusal.has_value());
    EXPECT_EQ(*r.refusal, v1::DEAD_LETTER_REASON_INVALID_TRANSITION);
    EXPECT_NE(r.detail.find(t.detail), std::string::npos) << r.detail;
    EXPECT_TRUE(r.events.empty());
    EXPECT_TRUE(r.routing.empty());
    EXPECT_EQ(r.timer, Effects::Timer::kKeep);
    // Remembered: the retry gets the same refusal, and the state is otherwise unchanged.
    ASSERT_EQ(r.store, Effects::Store::kPut);
    EXPECT_EQ(r.state.stage(), v1::STAGE_MQL);
    Effects retry = OnFeedback(r.state, t.feedback, c, kT0 + 2 * kMinute, kT0);
    ASSERT_TRUE(retry.refusal.has_value());
    EXPECT_EQ(retry.detail, r.detail);
    EXPECT_EQ(retry.store, Effects::Store::kKeep);
  }

  // An opportunity id that is not the open one.
  v1::HandoffState at_opp = s;
  at_opp.set_stage(v1::STAGE_OPPORTUNITY);
  at_opp.mutable_handoff()->set_opportunity_id("opp-1");
  Effects wrong = OnFeedback(at_opp, close, c, kT0, kT0);
  ASSERT_TRUE(wrong.refusal.has_value());
  EXPECT_NE(wrong.detail.find("'opp-9' is not the lead's open opportunity ('opp-1')"),
            std::string::npos)
      << wrong.detail;

  // No handoff at all.
  Effects unknown = OnFeedback(std::nullopt, Accept("u", "anna"), c, kT0, kT0);
  ASSERT_TRUE(unknown.refusal.has_value());
  EXPECT_EQ(*unknown.refusal, v1::DEAD_LETTER_REASON_UNKNOWN_LEAD);
  EXPECT_EQ(unknown.store, Effects::Store::kKeep);
}

TEST(MachineTest, FeedbackValidationNamesTheField) {
  const HandoffConfig c = MakeConfig();
  v1::SalesFeedback none = Feedback("k", "anna");
  v1::SalesFeedback no_key = Accept("", "anna");
  v1::SalesFeedback sla = Feedback("k", "anna");
  sla.mutable_reject()->set_reason_code(v1::REJECTION_REASON_SLA_EXPIRED);
  v1::SalesFeedback no_reason = Feedback("k", "anna");
  no_reason.mutable_reject();
  v1::SalesFeedback no_criteria = Feedback("k", "anna");
  no_criteria.mutable_convert();
  v1::SalesFeedback no_outcome = Feedback("k", "anna");
  no_outcome.mutable_opportunity_closed()->set_opportunity_id("o");
  v1::SalesFeedback ok = Feedback("k", "anna");
  ok.mutable_reject()->set_reason_code(v1::REJECTION_REASON_BAD_TIMING);
  EXPECT_EQ(ValidateFeedback(none, c.stages).rfind("action:", 0), 0u);
  EXPECT_EQ(ValidateFeedback(no_key, c.stages), "idempotency_key: is required");
  EXPECT_EQ(ValidateFeedback(sla, c.stages).rfind("reject.reason_code: sla_expired", 0), 0u);
  EXPECT_EQ(ValidateFeedback(no_reason, c.stages), "reject.reason_code: is required");
  EXPECT_EQ(ValidateFeedback(no_criteria, c.stages).rfind("convert.criteria:", 0), 0u);
  EXPECT_EQ(ValidateFeedback(no_outcome, c.stages),
            "opportunity_closed.outcome: must be won or lost");
  EXPECT_EQ(ValidateFeedback(ok, c.stages), "");

  // A picklist without bad_timing refuses it.
  v1::StageModel narrow = c.stages;
  narrow.clear_rejection_reasons();
  narrow.add_rejection_reasons()->set_reason(v1::REJECTION_REASON_NOT_ICP);
  EXPECT_NE(ValidateFeedback(ok, narrow).find("bad_timing is not on the configured list (not_icp)"),
            std::string::npos);
}

TEST(MachineTest, SlaChainNotifiesReassignsThenRejects) {
  const HandoffConfig c = MakeConfig();
  Effects q = OnQualified(std::nullopt, Qualified("lead-1", 1, v1::FIT_GRADE_A), c);
  Effects first = OnAssignment(q.state, Assignment(q.state, "anna"), c, kT0);
  ASSERT_EQ(first.events.size(), 1u);
  v1::HandoffState s = first.state;
  const int64_t deadline = kT0 + kHour;

  // A timer that no longer matches the handoff does nothing.
  EXPECT_EQ(OnSlaTimer(s, deadline - 1, c, deadline).store, Effects::Store::kKeep);

  // Step 1: the manager is told; anna keeps the lead for 30 more minutes.
  Effects notify = OnSlaTimer(s, deadline, c, deadline + 5);
  ASSERT_EQ(notify.events.size(), 1u);
  const v1::LeadEscalated& esc = notify.events[0].escalated();
  EXPECT_EQ(esc.level(), 1);
  EXPECT_EQ(esc.escalated_to(), "mgr");
  EXPECT_EQ(esc.rep_id(), "anna");
  EXPECT_EQ(notify.timer, Effects::Timer::kSchedule);
  EXPECT_EQ(notify.timer_due_ms, deadline + 30 * kMinute);
  EXPECT_TRUE(notify.routing.empty());
  s = notify.state;

  // Step 2: reassigned — anna's slot is released and routing asked again without her.
  Effects reassign = OnSlaTimer(s, deadline + 30 * kMinute, c, deadline + 31 * kMinute);
  ASSERT_EQ(reassign.events.size(), 1u);
  EXPECT_EQ(reassign.events[0].escalated().level(), 2);
  ASSERT_EQ(reassign.routing.size(), 2u);
  EXPECT_TRUE(reassign.routing[0].has_release());
  EXPECT_EQ(reassign.routing[0].release().attempt(), 1);
  ASSERT_TRUE(reassign.routing[1].has_route());
  EXPECT_EQ(reassign.routing[1].route().attempt(), 2);
  ASSERT_EQ(reassign.routing[1].route().exclude_size(), 1);
  EXPECT_EQ(reassign.routing[1].route().exclude(0), "anna");
  s = reassign.state;

  // Routing answers: LeadReassigned then LeadHandedOff (attempt 2) with the step's grace.
  Effects second = OnAssignment(s, Assignment(s, "bob"), c, deadline + 32 * kMinute);
  ASSERT_EQ(second.events.size(), 2u);
  EXPECT_EQ(second.events[0].reassigned().from_rep_id(), "anna");
  EXPECT_EQ(second.events[0].reassigned().to_rep_id(), "bob");
  EXPECT_EQ(second.events[1].handed_off().attempt(), 2);
  const int64_t second_deadline = deadline + 30 * kMinute + 2 * kHour;
  EXPECT_EQ(events::MillisFromTimestamp(second.events[1].handed_off().sla_deadline()),
            second_deadline);
  EXPECT_NE(second.events[1].envelope().event_id(), first.events[0].envelope().event_id())
      << "each attempt has its own event id";
  s = second.state;

  // Step 3 would reassign again, but max_reassignments is 1: rejected as SLA_EXPIRED.
  Effects expired = OnSlaTimer(s, second_deadline, c, second_deadline + 1);
  ASSERT_EQ(expired.events.size(), 1u);
  EXPECT_EQ(expired.events[0].rejected().reason_code(), v1::REJECTION_REASON_SLA_EXPIRED);
  EXPECT_EQ(expired.events[0].envelope().stage_change().to_stage(), v1::STAGE_REJECTED);
  EXPECT_EQ(expired.state.stage(), v1::STAGE_REJECTED);
  ASSERT_EQ(expired.routing.size(), 1u);
  EXPECT_EQ(expired.routing[0].release().attempt(), 2);

  // Bob's late accept is refused: the lead is REJECTED now.
  Effects late = OnFeedback(expired.state, Accept("late", "bob"), c, second_deadline + 2, 0);
  ASSERT_TRUE(late.refusal.has_value());
}

TEST(MachineTest, ExhaustedChainCanHandTheLeadToTheTeamQueue) {
  const HandoffConfig c = MakeConfig(v1::SLA_EXHAUSTED_ACTION_QUEUE);
  v1::HandoffState s = HandedOff(c, "anna");
  s.set_escalation_steps(3);  // the chain is done
  Effects queued = OnSlaTimer(s, kT0 + kHour, c, kT0 + kHour);
  ASSERT_EQ(queued.events.size(), 2u);
  EXPECT_EQ(queued.events[0].reassigned().from_rep_id(), "anna");
  EXPECT_EQ(queued.events[0].reassigned().to_rep_id(), "");
  const v1::LeadHandedOff& h = queued.events[1].handed_off();
  EXPECT_EQ(h.owner_rep_id(), "");
  EXPECT_EQ(h.queue(), "inside");
  EXPECT_FALSE(h.has_sla_deadline());
  EXPECT_EQ(queued.timer, Effects::Timer::kCancel);
  // Any rep of the queue may take it; others may not.
  Effects outsider = OnFeedback(queued.state, Accept("m", "mgr"), c, kT0 + 2 * kHour, 0);
  ASSERT_TRUE(outsider.refusal.has_value());
  EXPECT_NE(outsider.detail.find("does not work the queue inside"), std::string::npos);
  Effects taken = OnFeedback(queued.state, Accept("b", "bob"), c, kT0 + 2 * kHour, 0);
  ASSERT_EQ(taken.outcome, v1::FEEDBACK_OUTCOME_APPLIED);
  EXPECT_EQ(taken.state.handoff().owner_rep_id(), "bob");
}

TEST(MachineTest, StaleRoutingAnswersAndWithdrawalsGiveSlotsBack) {
  const HandoffConfig c = MakeConfig();
  Effects q = OnQualified(std::nullopt, Qualified("lead-1", 1, v1::FIT_GRADE_B), c);
  // Disqualified while routing: withdrawn, the slot (if any) released, the timer cancelled.
  v1::LeadEvent dq;
  dq.mutable_envelope()->set_lead_id("lead-1");
  dq.mutable_envelope()->set_cycle(1);
  dq.mutable_disqualified();
  Effects w = OnDisqualified(q.state, dq);
  EXPECT_EQ(w.state.handoff().status(), v1::HANDOFF_STATUS_WITHDRAWN);
  EXPECT_EQ(w.timer, Effects::Timer::kCancel);
  ASSERT_EQ(w.routing.size(), 1u);
  // Routing's answer arrives after: no handoff, only the slot back.
  Effects late = OnAssignment(w.state, Assignment(q.state, "anna"), c, kT0);
  EXPECT_TRUE(late.events.empty());
  EXPECT_EQ(late.store, Effects::Store::kKeep);
  ASSERT_EQ(late.routing.size(), 1u);
  EXPECT_EQ(late.routing[0].release().lead_id(), "lead-1");
  // A new cycle is a new handoff.
  Effects next = OnQualified(w.state, Qualified("lead-1", 2, v1::FIT_GRADE_B), c);
  EXPECT_EQ(next.state.handoff().cycle(), 2);
  EXPECT_EQ(next.state.stage(), v1::STAGE_MQL);
}

TEST(MachineTest, RecycledWhileWithSalesIsWithdrawnAndErasureForgets) {
  const HandoffConfig c = MakeConfig();
  const v1::HandoffState s = HandedOff(c, "anna");
  v1::LeadEvent recycled;
  recycled.mutable_envelope()->set_lead_id("lead-1");
  recycled.mutable_envelope()->set_cycle(1);
  recycled.mutable_recycled();
  Effects w = OnRecycled(s, recycled);
  EXPECT_EQ(w.state.handoff().status(), v1::HANDOFF_STATUS_WITHDRAWN);
  EXPECT_EQ(w.state.stage(), v1::STAGE_NURTURE);
  EXPECT_EQ(w.timer, Effects::Timer::kCancel);
  ASSERT_EQ(w.routing.size(), 1u);
  EXPECT_TRUE(w.routing[0].has_release());
  // The rep's late accept is refused by the stage model.
  Effects late = OnFeedback(w.state, Accept("late", "anna"), c, kT0, kT0 + kMinute);
  ASSERT_TRUE(late.refusal.has_value());
  EXPECT_NE(late.detail.find("not allowed while the lead is NURTURE"), std::string::npos);
  // A recycle of another cycle changes nothing.
  recycled.mutable_envelope()->set_cycle(2);
  EXPECT_EQ(OnRecycled(s, recycled).store, Effects::Store::kKeep);

  Effects erased = OnErased(s);
  EXPECT_EQ(erased.store, Effects::Store::kDelete);
  EXPECT_EQ(erased.timer, Effects::Timer::kCancel);
  EXPECT_EQ(erased.routing.size(), 1u) << "the slot of a pending handoff is given back";
}

TEST(MachineTest, AnswerIdsAreScopedByLeadAndTimesByTheHandoff) {
  const HandoffConfig c = MakeConfig();
  const v1::HandoffState s1 = HandedOff(c, "anna");
  v1::HandoffState s2 = s1;
  s2.mutable_handoff()->set_lead_id("lead-2");
  Effects a1 = OnFeedback(s1, Accept("same-key", "anna"), c, kT0 + kMinute, kT0 + kHour);
  Effects a2 = OnFeedback(s2, Accept("same-key", "anna"), c, kT0 + kMinute, kT0 + kHour);
  ASSERT_EQ(a1.events.size(), 1u);
  ASSERT_EQ(a2.events.size(), 1u);
  EXPECT_NE(a1.events[0].envelope().event_id(), a2.events[0].envelope().event_id())
      << "two leads answered with the same idempotency key are two events";
  EXPECT_EQ(a1.events[0].envelope().causation_id(), "feedback:crm:same-key");
  // A time before the handoff or in the future is held to the handoff and now.
  Effects early = OnFeedback(s1, Accept("early", "anna"), c, kT0 - kDay, kT0 + kHour);
  EXPECT_EQ(early.events[0].accepted().time_to_accept().seconds(), 0);
  Effects future = OnFeedback(s1, Accept("future", "anna"), c, kT0 + kDay, kT0 + 10 * kMinute);
  EXPECT_EQ(future.events[0].accepted().time_to_accept().seconds(), 10 * 60);
}

TEST(MachineTest, AnAcceptAfterTheChainRanOutIsNotWithinTheSla) {
  const HandoffConfig c = MakeConfig(v1::SLA_EXHAUSTED_ACTION_QUEUE);
  v1::HandoffState s = HandedOff(c, "anna");
  s.set_escalation_steps(3);
  Effects queued = OnSlaTimer(s, kT0 + kHour, c, kT0 + kHour);
  Effects taken = OnFeedback(queued.state, Accept("b", "bob"), c, kT0 + 2 * kHour, kT0 + 2 * kHour);
  ASSERT_EQ(taken.events.size(), 1u);
  EXPECT_FALSE(taken.events[0].accepted().within_sla());
}

TEST(CompTest, MarketingSourcedFollowsThePlanInPlainWords) {
  const v1::CompSummary comp = Parse<v1::CompSummary>(kComp);
  v1::Source first;
  first.set_channel(v1::CHANNEL_WEBINAR);
  *first.mutable_touched_at() = events::TimestampFromMillis(kT0);
  v1::CompAnnotation in = Annotate(comp, 5, first, {}, kT0 + 10 * kDay, true, true, {"analytics"});
  EXPECT_TRUE(in.marketing_sourced());
  EXPECT_EQ(in.marketing_sourced_reason().code(), "comp.marketing_sourced");
  EXPECT_EQ(in.accelerated_product_ids_size(), 1);
  EXPECT_EQ(events::MillisFromTimestamp(in.attribution_window_ends_at()), kT0 + 90 * kDay);

  v1::CompAnnotation late = Annotate(comp, 5, first, {}, kT0 + 91 * kDay, true, true, {});
  EXPECT_FALSE(late.marketing_sourced());
  EXPECT_EQ(late.marketing_sourced_reason().code(), "comp.outside_window");
  EXPECT_NE(late.marketing_sourced_reason().text().find("90-day attribution window"),
            std::string::npos)
      << late.marketing_sourced_reason().text();

  first.set_channel(v1::CHANNEL_OUTBOUND);
  v1::CompAnnotation outbound = Annotate(comp, 5, first, {}, kT0, false, true, {});
  EXPECT_FALSE(outbound.marketing_sourced());
  EXPECT_EQ(outbound.marketing_sourced_reason().text(),
            "the first touch was outbound, which plan \"Test plan\" does not count as marketing");

  first.set_channel(v1::CHANNEL_WEBINAR);
  EXPECT_EQ(Annotate(comp, 5, first, {}, kT0, false, false, {}).marketing_sourced_reason().code(),
            "comp.not_mql");

  v1::CompSummary bad = comp;
  bad.mutable_products(1)->set_accelerator_percent(90);
  bad.mutable_marketing_sourced()->clear_channels();
  const auto v = ValidateComp(bad);
  ASSERT_EQ(v.size(), 2u);
  EXPECT_EQ(v[0].path, "marketing_sourced.channels");
  EXPECT_EQ(v[1].path, "products[1].accelerator_percent");
}

TEST(CompTest, ShippedCompSummaryLoads) {
  auto comp = LoadCompFile(LEADFLOW_CONFIG_DIR "/comp.yaml");
  ASSERT_TRUE(comp.ok()) << comp.status();
  EXPECT_EQ(comp->products_size(), 3);
}

}  // namespace
}  // namespace leadflow::handoff
