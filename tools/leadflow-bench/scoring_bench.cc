// leadflow-scoring-bench: the qualification's pure scoring, leads/s on one core, with the default
// ICP (config/icp.yaml). Google Benchmark; results in docs/benchmarks.md.
//   build/bin/leadflow-scoring-bench [--benchmark_repetitions=5] (run from the repository root,
//   or set LEADFLOW_ICP=path/to/icp.yaml)
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>

#include "services/qualification/icp_config.h"
#include "services/qualification/scoring.h"

namespace {

using leadflow::qualification::CompiledIcp;
using leadflow::qualification::EngagementFact;
namespace v1 = leadflow::v1;

const CompiledIcp& Icp() {
  static const CompiledIcp icp = [] {
    const char* path = std::getenv("LEADFLOW_ICP");
    auto config = leadflow::qualification::LoadIcpFile(path != nullptr ? path : "config/icp.yaml");
    if (!config.ok()) {
      std::fprintf(stderr, "%s\n", std::string(config.status().message()).c_str());
      std::exit(2);
    }
    return *CompiledIcp::Compile(*config);
  }();
  return icp;
}

// 1,024 varied leads: sizes, industries, countries, seniorities, some free-mail, some role
// mailboxes.
std::vector<v1::Lead> Leads() {
  static const char* kIndustries[] = {"Software", "SaaS",    "Manufacturing",
                                      "Retail",   "Fintech", "Healthcare"};
  static const char* kCountries[] = {"US", "DE", "GB", "FR", "BR", "IN", "JP", "SE"};
  static const char* kSeniority[] = {
      "c_level", "vp", "director", "manager", "individual_contributor", "student"};
  static const char* kDepartments[] = {"marketing", "sales", "it", "engineering", "finance", "hr"};
  std::vector<v1::Lead> out;
  for (int i = 0; i < 1024; ++i) {
    v1::Lead l;
    l.set_email_normalized(i % 50 == 0 ? "info@company.example"
                                       : "person" + std::to_string(i) + "@company.example");
    l.mutable_person()->set_seniority(kSeniority[i % 6]);
    l.mutable_person()->set_department(kDepartments[(i / 6) % 6]);
    l.mutable_person()->set_job_title(i % 7 == 0 ? "Revenue Operations Manager"
                                                 : "Senior Engineer");
    l.mutable_company()->set_employee_count(20 + (i * 37) % 6000);
    l.mutable_company()->set_industry(kIndustries[i % 6]);
    l.mutable_company()->set_country_code(kCountries[i % 8]);
    if (i % 9 != 0)
      l.mutable_company()->set_domain("company" + std::to_string(i % 300) + ".example");
    if (i % 4 == 0) (*l.mutable_custom_attributes())["tech_stack"] = "Salesforce, Slack";
    out.push_back(std::move(l));
  }
  return out;
}

void BM_ScoreFit(benchmark::State& state) {
  const CompiledIcp& icp = Icp();
  const std::vector<v1::Lead> leads = Leads();
  size_t i = 0;
  for (auto _ : state) {
    auto r = icp.ScoreFit(leads[i++ & 1023]);
    benchmark::DoNotOptimize(r);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ScoreFit);

void BM_ScoreFitAndEngagement(benchmark::State& state) {
  const CompiledIcp& icp = Icp();
  const std::vector<v1::Lead> leads = Leads();
  const int64_t now = 1'790'000'000'000;
  std::vector<EngagementFact> history;
  for (int k = 0; k < 10; ++k) {
    history.push_back(
        {k % 3 == 0 ? v1::ENGAGEMENT_TYPE_PAGE_VIEW : v1::ENGAGEMENT_TYPE_CONTENT_DOWNLOAD,
         now - int64_t{k} * 3'600'000 * 30});
  }
  size_t i = 0;
  for (auto _ : state) {
    auto fit = icp.ScoreFit(leads[i++ & 1023]);
    auto engagement = icp.ScoreEngagement(history, now);
    benchmark::DoNotOptimize(fit);
    benchmark::DoNotOptimize(engagement);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ScoreFitAndEngagement);

}  // namespace

BENCHMARK_MAIN();
