// The lead-cycle facts with values: a lead through two cycles — captured, qualified, handed off,
// escalated, accepted, lost, recycled, released, qualified again and won — folds into exactly one
// row per cycle with the stages entered, the SLA facts, the outcome and the attribution.
#include "services/reporting/facts.h"

#include "services/reporting/aggregates.h"

#include <map>

#include "gtest/gtest.h"
#include "services/common/events/lead_events.h"

namespace leadflow::reporting {
namespace {

constexpr int64_t kT0 = 1'790'000'000'000;
constexpr int64_t kHour = 3'600'000;

v1::LeadEvent At(int64_t at, int cycle, v1::Stage from = v1::STAGE_UNSPECIFIED,
                 v1::Stage to = v1::STAGE_UNSPECIFIED) {
  v1::LeadEvent e;
  e.mutable_envelope()->set_lead_id("lead-1");
  e.mutable_envelope()->set_cycle(cycle);
  *e.mutable_envelope()->mutable_occurred_at() = events::TimestampFromMillis(at);
  if (to != v1::STAGE_UNSPECIFIED) {
    e.mutable_envelope()->mutable_stage_change()->set_from_stage(from);
    e.mutable_envelope()->mutable_stage_change()->set_to_stage(to);
  }
  return e;
}

// Folds `events` the way the processor does: by cycle key, storing every row returned.
std::map<int, v1::LeadCycleFacts> FoldAll(const std::vector<v1::LeadEvent>& events) {
  std::map<int, v1::LeadCycleFacts> rows;
  int current = 0;
  for (const v1::LeadEvent& e : events) {
    const int cycle = CycleOf(e, current);
    std::optional<v1::LeadCycleFacts> row;
    if (auto it = rows.find(cycle); it != rows.end()) row = it->second;
    for (v1::LeadCycleFacts& f : Fold(std::move(row), e)) {
      current = std::max(current, f.cycle());
      rows[f.cycle()] = std::move(f);
    }
  }
  return rows;
}

TEST(FactsTest, OneRowPerCycleWithStagesSlaOutcomeAndAttribution) {
  std::vector<v1::LeadEvent> events;
  v1::LeadEvent captured = At(kT0, 1, v1::STAGE_UNSPECIFIED, v1::STAGE_INQUIRY);
  captured.mutable_captured()->mutable_first_touch()->set_channel(v1::CHANNEL_WEBINAR);
  captured.mutable_captured()->mutable_first_touch()->set_campaign_id("q3-webinar");
  events.push_back(captured);
  v1::LeadEvent engaged = At(kT0 + 1, 0);  // intake's events carry no cycle
  engaged.mutable_engagement_recorded();
  events.push_back(engaged);
  v1::LeadEvent qualified = At(kT0 + kHour, 1, v1::STAGE_INQUIRY, v1::STAGE_MQL);
  qualified.mutable_qualified()->mutable_score()->set_fit_grade(v1::FIT_GRADE_A);
  qualified.mutable_qualified()->set_basis(v1::MQL_BASIS_HAND_RAISER);
  events.push_back(qualified);
  v1::LeadEvent handed = At(kT0 + 2 * kHour, 1);
  handed.mutable_handed_off()->set_owner_rep_id("rep-a");
  handed.mutable_handed_off()->set_queue("emea");
  handed.mutable_handed_off()->mutable_routing()->set_segment("mid_market");
  handed.mutable_handed_off()->mutable_comp()->set_marketing_sourced(true);
  events.push_back(handed);
  v1::LeadEvent escalated = At(kT0 + 3 * kHour, 1);
  escalated.mutable_escalated();
  events.push_back(escalated);
  v1::LeadEvent accepted = At(kT0 + 4 * kHour, 1, v1::STAGE_MQL, v1::STAGE_SAL);
  accepted.mutable_accepted()->set_within_sla(false);
  accepted.mutable_accepted()->set_rep_id("rep-a");
  events.push_back(accepted);
  events.push_back([] {
    v1::LeadEvent e = At(kT0 + 5 * kHour, 1, v1::STAGE_SAL, v1::STAGE_SQL);
    e.mutable_converted();
    return e;
  }());
  events.push_back([] {
    v1::LeadEvent e = At(kT0 + 6 * kHour, 1, v1::STAGE_SQL, v1::STAGE_OPPORTUNITY);
    e.mutable_opportunity_opened()->mutable_amount()->set_amount_micros(10'000'000'000);
    return e;
  }());
  events.push_back([] {
    v1::LeadEvent e = At(kT0 + 7 * kHour, 1, v1::STAGE_OPPORTUNITY, v1::STAGE_LOST);
    e.mutable_opportunity_closed()->set_outcome(v1::OPPORTUNITY_OUTCOME_LOST);
    e.mutable_opportunity_closed()->mutable_reason()->set_code("timing");
    e.mutable_opportunity_closed()->set_competitor("rival");
    return e;
  }());
  events.push_back([] {
    v1::LeadEvent e = At(kT0 + 8 * kHour, 1, v1::STAGE_LOST, v1::STAGE_NURTURE);
    e.mutable_recycled()->set_reason_code(v1::RECYCLE_REASON_LOST);
    e.mutable_recycled()->set_nurture_track_id("not-now");
    return e;
  }());
  events.push_back([] {
    v1::LeadEvent e = At(kT0 + 9 * kHour, 2, v1::STAGE_NURTURE, v1::STAGE_INQUIRY);
    e.mutable_nurture_released()->set_previous_cycle(1);
    return e;
  }());
  events.push_back([] {
    v1::LeadEvent e = At(kT0 + 10 * kHour, 2, v1::STAGE_INQUIRY, v1::STAGE_MQL);
    e.mutable_qualified()->mutable_score()->set_fit_grade(v1::FIT_GRADE_B);
    return e;
  }());
  events.push_back([] {
    v1::LeadEvent e = At(kT0 + 11 * kHour, 2, v1::STAGE_OPPORTUNITY, v1::STAGE_WON);
    e.mutable_opportunity_closed()->set_outcome(v1::OPPORTUNITY_OUTCOME_WON);
    e.mutable_opportunity_closed()->mutable_amount()->set_amount_micros(12'000'000'000);
    return e;
  }());

  const std::map<int, v1::LeadCycleFacts> rows = FoldAll(events);
  ASSERT_EQ(rows.size(), 2u);
  const v1::LeadCycleFacts& c1 = rows.at(1);
  EXPECT_EQ(c1.started_at_ms(), kT0);
  EXPECT_EQ(c1.first_touch().campaign_id(), "q3-webinar");
  EXPECT_EQ(c1.fit_grade(), v1::FIT_GRADE_A);
  EXPECT_EQ(c1.mql_basis(), v1::MQL_BASIS_HAND_RAISER);
  EXPECT_EQ(c1.segment(), "mid_market");
  EXPECT_EQ(c1.handed_off_at_ms(), kT0 + 2 * kHour);
  EXPECT_EQ(c1.escalations(), 1);
  EXPECT_FALSE(c1.accepted_within_sla());
  EXPECT_TRUE(c1.marketing_sourced());
  EXPECT_EQ(c1.outcome(), v1::OPPORTUNITY_OUTCOME_LOST);
  EXPECT_EQ(c1.outcome_reason().code(), "timing");
  EXPECT_EQ(c1.competitor(), "rival");
  EXPECT_TRUE(c1.recycled());
  EXPECT_EQ(c1.stage(), v1::STAGE_NURTURE) << "the cycle ended in nurture";
  std::map<int, int64_t> entered(c1.entered_at_ms().begin(), c1.entered_at_ms().end());
  EXPECT_EQ(entered, (std::map<int, int64_t>{{v1::STAGE_INQUIRY, kT0},
                                             {v1::STAGE_MQL, kT0 + kHour},
                                             {v1::STAGE_SAL, kT0 + 4 * kHour},
                                             {v1::STAGE_SQL, kT0 + 5 * kHour},
                                             {v1::STAGE_OPPORTUNITY, kT0 + 6 * kHour},
                                             {v1::STAGE_LOST, kT0 + 7 * kHour},
                                             {v1::STAGE_NURTURE, kT0 + 8 * kHour}}));
  EXPECT_EQ(c1.events(), 11) << "every event of cycle 1, the release included";

  const v1::LeadCycleFacts& c2 = rows.at(2);
  EXPECT_EQ(c2.started_at_ms(), kT0 + 9 * kHour);
  EXPECT_EQ(c2.first_touch().campaign_id(), "q3-webinar") << "attribution carries over";
  EXPECT_EQ(c2.fit_grade(), v1::FIT_GRADE_B);
  EXPECT_EQ(c2.outcome(), v1::OPPORTUNITY_OUTCOME_WON);
  EXPECT_EQ(c2.amount().amount_micros(), 12'000'000'000);
  EXPECT_EQ(c2.stage(), v1::STAGE_WON);
  EXPECT_TRUE(c2.entered_at_ms().contains(v1::STAGE_INQUIRY));
  EXPECT_FALSE(c2.recycled());
  EXPECT_EQ(CycleKey("lead-1", 2), "lead-1/000002");
}

TEST(FactsTest, SlaComplianceFromHandoffFacts) {
  // Five handoffs by rep: accepted in time, accepted late, rejected in time, expired, pending.
  auto row = [](const std::string& id, const std::string& rep) {
    v1::LeadCycleFacts f;
    f.set_lead_id(id);
    f.set_cycle(1);
    f.set_rep_id(rep);
    f.set_handed_off_at_ms(kT0);
    f.set_sla_deadline_ms(kT0 + kHour);
    f.set_stage(v1::STAGE_MQL);
    return f;
  };
  std::vector<v1::LeadCycleFacts> rows;
  rows.push_back(row("a", "rep-a"));
  (*rows.back().mutable_entered_at_ms())[v1::STAGE_SAL] = kT0 + 10 * 60'000;
  rows.back().set_accepted_within_sla(true);
  rows.push_back(row("b", "rep-a"));
  (*rows.back().mutable_entered_at_ms())[v1::STAGE_SAL] = kT0 + 3 * kHour;
  rows.back().set_escalations(1);
  rows.push_back(row("c", "rep-a"));
  (*rows.back().mutable_entered_at_ms())[v1::STAGE_REJECTED] = kT0 + 30 * 60'000;
  rows.push_back(row("d", "rep-a"));
  (*rows.back().mutable_entered_at_ms())[v1::STAGE_REJECTED] = kT0 + 9 * kHour;
  rows.back().set_sla_expired(true);
  rows.back().set_escalations(2);
  rows.back().set_reassignments(1);
  rows.push_back(row("e", "rep-b"));
  v1::GetSlaComplianceRequest request;
  request.mutable_query()->add_group_by(v1::REPORT_DIMENSION_REP);
  auto got = SlaCompliance(rows, request, kT0 + 10 * kHour);
  ASSERT_TRUE(got.ok()) << got.status();
  ASSERT_EQ(got->rows_size(), 2);
  const v1::SlaComplianceRow& a = got->rows(0);
  EXPECT_EQ(a.key().group(0).value(), "rep-a");
  EXPECT_EQ(a.handed_off(), 4);
  EXPECT_EQ(a.accepted_within_sla(), 1);
  EXPECT_EQ(a.rejected_within_sla(), 1);
  EXPECT_EQ(a.answered_late(), 1);
  EXPECT_EQ(a.expired(), 1);
  EXPECT_EQ(a.escalated(), 3);
  EXPECT_EQ(a.reassigned(), 1);
  EXPECT_EQ(a.pending(), 0);
  EXPECT_DOUBLE_EQ(a.compliance_rate(), 0.5);
  EXPECT_EQ(a.median_time_to_answer().seconds(), 30 * 60) << "10 min, 30 min, 3 h";
  EXPECT_EQ(got->rows(1).pending(), 1);
  EXPECT_DOUBLE_EQ(got->rows(1).compliance_rate(), 0) << "nothing answered yet";
}

TEST(FactsTest, MarketingSourcedRevenueWithAccelerators) {
  auto won = [](const std::string& id, int64_t eur, bool sourced,
                std::vector<std::string> products) {
    v1::LeadCycleFacts f;
    f.set_lead_id(id);
    f.set_cycle(1);
    (*f.mutable_entered_at_ms())[v1::STAGE_WON] = kT0;
    f.mutable_amount()->set_currency_code("EUR");
    f.mutable_amount()->set_amount_micros(eur * 1'000'000);
    f.set_marketing_sourced(sourced);
    for (std::string& p : products) f.add_product_ids(std::move(p));
    return f;
  };
  std::vector<v1::LeadCycleFacts> rows = {won("a", 1000, true, {"core", "analytics"}),
                                          won("b", 3000, false, {"analytics"}),
                                          won("c", 1000, true, {"core"})};
  v1::LeadCycleFacts lost = won("d", 5000, true, {});
  lost.mutable_entered_at_ms()->clear();
  (*lost.mutable_entered_at_ms())[v1::STAGE_LOST] = kT0;
  rows.push_back(lost);
  v1::CompSummary comp;
  comp.set_summary_text("plan");
  comp.add_products()->set_product_id("core");
  comp.mutable_products(0)->set_accelerator_percent(100);
  comp.add_products()->set_product_id("analytics");
  comp.mutable_products(1)->set_accelerator_percent(150);
  auto got = MarketingSourcedRevenue(rows, v1::GetAttributionRequest(), comp, 4, kT0 + kHour);
  ASSERT_TRUE(got.ok()) << got.status();
  ASSERT_EQ(got->rows_size(), 1);
  const v1::MarketingSourcedRevenueRow& r = got->rows(0);
  EXPECT_EQ(r.won_deals(), 3);
  EXPECT_EQ(r.marketing_sourced_deals(), 2);
  EXPECT_EQ(r.won_amount().amount_micros(), 5000'000'000);
  EXPECT_EQ(r.marketing_sourced_amount().amount_micros(), 2000'000'000);
  EXPECT_EQ(r.accelerated_credit().amount_micros(), 2500'000'000) << "1000 × 1.5 + 1000 × 1.0";
  EXPECT_DOUBLE_EQ(r.marketing_sourced_share(), 0.4);
  EXPECT_EQ(got->comp_summary_text(), "plan");
  v1::GetAttributionRequest other;
  other.set_comp_summary_version(3);
  EXPECT_FALSE(MarketingSourcedRevenue(rows, other, comp, 4, kT0).ok());
}

}  // namespace
}  // namespace leadflow::reporting

namespace leadflow::reporting {
namespace {

// The topics are read in parallel, so a lead's events may be folded in any order across topics:
// the stages, the current stage and the start come out the same as in event order, and a release
// folded after events of the cycle it starts merges into their row (MergeStart).
TEST(FactsTest, OutOfOrderFoldingGivesTheSameRow) {
  v1::LeadEvent released = At(kT0 + 10 * kHour, 2, v1::STAGE_NURTURE, v1::STAGE_INQUIRY);
  released.mutable_nurture_released()->set_previous_cycle(1);
  v1::LeadEvent qualified = At(kT0 + 11 * kHour, 2, v1::STAGE_INQUIRY, v1::STAGE_MQL);
  qualified.mutable_qualified()->mutable_score()->set_fit_grade(v1::FIT_GRADE_A);
  v1::LeadEvent rejected = At(kT0 + 12 * kHour, 2, v1::STAGE_MQL, v1::STAGE_REJECTED);
  rejected.mutable_rejected()->set_reason_code(v1::REJECTION_REASON_BAD_TIMING);

  // The release first: its second row has no attribution to copy (none known yet), and says so.
  std::vector<v1::LeadCycleFacts> rows = Fold(std::nullopt, released);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_FALSE(rows[1].has_first_touch()) << "an unknown touch must stay absent, not empty";

  // The cycle's later events first, then the release: merged, same stages and start.
  std::vector<v1::LeadCycleFacts> late = Fold(std::nullopt, rejected);
  late = Fold(late[0], qualified);
  ASSERT_EQ(late.size(), 1u);
  EXPECT_EQ(late[0].stage(), v1::STAGE_REJECTED) << "the latest entry is the current stage";
  v1::LeadCycleFacts with_touch = rows[1];
  with_touch.mutable_first_touch()->set_channel(v1::CHANNEL_WEBINAR);
  const v1::LeadCycleFacts merged = MergeStart(late[0], with_touch);
  EXPECT_EQ(merged.started_at_ms(), kT0 + 10 * kHour);
  EXPECT_EQ(merged.entered_at_ms().at(v1::STAGE_INQUIRY), kT0 + 10 * kHour);
  EXPECT_EQ(merged.entered_at_ms().at(v1::STAGE_MQL), kT0 + 11 * kHour);
  EXPECT_EQ(merged.stage(), v1::STAGE_REJECTED);
  EXPECT_EQ(merged.rejection_reason(), v1::REJECTION_REASON_BAD_TIMING);
  EXPECT_EQ(merged.first_touch().channel(), v1::CHANNEL_WEBINAR);
  EXPECT_EQ(merged.fit_grade(), v1::FIT_GRADE_A);

  // In event order the same row results.
  std::vector<v1::LeadCycleFacts> ordered = Fold(std::nullopt, released);
  v1::LeadCycleFacts row2 = ordered[1];
  row2.mutable_first_touch()->set_channel(v1::CHANNEL_WEBINAR);
  row2 = Fold(row2, qualified)[0];
  row2 = Fold(row2, rejected)[0];
  using Entries = std::map<int32_t, int64_t>;
  EXPECT_EQ(Entries(row2.entered_at_ms().begin(), row2.entered_at_ms().end()),
            Entries(merged.entered_at_ms().begin(), merged.entered_at_ms().end()));
  EXPECT_EQ(row2.stage(), merged.stage());
  EXPECT_EQ(row2.started_at_ms(), merged.started_at_ms());
  EXPECT_EQ(row2.events(), merged.events());
}

}  // namespace
}  // namespace leadflow::reporting
