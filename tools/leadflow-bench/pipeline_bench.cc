#include "tools/leadflow-bench/pipeline_bench.h"

#include <grpcpp/grpcpp.h>
#include <httplib.h>
#include <signal.h>

#include <atomic>
#include <condition_variable>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>
#include <thread>
#include <vector>

#include "leadflow/v1/intake_service.grpc.pb.h"
#include "leadflow/v1/lead.pb.h"
#include "services/common/base/strings.h"
#include "services/common/events/lead_events.h"
#include "services/common/kafka/admin.h"
#include "services/common/kafka/consumer.h"
#include "services/common/kafka/producer.h"
#include "tests/support/child_process.h"
#include "tools/common/pipeline_flags.h"
#include "tools/leadflow-bench/bench_util.h"

namespace leadflow::bench {
namespace {

using Clock = std::chrono::steady_clock;

void Say(const std::string& line) { std::fprintf(stderr, "[pipeline] %s\n", line.c_str()); }

// A service binary as a child process: ports from its "listening" log line, ready on /readyz.
struct Service {
  std::string name;
  std::string log;
  std::unique_ptr<testing::ChildProcess> process;
  int grpc_port = 0;
  int http_port = 0;
  int64_t peak_rss_kb = 0;
  int64_t last_rss_kb = 0;
};

absl::Status StartService(const std::string& binary, const std::vector<std::string>& flags,
                          Service* s) {
  std::vector<std::string> argv = {binary};
  argv.insert(argv.end(), flags.begin(), flags.end());
  s->process = std::make_unique<testing::ChildProcess>(argv, s->log);
  const std::regex listening(s->name + R"( listening grpc_port=(\d+) http_port=(\d+))");
  const auto deadline = Clock::now() + std::chrono::seconds(180);
  std::mutex mu;
  std::condition_variable cv;
  while (s->http_port == 0) {
    std::ifstream in(s->log);
    std::stringstream text;
    text << in.rdbuf();
    const std::string written = text.str();
    std::smatch m;
    if (std::regex_search(written, m, listening)) {
      s->grpc_port = std::stoi(m[1]);
      s->http_port = std::stoi(m[2]);
      break;
    }
    if (!s->process->running()) return absl::InternalError(s->name + " exited; see " + s->log);
    if (Clock::now() > deadline) return absl::DeadlineExceededError(s->name + " did not listen");
    std::unique_lock<std::mutex> lock(mu);
    cv.wait_for(lock, std::chrono::milliseconds(100));
  }
  httplib::Client http("127.0.0.1", s->http_port);
  while (true) {
    auto r = http.Get("/readyz");
    if (r && r->status == 200) return absl::OkStatus();
    if (Clock::now() > deadline) return absl::DeadlineExceededError(s->name + " not ready");
    std::unique_lock<std::mutex> lock(mu);
    cv.wait_for(lock, std::chrono::milliseconds(200));
  }
}

int64_t RssKb(pid_t pid) {
  std::ifstream in(StrCat("/proc/", pid, "/status"));
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmRSS:", 0) == 0) return std::strtoll(line.c_str() + 6, nullptr, 10);
  }
  return 0;
}

// A grade-A decision maker at an ICP company asking for a demo: every lead becomes an MQL and is
// handed off. The phase and index ride in the email, so the handoff names the lead it answers.
v1::LeadSubmission Lead(const std::string& phase, int i) {
  static const char* kCountries[] = {"US", "DE", "GB", "CA", "FR", "NL"};
  const int64_t now = bench::WallMillis();
  v1::LeadSubmission s;
  s.set_idempotency_key(StrCat(phase, "-", i));
  s.set_source_system("bench");
  *s.mutable_occurred_at() = events::TimestampFromMillis(now);
  v1::Person& p = *s.mutable_person();
  p.set_email(StrCat("p", i, ".", phase, "@acct", i % 997, ".example"));
  p.set_first_name("Bench");
  p.set_last_name(StrCat("Lead", i));
  p.set_job_title("VP Marketing");
  v1::Company& c = *s.mutable_company();
  c.set_name(StrCat("Account ", i % 997));
  c.set_domain(StrCat("acct", i % 997, ".example"));
  c.set_industry("software");
  c.set_employee_count(300 + i % 1500);
  c.set_country_code(kCountries[i % 6]);
  s.mutable_source()->set_channel(v1::CHANNEL_WEBINAR);
  s.mutable_source()->set_campaign_id("bench");
  s.mutable_engagement()->set_type(v1::ENGAGEMENT_TYPE_DEMO_REQUEST);
  *s.mutable_engagement()->mutable_occurred_at() = events::TimestampFromMillis(now);
  return s;
}

// Follows the handoffs topic (read_committed) and records when each phase's lead was handed off.
class HandoffClock {
 public:
  absl::Status Start(const std::string& bootstrap, const std::string& topic) {
    auto c = kafka::Consumer::Create({{"bootstrap.servers", bootstrap},
                                      {"group.id", StrCat("bench-pipeline-reader-", WallMicros())},
                                      {"auto.offset.reset", "earliest"},
                                      {"isolation.level", "read_committed"},
                                      {"enable.auto.commit", "false"},
                                      {"fetch.wait.max.ms", "10"}});
    if (!c.ok()) return c.status();
    consumer_ = std::move(*c);
    if (absl::Status s = consumer_->Subscribe({topic}); !s.ok()) return s;
    thread_ = std::thread([this] { Run(); });
    return absl::OkStatus();
  }
  ~HandoffClock() {
    stop_.store(true);
    if (thread_.joinable()) thread_.join();
  }
  // Sizes a phase before its leads are sent.
  void Expect(const std::string& phase, int leads) {
    std::lock_guard<std::mutex> lock(mu_);
    seen_[phase].assign(static_cast<size_t>(leads), 0);
    counts_[phase] = 0;
  }
  int Count(const std::string& phase) {
    std::lock_guard<std::mutex> lock(mu_);
    return counts_[phase];
  }
  std::vector<int64_t> Seen(const std::string& phase) {
    std::lock_guard<std::mutex> lock(mu_);
    return seen_[phase];
  }
  int64_t duplicates() const { return duplicates_.load(); }
  int64_t total() const { return total_.load(); }

