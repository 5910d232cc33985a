// The product under faults (after Kafka's transactions_test and streams_eos_test): the five
// services as processes on a broker of the test's own — qualification and handoff as two replicas
// each — fed the demo data set through every way in (gRPC, HTTP, the raw topic, CSV) while a sales
// desk answers every handoff, and a fault injected during each slice of the load:
//   - kill -9 of a random instance (three times), then a restart;
//   - SIGTERM of a random instance (a clean bounce), then a restart;
//   - SIGSTOP of a random instance for longer than the transaction timeout, then SIGCONT;
//   - an extra replica joining, and later leaving (two rebalances);
//   - a zombie: a replica paused while a successor with the same instance.id (the same
//     transactional.id) takes over; when it resumes it is fenced and exits;
//   - the broker killed with SIGKILL and restarted.
// The test plays the orchestrator: an instance that exits is restarted on its ports, as a
// StatefulSet would. The feeder and the desk retry what could not be answered, with the same
// idempotency keys, as a marketing system's and a sales tool's outbox would.
//
// After each fault, canary leads (one per partition, fed after the fault) measure the recovery:
// the time from the injection until every canary was handed to sales. At the end an independent
// verifier (tests/support/pipeline_verifier, which reads only Kafka, read_committed) finds:
//   - every lead of the data set in exactly the stages it implies (nothing lost, nothing extra);
//   - no event id twice on any lead topic, no effect before its cause;
//   - reporting's funnel equal to the one recomputed from the topics, and the reports equal to the
//     data set's ground truth;
//   - every raw-topic record either admitted once or dead-lettered once with its reason;
//   - nothing else dead-lettered.
// The results table (faults, recovery times, restarts) is printed and recorded as test properties
// (docs/reliability.md).
//
// CI mode runs the schedule once (about 8 minutes). LEADFLOW_CHAOS_MINUTES=N repeats it for N
// minutes with a larger data set (the soak of docs/reliability.md) and samples every instance's RSS
// into rss.csv in the test's directory (LEADFLOW_CHAOS_KEEP_DIR=1 keeps it).
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "leadflow/v1/feedback.pb.h"
#include "services/common/base/strings.h"
#include "services/common/events/lead_events.h"
#include "services/common/kafka/partitioner.h"
#include "services/handoff/routing.h"
#include "tests/support/kafka_env.h"
#include "tests/support/own_broker.h"
#include "tests/support/pipeline.h"
#include "tests/support/pipeline_demo.h"
#include "tests/support/pipeline_verifier.h"
#include "tests/support/stream_check.h"
#include "tests/support/temp_dir.h"
#include "tools/demo/driver.h"
#include "tools/demo/generator.h"
#include "tools/demo/truth.h"

namespace leadflow {
namespace {

using Clock = std::chrono::system_clock;
using Steady = std::chrono::steady_clock;
using testing::Pipeline;
using testing::ServiceProcess;
using testing::WaitUntil;

// The load's pace: a slice of leads (with their activities), then a pause — about 6 leads/s,
// so that it runs through the whole fault schedule.
constexpr int kSliceLeads = 20;
constexpr std::chrono::seconds kSlicePause{3};
// Longer than the services' transaction.timeout.ms (10 s): the broker aborts the paused
// instance's open transaction and bumps its epoch.
constexpr std::chrono::seconds kPauseFor{15};
// How long a fault may take to heal: canaries handed off, a zombie gone, a feed finished.
constexpr std::chrono::minutes kRecoveryDeadline{6};
// The soak's load goes on this long after its last fault may begin: a fault and its recovery
// take about a minute (a broker restart up to one, once 339 s).
constexpr std::chrono::minutes kSoakLoadTail{3};

int64_t Millis(Steady::duration d) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
}

void Log(const std::string& line) {
  std::printf("[chaos] %s\n", line.c_str());
  std::fflush(stdout);
}

enum class Fault { kKill9, kSigterm, kPause, kJoin, kLeave, kZombie, kBroker };

// Each fault's short id (test properties) and its name in the results table.
struct FaultNames {
  const char* id;
  const char* name;
};
FaultNames NamesOf(Fault f) {
  static constexpr FaultNames kNames[] = {
      {"kill9", "kill -9 + restart"},        {"sigterm", "SIGTERM + restart"},
      {"pause", "SIGSTOP 15 s + SIGCONT"},   {"join", "extra replica joins"},
      {"leave", "extra replica leaves"},     {"zombie", "zombie fenced"},
      {"broker", "broker kill -9 + restart"}};
  return kNames[static_cast<int>(f)];
}
std::string FaultId(Fault f) { return NamesOf(f).id; }
std::string FaultName(Fault f) { return NamesOf(f).name; }

// One pass of the schedule: every kind, kill -9 three times.
const std::vector<Fault>& Schedule() {
  static const std::vector<Fault> schedule = {Fault::kKill9,  Fault::kSigterm, Fault::kKill9,
                                              Fault::kPause,  Fault::kJoin,    Fault::kLeave,
                                              Fault::kZombie, Fault::kKill9,   Fault::kBroker};
  return schedule;
}

struct FaultResult {
  Fault fault;
  std::string target;
  int64_t recovery_ms = 0;
  int restarts = 0;  // instances that exited after the fault and were restarted
};

// The instances of the pipeline by name ("qualification-1"), plus the extra replica while it runs.
struct Member {
  std::string service;
  int index = 0;
  std::string name() const { return StrCat(service, "-", index); }
};

// Plays Kubernetes for the pipeline's processes: restarts an instance that exited (restartPolicy
// Always), except those the test holds (a zombie's successor, a paused process), and samples RSS.
class Orchestrator {
 public:
  Orchestrator(Pipeline& pipeline, std::string rss_file)
      : pipeline_(pipeline), rss_file_(std::move(rss_file)) {
    for (const std::string& service : local::ServiceNames()) {
      for (int i = 0; i < pipeline.instances(service); ++i) members_.push_back({service, i});
    }
  }

