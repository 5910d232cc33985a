#include "tools/leadflow-bench/handoff_bench.h"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <thread>

#include "services/common/base/strings.h"
#include "services/common/events/lead_events.h"
#include "services/common/kafka/admin.h"
#include "services/common/kafka/consumer.h"
#include "services/common/kafka/producer.h"
#include "services/common/metrics/metrics.h"
#include "services/common/stream/stream_app.h"
#include "services/handoff/processor.h"
#include "tools/leadflow-bench/bench_util.h"

namespace leadflow::bench {
namespace {

using Clock = std::chrono::steady_clock;

// An MQL as qualification writes it; countries and sizes rotate over the shipped routing's rules.
v1::LeadEvent Mql(int i, int64_t now_ms) {
  static const char* kCountries[] = {"DE", "US", "FR", "CA", "BR", "GB"};
  static const int kEmployees[] = {250, 5000, 40, 1200, 800, 30};
  v1::LeadEvent e;
  v1::EventEnvelope& env = *e.mutable_envelope();
  const std::string id = StrCat("bench-mql-", i);
  env.set_event_id(StrCat("qualified-", id));
  env.set_lead_id(id);
  env.set_cycle(1);
  *env.mutable_occurred_at() = events::TimestampFromMillis(now_ms);
  v1::LeadQualified& q = *e.mutable_qualified();
  q.set_basis(v1::MQL_BASIS_SCORE);
  q.mutable_score()->set_fit_grade(static_cast<v1::FitGrade>(1 + i % 3));
  q.mutable_company()->set_country_code(kCountries[i % 6]);
  q.mutable_company()->set_employee_count(kEmployees[i % 6]);
  q.mutable_company()->set_domain(StrCat("company", i, ".example"));
  q.mutable_person()->set_email(StrCat("person", i, "@company", i, ".example"));
  q.mutable_person()->set_job_title("VP Marketing");
  q.mutable_first_touch()->set_channel(v1::CHANNEL_WEBINAR);
  *q.mutable_first_touch()->mutable_touched_at() = events::TimestampFromMillis(now_ms - 86'400'000);
  return e;
}

}  // namespace

int RunHandoffBench(const HandoffBenchOptions& o) {
  const std::string tag = StrCat(WallMillis());
  handoff::HandoffTopics topics;
  topics.qualification = StrCat("bench-h-qualification-", tag);
  topics.feedback = StrCat("bench-h-feedback-", tag);
  topics.recycle = StrCat("bench-h-recycle-", tag);
  topics.routing = StrCat("bench-h-routing-", tag);
  topics.assignments = StrCat("bench-h-assignments-", tag);
  topics.output = StrCat("bench-h-handoffs-", tag);
  topics.config = StrCat("bench-h-config-", tag);
  topics.accounts = "";
  const std::string app_id = StrCat("bench-h-", tag);
  auto admin = kafka::Admin::Create({{"bootstrap.servers", o.bootstrap}});
  if (Fail(admin.status(), "admin")) return 1;
  std::vector<kafka::TopicSpec> create;
  for (const std::string& t : {topics.qualification, topics.feedback, topics.recycle,
                               topics.routing, topics.assignments, topics.output}) {
    create.push_back({t, o.partitions, 1, {}});
  }
  create.push_back({topics.config, 1, 1, {{"cleanup.policy", "compact"}}});
  if (Fail((*admin)->CreateTopics(create, std::chrono::seconds(60)), "create topics")) return 1;

  auto producer = kafka::Producer::Create({{"bootstrap.servers", o.bootstrap}});
  if (Fail(producer.status(), "producer")) return 1;
  std::fprintf(stderr, "[throughput] preloading %d MQLs\n", o.leads);
  for (int i = 0; i < o.leads; ++i) {
    if (Fail((*producer)->ProduceOrWait(
                 events::LeadEventRecord(topics.qualification, Mql(i, WallMillis())), nullptr),
             "produce")) {
      return 1;
    }
  }
  if (Fail((*producer)->Flush(std::chrono::minutes(5)), "flush")) return 1;
  auto reader =
      kafka::Consumer::Create({{"bootstrap.servers", o.bootstrap},
                               {"group.id", StrCat("bench-h-reader-", tag)},
                               {"fetch.wait.max.ms", std::to_string(o.reader_fetch_wait_ms)}});
  if (Fail(reader.status(), "reader") || Fail((*reader)->Subscribe({topics.output}), "subscribe")) {
    return 1;
  }

  handoff::HandoffFiles files;
  files.routing = o.config_dir + "/routing.yaml";
  files.sla = o.config_dir + "/sla.yaml";
  files.stages = o.config_dir + "/stages.yaml";
  files.comp = o.config_dir + "/comp.yaml";
  auto source = handoff::LoadHandoffConfig(files);
  if (Fail(source.status(), "config")) return 1;
  std::atomic<int64_t> first_ns{0};
  std::atomic<bool> stop{false};
  metrics::Registry registry;
  stream::StreamOptions so;
  so.application_id = app_id;
  so.input_topics = {topics.qualification, topics.feedback, topics.recycle, topics.routing,
                     topics.assignments};
  so.stores = {handoff::kHandoffsStore, handoff::kRouterStore};
  so.global_tables = {topics.config};
  so.state_dir = StrCat("/tmp/", app_id);
  so.kafka = {{"bootstrap.servers", o.bootstrap}};
  if (o.app_fetch_wait_ms > 0) so.kafka["fetch.wait.max.ms"] = std::to_string(o.app_fetch_wait_ms);
  so.changelog_topic = StrCat(app_id, ".changelog");
  so.guarantee = stream::Guarantee::kExactlyOnce;
  auto app = stream::StreamApp::Create(
      so,
      std::make_unique<Timed>(
          std::make_unique<handoff::HandoffProcessor>(topics, std::move(*source), &registry),
          &first_ns),
      &registry);
  if (Fail(app.status(), "stream app")) return 1;
  std::thread runner([&] {
    if (absl::Status s = (*app)->Run(stop); !s.ok()) Fail(s, "stream app run");
  });

  // Throughput: every MQL handed off once.
  size_t got = 0;
  Clock::time_point last = Clock::now();
  while (got < static_cast<size_t>(o.leads) && Clock::now() - last < std::chrono::seconds(60)) {
    auto polled = (*reader)->Poll(std::chrono::milliseconds(100));
    if (!polled.ok() || !polled->has_value()) continue;
    ++got;
    last = Clock::now();
  }
  const Clock::time_point first{std::chrono::nanoseconds(first_ns.load())};
  const double seconds = std::chrono::duration<double>(last - first).count();
  const bool throughput_ok = got == static_cast<size_t>(o.leads);

  // Latency: a fixed rate; each MQL's produce time against its handoff's arrival.
  std::map<std::string, Clock::time_point> sent;
  std::vector<double> latencies_ms;
  const int total = o.rate * o.latency_seconds;
  const auto start = Clock::now();
  int produced = 0;
  std::fprintf(stderr, "[latency] %d MQLs at %d/s\n", total, o.rate);
  while (latencies_ms.size() < static_cast<size_t>(total) &&
         Clock::now() - start < std::chrono::seconds(o.latency_seconds + 120)) {
    const auto due = start + std::chrono::microseconds(int64_t{1'000'000} * produced / o.rate);
    while (produced < total && Clock::now() >= due) {
      const int i = o.leads + produced;
      sent[StrCat("bench-mql-", i)] = Clock::now();
      if (Fail((*producer)->ProduceOrWait(
                   events::LeadEventRecord(topics.qualification, Mql(i, WallMillis())), nullptr),
               "produce")) {
        stop.store(true);
        runner.join();
        return 1;
      }
      ++produced;
    }
    (*producer)->Poll(std::chrono::milliseconds(0));
    auto polled = (*reader)->Poll(std::chrono::milliseconds(2));
    if (!polled.ok() || !polled->has_value()) continue;
    auto it = sent.find(std::string((*polled)->key()));
    if (it == sent.end()) continue;
    latencies_ms.push_back(
        std::chrono::duration<double, std::milli>(Clock::now() - it->second).count());
    sent.erase(it);
  }
  stop.store(true);
  runner.join();
  app->reset();
  std::error_code ec;
  std::filesystem::remove_all(so.state_dir, ec);
  if (absl::Status s = (*admin)->DeleteTopics(
          {topics.qualification, topics.feedback, topics.recycle, topics.routing,
           topics.assignments, topics.output, topics.config, so.changelog_topic},
          std::chrono::seconds(60));
      !s.ok()) {
    std::fprintf(stderr, "leadflow-bench: topics of %s left behind: %s\n", tag.c_str(),
                 std::string(s.message()).c_str());
  }
  if (!throughput_ok) {
    std::fprintf(stderr, "[throughput] only %zu of %d handoffs arrived\n", got, o.leads);
    return 1;
  }
  std::printf("| phase | result |\n|---|---|\n");
  std::printf("| throughput | %.0f handoffs/s (%d MQLs in %.1f s) |\n",
              seconds > 0 ? o.leads / seconds : 0, o.leads, seconds);
  std::printf("| latency at %d MQL/s | p50 %.0f ms, p99 %.0f ms, max %.0f ms (%zu of %d) |\n",
              o.rate, Percentile(latencies_ms, 0.5), Percentile(latencies_ms, 0.99),
              Percentile(latencies_ms, 1.0), latencies_ms.size(), total);
  std::printf(
      "(%d partitions, exactly-once, commit interval %lld ms, shipped routing/SLA/comp; the "
      "subscriber reads with fetch.wait.max.ms=%d, the app with %s)\n",
      o.partitions, static_cast<long long>(so.commit_interval.count()), o.reader_fetch_wait_ms,
      o.app_fetch_wait_ms > 0 ? std::to_string(o.app_fetch_wait_ms).c_str() : "the default");
  return latencies_ms.size() == static_cast<size_t>(total) ? 0 : 1;
}

}  // namespace leadflow::bench
