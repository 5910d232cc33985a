// Reports against a brute-force recomputation: a deterministic population of leads goes through
// random paths over up to three cycles (qualified or not, accepted or rejected, won or lost,
// recycled with a reason and a nurture track, then released or archived or left in nurture); the
// events are folded into fact rows (facts.h) and reported (aggregates.h), and the same numbers are
// computed again straight from the raw events by a separate, simple code path here. Funnel (cohort
// and period), conversion, velocity, lead quality, win-loss and recycle effectiveness must agree
// exactly, grouped, bucketed and filtered.
#include "services/reporting/aggregates.h"

#include <array>
#include <cmath>
#include <map>
#include <random>
#include <set>

#include "gtest/gtest.h"
#include "services/common/base/strings.h"
#include "services/common/events/lead_events.h"
#include "services/reporting/facts.h"

namespace leadflow::reporting {
namespace {

constexpr int64_t kT0 = 1'790'000'000'000;  // 2026-09-21
constexpr int64_t kHour = 3'600'000;
constexpr int64_t kDay = 24 * kHour;

const std::vector<v1::Stage> kStages = {
    v1::STAGE_INQUIRY,     v1::STAGE_MQL,     v1::STAGE_SAL,      v1::STAGE_SQL,
    v1::STAGE_OPPORTUNITY, v1::STAGE_WON,     v1::STAGE_LOST,     v1::STAGE_DISQUALIFIED,
    v1::STAGE_REJECTED,    v1::STAGE_NURTURE, v1::STAGE_ARCHIVED, v1::STAGE_ERASED};

struct Population {
  std::vector<v1::LeadEvent> events;  // per lead in order; leads one after another
};

Population Generate(int leads, uint32_t seed) {
  std::mt19937 rng(seed);
  auto chance = [&](double p) { return std::uniform_real_distribution<double>(0, 1)(rng) < p; };
  const v1::Channel kChannels[] = {v1::CHANNEL_WEBINAR, v1::CHANNEL_PAID_SEARCH, v1::CHANNEL_EVENT};
  Population out;
  for (int i = 0; i < leads; ++i) {
    const std::string id = "lead-" + std::to_string(i);
    int64_t t = kT0 + static_cast<int64_t>(i) * 7 * kHour;  // spread over weeks
    const v1::Channel channel = kChannels[rng() % 3];
    auto event = [&](int cycle, v1::Stage from, v1::Stage to) {
      v1::LeadEvent e;
      e.mutable_envelope()->set_lead_id(id);
      e.mutable_envelope()->set_cycle(cycle);
      t += static_cast<int64_t>(1 + rng() % 48) * kHour;
      *e.mutable_envelope()->mutable_occurred_at() = events::TimestampFromMillis(t);
      if (to != v1::STAGE_UNSPECIFIED) {
        e.mutable_envelope()->mutable_stage_change()->set_from_stage(from);
        e.mutable_envelope()->mutable_stage_change()->set_to_stage(to);
      }
      return e;
    };
    v1::LeadEvent captured = event(1, v1::STAGE_UNSPECIFIED, v1::STAGE_INQUIRY);
    captured.mutable_captured()->mutable_first_touch()->set_channel(channel);
    out.events.push_back(captured);
    for (int cycle = 1; cycle <= 3; ++cycle) {
      v1::Stage last = v1::STAGE_INQUIRY;
      if (!chance(0.7)) {
        if (chance(0.5)) break;  // never qualifies this cycle and stays an inquiry
        // Never qualifies this cycle: recycled as not ready (below).
      } else {
        v1::LeadEvent q = event(cycle, v1::STAGE_INQUIRY, v1::STAGE_MQL);
        q.mutable_qualified()->mutable_score()->set_fit_grade(
            static_cast<v1::FitGrade>(1 + rng() % 3));
        out.events.push_back(q);
        v1::LeadEvent h = event(cycle, v1::STAGE_UNSPECIFIED, v1::STAGE_UNSPECIFIED);
        h.mutable_handed_off()->set_owner_rep_id(chance(0.5) ? "rep-a" : "rep-b");
        out.events.push_back(h);
        last = v1::STAGE_MQL;
        if (chance(0.75)) {
          out.events.push_back(event(cycle, v1::STAGE_MQL, v1::STAGE_SAL));
          out.events.back().mutable_accepted();
          last = v1::STAGE_SAL;
          if (chance(0.6)) {
            out.events.push_back(event(cycle, v1::STAGE_SAL, v1::STAGE_SQL));
            out.events.back().mutable_converted();
            if (chance(0.7)) {
              out.events.push_back(event(cycle, v1::STAGE_SQL, v1::STAGE_OPPORTUNITY));
              const int64_t amount = static_cast<int64_t>(1 + rng() % 50) * 1'000'000'000;
              out.events.back().mutable_opportunity_opened()->mutable_amount()->set_currency_code(
                  "EUR");
              out.events.back().mutable_opportunity_opened()->mutable_amount()->set_amount_micros(
                  amount);
              const bool won = chance(0.5);
              out.events.push_back(
                  event(cycle, v1::STAGE_OPPORTUNITY, won ? v1::STAGE_WON : v1::STAGE_LOST));
              v1::LeadOpportunityClosed& closed = *out.events.back().mutable_opportunity_closed();
              closed.set_outcome(won ? v1::OPPORTUNITY_OUTCOME_WON : v1::OPPORTUNITY_OUTCOME_LOST);
              closed.mutable_amount()->set_currency_code("EUR");
              closed.mutable_amount()->set_amount_micros(amount);
              static const char* kReasons[] = {"price", "timing", "features"};
              static const char* kCompetitors[] = {"", "rival", "other"};
              closed.mutable_reason()->set_code(kReasons[rng() % 3]);
              closed.set_competitor(kCompetitors[rng() % 3]);
              if (won) break;
              last = v1::STAGE_LOST;
            } else {
              break;  // stays SQL
            }
          } else {
            break;  // stays SAL
          }
        } else {
          out.events.push_back(event(cycle, v1::STAGE_MQL, v1::STAGE_REJECTED));
          static const v1::RejectionReason kRejections[] = {v1::REJECTION_REASON_BAD_TIMING,
                                                            v1::REJECTION_REASON_NO_BUDGET,
                                                            v1::REJECTION_REASON_NOT_ICP};
          out.events.back().mutable_rejected()->set_reason_code(kRejections[rng() % 3]);
          last = v1::STAGE_REJECTED;
        }
      }
      static const char* kTracks[] = {"track-a", "track-b", "track-c"};
      v1::LeadEvent recycle = event(cycle, last, v1::STAGE_NURTURE);
      v1::LeadRecycled& recycled = *recycle.mutable_recycled();
      recycled.set_reason_code(last == v1::STAGE_INQUIRY    ? v1::RECYCLE_REASON_NOT_READY
                               : last == v1::STAGE_REJECTED ? v1::RECYCLE_REASON_REJECTED
                                                            : v1::RECYCLE_REASON_LOST);
      if (chance(0.1)) recycled.set_reason_code(v1::RECYCLE_REASON_MANUAL);
      recycled.set_nurture_track_id(kTracks[rng() % 3]);
      out.events.push_back(recycle);
      if (!chance(0.6)) {
        if (chance(0.5)) {  // archived from nurture; else stays in nurture
          out.events.push_back(event(cycle, v1::STAGE_NURTURE, v1::STAGE_ARCHIVED));
          out.events.back().mutable_archived();
        }
        break;
      }
      v1::LeadEvent released = event(cycle + 1, v1::STAGE_NURTURE, v1::STAGE_INQUIRY);
      released.mutable_nurture_released()->set_previous_cycle(cycle);
      out.events.push_back(released);
    }
  }
  return out;
}

std::vector<v1::LeadCycleFacts> FoldAll(const std::vector<v1::LeadEvent>& events) {
  std::map<std::string, v1::LeadCycleFacts> rows;
  std::map<std::string, int> current;
  for (const v1::LeadEvent& e : events) {
    const std::string& lead = e.envelope().lead_id();
    const int cycle = CycleOf(e, current[lead]);
    std::optional<v1::LeadCycleFacts> row;
    if (auto it = rows.find(CycleKey(lead, cycle)); it != rows.end()) row = it->second;
    for (v1::LeadCycleFacts& f : Fold(std::move(row), e)) {
      current[lead] = std::max(current[lead], f.cycle());
      rows[CycleKey(lead, f.cycle())] = std::move(f);
    }
  }
  std::vector<v1::LeadCycleFacts> out;
  for (auto& [k, v] : rows) out.push_back(std::move(v));
  return out;
}

// The brute force: straight from the events, per (lead, cycle).
struct Cycle {
  int64_t start = 0;
  int64_t amount = 0;
  std::string rejection;  // lower-case reason
  std::string outcome_reason;
  std::string competitor;
  v1::Channel channel = v1::CHANNEL_UNSPECIFIED;
  v1::FitGrade grade = v1::FIT_GRADE_UNSPECIFIED;
  std::map<v1::Stage, int64_t> entered;
  v1::Stage last = v1::STAGE_UNSPECIFIED;
  int64_t recycled_at = 0;     // the first LeadRecycled of the cycle; 0 = not recycled
  std::string recycle_reason;  // RecycleReason value name
  std::string track;
  bool archived = false;
  int64_t won_amount = 0;  // the closing amount of a won opportunity
};

std::map<std::pair<std::string, int>, Cycle> BruteForce(const std::vector<v1::LeadEvent>& events) {
  std::map<std::pair<std::string, int>, Cycle> out;
  std::map<std::string, v1::Channel> channel;
  for (const v1::LeadEvent& e : events) {
    const std::string& lead = e.envelope().lead_id();
    const int64_t t = events::MillisFromTimestamp(e.envelope().occurred_at());
    const int cycle = e.envelope().cycle();
    if (e.has_captured()) channel[lead] = e.captured().first_touch().channel();
    Cycle& c = out[{lead, cycle}];
    if (e.has_captured() || e.has_nurture_released()) c.start = t;
    c.channel = channel[lead];
    if (e.has_qualified()) c.grade = e.qualified().score().fit_grade();
    if (e.has_opportunity_opened()) c.amount = e.opportunity_opened().amount().amount_micros();
    if (e.has_rejected()) {
      c.rejection =
          AsciiStrToLower(v1::RejectionReason_Name(e.rejected().reason_code()).substr(17));
    }
    if (e.has_opportunity_closed()) {
      c.outcome_reason = e.opportunity_closed().reason().code();
      c.competitor = e.opportunity_closed().competitor();
      if (e.opportunity_closed().outcome() == v1::OPPORTUNITY_OUTCOME_WON) {
        c.won_amount = e.opportunity_closed().amount().amount_micros();
      }
    }
    if (e.has_recycled()) {
      if (c.recycled_at == 0) c.recycled_at = t;
      c.recycle_reason = v1::RecycleReason_Name(e.recycled().reason_code());
      c.track = e.recycled().nurture_track_id();
    }
    if (e.has_archived()) c.archived = true;
    if (e.envelope().has_stage_change()) {
      const v1::Stage to = e.envelope().stage_change().to_stage();
      c.entered.emplace(to, t);
      c.last = to;
    }
  }
  return out;
}

int64_t WeekStart(int64_t t) {
  // Monday 00:00 UTC of the week of t.
  const int64_t days = t / kDay;           // days since 1970-01-01 (a Thursday)
  const int64_t weekday = (days + 3) % 7;  // 0 = Monday
  return (days - weekday) * kDay;
}

TEST(AggregatesTest, FunnelConversionAndVelocityEqualTheBruteForce) {
  const Population pop = Generate(600, 42);
  const std::vector<v1::LeadCycleFacts> rows = FoldAll(pop.events);
  const auto truth = BruteForce(pop.events);
  ASSERT_EQ(rows.size(), truth.size()) << "one row per lead-cycle";
  size_t later_cycles = 0;
  for (const auto& [k, c] : truth) later_cycles += k.second > 1 ? 1 : 0;
  ASSERT_GT(later_cycles, 50u) << "the population must exercise recycled leads";

  const int64_t now = kT0 + 400 * kDay;
  const int64_t start = kT0 + 20 * kDay;
  const int64_t end = kT0 + 120 * kDay;

  // Funnel, cohort mode, by channel and week, grades A and B only.
  v1::GetFunnelRequest funnel;
  funnel.set_mode(v1::FUNNEL_MODE_COHORT);
  v1::ReportQuery& q = *funnel.mutable_query();
  *q.mutable_range()->mutable_start() = events::TimestampFromMillis(start);
  *q.mutable_range()->mutable_end() = events::TimestampFromMillis(end);
  q.add_group_by(v1::REPORT_DIMENSION_CHANNEL);
  q.set_bucket(v1::TIME_BUCKET_WEEK);
  q.mutable_filter()->add_fit_grades(v1::FIT_GRADE_A);
  q.mutable_filter()->add_fit_grades(v1::FIT_GRADE_B);
  auto got = Funnel(rows, funnel, kStages, now);
  ASSERT_TRUE(got.ok()) << got.status();
  // key (channel, week) → stage → {entered, current}
  std::map<std::pair<std::string, int64_t>, std::map<v1::Stage, std::pair<int64_t, int64_t>>> want;
  for (const auto& [k, c] : truth) {
    if (c.grade != v1::FIT_GRADE_A && c.grade != v1::FIT_GRADE_B) continue;
    if (c.start < start || c.start >= end) continue;
    auto& row = want[{v1::Channel_Name(c.channel), WeekStart(c.start)}];
    for (const auto& [stage, at] : c.entered) {
      row[stage].first += 1;
      if (c.last == stage) row[stage].second += 1;
    }
  }
  std::map<std::pair<std::string, int64_t>, std::map<v1::Stage, std::pair<int64_t, int64_t>>> have;
  for (const v1::FunnelRow& r : got->rows()) {
    auto& row =
        have[{r.key().group(0).value(), events::MillisFromTimestamp(r.key().bucket_start())}];
    for (const v1::StageCount& s : r.stages()) {
      if (s.entered() > 0) row[s.stage()] = {s.entered(), s.current()};
    }
  }
  EXPECT_EQ(have, want);
  EXPECT_GT(have.size(), 20u);

  // Period mode: stage entries in the range, whenever the cycle started; all grades, by cycle.
  funnel.set_mode(v1::FUNNEL_MODE_PERIOD);
  q.clear_group_by();
  q.add_group_by(v1::REPORT_DIMENSION_CYCLE);
  q.clear_bucket();
  q.clear_filter();
  got = Funnel(rows, funnel, kStages, now);
  ASSERT_TRUE(got.ok()) << got.status();
  std::map<std::pair<int, v1::Stage>, int64_t> want_period, have_period;
  for (const auto& [k, c] : truth) {
    for (const auto& [stage, at] : c.entered) {
      if (at >= start && at < end) want_period[{k.second, stage}] += 1;
    }
  }
  for (const v1::FunnelRow& r : got->rows()) {
    for (const v1::StageCount& s : r.stages()) {
      if (s.entered() > 0)
        have_period[{std::stoi(r.key().group(0).value()), s.stage()}] = s.entered();
    }
  }
  EXPECT_EQ(have_period, want_period);

  // Conversion along the main path and velocity MQL → SAL, whole time.
  v1::GetConversionRequest conversion;
  auto conv = Conversion(rows, conversion, kStages, now);
  ASSERT_TRUE(conv.ok()) << conv.status();
  const std::vector<v1::Stage> path = MainPath(kStages);
  ASSERT_EQ(conv->rows_size(), static_cast<int>(path.size()) - 1);
  for (const v1::ConversionRow& r : conv->rows()) {
    int64_t entered = 0, converted = 0;
    for (const auto& [k, c] : truth) {
      if (!c.entered.count(r.from_stage())) continue;
      ++entered;
      converted += c.entered.count(r.to_stage()) ? 1 : 0;
    }
    EXPECT_EQ(r.entered(), entered) << v1::Stage_Name(r.from_stage());
    EXPECT_EQ(r.converted(), converted) << v1::Stage_Name(r.to_stage());
    EXPECT_DOUBLE_EQ(r.rate(), static_cast<double>(converted) / static_cast<double>(entered));
  }

  v1::GetVelocityRequest velocity;
  velocity.set_from_stage(v1::STAGE_MQL);
  velocity.set_to_stage(v1::STAGE_SAL);
  auto vel = Velocity(rows, velocity, kStages, now);
  ASSERT_TRUE(vel.ok()) << vel.status();
  ASSERT_EQ(vel->rows_size(), 1);
  std::vector<int64_t> d;
  for (const auto& [k, c] : truth) {
    if (c.entered.count(v1::STAGE_MQL) && c.entered.count(v1::STAGE_SAL)) {
      d.push_back(c.entered.at(v1::STAGE_SAL) - c.entered.at(v1::STAGE_MQL));
    }
  }
  std::sort(d.begin(), d.end());
  ASSERT_FALSE(d.empty());
  const auto& row = vel->rows(0);
  EXPECT_EQ(row.count(), static_cast<int64_t>(d.size()));
  // Nearest rank by hand: the ceil(q·n)-th smallest.
  const auto rank = [&](double qq) {
    size_t r = static_cast<size_t>(std::ceil(qq * static_cast<double>(d.size())));
    return d[std::max<size_t>(r, 1) - 1];
  };
  EXPECT_EQ(row.median().seconds() * 1000 + row.median().nanos() / 1000000, rank(0.5));
  EXPECT_EQ(row.p90().seconds() * 1000 + row.p90().nanos() / 1000000, rank(0.9));

  // A dimension a report cannot group by is a clear error.
  q.clear_group_by();
  q.add_group_by(v1::REPORT_DIMENSION_PRODUCT);
  auto bad = Funnel(rows, funnel, kStages, now);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(std::string(bad.status().message()).find("REPORT_DIMENSION_PRODUCT"),
            std::string::npos);
}

TEST(AggregatesTest, LeadQualityAndWinLossEqualTheBruteForce) {
  const Population pop = Generate(600, 7);
  const std::vector<v1::LeadCycleFacts> rows = FoldAll(pop.events);
  const auto truth = BruteForce(pop.events);
  const int64_t now = kT0 + 400 * kDay;
  constexpr int64_t kCost = 200'000'000;  // 200 EUR of sales time per rejected lead

  v1::GetSourceQualityRequest quality;
  quality.mutable_query()->add_group_by(v1::REPORT_DIMENSION_CHANNEL);
  auto got = LeadQuality(rows, quality, kCost, now);
  ASSERT_TRUE(got.ok()) << got.status();
  struct Want {
    int64_t leads = 0, mql = 0, accepted = 0, rejected = 0, won = 0, won_amount = 0, pipeline = 0;
    std::map<std::string, int64_t> reasons;
  };
  std::map<std::string, Want> want;
  for (const auto& [k, c] : truth) {
    Want& w = want[v1::Channel_Name(c.channel)];
    ++w.leads;
    w.mql += c.entered.count(v1::STAGE_MQL);
    w.accepted += c.entered.count(v1::STAGE_SAL);
    if (c.entered.count(v1::STAGE_REJECTED)) {
      ++w.rejected;
      ++w.reasons[c.rejection];
    }
    if (c.entered.count(v1::STAGE_OPPORTUNITY)) w.pipeline += c.amount;
    if (c.entered.count(v1::STAGE_WON)) {
      ++w.won;
      w.won_amount += c.amount;
    }
  }
  ASSERT_EQ(got->rows_size(), static_cast<int>(want.size()));
  for (const v1::LeadQualityRow& r : got->rows()) {
    SCOPED_TRACE(r.key().group(0).value());
    const Want& w = want.at(r.key().group(0).value());
    EXPECT_EQ(r.leads(), w.leads);
    EXPECT_EQ(r.mql(), w.mql);
    EXPECT_EQ(r.accepted(), w.accepted);
    EXPECT_EQ(r.rejected(), w.rejected);
    EXPECT_EQ(r.won(), w.won);
    EXPECT_EQ(r.won_amount().amount_micros(), w.won_amount);
    EXPECT_EQ(r.pipeline_amount().amount_micros(), w.pipeline);
    EXPECT_DOUBLE_EQ(r.acceptance_rate(), static_cast<double>(w.accepted) /
                                              static_cast<double>(w.accepted + w.rejected));
    EXPECT_EQ(r.value_per_lead().amount_micros(), (w.won_amount - kCost * w.rejected) / w.leads);
    std::map<std::string, int64_t> reasons;
    for (const v1::ReasonCount& rc : r.rejection_reasons())
      reasons[rc.reason().code()] = rc.count();
    EXPECT_EQ(reasons, w.reasons);
    for (int i = 1; i < r.rejection_reasons_size(); ++i) {
      EXPECT_GE(r.rejection_reasons(i - 1).count(), r.rejection_reasons(i).count());
    }
  }

  v1::GetWinLossRequest winloss;
  winloss.mutable_query()->add_group_by(v1::REPORT_DIMENSION_FIT_GRADE);
  auto wl = WinLoss(rows, winloss, now);
  ASSERT_TRUE(wl.ok()) << wl.status();
  struct WantWl {
    int64_t won = 0, lost = 0, won_amount = 0, lost_amount = 0;
    std::map<std::string, int64_t> loss_reasons;
    std::map<std::string, std::pair<int64_t, int64_t>> competitors;
  };
  std::map<std::string, WantWl> want_wl;
  for (const auto& [k, c] : truth) {
    const bool won = c.entered.count(v1::STAGE_WON) > 0;
    if (!won && !c.entered.count(v1::STAGE_LOST)) continue;
    WantWl& w = want_wl[v1::FitGrade_Name(c.grade)];
    (won ? w.won : w.lost) += 1;
    (won ? w.won_amount : w.lost_amount) += c.amount;
    if (!won) ++w.loss_reasons[c.outcome_reason];
    if (!c.competitor.empty()) {
      auto& cc = w.competitors[c.competitor];
      (won ? cc.first : cc.second) += 1;
    }
  }
  ASSERT_EQ(wl->rows_size(), static_cast<int>(want_wl.size()));
  for (const v1::WinLossRow& r : wl->rows()) {
    SCOPED_TRACE(r.key().group(0).value());
    const WantWl& w = want_wl.at(r.key().group(0).value());
    EXPECT_EQ(r.won(), w.won);
    EXPECT_EQ(r.lost(), w.lost);
    EXPECT_EQ(r.won_amount().amount_micros(), w.won_amount);
    EXPECT_EQ(r.lost_amount().amount_micros(), w.lost_amount);
    std::map<std::string, int64_t> losses;
    for (const v1::ReasonCount& rc : r.loss_reasons()) losses[rc.reason().code()] = rc.count();
    EXPECT_EQ(losses, w.loss_reasons);
    std::map<std::string, std::pair<int64_t, int64_t>> comps;
    for (const v1::CompetitorCount& cc : r.competitors())
      comps[cc.competitor()] = {cc.won(), cc.lost()};
    EXPECT_EQ(comps, w.competitors);
  }

  // Two currencies in one row are refused, not summed.
  std::vector<v1::LeadCycleFacts> mixed = rows;
  for (v1::LeadCycleFacts& r : mixed) {
    if (r.entered_at_ms().contains(v1::STAGE_WON)) {
      r.mutable_amount()->set_currency_code("USD");
      break;
    }
  }
  EXPECT_FALSE(WinLoss(mixed, v1::GetWinLossRequest(), now).ok());
}

// Recycle effectiveness by hand, from the brute force's cycles: for each recycled cycle, what the
// same lead did in its later cycles. The values, in order: recycled, released, requalified,
// accepted_later, won_later, archived, nurturing, won_later_amount (micros), median time to
// requalify (ms, nearest rank), and the requalify rate in millionths.
using RecycleNumbers = std::array<int64_t, 10>;

template <typename KeyFn, typename KeepFn>
std::map<std::string, RecycleNumbers> RecycleByHand(
    const std::map<std::pair<std::string, int>, Cycle>& truth, int64_t start, int64_t end,
    KeyFn key_of, KeepFn keep) {
  std::map<std::string, RecycleNumbers> out;
  std::map<std::string, std::vector<int64_t>> requalify;
  for (const auto& [k, c] : truth) {
    if (c.recycled_at == 0 || c.recycled_at < start || c.recycled_at >= end || !keep(k, c)) {
      continue;
    }
    bool released = false, requalified = false, accepted = false, won = false;
    int64_t amount = 0, first_mql = 0;
    for (auto it = truth.upper_bound(k); it != truth.end() && it->first.first == k.first; ++it) {
      const Cycle& later = it->second;
      released = true;
      if (later.entered.count(v1::STAGE_MQL)) {
        const int64_t at = later.entered.at(v1::STAGE_MQL);
        if (!requalified || at < first_mql) first_mql = at;
        requalified = true;
      }
      accepted = accepted || later.entered.count(v1::STAGE_SAL) > 0;
      if (later.entered.count(v1::STAGE_WON)) {
        won = true;
        amount += later.won_amount;
      }
    }
    const std::string key = key_of(k, c);
    RecycleNumbers& n = out[key];
    n[0] += 1;
    n[1] += released;
    n[2] += requalified;
    n[3] += accepted;
    n[4] += won;
    n[5] += c.archived;
    n[6] += !c.archived && !released;
    n[7] += amount;
    if (requalified) requalify[key].push_back(first_mql - c.recycled_at);
  }
  for (auto& [key, n] : out) {
    std::vector<int64_t>& d = requalify[key];
    std::sort(d.begin(), d.end());
    n[8] =
        d.empty() ? 0 : d[static_cast<size_t>(std::ceil(0.5 * static_cast<double>(d.size()))) - 1];
    n[9] = static_cast<int64_t>(
        std::llround(1e6 * static_cast<double>(n[2]) / static_cast<double>(n[0])));
  }
  return out;
}

RecycleNumbers NumbersOf(const v1::RecycleEffectivenessRow& r) {
  return {r.recycled(),
          r.released(),
          r.requalified(),
          r.accepted_later(),
          r.won_later(),
          r.archived(),
          r.nurturing(),
          r.won_later_amount().amount_micros(),
          r.median_time_to_requalify().seconds() * 1000 +
              r.median_time_to_requalify().nanos() / 1000000,
          static_cast<int64_t>(std::llround(1e6 * r.requalify_rate()))};
}

TEST(AggregatesTest, RecycleEffectivenessEqualsTheBruteForce) {
  const Population pop = Generate(2000, 11);
  const std::vector<v1::LeadCycleFacts> rows = FoldAll(pop.events);
  const auto truth = BruteForce(pop.events);
  ASSERT_EQ(rows.size(), truth.size()) << "one row per lead-cycle";
  const int64_t now = kT0 + 800 * kDay;
  const int64_t start = kT0 + 20 * kDay;
  const int64_t end = kT0 + 300 * kDay;

  // The population exercises every outcome, and leads recycled twice then won (a win that counts
  // under both recycles).
  {
    std::map<std::string, std::vector<int>> recycled_cycles;
    int64_t archived = 0, nurturing = 0, won_later = 0, twice_then_won = 0;
    std::set<std::string> reasons;
    for (const auto& [k, c] : truth) {
      if (c.recycled_at == 0) continue;
      recycled_cycles[k.first].push_back(k.second);
      reasons.insert(c.recycle_reason);
      archived += c.archived;
      nurturing += !c.archived && !truth.count({k.first, k.second + 1});
    }
    for (const auto& [k, c] : truth) {
      if (!c.entered.count(v1::STAGE_WON) || !recycled_cycles.count(k.first)) continue;
      const std::vector<int>& rc = recycled_cycles.at(k.first);
      const auto before = std::count_if(rc.begin(), rc.end(), [&](int n) { return n < k.second; });
      won_later += before > 0;
      twice_then_won += before > 1;
    }
    ASSERT_GT(archived, 20);
    ASSERT_GT(nurturing, 20);
    ASSERT_GT(won_later, 20);
    ASSERT_GT(twice_then_won, 2);
    ASSERT_EQ(reasons.size(), 4u);
  }

  // By recycle reason and week.
  v1::GetRecycleEffectivenessRequest request;
  v1::ReportQuery& q = *request.mutable_query();
  *q.mutable_range()->mutable_start() = events::TimestampFromMillis(start);
  *q.mutable_range()->mutable_end() = events::TimestampFromMillis(end);
  q.add_group_by(v1::REPORT_DIMENSION_RECYCLE_REASON);
  q.set_bucket(v1::TIME_BUCKET_WEEK);
  auto got = RecycleEffectiveness(rows, request, now);
  ASSERT_TRUE(got.ok()) << got.status();
  std::map<std::string, RecycleNumbers> have;
  for (const v1::RecycleEffectivenessRow& r : got->rows()) {
    ASSERT_EQ(r.key().group_size(), 1);
    EXPECT_EQ(r.key().group(0).dimension(), v1::REPORT_DIMENSION_RECYCLE_REASON);
    const std::string key =
        StrCat(r.key().group(0).value(), "@", events::MillisFromTimestamp(r.key().bucket_start()));
    EXPECT_TRUE(have.emplace(key, NumbersOf(r)).second) << "one row per key: " << key;
    if (r.won_later() > 0) {
      EXPECT_EQ(r.won_later_amount().currency_code(), "EUR");
    }
  }
  const auto want = RecycleByHand(
      truth, start, end,
      [](const auto&, const Cycle& c) {
        return StrCat(c.recycle_reason, "@", WeekStart(c.recycled_at));
      },
      [](const auto&, const Cycle&) { return true; });
  EXPECT_EQ(have, want);
  EXPECT_GT(have.size(), 100u);

  // Filtered (webinar and event leads, recycled in cycle 1 or 2), by nurture track, no buckets.
  q.clear_group_by();
  q.add_group_by(v1::REPORT_DIMENSION_NURTURE_TRACK);
  q.clear_bucket();
  q.mutable_filter()->add_channels(v1::CHANNEL_WEBINAR);
  q.mutable_filter()->add_channels(v1::CHANNEL_EVENT);
  q.mutable_filter()->add_cycles(1);
  q.mutable_filter()->add_cycles(2);
  got = RecycleEffectiveness(rows, request, now);
  ASSERT_TRUE(got.ok()) << got.status();
  have.clear();
  for (const v1::RecycleEffectivenessRow& r : got->rows()) {
    EXPECT_FALSE(r.key().has_bucket_start());
    have[r.key().group(0).value()] = NumbersOf(r);
  }
  const auto want_filtered = RecycleByHand(
      truth, start, end, [](const auto&, const Cycle& c) { return c.track; },
      [](const std::pair<std::string, int>& k, const Cycle& c) {
        return (c.channel == v1::CHANNEL_WEBINAR || c.channel == v1::CHANNEL_EVENT) &&
               (k.second == 1 || k.second == 2);
      });
  EXPECT_EQ(have, want_filtered);
  EXPECT_EQ(have.size(), 3u);

  // The new dimensions are row attributes for the other reports too: period funnel by the cycle's
  // recycle reason.
  v1::GetFunnelRequest funnel;
  funnel.set_mode(v1::FUNNEL_MODE_PERIOD);
  *funnel.mutable_query()->mutable_range() = q.range();
  funnel.mutable_query()->add_group_by(v1::REPORT_DIMENSION_RECYCLE_REASON);
  auto f = Funnel(rows, funnel, kStages, now);
  ASSERT_TRUE(f.ok()) << f.status();
  std::map<std::pair<std::string, v1::Stage>, int64_t> want_funnel, have_funnel;
  for (const auto& [k, c] : truth) {
    for (const auto& [stage, at] : c.entered) {
      if (at >= start && at < end) want_funnel[{c.recycle_reason, stage}] += 1;
    }
  }
  for (const v1::FunnelRow& r : f->rows()) {
    for (const v1::StageCount& s : r.stages()) {
      if (s.entered() > 0) have_funnel[{r.key().group(0).value(), s.stage()}] = s.entered();
    }
  }
  EXPECT_EQ(have_funnel, want_funnel);
}

// Hand-made rows: each recycle counts what happened after it (a lead recycled twice and then won
// counts its win under both recycles, once each), rows in any order, and money per currency.
TEST(AggregatesTest, RecycleEffectivenessCountsEachRecycleAndKeepsCurrenciesApart) {
  auto cycle = [](const std::string& lead, int n, int64_t start) {
    v1::LeadCycleFacts f;
    f.set_lead_id(lead);
    f.set_cycle(n);
    f.set_started_at_ms(start);
    (*f.mutable_entered_at_ms())[v1::STAGE_INQUIRY] = start;
    return f;
  };
  auto recycle = [](v1::LeadCycleFacts f, int64_t at, v1::RecycleReason reason) {
    f.set_recycled(true);
    f.set_recycled_at_ms(at);
    f.set_recycle_reason(reason);
    f.set_nurture_track_id("track-a");
    (*f.mutable_entered_at_ms())[v1::STAGE_NURTURE] = at;
    return f;
  };
  auto enter = [](v1::LeadCycleFacts f, v1::Stage s, int64_t at) {
    (*f.mutable_entered_at_ms())[s] = at;
    return f;
  };
  auto win = [&](v1::LeadCycleFacts f, int64_t at, const std::string& currency, int64_t micros) {
    f = enter(enter(enter(std::move(f), v1::STAGE_MQL, at - 3), v1::STAGE_SAL, at - 2),
              v1::STAGE_WON, at);
    f.mutable_amount()->set_currency_code(currency);
    f.mutable_amount()->set_amount_micros(micros);
    return f;
  };
  std::vector<v1::LeadCycleFacts> rows = {
      // a: rejected, requalified and lost, requalified and won 100 EUR.
      recycle(cycle("a", 1, kT0), kT0 + 1 * kHour, v1::RECYCLE_REASON_REJECTED),
      recycle(enter(cycle("a", 2, kT0 + 5 * kHour), v1::STAGE_MQL, kT0 + 10 * kHour),
              kT0 + 20 * kHour, v1::RECYCLE_REASON_LOST),
      win(cycle("a", 3, kT0 + 25 * kHour), kT0 + 40 * kHour, "EUR", 100'000'000),
      // c: archived from nurture; d: still nurturing.
      [&] {
        v1::LeadCycleFacts f =
            recycle(cycle("c", 1, kT0), kT0 + 3 * kHour, v1::RECYCLE_REASON_NOT_READY);
        f.set_archived(true);
        return f;
      }(),
      recycle(cycle("d", 1, kT0), kT0 + 4 * kHour, v1::RECYCLE_REASON_NOT_READY),
  };
  // Rows in any order: reversed.
  std::reverse(rows.begin(), rows.end());
  const int64_t now = kT0 + 100 * kDay;

  v1::GetRecycleEffectivenessRequest request;
  request.mutable_query()->add_group_by(v1::REPORT_DIMENSION_RECYCLE_REASON);
  auto got = RecycleEffectiveness(rows, request, now);
  ASSERT_TRUE(got.ok()) << got.status();
  std::map<std::string, RecycleNumbers> have;
  for (const v1::RecycleEffectivenessRow& r : got->rows()) {
    have[r.key().group(0).value()] = NumbersOf(r);
  }
  const std::map<std::string, RecycleNumbers> want = {
      // a's first recycle: a later MQL after 9 h, the win of cycle 3.
      {"RECYCLE_REASON_REJECTED", {1, 1, 1, 1, 1, 0, 0, 100'000'000, 9 * kHour, 1'000'000}},
      // a's second recycle: the same win, counted again for this recycle.
      {"RECYCLE_REASON_LOST", {1, 1, 1, 1, 1, 0, 0, 100'000'000, 20 * kHour - 3, 1'000'000}},
      {"RECYCLE_REASON_NOT_READY", {2, 0, 0, 0, 0, 1, 1, 0, 0, 0}},
  };
  EXPECT_EQ(have, want);

  // b won later in USD: ungrouped, two currencies in one row are refused; by currency (the
  // currency of what was won later) they are apart.
  rows.push_back(recycle(cycle("b", 1, kT0), kT0 + 2 * kHour, v1::RECYCLE_REASON_REJECTED));
  rows.push_back(win(cycle("b", 2, kT0 + 3 * kHour), kT0 + 6 * kHour, "USD", 50'000'000));
  EXPECT_EQ(RecycleEffectiveness(rows, v1::GetRecycleEffectivenessRequest(), now).status().code(),
            absl::StatusCode::kInvalidArgument);
  request.mutable_query()->clear_group_by();
  request.mutable_query()->add_group_by(v1::REPORT_DIMENSION_CURRENCY);
  got = RecycleEffectiveness(rows, request, now);
  ASSERT_TRUE(got.ok()) << got.status();
  have.clear();
  for (const v1::RecycleEffectivenessRow& r : got->rows()) {
    have[r.key().group(0).value()] = NumbersOf(r);
    EXPECT_EQ(r.won_later_amount().currency_code(), r.key().group(0).value());
  }
  const std::map<std::string, RecycleNumbers> want_currency = {
      {"", {2, 0, 0, 0, 0, 1, 1, 0, 0, 0}},
      {"EUR", {2, 2, 2, 2, 2, 0, 0, 200'000'000, 9 * kHour, 1'000'000}},
      {"USD", {1, 1, 1, 1, 1, 0, 0, 50'000'000, 4 * kHour - 3, 1'000'000}},
  };
  EXPECT_EQ(have, want_currency);

  // Filter and range apply to the recycled row: a's second cycle only.
  request.mutable_query()->mutable_filter()->add_cycles(2);
  got = RecycleEffectiveness(rows, request, now);
  ASSERT_TRUE(got.ok()) << got.status();
  ASSERT_EQ(got->rows_size(), 1);
  EXPECT_EQ(NumbersOf(got->rows(0)),
            (RecycleNumbers{1, 1, 1, 1, 1, 0, 0, 100'000'000, 20 * kHour - 3, 1'000'000}));
  request.mutable_query()->clear_filter();
  *request.mutable_query()->mutable_range()->mutable_start() =
      events::TimestampFromMillis(kT0 + 3 * kHour);
  *request.mutable_query()->mutable_range()->mutable_end() =
      events::TimestampFromMillis(kT0 + 5 * kHour);
  got = RecycleEffectiveness(rows, request, now);
  ASSERT_TRUE(got.ok()) << got.status();
  ASSERT_EQ(got->rows_size(), 1);  // c and d
  EXPECT_EQ(NumbersOf(got->rows(0)), (RecycleNumbers{2, 0, 0, 0, 0, 1, 1, 0, 0, 0}));

  // One recycled lead-cycle won later in two currencies cannot be split.
  request.mutable_query()->clear_range();
  rows.push_back(recycle(cycle("e", 1, kT0), kT0 + 2 * kHour, v1::RECYCLE_REASON_MANUAL));
  rows.push_back(recycle(win(cycle("e", 2, kT0 + 3 * kHour), kT0 + 6 * kHour, "EUR", 1),
                         kT0 + 7 * kHour, v1::RECYCLE_REASON_MANUAL));
  rows.push_back(win(cycle("e", 3, kT0 + 8 * kHour), kT0 + 9 * kHour, "USD", 2));
  EXPECT_EQ(RecycleEffectiveness(rows, request, now).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace leadflow::reporting

namespace leadflow::reporting {
namespace {

// A source whose leads sales only rejected has no deal currency: its net value per lead is the
// negative cost of the rejections, in the cost's currency.
TEST(AggregatesTest, ValuePerLeadWithoutDealsIsInTheCostCurrency) {
  std::vector<v1::LeadCycleFacts> rows(4);
  for (size_t i = 0; i < rows.size(); ++i) {
    rows[i].set_lead_id("lead-" + std::to_string(i));
    rows[i].set_cycle(1);
    rows[i].set_started_at_ms(kT0);
    (*rows[i].mutable_entered_at_ms())[v1::STAGE_INQUIRY] = kT0;
    (*rows[i].mutable_entered_at_ms())[v1::STAGE_MQL] = kT0 + kHour;
    if (i < 3) {
      (*rows[i].mutable_entered_at_ms())[v1::STAGE_REJECTED] = kT0 + 2 * kHour;
      rows[i].set_rejection_reason(v1::REJECTION_REASON_NO_BUDGET);
    }
  }
  auto got = LeadQuality(rows, v1::GetSourceQualityRequest(), 150'000'000, kT0 + kDay, "EUR");
  ASSERT_TRUE(got.ok()) << got.status();
  ASSERT_EQ(got->rows_size(), 1);
  EXPECT_EQ(got->rows(0).rejected(), 3);
  EXPECT_EQ(got->rows(0).value_per_lead().currency_code(), "EUR");
  EXPECT_EQ(got->rows(0).value_per_lead().amount_micros(), -3 * 150'000'000 / 4);
}

}  // namespace
}  // namespace leadflow::reporting