  const std::vector<Member>& members() const { return members_; }
  ServiceProcess& process(const Member& m) { return pipeline_.instance(m.service, m.index); }
  void Hold(const Member& m) { held_.insert(m.name()); }
  void Release(const Member& m) { held_.erase(m.name()); }
  int restarts() const { return restarts_; }

  // Restarts every instance that is not running (gtest assertions).
  // Restarts every instance that is not running; one that does not come back is tried again
  // every 5 s, and is a test failure only after kRecoveryDeadline.
  void Supervise() {
    const Steady::time_point now = Steady::now();
    for (const Member& m : members_) {
      const std::string name = m.name();
      if (held_.count(name) != 0) continue;
      if (process(m).running()) {
        down_since_.erase(name);
        continue;
      }
      if (down_since_.count(name) == 0) {
        down_since_[name] = now;
        next_try_[name] = now;
        Log(StrCat(name, " exited (", process(m).Wait(1), "); restarting it"));
        ++restarts_;
      }
      if (now < next_try_[name]) continue;
      std::string why;
      if (process(m).TryRestart(&why)) continue;
      Log(StrCat(name, " did not come back (", why, "); trying again in 5 s"));
      ASSERT_LT(Steady::now() - down_since_[name], kRecoveryDeadline)
          << name << " did not come back: " << why;
      next_try_[name] = Steady::now() + std::chrono::seconds(5);
    }
    SampleRss();
  }

 private:
  void SampleRss() {
    if (rss_file_.empty() || Steady::now() < next_rss_) return;
    next_rss_ = Steady::now() + std::chrono::seconds(30);
    std::ofstream out(rss_file_, std::ios::app);
    const int64_t elapsed = Millis(Steady::now() - started_) / 1000;
    for (const Member& m : members_) {
      std::ifstream status(StrCat("/proc/", process(m).pid(), "/status"));
      for (std::string line; std::getline(status, line);) {
        if (line.rfind("VmRSS:", 0) == 0) {
          out << elapsed << "," << m.name() << "," << std::stoll(line.substr(6)) << "\n";
        }
      }
    }
  }

  Pipeline& pipeline_;
  std::string rss_file_;
  std::vector<Member> members_;
  std::set<std::string> held_;
  std::map<std::string, Steady::time_point> down_since_, next_try_;
  int restarts_ = 0;
  Steady::time_point started_ = Steady::now();
  Steady::time_point next_rss_ = Steady::now();
};

// A FeedLeads of `leads` on its own thread (it retries while intake cannot answer).
class Feed {
 public:
  Feed(const demo::DemoDataSet& set, std::vector<const demo::DemoLead*> leads,
       demo::Endpoints endpoints, std::string dir) {
    slice_.options = set.options;
    for (const demo::DemoLead* lead : leads) slice_.leads.push_back(*lead);
    std::filesystem::create_directories(dir);
    thread_ = std::thread([this, endpoints = std::move(endpoints), dir = std::move(dir)] {
      absl::StatusOr<demo::FeedResult> r = demo::FeedLeads(
          slice_, endpoints, dir, [](const std::string&) {}, [this] { return cancel_.load(); });
      std::lock_guard<std::mutex> lock(mu_);
      result_ = std::move(r);
      done_ = true;
    });
  }
  // A feed still retrying (a test that failed) gives up at once.
  ~Feed() {
    cancel_.store(true);
    thread_.join();
  }
  size_t leads() const { return slice_.leads.size(); }
  bool done() const {
    std::lock_guard<std::mutex> lock(mu_);
    return done_;
  }
  absl::StatusOr<demo::FeedResult> result() const {
    std::lock_guard<std::mutex> lock(mu_);
    return result_;
  }

