#include "tools/leadflow-bench/qualification_bench.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <thread>

#include <unistd.h>

#include "services/common/base/strings.h"
#include "services/common/events/lead_events.h"
#include "services/common/kafka/admin.h"
#include "services/common/kafka/consumer.h"
#include "services/common/kafka/producer.h"
#include "services/common/metrics/metrics.h"
#include "services/common/stream/stream_app.h"
#include "services/qualification/processor.h"
#include "tools/leadflow-bench/bench_util.h"

namespace leadflow::bench {
namespace {

using Clock = std::chrono::steady_clock;

// A realistic mix: five profiles (grades A to D and a disqualified one), each lead captured then
// engaged `engagements` times a minute apart with a rotating set of activity types.
std::vector<v1::LeadEvent> MakeEvents(const QualificationBenchOptions& o) {
  const v1::EngagementType kTypes[] = {
      v1::ENGAGEMENT_TYPE_PAGE_VIEW,        v1::ENGAGEMENT_TYPE_EMAIL_OPEN,
      v1::ENGAGEMENT_TYPE_EMAIL_CLICK,      v1::ENGAGEMENT_TYPE_CONTENT_DOWNLOAD,
      v1::ENGAGEMENT_TYPE_PAGE_VIEW,        v1::ENGAGEMENT_TYPE_WEBINAR_REGISTERED,
      v1::ENGAGEMENT_TYPE_WEBINAR_ATTENDED, v1::ENGAGEMENT_TYPE_FORM_FILL,
      v1::ENGAGEMENT_TYPE_PAGE_VIEW,        v1::ENGAGEMENT_TYPE_DEMO_REQUEST};
  struct Profile {
    const char* seniority;
    const char* department;
    int employees;
    const char* industry;
    const char* country;
    bool company;
  };
  const Profile kProfiles[] = {{"vp", "marketing", 250, "software", "DE", true},
                               {"director", "it", 100, "retail", "US", true},
                               {"manager", "marketing", 60, "retail", "BR", true},
                               {"", "", 0, "", "", false},
                               {"student", "sales", 500, "saas", "GB", true}};
  const int64_t t0 = WallMillis() - 86'400'000;
  std::vector<v1::LeadEvent> out;
  out.reserve(static_cast<size_t>(o.leads) * static_cast<size_t>(o.engagements + 1));
  for (int k = 0; k <= o.engagements; ++k) {
    for (int i = 0; i < o.leads; ++i) {
      const std::string id = StrCat("bench-lead-", i);
      v1::LeadEvent e;
      v1::EventEnvelope& env = *e.mutable_envelope();
      env.set_lead_id(id);
      env.set_event_id(StrCat(id, "-", k));
      const int64_t at = t0 + int64_t{i} + int64_t{k} * 60'000;
      *env.mutable_occurred_at() = events::TimestampFromMillis(at);
      if (k == 0) {
        const Profile& p = kProfiles[i % 5];
        env.set_cycle(1);
        v1::LeadCaptured& c = *e.mutable_captured();
        c.set_email_normalized(StrCat("person", i, p.company ? "@company" : "@gmail",
                                      p.company ? std::to_string(i) : "", ".example"));
        c.mutable_person()->set_seniority(p.seniority);
        c.mutable_person()->set_department(p.department);
        c.mutable_person()->set_job_title("Head of Revenue Operations");
        c.mutable_company()->set_employee_count(p.employees);
        c.mutable_company()->set_industry(p.industry);
        c.mutable_company()->set_country_code(p.country);
        if (p.company) c.mutable_company()->set_domain(StrCat("company", i, ".example"));
        c.mutable_first_touch()->set_channel(v1::CHANNEL_WEBINAR);
      } else {
        v1::Engagement& en = *e.mutable_engagement_recorded()->mutable_engagement();
        en.set_type(kTypes[(i + k) % 10]);
        *en.mutable_occurred_at() = events::TimestampFromMillis(at);
      }
      out.push_back(std::move(e));
    }
  }
  return out;
}

struct Run {
  std::string mode;
  double inputs_per_second = 0;
  size_t outputs = 0;
  // CPU µs per input from the app's start to the last output read: its processing thread, the
  // whole bench process (the app with its Kafka clients, and the reader), the broker.
  double thread_us = 0;
  double process_us = 0;
  double broker_us = 0;
};

// What the stateful relay is given so it moves qualification's bytes: the average serialized
// state and output bytes per input, from the decisions run in memory.
struct Shape {
  size_t state_bytes = 0;
  size_t output_bytes = 0;
};

bool RunOnce(const QualificationBenchOptions& o, const std::string& mode,
             const std::vector<v1::LeadEvent>& inputs, size_t expected_outputs, const Shape& shape,
             Run* result) {
  const std::string tag = StrCat(mode, "-", WallMillis());
  const std::string in = StrCat("bench-q-in-", tag);
  const std::string out = StrCat("bench-q-out-", tag);
  const std::string config = StrCat("bench-q-config-", tag);
  const std::string app_id = StrCat("bench-q-", tag);
  auto admin = kafka::Admin::Create({{"bootstrap.servers", o.bootstrap}});
  if (Fail(admin.status(), "admin")) return false;
  if (Fail((*admin)->CreateTopics({{in, o.partitions, 1, {}},
                                   {out, o.partitions, 1, {}},
                                   {config, 1, 1, {{"cleanup.policy", "compact"}}}},
                                  std::chrono::seconds(60)),
           "create topics")) {
    return false;
  }
  auto producer = kafka::Producer::Create({{"bootstrap.servers", o.bootstrap}});
  if (Fail(producer.status(), "producer")) return false;
  std::fprintf(stderr, "[%s] preloading %zu lead events\n", mode.c_str(), inputs.size());
  for (const v1::LeadEvent& e : inputs) {
    if (Fail((*producer)->ProduceOrWait(events::LeadEventRecord(in, e), nullptr), "produce")) {
      return false;
    }
  }
  if (Fail((*producer)->Flush(std::chrono::minutes(5)), "flush")) return false;

  auto reader = kafka::Consumer::Create(
      {{"bootstrap.servers", o.bootstrap}, {"group.id", StrCat("bench-q-reader-", tag)}});
  if (Fail(reader.status(), "reader") || Fail((*reader)->Subscribe({out}), "subscribe")) {
    return false;
  }

  std::atomic<int64_t> first_ns{0};
  std::atomic<bool> stop{false};
  metrics::Registry registry;
  stream::StreamOptions so;
  so.application_id = app_id;
  so.input_topics = {in};
  so.state_dir = StrCat("/tmp/", app_id);
  so.kafka = {{"bootstrap.servers", o.bootstrap}};
  so.changelog_topic = StrCat(app_id, ".changelog");
  so.guarantee = stream::Guarantee::kExactlyOnce;
  std::unique_ptr<stream::Processor> processor;
  if (mode == "qualification") {
    auto source = qualification::ConfigSource::Create(o.config_dir + "/icp.yaml",
                                                      o.config_dir + "/stages.yaml", "");
    if (Fail(source.status(), "config")) return false;
    qualification::QualificationTopics topics;
    topics.leads = in;
    topics.output = out;
    topics.config = config;
    topics.accounts = "";
    so.stores = {qualification::kLeadsStore};
    so.global_tables = {config};
    processor = std::make_unique<qualification::QualificationProcessor>(topics, std::move(*source),
                                                                        &registry);
  } else if (mode == "stateful-relay") {
    so.stores = {qualification::kLeadsStore};
    processor = std::make_unique<StatefulRelayProcessor>(qualification::kLeadsStore, out,
                                                         shape.state_bytes, shape.output_bytes);
  } else {
    processor = std::make_unique<RelayProcessor>(out);
  }
  auto app = stream::StreamApp::Create(so, std::make_unique<Timed>(std::move(processor), &first_ns),
                                       &registry);
  if (Fail(app.status(), "stream app")) return false;
  const double process_cpu0 = ProcessCpuSeconds(getpid());
  const double broker_cpu0 = o.broker_pid > 0 ? ProcessCpuSeconds(o.broker_pid) : 0;
  std::thread runner([&] {
    if (absl::Status s = (*app)->Run(stop); !s.ok()) Fail(s, "stream app run");
  });

  std::fprintf(stderr, "[%s] draining, expecting %zu outputs\n", mode.c_str(), expected_outputs);
  size_t got = 0;
  Clock::time_point last = Clock::now();
  // Gives up when nothing arrived for a minute (a stall), not after a fixed total time.
  while (got < expected_outputs && Clock::now() - last < std::chrono::seconds(60)) {
    auto polled = (*reader)->Poll(std::chrono::milliseconds(100));
    if (!polled.ok() || !polled->has_value()) continue;
    ++got;
    last = Clock::now();
  }
  const double n = static_cast<double>(inputs.size());
  result->thread_us = ThreadCpuSeconds(runner) * 1e6 / n;
  result->process_us = (ProcessCpuSeconds(getpid()) - process_cpu0) * 1e6 / n;
  result->broker_us =
      o.broker_pid > 0 ? (ProcessCpuSeconds(o.broker_pid) - broker_cpu0) * 1e6 / n : 0;
  stop.store(true);
  runner.join();
  app->reset();     // closes its clients before their topics go
  reader->reset();  // and the reader: once, destroyed after its topics were deleted, it hung in
                    // librdkafka's rd_kafka_destroy
  std::error_code ec;
  std::filesystem::remove_all(so.state_dir, ec);
  if (absl::Status s =
          (*admin)->DeleteTopics({in, out, config, so.changelog_topic}, std::chrono::seconds(60));
      !s.ok()) {
    std::fprintf(stderr, "leadflow-bench: topics of %s left behind: %s\n", tag.c_str(),
                 std::string(s.message()).c_str());
  }
  if (got < expected_outputs) {
    std::fprintf(stderr, "[%s] only %zu of %zu outputs arrived\n", mode.c_str(), got,
                 expected_outputs);
    return false;
  }
  const Clock::time_point first{std::chrono::nanoseconds(first_ns.load())};
  const double seconds = std::chrono::duration<double>(last - first).count();
  result->mode = mode;
  result->outputs = got;
  result->inputs_per_second = seconds > 0 ? static_cast<double>(inputs.size()) / seconds : 0;
  return true;
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n == 0 ? 0 : n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

}  // namespace

int RunQualificationBench(const QualificationBenchOptions& o) {
  const std::vector<v1::LeadEvent> inputs = MakeEvents(o);
  // The outputs the processor must write, from the same decisions run in memory first.
  auto source = qualification::ConfigSource::Create(o.config_dir + "/icp.yaml",
                                                    o.config_dir + "/stages.yaml", "");
  if (Fail(source.status(), "config")) return 1;
  size_t expected = 0;
  size_t state_bytes = 0, output_bytes = 0;
  std::map<std::string, v1::QualificationState> states;
  const auto simulate_start = Clock::now();
  for (const v1::LeadEvent& e : inputs) {
    auto it = states.find(e.envelope().lead_id());
    std::optional<v1::QualificationState> current;
    if (it != states.end()) current = std::move(it->second);
    absl::StatusOr<qualification::Decision> d =
        qualification::Apply(std::move(current), e, *(*source)->current(), 0);
    if (Fail(d.status(), "simulated decision")) return 1;
    expected += d->events.size();
    for (const v1::LeadEvent& out : d->events) output_bytes += out.ByteSizeLong();
    state_bytes += d->state.ByteSizeLong();
    states[e.envelope().lead_id()] = std::move(d->state);
  }
  const double simulate_us =
      std::chrono::duration<double, std::micro>(Clock::now() - simulate_start).count();
  const Shape shape{state_bytes / inputs.size(), output_bytes / inputs.size()};
  std::fprintf(stderr,
               "decisions in memory: %.1f us per lead event (%zu outputs; per input %zu state "
               "bytes, %zu output bytes)\n",
               simulate_us / static_cast<double>(inputs.size()), expected, shape.state_bytes,
               shape.output_bytes);

  std::vector<std::vector<Run>> rounds;
  for (int r = 0; r < o.rounds; ++r) {
    rounds.emplace_back();
    for (const std::string mode : {"eos-relay", "stateful-relay", "qualification"}) {
      Run run;
      if (!RunOnce(o, mode, inputs, mode == "qualification" ? expected : inputs.size(), shape,
                   &run)) {
        return 1;
      }
      rounds.back().push_back(run);
    }
  }
  std::printf(
      "| round | mode | inputs/s | outputs | vs eos-relay | vs stateful-relay | CPU µs per input: "
      "thread / process / broker |\n|---|---|---|---|---|---|---|\n");
  std::vector<double> relay_rates, stateful_rates, q_rates, ratios, stateful_ratios;
  const auto pct = [](double a, double b) { return b > 0 ? 100.0 * a / b : 0; };
  for (size_t i = 0; i < rounds.size(); ++i) {
    const double base = rounds[i][0].inputs_per_second;
    const double stateful = rounds[i][1].inputs_per_second;
    for (const Run& run : rounds[i]) {
      std::printf("| %zu | %s | %.0f | %zu | %.0f%% | %.0f%% | %.1f / %.1f / %.1f |\n", i + 1,
                  run.mode.c_str(), run.inputs_per_second, run.outputs,
                  pct(run.inputs_per_second, base), pct(run.inputs_per_second, stateful),
                  run.thread_us, run.process_us, run.broker_us);
    }
    relay_rates.push_back(base);
    stateful_rates.push_back(stateful);
    q_rates.push_back(rounds[i][2].inputs_per_second);
    ratios.push_back(pct(rounds[i][2].inputs_per_second, base));
    stateful_ratios.push_back(pct(rounds[i][2].inputs_per_second, stateful));
  }
  std::printf(
      "\nmedian of %zu rounds: eos-relay %.0f inputs/s, stateful-relay %.0f inputs/s, "
      "qualification %.0f inputs/s; qualification vs eos-relay %.0f%%, vs stateful-relay "
      "%.0f%%\n",
      rounds.size(), Median(relay_rates), Median(stateful_rates), Median(q_rates), Median(ratios),
      Median(stateful_ratios));
  std::printf(
      "(%d leads x (1 capture + %d engagements) = %zu lead events, %d partitions, "
      "exactly-once, default ICP)\n",
      o.leads, o.engagements, inputs.size(), o.partitions);
  return 0;
}

}  // namespace leadflow::bench
