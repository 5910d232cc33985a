// leadflow-bench relay: what the stream runtime costs over a raw librdkafka relay, on the same
// broker, same partitions, same record size. Three relays copy every record of an input topic to an
// output topic: `raw` (consume + idempotent produce, auto-committed offsets: the ceiling), the
// runtime's no-op processor in `alos` (at-least-once) and in `eos` (exactly-once) mode. For each:
//   throughput — N preloaded records drained, records/s from the relay's first processed record to
//                the last output visible to a read_committed consumer;
//   latency    — records sent at a fixed rate, end-to-end (send → output visible to a
//                read_committed consumer) p50/p99.
// Results and conditions go to docs/benchmarks.md.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <thread>

#include "CLI/CLI.hpp"
#include "services/common/base/strings.h"
#include "services/common/kafka/admin.h"
#include "services/common/kafka/consumer.h"
#include "services/common/kafka/producer.h"
#include "services/common/log/log.h"
#include "services/common/metrics/metrics.h"
#include "services/common/stream/stream_app.h"
#include "tools/leadflow-bench/bench_util.h"
#include "tools/leadflow-bench/handoff_bench.h"
#include "tools/leadflow-bench/intake_bench.h"
#include "tools/leadflow-bench/pipeline_bench.h"
#include "tools/leadflow-bench/qualification_bench.h"

namespace {

using leadflow::StrCat;
using leadflow::bench::Fail;
using leadflow::bench::WallMicros;
namespace kafka = leadflow::kafka;
namespace stream = leadflow::stream;
using Clock = std::chrono::steady_clock;

// When a relay handled its first record: throughput is measured from there to the last output
// seen, so group joins do not count, and outputs that only become visible at a commit do not make
// a relay look faster than it is.
std::atomic<int64_t> g_first_processed_ns{0};

void MarkFirstProcessed() { leadflow::bench::MarkFirst(&g_first_processed_ns); }

struct Options {
  std::string bootstrap;
  int records = 200000;
  int size = 600;
  int partitions = 4;
  int rate = 2000;
  int latency_seconds = 10;
  std::string modes = "raw,alos,eos";
  int commit_interval_ms = 100;
  int rounds = 1;
};

struct Result {
  std::string mode;
  double records_per_second = 0;
  double p50_ms = 0;
  double p99_ms = 0;
  size_t latency_samples = 0;
  double commits = 0;
  double mean_commit_ms = 0;
};

// Sends `count` records, spread at `rate` per second (0 = as fast as possible), with the wall-clock
// send time in microseconds in the first 8 bytes of each value.
bool Send(kafka::Producer& producer, const std::string& topic, int count, int size, int rate) {
  std::string value(static_cast<size_t>(std::max(size, 8)), 'x');
  const auto start = Clock::now();
  for (int i = 0; i < count; ++i) {
    if (rate > 0) {
      const auto due = start + std::chrono::microseconds(int64_t{1000000} * i / rate);
      while (Clock::now() < due) producer.Poll(std::chrono::milliseconds(1));
    }
    const int64_t now = WallMicros();
    std::memcpy(value.data(), &now, sizeof(now));
    if (Fail(producer.ProduceOrWait({topic, std::nullopt, StrCat("lead-", i % 10000), value, {}},
                                    nullptr),
             "produce")) {
      return false;
    }
  }
  return !Fail(producer.Flush(std::chrono::minutes(5)), "flush");
}

// The relay under test, running on its own thread until stopped.
class Relay {
 public:
  Relay(const Options& o, const std::string& mode, const std::string& in, const std::string& out,
        Result* result)
      : result_(result), thread_([=, this] { Run(o, mode, in, out); }) {}
  ~Relay() {
    stop_.store(true);
    thread_.join();
  }

