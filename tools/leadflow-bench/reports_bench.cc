// leadflow-reports-bench: what one report costs the reporting service, which computes every report
// from the fact rows on each request (docs/reporting.md): parsing the rows from their stored
// bytes, and the funnel, source quality by channel, win-loss and recycle effectiveness over them,
// at 100,000 and 1,000,000 lead-cycles. Google Benchmark, one core; results in
// docs/benchmarks.md.
//   build/bin/leadflow-reports-bench [--benchmark_filter=Funnel]
#include <benchmark/benchmark.h>

#include <random>

#include "services/common/events/lead_events.h"
#include "services/reporting/aggregates.h"

namespace {

namespace v1 = leadflow::v1;
namespace reporting = leadflow::reporting;

constexpr int64_t kT0 = 1'790'000'000'000;
constexpr int64_t kHour = 3'600'000;

const std::vector<v1::Stage> kStages = {
    v1::STAGE_INQUIRY,     v1::STAGE_MQL,     v1::STAGE_SAL,      v1::STAGE_SQL,
    v1::STAGE_OPPORTUNITY, v1::STAGE_WON,     v1::STAGE_LOST,     v1::STAGE_DISQUALIFIED,
    v1::STAGE_REJECTED,    v1::STAGE_NURTURE, v1::STAGE_ARCHIVED, v1::STAGE_ERASED};

// `n` lead-cycles along the funnel's paths, as the processor stores them (about a third recycled).
const std::vector<v1::LeadCycleFacts>& Rows(int64_t n) {
  static std::map<int64_t, std::vector<v1::LeadCycleFacts>> cache;
  auto [it, inserted] = cache.try_emplace(n);
  if (!inserted) return it->second;
  std::mt19937 rng(7);
  auto chance = [&](double p) { return std::uniform_real_distribution<double>(0, 1)(rng) < p; };
  const v1::Channel kChannels[] = {v1::CHANNEL_WEBINAR, v1::CHANNEL_PAID_SEARCH, v1::CHANNEL_EVENT,
                                   v1::CHANNEL_EMAIL, v1::CHANNEL_ORGANIC_SEARCH};
  std::vector<v1::LeadCycleFacts>& rows = it->second;
  rows.reserve(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) {
    v1::LeadCycleFacts f;
    f.set_lead_id("lead-" + std::to_string(i / 2));
    f.set_cycle(static_cast<int32_t>(1 + i % 2));
    int64_t t = kT0 + i * 60'000;
    f.set_started_at_ms(t);
    f.mutable_first_touch()->set_channel(kChannels[rng() % 5]);
    f.mutable_first_touch()->set_campaign_id("campaign-" + std::to_string(rng() % 40));
    f.set_fit_grade(static_cast<v1::FitGrade>(1 + rng() % 4));
    auto enter = [&](v1::Stage s) {
      t += static_cast<int64_t>(1 + rng() % 72) * kHour;
      (*f.mutable_entered_at_ms())[s] = t;
      f.set_stage(s);
      f.set_stage_since_ms(t);
    };
    enter(v1::STAGE_INQUIRY);
    if (chance(0.6)) {
      enter(v1::STAGE_MQL);
      if (chance(0.6)) {
        enter(v1::STAGE_SAL);
        enter(v1::STAGE_SQL);
        enter(v1::STAGE_OPPORTUNITY);
        f.mutable_amount()->set_currency_code("EUR");
        f.mutable_amount()->set_amount_micros(static_cast<int64_t>(5 + rng() % 95) * 1'000'000'000);
        const bool won = chance(0.4);
        enter(won ? v1::STAGE_WON : v1::STAGE_LOST);
        f.set_outcome(won ? v1::OPPORTUNITY_OUTCOME_WON : v1::OPPORTUNITY_OUTCOME_LOST);
        f.mutable_outcome_reason()->set_code(won ? "product_fit" : "price");
      } else {
        enter(v1::STAGE_REJECTED);
        f.set_rejection_reason(v1::REJECTION_REASON_BAD_TIMING);
      }
      if (chance(0.5) && f.stage() != v1::STAGE_WON) {
        enter(v1::STAGE_NURTURE);
        f.set_recycled(true);
        f.set_recycled_at_ms(t);
        f.set_recycle_reason(v1::RECYCLE_REASON_REJECTED);
      }
    } else {
      enter(v1::STAGE_DISQUALIFIED);
    }
    rows.push_back(std::move(f));
  }
  return rows;
}

void Parse(benchmark::State& state) {
  std::vector<std::string> bytes;
  for (const v1::LeadCycleFacts& f : Rows(state.range(0))) bytes.push_back(f.SerializeAsString());
  for (auto _ : state) {
    std::vector<v1::LeadCycleFacts> rows;
    rows.reserve(bytes.size());
    for (const std::string& b : bytes) {
      rows.emplace_back();
      if (!rows.back().ParseFromString(b)) state.SkipWithError("parse");
    }
    benchmark::DoNotOptimize(rows);
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}

template <typename F>
void Report(benchmark::State& state, F report) {
  const std::vector<v1::LeadCycleFacts>& rows = Rows(state.range(0));
  const int64_t now = kT0 + 400 * 24 * kHour;
  for (auto _ : state) {
    auto out = report(rows, now);
    if (!out.ok()) state.SkipWithError(std::string(out.status().message()).c_str());
    benchmark::DoNotOptimize(out);
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}

void Funnel(benchmark::State& state) {
  Report(state, [](const auto& rows, int64_t now) {
    return reporting::Funnel(rows, v1::GetFunnelRequest(), kStages, now);
  });
}

void FunnelByChannelWeekly(benchmark::State& state) {
  v1::GetFunnelRequest request;
  request.mutable_query()->add_group_by(v1::REPORT_DIMENSION_CHANNEL);
  request.mutable_query()->set_bucket(v1::TIME_BUCKET_WEEK);
  Report(state, [&](const auto& rows, int64_t now) {
    return reporting::Funnel(rows, request, kStages, now);
  });
}

void SourceQualityByCampaign(benchmark::State& state) {
  v1::GetSourceQualityRequest request;
  request.mutable_query()->add_group_by(v1::REPORT_DIMENSION_CAMPAIGN);
  Report(state, [&](const auto& rows, int64_t now) {
    return reporting::LeadQuality(rows, request, 150'000'000, now);
  });
}

void WinLoss(benchmark::State& state) {
  Report(state, [](const auto& rows, int64_t now) {
    return reporting::WinLoss(rows, v1::GetWinLossRequest(), now);
  });
}

void RecycleEffectiveness(benchmark::State& state) {
  Report(state, [](const auto& rows, int64_t now) {
    return reporting::RecycleEffectiveness(rows, v1::GetRecycleEffectivenessRequest(), now);
  });
}

BENCHMARK(Parse)->Arg(100'000)->Arg(1'000'000)->Unit(benchmark::kMillisecond);
BENCHMARK(Funnel)->Arg(100'000)->Arg(1'000'000)->Unit(benchmark::kMillisecond);
BENCHMARK(FunnelByChannelWeekly)->Arg(100'000)->Arg(1'000'000)->Unit(benchmark::kMillisecond);
BENCHMARK(SourceQualityByCampaign)->Arg(100'000)->Arg(1'000'000)->Unit(benchmark::kMillisecond);
BENCHMARK(WinLoss)->Arg(100'000)->Arg(1'000'000)->Unit(benchmark::kMillisecond);
BENCHMARK(RecycleEffectiveness)->Arg(100'000)->Arg(1'000'000)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
