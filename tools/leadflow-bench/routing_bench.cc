// leadflow-routing-bench: handoff's pure routing, decisions/s on one core, with the shipped
// config/routing.yaml (account owner first, 4 territory/segment rules, 9 reps). Google Benchmark;
// results in docs/benchmarks.md.
//   build/bin/leadflow-routing-bench [--benchmark_repetitions=5] (from the repository root, or set
//   LEADFLOW_ROUTING=path/to/routing.yaml)
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>
#include <map>

#include "services/handoff/routing.h"

namespace {

namespace v1 = leadflow::v1;
using leadflow::handoff::Rotation;
using leadflow::handoff::Router;

const Router& TheRouter() {
  static const Router router = [] {
    const char* path = std::getenv("LEADFLOW_ROUTING");
    auto config =
        leadflow::handoff::LoadRoutingFile(path != nullptr ? path : "config/routing.yaml");
    if (!config.ok()) {
      std::fprintf(stderr, "%s\n", std::string(config.status().message()).c_str());
      std::exit(2);
    }
    return *Router::Create(*config);
  }();
  return router;
}

// 1,024 leads over the territories and sizes of the rules (and outside them), every 8th with an
// account whose owner is a rep.
struct Input {
  v1::Lead lead;
  std::optional<v1::AccountRecord> account;
};
std::vector<Input> Inputs() {
  static const char* kCountries[] = {"DE", "GB", "US", "CA", "BR", "JP", "FR", "SE"};
  std::vector<Input> out;
  for (int i = 0; i < 1024; ++i) {
    Input in;
    in.lead.mutable_company()->set_country_code(kCountries[i % 8]);
    in.lead.mutable_company()->set_employee_count(20 + (i * 37) % 6000);
    if (i % 8 == 0) {
      in.account.emplace();
      in.account->set_account_id("acc-" + std::to_string(i));
      in.account->set_owner_rep_id(i % 16 == 0 ? "rep-anna" : "rep-dan");
    }
    out.push_back(std::move(in));
  }
  return out;
}

void BM_Route(benchmark::State& state) {
  const Router& router = TheRouter();
  const std::vector<Input> inputs = Inputs();
  std::map<std::string, Rotation> rotations;
  std::map<std::string, int> open;
  size_t i = 0;
  for (auto _ : state) {
    const Input& in = inputs[i++ % inputs.size()];
    leadflow::handoff::RouteResult r = router.Route(
        {&in.lead, in.account.has_value() ? &*in.account : nullptr, 1'790'000'000'000, {}},
        [&](const std::string& rep) {
          auto it = open.find(rep);
          return it == open.end() ? 0 : it->second;
        },
        &rotations);
    // Reps answer as fast as leads come, so capacity limits apply now and then.
    if (!r.rep_id.empty()) open[r.rep_id] = (open[r.rep_id] + 1) % 25;
    benchmark::DoNotOptimize(r);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Route);

}  // namespace

BENCHMARK_MAIN();