 private:
  void Run(const Options& o, const std::string& mode, const std::string& in,
           const std::string& out) {
    const std::string group = StrCat("bench-", mode, "-", WallMicros());
    if (mode == "raw") {
      auto consumer = kafka::Consumer::Create({{"bootstrap.servers", o.bootstrap},
                                               {"group.id", group},
                                               {"enable.auto.commit", "true"},
                                               {"enable.auto.offset.store", "true"}});
      auto producer = kafka::Producer::Create({{"bootstrap.servers", o.bootstrap}});
      if (!consumer.ok() || !producer.ok() || !(*consumer)->Subscribe({in}).ok()) return;
      while (!stop_.load()) {
        auto polled = (*consumer)->Poll(std::chrono::milliseconds(50));
        if (polled.ok() && polled->has_value()) {
          MarkFirstProcessed();
          const kafka::ConsumedRecord& r = **polled;
          if (Fail((*producer)->ProduceOrWait(
                       {out, std::nullopt, std::string(r.key()), std::string(r.value()), {}},
                       nullptr),
                   "raw relay produce")) {
            return;
          }
        }
        (*producer)->Poll(std::chrono::milliseconds(0));
      }
      Fail((*producer)->Flush(std::chrono::seconds(30)), "raw relay flush");
      return;
    }
    stream::StreamOptions so;
    so.application_id = group;
    so.input_topics = {in};
    so.state_dir = StrCat("/tmp/", group);
    so.kafka = {{"bootstrap.servers", o.bootstrap}};
    so.changelog_topic = StrCat(group, ".changelog");  // no stores: nothing is written to it
    so.guarantee =
        mode == "eos" ? stream::Guarantee::kExactlyOnce : stream::Guarantee::kAtLeastOnce;
    leadflow::metrics::Registry registry;
    auto app = stream::StreamApp::Create(
        so,
        std::make_unique<leadflow::bench::Timed>(
            std::make_unique<leadflow::bench::RelayProcessor>(out), &g_first_processed_ns),
        &registry);
    if (Fail(app.status(), "stream app")) return;
    if (absl::Status s = (*app)->Run(stop_); !s.ok()) Fail(s, "stream app run");
    // What the commits cost: the loop waits for each one.
    const auto snapshot =
        registry
            .GetHistogram("leadflow_stream_commit_latency_seconds", "",
                          leadflow::metrics::LatencyBuckets(), {{"app", so.application_id}})
            .Take();
    result_->commits = static_cast<double>(snapshot.count);
    result_->mean_commit_ms = snapshot.count > 0 ? 1000.0 * snapshot.sum / snapshot.count : 0;
    std::error_code ec;
    std::filesystem::remove_all(so.state_dir, ec);
  }

