// leadflow-admission-bench: intake's pure admission (validation, normalisation, the lead id), per
// submission on one core, and its parts. Google Benchmark; results in docs/benchmarks.md.
//   build/bin/leadflow-admission-bench [--benchmark_repetitions=3]
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "services/common/base/strings.h"
#include "services/intake/admission.h"
#include "services/intake/normalize.h"

namespace {

namespace v1 = leadflow::v1;
using leadflow::StrCat;

constexpr int64_t kNowMs = 1'790'000'000'000;

// 1,024 submissions of the shape marketing systems send (the intake bench's shape, varied):
// a person with a title, a national phone number and a country by name, a company, attribution,
// every third with an engagement.
std::vector<v1::LeadSubmission> Submissions() {
  static const char* kCountries[] = {"Germany", "US", "United Kingdom", "FR", "Brazil", "IN"};
  static const char* kPhones[] = {"030 1234567",    "(415) 555-0134", "020 7946 0958",
                                  "01 23 45 67 89", "11 91234-5678",  "098765 43210"};
  static const char* kTitles[] = {
      "VP Marketing",          "Senior Software Engineer",     "Head of Demand Generation",
      "Chief Revenue Officer", "Marketing Operations Manager", "Student"};
  std::vector<v1::LeadSubmission> out;
  for (int i = 0; i < 1024; ++i) {
    v1::LeadSubmission s;
    s.set_idempotency_key(StrCat("bench-", i));
    s.set_source_system("bench");
    s.mutable_person()->set_email(StrCat("Person", i, ".Name@Company", i % 500, ".example"));
    s.mutable_person()->set_first_name("Alex");
    s.mutable_person()->set_last_name("Morgan");
    s.mutable_person()->set_job_title(kTitles[i % 6]);
    s.mutable_person()->set_country_code(kCountries[i % 6]);
    s.mutable_person()->set_phone(kPhones[i % 6]);
    s.mutable_company()->set_name(StrCat("Company ", i % 500));
    s.mutable_company()->set_employee_count(50 + i % 5000);
    s.mutable_source()->set_channel(v1::CHANNEL_PAID_SEARCH);
    s.mutable_source()->set_campaign_id(StrCat("campaign-", i % 20));
    if (i % 3 == 0) s.mutable_engagement()->set_type(v1::ENGAGEMENT_TYPE_CONTENT_DOWNLOAD);
    out.push_back(std::move(s));
  }
  return out;
}

leadflow::intake::AdmissionOptions Options() {
  leadflow::intake::AdmissionOptions o;
  o.lead_id_secret = "bench-secret";
  return o;
}

// Calls `fn(k)` once per iteration, `k` cycling over [0, n), and counts an item per call.
template <typename Fn>
void Cycle(benchmark::State& state, size_t n, Fn fn) {
  size_t i = 0;
  for (auto _ : state) {
    auto result = fn(i++ % n);
    benchmark::DoNotOptimize(result);
  }
  state.SetItemsProcessed(state.iterations());
}

void AdmitAll(benchmark::State& state, const std::vector<v1::LeadSubmission>& in) {
  const leadflow::intake::AdmissionOptions options = Options();
  Cycle(state, in.size(), [&](size_t k) {
    leadflow::intake::Admission a =
        leadflow::intake::Admit(in[k], v1::INGRESS_CHANNEL_RAW_TOPIC, kNowMs, options);
    if (!a.ok()) state.SkipWithError("a bench submission was refused");
    return a;
  });
}

// The whole of admission, as every way in runs it.
void BM_Admit(benchmark::State& state) { AdmitAll(state, Submissions()); }
BENCHMARK(BM_Admit);

// The same submissions without a phone number: what libphonenumber costs admission.
void BM_AdmitWithoutPhone(benchmark::State& state) {
  std::vector<v1::LeadSubmission> in = Submissions();
  for (v1::LeadSubmission& s : in) s.mutable_person()->clear_phone();
  AdmitAll(state, in);
}
BENCHMARK(BM_AdmitWithoutPhone);

// Parts, to see where admission's time goes.
void BM_NormalizePhone(benchmark::State& state) {
  static const char* kPhones[] = {"030 1234567", "(415) 555-0134", "020 7946 0958",
                                  "01 23 45 67 89"};
  static const char* kRegions[] = {"DE", "US", "GB", "FR"};
  Cycle(state, 4,
        [](size_t k) { return leadflow::intake::NormalizePhone(kPhones[k], kRegions[k]); });
}
BENCHMARK(BM_NormalizePhone);

void BM_NormalizeCountry(benchmark::State& state) {
  static const char* kCountries[] = {"Germany", "US", "United Kingdom", "FR"};
  Cycle(state, 4, [](size_t k) { return leadflow::intake::NormalizeCountry(kCountries[k]); });
}
BENCHMARK(BM_NormalizeCountry);

void BM_LeadIdForEmail(benchmark::State& state) {
  const std::string emails[] = {"person1.name@company1.example", "person2.name@company2.example"};
  Cycle(state, 2,
        [&](size_t k) { return leadflow::intake::LeadIdForEmail(emails[k], "bench-secret"); });
}
BENCHMARK(BM_LeadIdForEmail);

void BM_ClassifyTitle(benchmark::State& state) {
  static const char* kTitles[] = {"VP Marketing", "Senior Software Engineer",
                                  "Head of Demand Generation", "Marketing Operations Manager"};
  Cycle(state, 4, [](size_t k) { return leadflow::intake::ClassifyTitle(kTitles[k]); });
}
BENCHMARK(BM_ClassifyTitle);

}  // namespace

BENCHMARK_MAIN();