 private:
  void Run() {
    static const std::regex kEmail(R"(^p(\d+)\.([^@]+)@)");
    while (!stop_.load()) {
      auto polled = consumer_->Poll(std::chrono::milliseconds(100));
      if (!polled.ok() || !polled->has_value()) continue;
      const int64_t now = WallMicros();
      {
        const kafka::ConsumedRecord& r = **polled;
        v1::LeadEvent e;
        if (!e.ParseFromString(std::string(r.value())) || !e.has_handed_off()) continue;
        std::smatch m;
        const std::string email = e.handed_off().person().email();
        if (!std::regex_search(email, m, kEmail)) continue;
        std::lock_guard<std::mutex> lock(mu_);
        auto it = seen_.find(m[2]);
        const size_t i = std::stoul(m[1]);
        if (it == seen_.end() || i >= it->second.size()) continue;
        if (it->second[i] != 0) {
          duplicates_.fetch_add(1);
          continue;
        }
        it->second[i] = now;
        ++counts_[m[2]];
        total_.fetch_add(1);
      }
    }
  }

  std::unique_ptr<kafka::Consumer> consumer_;
  std::thread thread_;
  std::atomic<bool> stop_{false};
  std::atomic<int64_t> duplicates_{0};
  std::atomic<int64_t> total_{0};
  std::mutex mu_;
  std::map<std::string, std::vector<int64_t>> seen_;
  std::map<std::string, int> counts_;
};

struct PhaseResult {
  std::string way;
  std::string mode;  // max | fixed
  int leads = 0;
  int rate = 0;  // fixed: the target
  double leads_per_second = 0;
  double p50_ms = 0, p90_ms = 0, p99_ms = 0, max_ms = 0;
};

// Sends leads [0, n) of `phase` through `way`, at `rate`/s (0: as fast as possible), recording
// each send time.
absl::Status Send(const std::string& way, const std::string& phase, int n, int rate,
                  const std::string& bootstrap, const std::string& raw_topic,
                  const std::string& intake_grpc, std::vector<int64_t>* sent) {
  sent->assign(static_cast<size_t>(n), 0);
  const auto start = Clock::now();
  auto pace = [&](int i) {
    if (rate <= 0) return;
    std::this_thread::sleep_until(start + std::chrono::microseconds(int64_t{i} * 1'000'000 / rate));
  };
  if (way == "raw") {
    auto p = kafka::Producer::Create({{"bootstrap.servers", bootstrap},
                                      {"enable.idempotence", "true"},
                                      {"linger.ms", rate > 0 ? "0" : "5"}});
    if (!p.ok()) return p.status();
    for (int i = 0; i < n; ++i) {
      pace(i);
      const v1::LeadSubmission s = Lead(phase, i);
      (*sent)[static_cast<size_t>(i)] = WallMicros();
      if (absl::Status st = (*p)->ProduceOrWait(
              {raw_topic, std::nullopt, s.person().email(), s.SerializeAsString(), {}}, nullptr);
          !st.ok()) {
        return st;
      }
    }
    return (*p)->Flush(std::chrono::minutes(5));
  }
  // gRPC StreamLeads: two concurrent streams at max rate (one paced stream at a fixed rate).
  const int streams = rate > 0 ? 1 : 2;
  auto channel = grpc::CreateChannel(intake_grpc, grpc::InsecureChannelCredentials());
  auto stub = v1::IntakeService::NewStub(channel);
  std::vector<std::thread> threads;
  std::vector<grpc::Status> results(static_cast<size_t>(streams));
  for (int k = 0; k < streams; ++k) {
    threads.emplace_back([&, k] {
      grpc::ClientContext ctx;
      v1::StreamLeadsResponse resp;
      auto writer = stub->StreamLeads(&ctx, &resp);
      for (int i = k; i < n; i += streams) {
        pace(i);
        v1::StreamLeadsRequest req;
        *req.mutable_submission() = Lead(phase, i);
        (*sent)[static_cast<size_t>(i)] = WallMicros();
        if (!writer->Write(req)) break;
      }
      writer->WritesDone();
      results[static_cast<size_t>(k)] = writer->Finish();
    });
  }
  for (std::thread& t : threads) t.join();
  for (const grpc::Status& s : results) {
    if (!s.ok()) return absl::UnavailableError(StrCat("StreamLeads: ", s.error_message()));
  }
  return absl::OkStatus();
}

bool WaitHandoffs(HandoffClock& clock, const std::string& phase, int n) {
  const auto deadline = Clock::now() + std::chrono::seconds(std::max(600, n / 100));
  std::mutex mu;
  std::condition_variable cv;
  int last = -1;
  auto last_change = Clock::now();
  while (clock.Count(phase) < n) {
    const int now = clock.Count(phase);
    if (now != last) {
      last = now;
      last_change = Clock::now();
    }
    if (Clock::now() > deadline || Clock::now() - last_change > std::chrono::seconds(180)) {
      Say(StrCat(phase, ": only ", now, " of ", n, " handoffs arrived"));
      return false;
    }
    std::unique_lock<std::mutex> lock(mu);
    cv.wait_for(lock, std::chrono::milliseconds(50));
  }
  return true;
}

PhaseResult Measure(const std::string& way, const std::string& mode, int n, int rate,
                    const std::vector<int64_t>& sent, const std::vector<int64_t>& seen) {
  PhaseResult r;
  r.way = way;
  r.mode = mode;
  r.leads = n;
  r.rate = rate;
  std::vector<double> latencies;
  int64_t first = INT64_MAX, last = 0;
  for (size_t i = 0; i < sent.size(); ++i) {
    if (sent[i] == 0 || seen[i] == 0) continue;
    latencies.push_back(static_cast<double>(seen[i] - sent[i]) / 1000.0);
    first = std::min(first, sent[i]);
    last = std::max(last, seen[i]);
  }
  if (last > first)
    r.leads_per_second =
        static_cast<double>(latencies.size()) * 1e6 / static_cast<double>(last - first);
  r.p50_ms = Percentile(latencies, 0.50);
  r.p90_ms = Percentile(latencies, 0.90);
  r.p99_ms = Percentile(latencies, 0.99);
  r.max_ms = latencies.empty() ? 0 : *std::max_element(latencies.begin(), latencies.end());
  return r;
}

}  // namespace