 private:
  demo::DemoDataSet slice_;
  std::atomic<bool> cancel_{false};
  mutable std::mutex mu_;
  bool done_ = false;
  absl::StatusOr<demo::FeedResult> result_ = absl::UnknownError("not finished");
  std::thread thread_;
};

// The load: every lead of `leads`, fed slice by slice at a steady pace on a thread of its own,
// through FeedLeads (which retries while intake cannot answer), until all are fed or one fails.
// It feeds only as many leads as the test allowed so far (Allow), so that some of the load is
// left for every fault of the schedule.
class Load {
 public:
  Load(const demo::DemoDataSet& set, std::vector<const demo::DemoLead*> leads,
       demo::Endpoints endpoints, std::string dir)
      : set_(set),
        leads_(std::move(leads)),
        endpoints_(std::move(endpoints)),
        dir_(std::move(dir)) {
    thread_ = std::thread([this] { Run(); });
  }
  ~Load() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }
  size_t size() const { return leads_.size(); }
  // Releases the load evenly over `spread` from now (a minute ahead), by itself: the soak.
  void Spread(std::chrono::milliseconds spread) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      spread_ = spread;
      spread_start_ = Steady::now();
    }
    cv_.notify_all();
  }
  // Lets it feed up to `leads` leads in all.
  void Allow(size_t leads) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      allowed_ = std::max(allowed_, leads);
    }
    cv_.notify_all();
  }
  // Everything, and no more pauses: the rest as fast as intake takes it.
  void Hurry() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      hurry_ = true;
      allowed_ = leads_.size();
    }
    cv_.notify_all();
  }
  bool done() const {
    std::lock_guard<std::mutex> lock(mu_);
    return done_;
  }
  absl::Status status() const {
    std::lock_guard<std::mutex> lock(mu_);
    return status_;
  }
  int64_t retries() const {
    std::lock_guard<std::mutex> lock(mu_);
    return retries_;
  }
  // Leads fed and acknowledged.
  size_t fed() const {
    std::lock_guard<std::mutex> lock(mu_);
    return fed_;
  }

 private:
  void Run() {
    for (size_t next = 0, n = 0; next < leads_.size(); ++n) {
      {
        std::unique_lock<std::mutex> lock(mu_);
        while (!stop_ && next >= Allowed()) cv_.wait_for(lock, std::chrono::seconds(1));
        if (stop_) {
          status_ = absl::CancelledError("stopped");
          break;
        }
      }
      demo::DemoDataSet slice;
      slice.options = set_.options;
      for (; next < leads_.size() && slice.leads.size() < static_cast<size_t>(kSliceLeads); ++next)
        slice.leads.push_back(*leads_[next]);
      const std::string dir = StrCat(dir_, "/", n);
      std::filesystem::create_directories(dir);
      absl::StatusOr<demo::FeedResult> r = demo::FeedLeads(
          slice, endpoints_, dir, [](const std::string&) {},
          [this] {
            std::lock_guard<std::mutex> lock(mu_);
            return stop_;
          });
      std::unique_lock<std::mutex> lock(mu_);
      if (!r.ok()) {
        status_ = r.status();
        break;
      }
      retries_ += r->retries;
      fed_ += slice.leads.size();
      // The pace of the load (not a wait for a condition).
      cv_.wait_for(lock, kSlicePause, [this] { return hurry_ || stop_; });
    }
    std::lock_guard<std::mutex> lock(mu_);
    done_ = true;
  }

  // What may be fed by now (mu_ held).
  size_t Allowed() const {
    if (spread_.count() == 0) return allowed_;
    const double elapsed = static_cast<double>(Millis(Steady::now() - spread_start_) + 60'000);
    return std::max(allowed_, static_cast<size_t>(
                                  std::min(1.0, elapsed / static_cast<double>(spread_.count())) *
                                  static_cast<double>(leads_.size())));
  }

  const demo::DemoDataSet& set_;
  const std::vector<const demo::DemoLead*> leads_;
  const demo::Endpoints endpoints_;
  const std::string dir_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  size_t allowed_ = 0;
  std::chrono::milliseconds spread_{0};
  Steady::time_point spread_start_;
  bool hurry_ = false;
  bool stop_ = false;
  bool done_ = false;
  absl::Status status_;
  int64_t retries_ = 0;
  size_t fed_ = 0;
  std::thread thread_;
};

// Bad records for the raw topic: one that is not a LeadSubmission, one whose email is invalid.
testing::KeyValues BadRawRecords(int n) {
  v1::LeadSubmission invalid;
  invalid.set_source_system("chaos-bad-input");
  invalid.set_idempotency_key(StrCat("bad-", n));
  invalid.mutable_person()->set_email(StrCat("not-an-email-", n));
  return {{StrCat("bad-", n, "-malformed"), std::string("\xff\x01not a protobuf", 16)},
          {StrCat("bad-", n, "-invalid"), invalid.SerializeAsString()}};
}