  std::atomic<bool> stop_{false};
  Result* result_;
  std::thread thread_;
};

// Reads the output topic read_committed; returns per-record end-to-end latencies (ms) and the
// times of the first and last record seen.
// (Clock is steady_clock; g_first_processed_ns is on the same clock.)
struct Seen {
  std::vector<double> latencies_ms;
  Clock::time_point first;
  Clock::time_point last;
};

bool Await(kafka::Consumer& consumer, size_t count, Seen* seen, std::chrono::seconds deadline) {
  const auto until = Clock::now() + deadline;
  size_t got = 0;
  while (got < count && Clock::now() < until) {
    auto polled = consumer.Poll(std::chrono::milliseconds(100));
    if (!polled.ok() || !polled->has_value()) continue;
    const auto now = Clock::now();
    if (got == 0) seen->first = now;
    seen->last = now;
    int64_t sent = 0;
    if ((**polled).value().size() >= sizeof(sent)) {
      std::memcpy(&sent, (**polled).value().data(), sizeof(sent));
      seen->latencies_ms.push_back(static_cast<double>(WallMicros() - sent) / 1000.0);
    }
    ++got;
  }
  return got >= count;
}

bool RunMode(const Options& o, const std::string& mode, Result* result) {
  const std::string in = StrCat("bench-in-", mode, "-", WallMicros());
  const std::string out = StrCat("bench-out-", mode, "-", WallMicros());
  auto admin = kafka::Admin::Create({{"bootstrap.servers", o.bootstrap}});
  if (Fail(admin.status(), "admin")) return false;
  if (Fail((*admin)->CreateTopics({{in, o.partitions, 1, {}}, {out, o.partitions, 1, {}}},
                                  std::chrono::seconds(60)),
           "create topics")) {
    return false;
  }
  auto producer = kafka::Producer::Create({{"bootstrap.servers", o.bootstrap}});
  if (Fail(producer.status(), "producer")) return false;
  std::fprintf(stderr, "[%s] preloading %d records of %d bytes\n", mode.c_str(), o.records, o.size);
  if (!Send(**producer, in, o.records, o.size, 0)) return false;

  auto reader = kafka::Consumer::Create(
      {{"bootstrap.servers", o.bootstrap}, {"group.id", StrCat("bench-reader-", WallMicros())}});
  if (Fail(reader.status(), "reader") || Fail((*reader)->Subscribe({out}), "subscribe")) {
    return false;
  }
  Seen drain;
  g_first_processed_ns.store(0);
  {
    Relay relay(o, mode, in, out, result);
    std::fprintf(stderr, "[%s] draining\n", mode.c_str());
    if (!Await(**reader, static_cast<size_t>(o.records), &drain, std::chrono::seconds(900))) {
      std::fprintf(stderr, "[%s] relay did not finish\n", mode.c_str());
      return false;
    }
    const Clock::time_point first{std::chrono::nanoseconds(g_first_processed_ns.load())};
    const double seconds = std::chrono::duration<double>(drain.last - first).count();
    result->records_per_second = seconds > 0 ? o.records / seconds : 0;

    std::fprintf(stderr, "[%s] latency at %d records/s for %d s\n", mode.c_str(), o.rate,
                 o.latency_seconds);
    Seen paced;
    const int count = o.rate * o.latency_seconds;
    std::thread sender([&] { Send(**producer, in, count, o.size, o.rate); });
    const bool ok = Await(**reader, static_cast<size_t>(count), &paced, std::chrono::seconds(300));
    sender.join();
    if (!ok) return false;
    result->p50_ms = leadflow::bench::Percentile(paced.latencies_ms, 0.50);
    result->p99_ms = leadflow::bench::Percentile(paced.latencies_ms, 0.99);
    result->latency_samples = paced.latencies_ms.size();
  }
  if (absl::Status s = (*admin)->DeleteTopics({in, out}, std::chrono::seconds(60)); !s.ok()) {
    std::fprintf(stderr, "leadflow-bench: topics %s, %s left behind: %s\n", in.c_str(), out.c_str(),
                 std::string(s.message()).c_str());
  }
  result->mode = mode;
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"leadflow-bench — measurements of leadflow on a real Kafka"};
  app.require_subcommand(1);
  Options o;
  auto* relay = app.add_subcommand("relay", "raw librdkafka relay vs the runtime (alos, eos)");
  relay->add_option("--bootstrap", o.bootstrap, "Kafka bootstrap servers")->required();
  relay->add_option("--records", o.records, "records to drain per mode")->capture_default_str();
  relay->add_option("--size", o.size, "value size in bytes")->capture_default_str();
  relay->add_option("--partitions", o.partitions, "partitions of input and output")
      ->capture_default_str();
  relay->add_option("--rate", o.rate, "records/s of the latency phase")->capture_default_str();
  relay->add_option("--latency-seconds", o.latency_seconds, "length of the latency phase")
      ->capture_default_str();
  relay->add_option("--modes", o.modes, "comma-separated: raw, alos, eos")->capture_default_str();
  relay->add_option("--commit-interval-ms", o.commit_interval_ms, "runtime commit interval")
      ->capture_default_str();
  relay
      ->add_option("--rounds", o.rounds,
                   "run the modes this many times, interleaved, and report medians (a shared "
                   "machine makes single runs noisy)")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  leadflow::bench::IntakeBenchOptions io;
  auto* intake = app.add_subcommand(
      "intake", "leads/s through gRPC streaming, HTTP batches and the raw topic; unary latency");
  intake->add_option("--bootstrap", io.bootstrap, "Kafka bootstrap servers")->required();
  intake->add_option("--leads", io.leads, "leads per throughput mode")->capture_default_str();
  intake->add_option("--partitions", io.partitions, "partitions of the topics")
      ->capture_default_str();
  intake->add_option("--streams", io.streams, "concurrent streams / HTTP clients")
      ->capture_default_str();
  intake->add_option("--batch", io.batch, "HTTP batch size")->capture_default_str();
  intake->add_option("--unary-seconds", io.unary_seconds, "unary phase length")
      ->capture_default_str();
  intake->add_option("--unary-clients", io.unary_clients, "concurrent unary callers")
      ->capture_default_str();
  intake->add_option("--broker-pid", io.broker_pid,
                     "the broker's process id (scripts/kafka.sh: KAFKA_RUN_DIR/pid), to report its "
                     "CPU per lead");
  intake->add_option("--modes", io.modes, "comma-separated: grpc-stream, http-batch, raw, unary")
      ->capture_default_str();
  leadflow::bench::QualificationBenchOptions qo;
  auto* qualification = app.add_subcommand(
      "qualification", "the qualification processor vs the exactly-once no-op relays, same events");
  qualification->add_option("--bootstrap", qo.bootstrap, "Kafka bootstrap servers")->required();
  qualification->add_option("--leads", qo.leads, "leads")->capture_default_str();
  qualification->add_option("--engagements", qo.engagements, "engagements per lead")
      ->capture_default_str();
  qualification->add_option("--partitions", qo.partitions, "partitions")->capture_default_str();
  qualification->add_option("--rounds", qo.rounds, "interleaved rounds (medians reported)")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  qualification->add_option("--config-dir", qo.config_dir, "directory of icp.yaml, stages.yaml")
      ->capture_default_str();
  qualification->add_option("--broker-pid", qo.broker_pid,
                            "the broker's pid, to report its CPU per input");
  leadflow::bench::HandoffBenchOptions ho;
  auto* handoff = app.add_subcommand(
      "handoff", "handoffs/s of the handoff processor and p50/p99 MQL→handoff latency");
  handoff->add_option("--bootstrap", ho.bootstrap, "Kafka bootstrap servers")->required();
  handoff->add_option("--leads", ho.leads, "MQLs in the throughput phase")->capture_default_str();
  handoff->add_option("--rate", ho.rate, "MQLs per second in the latency phase")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  handoff->add_option("--latency-seconds", ho.latency_seconds, "length of the latency phase")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  handoff->add_option("--partitions", ho.partitions, "partitions")->capture_default_str();
  handoff
      ->add_option("--reader-fetch-wait-ms", ho.reader_fetch_wait_ms,
                   "fetch.wait.max.ms of the measuring subscriber")
      ->capture_default_str();
  handoff
      ->add_option("--app-fetch-wait-ms", ho.app_fetch_wait_ms,
                   "fetch.wait.max.ms of the handoff app's consumer (0 = librdkafka's default)")
      ->capture_default_str();
  handoff->add_option("--config-dir", ho.config_dir, "directory of the config files")
      ->capture_default_str();
  leadflow::bench::PipelineBenchOptions po;
  auto* pipeline = app.add_subcommand(
      "pipeline",
      "the five services as processes: intake → handoff leads/s and latency through the raw "
      "topic and gRPC, RSS per service, and the relay ceiling in the same run");
  pipeline->add_option("--bootstrap", po.bootstrap, "Kafka bootstrap servers")->required();
  pipeline->add_option("--leads", po.leads, "leads per maximum-rate run")->capture_default_str();
  pipeline->add_option("--rate", po.rate, "leads/s of the fixed-rate run (0: half the max)")
      ->capture_default_str();
  pipeline->add_option("--rate-seconds", po.rate_seconds, "fixed-rate run length (0: none)")
      ->capture_default_str();
  pipeline->add_option("--ways", po.ways, "comma-separated: raw, grpc")->capture_default_str();
  pipeline->add_option("--partitions", po.partitions, "partitions of the lead-keyed topics")
      ->capture_default_str();
  pipeline->add_option("--relay-records", po.relay_records, "relay ceiling records (0: skip)")
      ->capture_default_str();
  pipeline->add_option("--bin-dir", po.bin_dir, "where the service binaries are")
      ->capture_default_str();
  pipeline->add_option("--config-dir", po.config_dir, "the config files")->capture_default_str();
  pipeline->add_option("--work-dir", po.work_dir, "state and logs of the services")
      ->capture_default_str();
  pipeline->add_flag("--json", po.json, "results as JSON");
  pipeline->add_option(
      "--set", po.settings,
      "a setting for every service, e.g. stream.commit_interval=25ms (repeatable)");
  CLI11_PARSE(app, argc, argv);
  leadflow::log::Init("bench", leadflow::log::Level::kWarn, leadflow::log::Format::kText);
  if (pipeline->parsed()) {
    return leadflow::bench::RunPipelineBench(po, [&](int records) {
      Options relay_options = o;
      relay_options.bootstrap = po.bootstrap;
      relay_options.records = records;
      relay_options.partitions = po.partitions;
      relay_options.latency_seconds = 1;
      Result r;
      return RunMode(relay_options, "eos", &r) ? r.records_per_second : -1.0;
    });
  }
  if (intake->parsed()) return leadflow::bench::RunIntakeBench(io);
  if (qualification->parsed()) return leadflow::bench::RunQualificationBench(qo);
  if (handoff->parsed()) return leadflow::bench::RunHandoffBench(ho);