int RunPipelineBench(const PipelineBenchOptions& o, const RelayCeiling& relay) {
  const std::string run = StrCat("bench-pipeline-", bench::WallMillis());
  const local::PipelineTopics topics = local::PipelineTopics::Named(run);
  const std::string dir = o.work_dir + "/" + run;
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);

  auto admin = kafka::Admin::Create({{"bootstrap.servers", o.bootstrap}});
  if (Fail(admin.status(), "admin")) return 1;
  std::vector<kafka::TopicSpec> specs;
  for (const std::string& t : topics.LeadKeyed()) specs.push_back({t, o.partitions, 1, {}});
  specs.push_back({topics.config, 1, 1, {}});
  specs.push_back({topics.dlq, 1, 1, {}});
  specs.push_back({topics.accounts, 2, 1, {}});
  if (Fail((*admin)->CreateTopics(specs, std::chrono::seconds(60)), "create topics")) return 1;

  local::PipelineSettings settings;
  settings.bootstrap = o.bootstrap;
  settings.config_dir = o.config_dir;
  settings.data_dir = dir;
  std::vector<Service> services(local::ServiceNames().size());
  for (size_t i = 0; i < services.size(); ++i) {
    Service& s = services[i];
    s.name = local::ServiceNames()[i];
    s.log = dir + "/" + s.name + ".log";
    Say("starting " + s.name);
    std::vector<std::string> flags = local::ServiceFlags(s.name, topics, settings);
    for (const std::string& kv : o.settings) flags.push_back("--" + kv);
    if (Fail(StartService(o.bin_dir + "/leadflow-" + s.name, flags, &s), "start " + s.name)) {
      return 1;
    }
  }
  const std::string intake_grpc = StrCat("127.0.0.1:", services[0].grpc_port);

  HandoffClock clock;
  if (Fail(clock.Start(o.bootstrap, topics.handoffs), "handoff reader")) return 1;
  std::atomic<bool> stop{false};
  std::mutex rss_mu;
  // Memory: every service's RSS once a second; a line on stderr once a minute (RSS over time).
  std::thread sampler([&] {
    std::mutex mu;
    std::condition_variable cv;
    const auto started = Clock::now();
    for (int64_t tick = 0; !stop.load(); ++tick) {
      {
        std::lock_guard<std::mutex> lock(rss_mu);
        std::string line;
        for (Service& s : services) {
          s.last_rss_kb = RssKb(s.process->pid());
          s.peak_rss_kb = std::max(s.peak_rss_kb, s.last_rss_kb);
          line += StrCat(" ", s.name, " ", s.last_rss_kb / 1024);
        }
        if (tick % 60 == 0) {
          Say(StrCat(
              std::chrono::duration_cast<std::chrono::seconds>(Clock::now() - started).count(),
              " s: ", clock.total(), " handoffs; RSS MB", line));
        }
      }
      std::unique_lock<std::mutex> lock(mu);
      cv.wait_for(lock, std::chrono::seconds(1), [&] { return stop.load(); });
    }
  });

  std::vector<PhaseResult> results;
  bool ok = true;
  std::vector<std::string> ways;
  for (size_t pos = 0; pos <= o.ways.size();) {
    const size_t comma = std::min(o.ways.find(',', pos), o.ways.size());
    if (comma > pos) ways.push_back(o.ways.substr(pos, comma - pos));
    pos = comma + 1;
  }
  for (const std::string& way : ways) {
    if (way != "raw" && way != "grpc") {
      Say("unknown way in '" + way + "' (raw, grpc)");
      ok = false;
      break;
    }
    // Max rate.
    const std::string max_phase = StrCat(run, "-", way, "-max");
    clock.Expect(max_phase, o.leads);
    std::vector<int64_t> sent;
    Say(StrCat(way, ": ", o.leads, " leads at maximum rate"));
    if (Fail(Send(way, max_phase, o.leads, 0, o.bootstrap, topics.raw, intake_grpc, &sent),
             way + " send")) {
      ok = false;
      break;
    }
    if (!WaitHandoffs(clock, max_phase, o.leads)) ok = false;
    results.push_back(Measure(way, "max", o.leads, 0, sent, clock.Seen(max_phase)));
    Say(StrCat(way, ": ", static_cast<int64_t>(results.back().leads_per_second), " leads/s"));
    if (!ok || o.rate_seconds <= 0) continue;
    // Fixed rate: half the max unless given.
    const int rate =
        o.rate > 0 ? o.rate : std::max(1, static_cast<int>(results.back().leads_per_second / 2));
    const int n = rate * o.rate_seconds;
    const std::string fixed_phase = StrCat(run, "-", way, "-fixed");
    clock.Expect(fixed_phase, n);
    Say(StrCat(way, ": ", rate, " leads/s for ", o.rate_seconds, " s"));
    if (Fail(Send(way, fixed_phase, n, rate, o.bootstrap, topics.raw, intake_grpc, &sent),
             way + " send")) {
      ok = false;
      break;
    }
    if (!WaitHandoffs(clock, fixed_phase, n)) ok = false;
    results.push_back(Measure(way, "fixed", n, rate, sent, clock.Seen(fixed_phase)));
  }

  double ceiling = 0;
  if (ok && o.relay_records > 0 && relay) {
    Say(StrCat("relay ceiling: ", o.relay_records, " records through the exactly-once no-op"));
    ceiling = relay(o.relay_records);
  }
  stop.store(true);
  sampler.join();
  for (auto it = services.rbegin(); it != services.rend(); ++it) {
    if (it->process) it->process->Stop(SIGTERM);
  }

  if (o.json) {
    nlohmann::json j;
    j["partitions"] = o.partitions;
    j["relay_eos_records_per_second"] = ceiling;
    j["duplicate_handoffs"] = clock.duplicates();
    for (const PhaseResult& r : results) {
      j["phases"].push_back({{"way", r.way},
                             {"mode", r.mode},
                             {"leads", r.leads},
                             {"target_rate", r.rate},
                             {"leads_per_second", r.leads_per_second},
                             {"p50_ms", r.p50_ms},
                             {"p90_ms", r.p90_ms},
                             {"p99_ms", r.p99_ms},
                             {"max_ms", r.max_ms}});
    }
    for (const Service& s : services) {
      j["rss_mb"][s.name] = {{"peak", s.peak_rss_kb / 1024}, {"end", s.last_rss_kb / 1024}};
    }
    std::printf("%s\n", j.dump(2).c_str());
  } else {
    std::printf(
        "| way in | mode | leads | leads/s intake → handoff | p50 ms | p90 ms | p99 ms | max ms "
        "|\n");
    std::printf("|---|---|---|---|---|---|---|---|\n");
    for (const PhaseResult& r : results) {
      std::printf("| %s | %s | %d | %.0f | %.0f | %.0f | %.0f | %.0f |\n", r.way.c_str(),
                  r.mode == "max" ? "max rate" : StrCat("fixed ", r.rate, "/s").c_str(), r.leads,
                  r.leads_per_second, r.p50_ms, r.p90_ms, r.p99_ms, r.max_ms);
    }
    if (ceiling > 0) {
      std::printf("\nrelay ceiling (runtime exactly-once no-op, same broker): %.0f records/s\n",
                  ceiling);
    }
    std::printf("\n| service | peak RSS MB | RSS at end MB |\n|---|---|---|\n");
    for (const Service& s : services) {
      std::printf("| %s | %lld | %lld |\n", s.name.c_str(),
                  static_cast<long long>(s.peak_rss_kb / 1024),
                  static_cast<long long>(s.last_rss_kb / 1024));
    }
    std::string extra;
    for (const std::string& kv : o.settings) extra += " " + kv;
    std::printf("(%d partitions;%s duplicate handoffs seen: %lld; logs in %s)\n", o.partitions,
                extra.empty() ? "" : (" settings" + extra + ";").c_str(),
                static_cast<long long>(clock.duplicates()), dir.c_str());
  }
  // What a lead costs Kafka: the log entries (records and transaction markers) of every topic of
  // this run — the inputs, outputs, changelogs and internal topics — per lead driven.
  std::vector<std::string> names;
  int64_t entries = 0;
  std::vector<std::pair<int64_t, std::string>> by_topic;
  auto cluster = (*admin)->Describe(std::chrono::seconds(30));
  auto probe = kafka::Consumer::Create(
      {{"bootstrap.servers", o.bootstrap}, {"group.id", StrCat(run, "-probe")}});
  if (cluster.ok() && probe.ok()) {
    for (const auto& [topic, partitions] : cluster->topics) {
      if (topic.rfind(run, 0) != 0) continue;
      names.push_back(topic);
      int64_t n = 0;
      for (int32_t p = 0; p < partitions; ++p) {
        auto w = (*probe)->QueryWatermarks(topic, p, std::chrono::seconds(10));
        if (w.ok()) n += w->high - w->low;
      }
      entries += n;
      by_topic.emplace_back(n, topic.substr(run.size() + 1));
    }
  } else {
    for (const kafka::TopicSpec& t : specs) names.push_back(t.name);
  }
  int64_t driven = 0;
  for (const PhaseResult& r : results) driven += r.leads;
  if (driven > 0 && entries > 0) {
    std::sort(by_topic.rbegin(), by_topic.rend());
    std::string top;
    for (size_t i = 0; i < by_topic.size() && i < 8; ++i) {
      char per_lead[32];
      std::snprintf(per_lead, sizeof per_lead, "%.1f",
                    static_cast<double>(by_topic[i].first) / static_cast<double>(driven));
      top += StrCat(i ? ", " : "", by_topic[i].second, " ", per_lead);
    }
    std::fprintf(o.json ? stderr : stdout,
                 "Kafka log entries (records + transaction markers) per lead: %.1f over %zu "
                 "topics; most: %s\n",
                 static_cast<double>(entries) / static_cast<double>(driven), by_topic.size(),
                 top.c_str());
  }
  if (absl::Status s = (*admin)->DeleteTopics(names, std::chrono::seconds(60)); !s.ok()) {
    Say(StrCat("topics left behind: ", s.message()));
  }
  return ok && clock.duplicates() == 0 ? 0 : 1;
}

}  // namespace leadflow::bench