TEST(PipelineChaosTest, FaultsDuringLoadLoseNothingAndDoubleNothing) {
  const char* minutes_env = std::getenv("LEADFLOW_CHAOS_MINUTES");
  const int soak_minutes = minutes_env == nullptr ? 0 : std::atoi(minutes_env);
  const uint32_t seed = std::random_device{}();
  SCOPED_TRACE(StrCat("seed ", seed));
  std::mt19937 rng(seed);
  testing::TempDir dir;
  if (std::getenv("LEADFLOW_CHAOS_KEEP_DIR") != nullptr) dir.Keep();
  Log(StrCat("seed ", seed, ", directory ", dir.path().string(),
             soak_minutes > 0 ? StrCat(", soak of ", soak_minutes, " min") : ", CI mode"));

  testing::OwnBroker broker(dir.Sub("kafka"));
  if (std::getenv("LEADFLOW_CHAOS_KEEP_DIR") != nullptr) broker.KeepData();
  const std::string bootstrap = broker.Start();
  ASSERT_FALSE(bootstrap.empty());
  testing::UseKafkaBootstrap(bootstrap);

  testing::PipelineOptions options;
  options.instances = {{"qualification", 2}, {"handoff", 2}};
  Pipeline pipeline(dir, testing::BuiltBinaries(), options);
  ASSERT_NO_FATAL_FAILURE(pipeline.Start());
  const testing::PipelineTopics& topics = pipeline.topics();
  Orchestrator k8s(pipeline, soak_minutes > 0 ? dir.Sub("rss.csv") : "");

  // The data set: a slice per fault, a first and a last slice without one, and canaries.
  // A pass takes 2–4 minutes; the soak plans more than its time allows and stops the schedule
  // when its time is up (or its canaries run out).
  const size_t passes = soak_minutes > 0 ? static_cast<size_t>(soak_minutes) / 2 + 1 : 1;
  std::vector<Fault> plan;
  for (size_t p = 0; p < passes; ++p) plan.insert(plan.end(), Schedule().begin(), Schedule().end());
  const int planned_faults = static_cast<int>(plan.size());
  // About 4 minutes of load in CI mode; in the soak, 2 leads a second (what the feeder keeps up
  // with while faults land: ~1.5–3.5 leads/s on 2 cores).
  const int set_size = soak_minutes > 0 ? soak_minutes * 60 * 2 : 1200;
  testing::PipelineDemo demo(pipeline, seed, set_size);
  const demo::DemoDataSet& set = demo.set();
  // Canaries: leads that become MQLs (handed to sales), whatever their way in, grouped so that
  // each group has one per partition.
  std::map<int, std::vector<const demo::DemoLead*>> candidates;  // partition → leads
  std::vector<const demo::DemoLead*> load;
  std::vector<std::vector<const demo::DemoLead*>> canaries;
  for (const demo::DemoLead& lead : set.leads) {
    if (lead.gate == v1::STAGE_MQL) {
      candidates[kafka::DefaultPartition(testing::DemoLeadId(lead), Pipeline::kPartitions)]
          .push_back(&lead);
    } else {
      load.push_back(&lead);
    }
  }
  // Each fault's group and the zombie's second group.
  for (size_t g = 0; g < plan.size() + passes; ++g) {
    std::vector<const demo::DemoLead*> group;
    for (auto& [partition, leads] : candidates) {
      if (leads.empty()) break;
      group.push_back(leads.back());
      leads.pop_back();
    }
    if (static_cast<int>(group.size()) < Pipeline::kPartitions) break;
    canaries.push_back(std::move(group));
  }
  for (auto& [partition, leads] : candidates) load.insert(load.end(), leads.begin(), leads.end());
  // CI mode: the whole schedule; the soak: at least one pass.
  ASSERT_GE(canaries.size(),
            soak_minutes > 0 ? Schedule().size() + 1 : static_cast<size_t>(planned_faults) + passes)
      << "too few MQL leads for a canary per partition and fault";
  std::shuffle(load.begin(), load.end(), rng);
  Log(StrCat(set.leads.size(), " leads: ", canaries.size(), " canary groups of ",
             Pipeline::kPartitions, ", ", load.size(), " leads of load"));

  absl::StatusOr<v1::RoutingConfig> routing =
      handoff::LoadRoutingFile(std::string(LEADFLOW_CONFIG_DIR) + "/routing.yaml");
  ASSERT_TRUE(routing.ok()) << routing.status();
  demo::Endpoints endpoints = demo.endpoints();
  endpoints.handoff_grpc = StrCat("127.0.0.1:", pipeline.instance("handoff", 0).grpc_port(),
                                  ",127.0.0.1:", pipeline.instance("handoff", 1).grpc_port());
  demo::SalesDesk desk(set, endpoints, *routing, Log);
  ASSERT_TRUE(desk.Start(Clock::now() - std::chrono::minutes(1)).ok());
  // The desk's handoff replicas (as a Kubernetes Service's endpoints): the two, plus `more`.
  auto desk_replicas = [&](const ServiceProcess* more) {
    std::string addresses = endpoints.handoff_grpc;
    if (more != nullptr) addresses += StrCat(",127.0.0.1:", more->grpc_port());
    desk.SetHandoffReplicas(addresses);
  };

  // Canaries are watched on the handoffs topic, read_committed.
  testing::Verifier handoffs(topics.handoffs);
  std::set<std::string> handed_off;
  auto poll_handoffs = [&] {
    const size_t before = handoffs.records.size();
    handoffs.PollOnce(100);
    for (size_t i = before; i < handoffs.records.size(); ++i) {
      v1::LeadEvent e;
      if (e.ParseFromString(handoffs.records[i].second) && e.has_handed_off())
        handed_off.insert(e.envelope().lead_id());
    }
  };
  // A step of the long waits: supervise, and keep the handoffs subscriber polled.
  auto tick = [&] {
    k8s.Supervise();
    poll_handoffs();
  };
  int64_t feed_retries = 0;
  size_t acknowledged = 0;  // leads whose every submission intake (or Kafka) acknowledged
  std::vector<std::unique_ptr<Feed>> finished;
  // Waits (supervising) until `feed` finished; its result must be OK.
  auto finish = [&](std::unique_ptr<Feed> feed) {
    ASSERT_TRUE(WaitUntil([&] { return feed->done(); }, kRecoveryDeadline, [&] { tick(); }))
        << "a feed did not finish";
    absl::StatusOr<demo::FeedResult> r = feed->result();
    ASSERT_TRUE(r.ok()) << r.status();
    feed_retries += r->retries;
    acknowledged += feed->leads();
    finished.push_back(std::move(feed));
  };

  // Feeds a canary group and waits until each was handed off; the time since `t0`.
  size_t next_canaries = 0;
  auto canary_round = [&](Steady::time_point t0, const std::function<void()>& meanwhile,
                          int64_t* recovery_ms) {
    ASSERT_LT(next_canaries, canaries.size());
    const std::vector<const demo::DemoLead*>& group = canaries[next_canaries++];
    auto feed =
        std::make_unique<Feed>(set, group, endpoints, dir.Sub(StrCat("canaries-", next_canaries)));
    if (meanwhile) meanwhile();
    ASSERT_TRUE(WaitUntil(
        [&] {
          for (const demo::DemoLead* lead : group) {
            if (handed_off.count(testing::DemoLeadId(*lead)) == 0) return false;
          }
          return true;
        },
        kRecoveryDeadline, tick))
        << "the canaries were not handed off";
    *recovery_ms = Millis(Steady::now() - t0);
    ASSERT_NO_FATAL_FAILURE(finish(std::move(feed)));
  };
  auto pick = [&](const std::vector<Member>& among) {
    return among[std::uniform_int_distribution<size_t>(0, among.size() - 1)(rng)];
  };
  std::vector<Member> replicated;  // instances of qualification and handoff
  for (const Member& m : k8s.members()) {
    if (m.service == "qualification" || m.service == "handoff") replicated.push_back(m);
  }

  // The load runs through the whole schedule.
  Load running(set, load, endpoints, dir.Sub("load"));
  // How much of the load may be fed: in CI mode a share per fault (`i` faults begun), so that
  // some is left for each; in the soak, spread evenly over its time and a tail past it, so the
  // faults begun near its end still run under load (a zombie is fenced only by its next
  // transaction, which needs input).
  const Steady::time_point soak_start = Steady::now();
  auto share = [&](size_t i) -> size_t { return load.size() * (i + 1) / (plan.size() + 1); };
  if (soak_minutes > 0) {
    running.Spread(std::chrono::minutes(soak_minutes) + kSoakLoadTail);
  } else {
    running.Allow(share(0));
  }
  std::vector<FaultResult> results;
  std::unique_ptr<ServiceProcess> extra;  // the joining replica
  Member extra_member;
  int bad_batches = 0;
  const Steady::time_point soak_end = soak_start + std::chrono::minutes(soak_minutes);
  for (size_t i = 0; i < plan.size(); ++i) {
    const Fault fault = plan[i];
    if (soak_minutes > 0 && Steady::now() > soak_end && !extra) break;
    if (soak_minutes == 0) running.Allow(share(i + 1));
    if (next_canaries + (fault == Fault::kZombie ? 2 : 1) > canaries.size()) break;
    // Bad raw records with every fault (they must reach the DLQ, whatever happens).
    testing::ProduceAll(topics.raw, BadRawRecords(bad_batches++));
    // The fault's moment: a random while into the running load (not a wait for a condition).
    std::this_thread::sleep_for(
        std::chrono::milliseconds(std::uniform_int_distribution<int>(500, 5000)(rng)));
    FaultResult result{fault, "", 0, 0};
    const int restarts_before = k8s.restarts();
    const Steady::time_point t0 = Steady::now();
    switch (fault) {
      case Fault::kKill9:
      case Fault::kSigterm: {
        const Member m = pick(k8s.members());
        result.target = m.name();
        const int signal = fault == Fault::kKill9 ? SIGKILL : SIGTERM;
        const int code = k8s.process(m).Stop(signal);
        EXPECT_EQ(code, fault == Fault::kKill9 ? 128 + SIGKILL : 0) << m.name();
        // Restarted at once; if it does not come back, the orchestrator tries again.
        if (std::string why; !k8s.process(m).TryRestart(&why)) Log(why);
        ASSERT_NO_FATAL_FAILURE(canary_round(t0, nullptr, &result.recovery_ms));
        break;
      }
      case Fault::kPause: {
        const Member m = pick(k8s.members());
        result.target = m.name();
        ASSERT_TRUE(k8s.process(m).Signal(SIGSTOP));
        ASSERT_NO_FATAL_FAILURE(canary_round(
            t0,
            [&] {
              // The pause itself: the other instances go on meanwhile.
              WaitUntil([&] { return Steady::now() - t0 >= kPauseFor; }, kPauseFor * 2,
                        [&] { poll_handoffs(); });
              ASSERT_TRUE(k8s.process(m).Signal(SIGCONT));
            },
            &result.recovery_ms));
        break;
      }
      case Fault::kJoin: {
        const std::string service =
            std::uniform_int_distribution<int>(0, 1)(rng) == 0 ? "qualification" : "handoff";
        extra_member = {service, pipeline.instances(service)};
        result.target = extra_member.name();
        const testing::PipelineBinaries binaries = testing::BuiltBinaries();
        extra = std::make_unique<ServiceProcess>(
            service, service == "handoff" ? binaries.handoff : binaries.qualification,
            dir.Sub(extra_member.name() + ".log"));
        ASSERT_NO_FATAL_FAILURE(extra->Start(pipeline.Flags(service, extra_member.index)));
        if (service == "handoff") desk_replicas(extra.get());
        ASSERT_NO_FATAL_FAILURE(canary_round(t0, nullptr, &result.recovery_ms));
        break;
      }
      case Fault::kLeave: {
        ASSERT_TRUE(extra) << "the schedule has a join before each leave";
        result.target = extra_member.name();
        EXPECT_EQ(extra->Stop(SIGTERM), 0) << extra_member.name();
        desk_replicas(nullptr);
        extra.reset();
        ASSERT_NO_FATAL_FAILURE(canary_round(t0, nullptr, &result.recovery_ms));
        break;
      }
      case Fault::kZombie: {
        const Member m = pick(replicated);
        result.target = m.name();
        ServiceProcess& zombie = k8s.process(m);
        k8s.Hold(m);
        ASSERT_TRUE(zombie.Signal(SIGSTOP));
        // The successor: the same instance.id (transactional.id), another volume and ports.
        std::vector<std::string> flags = pipeline.Flags(m.service, m.index);
        flags.push_back("--data.dir=" + dir.Sub(m.name() + "-successor-data"));
        const testing::PipelineBinaries binaries = testing::BuiltBinaries();
        ServiceProcess successor(m.service,
                                 m.service == "handoff" ? binaries.handoff : binaries.qualification,
                                 dir.Sub(m.name() + "-successor.log"));
        ASSERT_NO_FATAL_FAILURE(successor.Start(flags));
        if (m.service == "handoff") desk_replicas(&successor);
        ASSERT_NO_FATAL_FAILURE(canary_round(t0, nullptr, &result.recovery_ms));
        // The zombie resumes: its next transaction is refused (fenced) and it exits by itself.
        const std::uintmax_t log_before = std::filesystem::file_size(zombie.log_path());
        ASSERT_TRUE(zombie.Signal(SIGCONT));
        int64_t ignored = 0;
        ASSERT_NO_FATAL_FAILURE(canary_round(Steady::now(), nullptr, &ignored));
        int code = -1;
        EXPECT_TRUE(WaitUntil(
            [&] {
              if (zombie.running()) return false;
              code = zombie.Wait(1);
              return true;
            },
            kRecoveryDeadline, tick))
            << m.name() << " (the zombie) still runs after its successor fenced it";
        EXPECT_EQ(code, 1) << "the zombie must exit with a fatal error (1)";
        // What it logged after it resumed: the fatal error, naming the fencing.
        std::ifstream log(zombie.log_path());
        log.seekg(static_cast<std::streamoff>(log_before));
        bool fenced = false;
        for (std::string line; std::getline(log, line);) {
          fenced = fenced || (line.find("stream fatal error") != std::string::npos &&
                              AsciiStrToLower(line).find("fenced") != std::string::npos);
        }
        EXPECT_TRUE(fenced) << "the zombie did not log a fatal fencing error after it resumed: "
                            << zombie.log_path();
        // Back to the instance's own volume and ports.
        EXPECT_EQ(successor.Stop(SIGTERM), 0);
        if (m.service == "handoff") desk_replicas(nullptr);
        k8s.Release(m);
        if (std::string why; !zombie.TryRestart(&why)) Log(why);
        break;
      }
      case Fault::kBroker: {
        result.target = "broker";
        broker.KillNine();
        ASSERT_EQ(broker.Start(), bootstrap);
        ASSERT_NO_FATAL_FAILURE(canary_round(t0, nullptr, &result.recovery_ms));
        break;
      }
    }
    result.restarts = k8s.restarts() - restarts_before;
    Log(StrCat(FaultName(fault), " of ", result.target, ": recovered in ", result.recovery_ms,
               " ms, ", result.restarts, " restarts after it; load fed ", running.fed(), " of ",
               running.size(), " leads"));
    results.push_back(result);
  }
  if (extra) {
    EXPECT_EQ(extra->Stop(SIGTERM), 0);
  }
  // The rest of the load, then the last canaries' leads as load too.
  running.Hurry();
  ASSERT_TRUE(WaitUntil([&] { return running.done(); }, std::chrono::minutes(10), tick))
      << "the load did not finish";
  ASSERT_TRUE(running.status().ok()) << running.status();
  acknowledged += running.fed();
  feed_retries += running.retries();
  for (; next_canaries < canaries.size(); ++next_canaries) {
    ASSERT_NO_FATAL_FAILURE(
        finish(std::make_unique<Feed>(set, canaries[next_canaries], endpoints,
                                      dir.Sub(StrCat("canaries-rest-", next_canaries)))));
  }

  EXPECT_EQ(acknowledged, set.leads.size()) << "every lead was fed and acknowledged";

  // Every handoff answered, the reports equal to the ground truth.
  const demo::GroundTruth& truth = demo.truth();
  absl::Status answered = absl::UnknownError("not yet");
  EXPECT_TRUE(WaitUntil(
      [&] {
        answered = desk.AwaitDone(truth.handoffs, std::chrono::milliseconds(0));
        return answered.ok() || !desk.errors().empty();
      },
      std::chrono::minutes(10), tick))
      << answered;
  EXPECT_TRUE(desk.errors().empty()) << desk.errors().front();

  // The independent verifier over every lead topic.
  testing::PipelineVerifier verifier;
  std::set<std::string> reopened;             // leads with a second cycle
  std::map<std::string, int> handoff_events;  // lead → LeadHandedOff events on the topic
  for (const std::string& topic :
       {topics.leads, topics.qualification, topics.handoffs, topics.recycle}) {
    for (const testing::ReadRecord& r : testing::ReadTopicRecords(topic)) {
      verifier.Add(r);
      v1::LeadEvent e;
      if (!e.ParseFromString(r.value)) continue;
      if (e.envelope().cycle() > 1) reopened.insert(e.envelope().lead_id());
      if (e.has_handed_off()) ++handoff_events[e.envelope().lead_id()];
    }
  }
  // The data set's ground truth assumes each lead's activities are processed before sales
  // answers it. A long stall (a broker restart can hold a stream step until the rebalance
  // timeout) can bring an activity that occurred before the answer in after it; the recycled
  // lead then qualifies again in a second cycle — the product's rule — and the ground truth no
  // longer applies. The reports must then still equal the recomputation from the topics (below).
  if (reopened.empty()) {
    const absl::Status equal = demo.AwaitTruth(std::chrono::minutes(5));
    EXPECT_TRUE(equal.ok()) << equal;
  } else {
    Log(StrCat(reopened.size(),
               " leads qualified again in a second cycle (an activity arrived after sales had "
               "answered); the reports are checked against the topics only"));
  }
  const std::vector<std::string> duplicates = verifier.Duplicates();
  EXPECT_EQ(verifier.Malformed(), std::vector<std::string>{});
  EXPECT_EQ(duplicates, std::vector<std::string>{});
  EXPECT_EQ(verifier.CausalityViolations(), std::vector<std::string>{});
  std::map<std::string, std::vector<v1::Stage>> expected;
  for (const demo::DemoLead& lead : set.leads) {
    expected[testing::DemoLeadId(lead)] = demo::EnteredStages(lead);
  }
  const std::vector<std::string> mismatches = verifier.StageMismatches(expected);
  EXPECT_EQ(mismatches, std::vector<std::string>{});
  demo::GroundTruth recomputed;
  const std::map<v1::Stage, int64_t> entered = verifier.EnteredCounts();
  for (v1::Stage s : demo::TruthStages()) {
    recomputed.entered[s] = entered.count(s) != 0 ? entered.at(s) : 0;
  }
  std::vector<std::string> funnel_differences = {"not fetched"};
  EXPECT_TRUE(WaitUntil(
      [&] {
        absl::StatusOr<demo::Reports> reports = demo::FetchReports(demo.endpoints());
        if (reports.ok()) funnel_differences = demo::CompareFunnel(recomputed, reports->funnel);
        return reports.ok() && funnel_differences.empty();
      },
      std::chrono::minutes(5), tick))
      << "reporting's funnel differs from the recomputation: " << funnel_differences.front();

  // Handoffs: once each, to the desk, for the leads the truth expects; the canaries where the
  // partitioner put them.
  const std::map<std::string, int> watched = desk.handoffs_per_lead();
  EXPECT_EQ(static_cast<int64_t>(watched.size()), truth.handoffs);
  EXPECT_EQ(watched, handoff_events) << "the desk saw each handoff event once";
  for (const auto& [lead, n] : watched) {
    if (reopened.count(lead) == 0) {
      EXPECT_EQ(n, 1) << lead;
    }
  }
  std::map<std::string, int32_t> partition_of;
  for (const testing::ReadRecord& r : testing::ReadTopicRecords(topics.handoffs))
    partition_of[r.key] = r.partition;
  for (const auto& group : canaries) {
    for (const demo::DemoLead* lead : group) {
      const std::string id = testing::DemoLeadId(*lead);
      const auto it = partition_of.find(id);
      ASSERT_NE(it, partition_of.end()) << "canary " << id << " has no handoff";
      EXPECT_EQ(it->second, kafka::DefaultPartition(id, Pipeline::kPartitions)) << id;
    }
  }

  // The raw topic: input = admitted + dead-lettered, record for record.
  const std::vector<testing::ReadRecord> raw = testing::ReadTopicRecords(topics.raw);
  std::map<std::string, int> raw_keys, admitted_keys;  // source␟idempotency key → records
  int64_t raw_valid = 0;
  for (const testing::ReadRecord& r : raw) {
    v1::LeadSubmission s;
    if (s.ParseFromString(r.value) && s.source_system() != "chaos-bad-input") {
      ++raw_keys[StrCat(s.source_system(), "\x1f", s.idempotency_key())];
      ++raw_valid;
    }
  }
  int64_t admitted_raw = 0;
  for (const testing::ReadRecord& r : testing::ReadTopicRecords(topics.admitted)) {
    v1::LeadEvent e;
    ASSERT_TRUE(e.ParseFromString(r.value));
    if (!e.has_admitted() || e.admitted().ingress() != v1::INGRESS_CHANNEL_RAW_TOPIC) continue;
    ++admitted_raw;
    ++admitted_keys[StrCat(e.admitted().source_system(), "\x1f", e.admitted().idempotency_key())];
  }
  std::map<v1::DeadLetterReason, int64_t> dlq_raw;
  int64_t dlq_other = 0;
  std::string other_example;
  for (const testing::ReadRecord& r : testing::ReadTopicRecords(topics.dlq)) {
    v1::DeadLetter d;
    ASSERT_TRUE(d.ParseFromString(r.value));
    if (d.source_topic() == topics.raw) {
      ++dlq_raw[d.reason_code()];
    } else {
      ++dlq_other;
      other_example = StrCat(d.source_topic(), ": ", d.detail());
    }
  }
  const int64_t dead_lettered =
      dlq_raw[v1::DEAD_LETTER_REASON_MALFORMED] + dlq_raw[v1::DEAD_LETTER_REASON_INVALID];
  EXPECT_EQ(static_cast<int64_t>(raw.size()), admitted_raw + dead_lettered)
      << "raw records = admitted + dead-lettered";
  EXPECT_EQ(raw_keys, admitted_keys) << "each valid raw record admitted exactly once";
  EXPECT_EQ(dlq_raw[v1::DEAD_LETTER_REASON_MALFORMED], bad_batches);
  EXPECT_EQ(dlq_raw[v1::DEAD_LETTER_REASON_INVALID], bad_batches);
  EXPECT_EQ(dlq_other, 0) << "dead letters not from the raw topic, e.g. " << other_example;

  // The results table.
  std::map<Fault, std::vector<const FaultResult*>> by_kind;
  for (const FaultResult& r : results) by_kind[r.fault].push_back(&r);
  std::printf(
      "[ RESULTS ] seed %u; %zu leads driven, %zu acknowledged, %zu not in their expected stages "
      "(lost or wrong), %zu duplicated "
      "event ids; %lld raw records (%lld valid, %lld dead-lettered); %lld calls retried; "
      "%d restarts by the orchestrator; %zu leads in a second cycle\n",
      seed, set.leads.size(), acknowledged, mismatches.size(), duplicates.size(),
      static_cast<long long>(raw.size()), static_cast<long long>(raw_valid),
      static_cast<long long>(dead_lettered), static_cast<long long>(feed_retries), k8s.restarts(),
      reopened.size());
  std::printf("[ RESULTS ] | fault | injected | recovery ms (min / median / max) | restarts |\n");
  for (const auto& [fault, list] : by_kind) {
    std::vector<int64_t> ms;
    int restarts = 0;
    for (const FaultResult* r : list) {
      ms.push_back(r->recovery_ms);
      restarts += r->restarts;
    }
    std::sort(ms.begin(), ms.end());
    std::printf("[ RESULTS ] | %s | %zu | %lld / %lld / %lld | %d |\n", FaultName(fault).c_str(),
                list.size(), static_cast<long long>(ms.front()),
                static_cast<long long>(ms[ms.size() / 2]), static_cast<long long>(ms.back()),
                restarts);
    RecordProperty(StrCat("max_recovery_ms_", FaultId(fault)), std::to_string(ms.back()));
  }
  for (const FaultResult& r : results) {
    std::printf("[ RESULTS ]   %s of %s: %lld ms\n", FaultName(r.fault).c_str(), r.target.c_str(),
                static_cast<long long>(r.recovery_ms));
  }
  EXPECT_GE(results.size(), Schedule().size()) << "the whole schedule ran";
}

}  // namespace
}  // namespace leadflow