  std::vector<std::string> modes;
  for (size_t pos = 0; pos <= o.modes.size();) {
    const size_t comma = std::min(o.modes.find(',', pos), o.modes.size());
    if (comma > pos) modes.push_back(o.modes.substr(pos, comma - pos));
    pos = comma + 1;
  }
  // rounds[i][m]: round i, mode m. Modes run interleaved so slow phases of the machine hit all.
  std::vector<std::vector<Result>> rounds;
  for (int round = 0; round < o.rounds; ++round) {
    rounds.emplace_back();
    for (const std::string& mode : modes) {
      Result r;
      if (!RunMode(o, mode, &r)) return 1;
      rounds.back().push_back(r);
    }
  }
  const char* base = modes.empty() ? "-" : modes.front().c_str();
  std::printf(
      "| round | relay | records/s | vs %s | p50 ms | p99 ms | latency samples | commits | mean "
      "commit ms |\n",
      base);
  std::printf("|---|---|---|---|---|---|---|---|---|\n");
  for (size_t i = 0; i < rounds.size(); ++i) {
    const double first = rounds[i].front().records_per_second;
    for (const Result& r : rounds[i]) {
      std::printf("| %zu | %s | %.0f | %.0f%% | %.1f | %.1f | %zu | %.0f | %.1f |\n", i + 1,
                  r.mode.c_str(), r.records_per_second,
                  first > 0 ? 100.0 * r.records_per_second / first : 0, r.p50_ms, r.p99_ms,
                  r.latency_samples, r.commits, r.mean_commit_ms);
    }
  }
  if (rounds.size() > 1) {
    // Medians over rounds; the ratio is the median of the per-round ratios (same machine state).
    auto median = [](std::vector<double> v) {
      std::sort(v.begin(), v.end());
      const size_t n = v.size();
      return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
    };
    std::printf("\n| median of %zu rounds | records/s | vs %s | p50 ms | p99 ms |\n", rounds.size(),
                base);
    std::printf("|---|---|---|---|---|\n");
    for (size_t m = 0; m < modes.size(); ++m) {
      std::vector<double> rate, ratio, p50, p99;
      for (const auto& round : rounds) {
        rate.push_back(round[m].records_per_second);
        const double first = round.front().records_per_second;
        ratio.push_back(first > 0 ? 100.0 * round[m].records_per_second / first : 0);
        p50.push_back(round[m].p50_ms);
        p99.push_back(round[m].p99_ms);
      }
      std::printf("| %s | %.0f | %.0f%% | %.1f | %.1f |\n", modes[m].c_str(), median(rate),
                  median(ratio), median(p50), median(p99));
    }
  }
  std::printf(
      "(%d records of %d bytes, %d partitions; latency at %d records/s for %d s; commit "
      "interval %d ms)\n",
      o.records, o.size, o.partitions, o.rate, o.latency_seconds, o.commit_interval_ms);
  return 0;
}
