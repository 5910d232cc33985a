// Scale-out the way Kubernetes does it, on the real broker: the whole pipeline with qualification
// as three replicas of a StatefulSet (one binary, one application.id, instance.id 0/1/2, a data dir
// each), then a scale-down by one (SIGTERM, as a StatefulSet or a rolling restart stops a pod).
//   - the three replicas share the input partitions: each runs at least one task, and together
//     they run every partition exactly once (leadflow_stream_task_owned on each one's /metrics);
//   - a first batch of demo leads reaches its outcomes; every replica processed some of it;
//   - after the SIGTERM the two survivors run every partition (the takeover time is printed and
//     recorded as the test property takeover_ms);
//   - a second batch, and the held-back last activity of half of the first batch's MQLs (their
//     qualification needs the engagement state of the first batch; the stopped replica ran two of
//     the four partitions, so about half of them changed owner), reach their outcomes: per lead
//     exactly one LeadQualified or LeadDisqualified as the data set says (none for inquiries),
//     exactly one handoff per MQL, as a read_committed subscriber sees them; nothing dead-lettered.
#include <grpcpp/grpcpp.h>
#include <signal.h>

#include <chrono>
#include <cstdint>
#include <iostream>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "leadflow/v1/intake_service.grpc.pb.h"
#include "services/common/base/strings.h"
#include "services/common/events/lead_events.h"
#include "tests/support/kafka_env.h"
#include "tests/support/pipeline.h"
#include "tests/support/pipeline_demo.h"
#include "tests/support/stream_check.h"
#include "tests/support/temp_dir.h"
#include "tools/demo/driver.h"
#include "tools/demo/generator.h"

namespace leadflow {
namespace {

using Clock = std::chrono::system_clock;
using Steady = std::chrono::steady_clock;

constexpr int kReplicas = 3;
constexpr std::chrono::minutes kOutcomeDeadline{4};

int64_t Millis(Steady::duration d) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(d).count();
}

// `instance`'s /metrics; nullopt when it does not answer.
std::optional<std::string> Scrape(testing::ServiceProcess& instance) {
  httplib::Result r = instance.http().Get("/metrics");
  if (!r || r->status != 200) return std::nullopt;
  return r->body;
}

// The value of `series` ("name{labels}") in a /metrics text; nullopt when it has no such series.
std::optional<double> Value(const std::string& metrics, const std::string& series) {
  std::istringstream lines(metrics);
  const std::string prefix = series + " ";
  for (std::string line; std::getline(lines, line);) {
    if (line.starts_with(prefix)) return std::stod(line.substr(prefix.size()));
  }
  return std::nullopt;
}

// The input partitions whose tasks `instance` runs in stream app `app`; nullopt when it does not
// answer.
std::optional<std::set<int>> OwnedPartitions(testing::ServiceProcess& instance,
                                             const std::string& app) {
  const std::optional<std::string> metrics = Scrape(instance);
  if (!metrics.has_value()) return std::nullopt;
  std::set<int> owned;
  for (int p = 0; p < testing::Pipeline::kPartitions; ++p) {
    // The series appears with the first task of that partition here: absent is never owned.
    if (Value(*metrics, StrCat("leadflow_stream_task_owned{app=\"", app, "\",partition=\"", p,
                               "\"}")) == 1.0) {
      owned.insert(p);
    }
  }
  return owned;
}

using Assignment = std::map<int, std::set<int>>;  // qualification instance → partitions it runs

std::string Describe(const Assignment& assignment) {
  std::ostringstream out;
  for (const auto& [i, partitions] : assignment) {
    out << " qualification-" << i << ":{";
    for (int p : partitions) out << (p == *partitions.begin() ? "" : ",") << p;
    out << "}";
  }
  return out.str();
}

// The assignment when each of `instances` runs at least one task and together they run every
// partition exactly once; nullopt otherwise (`seen` then says what was seen).
std::optional<Assignment> Spread(testing::Pipeline& pipeline, const std::vector<int>& instances,
                                 const std::string& app, std::string* seen) {
  Assignment assignment;
  std::map<int, int> owners;  // partition → instances running its task
  bool spread = true;
  std::ostringstream unanswered;
  for (int i : instances) {
    std::optional<std::set<int>> owned =
        OwnedPartitions(pipeline.instance("qualification", i), app);
    if (!owned.has_value()) {
      unanswered << " qualification-" << i << " does not answer";
      spread = false;
      continue;
    }
    for (int p : *owned) ++owners[p];
    spread = spread && !owned->empty();
    assignment[i] = std::move(*owned);
  }
  *seen = Describe(assignment) + unanswered.str();
  if (!spread || static_cast<int>(owners.size()) != testing::Pipeline::kPartitions) {
    return std::nullopt;
  }
  for (const auto& [p, n] : owners) {
    if (n != 1) return std::nullopt;
  }
  return assignment;
}

// Per lead, the events of a lead-keyed topic by kind, as a read_committed subscriber counts them
// (each record parsed once, as it arrives).
class EventTally {
 public:
  explicit EventTally(const std::string& topic) : verifier_(topic) {}

  // Reads what has arrived, until a poll of `ms` comes back empty.
  void Poll(int ms = 100) {
    for (size_t before = SIZE_MAX; verifier_.records.size() != before;) {
      before = verifier_.records.size();
      verifier_.PollOnce(ms);
    }
    for (; parsed_ < verifier_.records.size(); ++parsed_) {
      const auto& [key, value] = verifier_.records[parsed_];
      v1::LeadEvent e;
      EXPECT_TRUE(e.ParseFromString(value)) << key;
      EXPECT_EQ(key, e.envelope().lead_id());
      ++counts_[e.envelope().lead_id()][events::EventKind(e)];
      ++kinds_[events::EventKind(e)];
      // Event ids are deterministic from their cause: a replayed or doubled event repeats one.
      if (!event_ids_.insert(e.envelope().event_id()).second) {
        repeated_ids_.push_back(StrCat(events::EventKind(e), " ", e.envelope().event_id(),
                                       " of lead ", e.envelope().lead_id()));
      }
      if (e.has_disqualified()) {
        dq_reasons_[e.envelope().lead_id()] =
            v1::DisqualificationReason_Name(e.disqualified().reason_code());
      }
    }
  }

  int Count(const std::string& lead, const std::string& kind) const {
    const auto l = counts_.find(lead);
    if (l == counts_.end()) return 0;
    const auto k = l->second.find(kind);
    return k == l->second.end() ? 0 : k->second;
  }
  std::string DisqualificationReason(const std::string& lead) const {
    const auto it = dq_reasons_.find(lead);
    return it == dq_reasons_.end() ? "" : it->second;
  }
  std::set<std::string> Leads() const {
    std::set<std::string> out;
    for (const auto& [lead, kinds] : counts_) out.insert(lead);
    return out;
  }
  size_t records() const { return parsed_; }
  // Events whose event id an earlier event already had.
  const std::vector<std::string>& repeated_ids() const { return repeated_ids_; }
  // "1016 (scored 700, qualified 77, ...)"
  std::string Summary() const {
    std::string out = StrCat(parsed_, " (");
    for (const auto& [kind, n] : kinds_) {
      out += StrCat(kind == kinds_.begin()->first ? "" : ", ", kind, " ", n);
    }
    return out + ")";
  }

 private:
  testing::Verifier verifier_;
  size_t parsed_ = 0;
  std::map<std::string, std::map<std::string, int>> counts_;
  std::map<std::string, std::string> dq_reasons_;
  std::map<std::string, int> kinds_;
  std::set<std::string> event_ids_;
  std::vector<std::string> repeated_ids_;
};

// What qualification must have decided for a lead by the time it is checked.
struct Expected {
  std::string what;  // "batch 1 lead 17 (hand_raiser, grpc)", for messages
  v1::Stage gate = v1::STAGE_INQUIRY;
  std::string dq_reason;  // DISQUALIFICATION_REASON_..., for a disqualified lead
};
using Expectations = std::map<std::string, Expected>;  // by lead id

using testing::DemoLeadId;

// Adds every lead of `set` with the outcome the data set gives it.
void AddExpectations(const demo::DemoDataSet& set, const std::string& batch,
                     Expectations* expected) {
  for (const demo::DemoLead& lead : set.leads) {
    Expected e;
    e.what = StrCat(batch, " lead ", lead.index, " (", demo::ArchetypeName(lead.archetype), ", ",
                    demo::WayInName(lead.way_in), ")");
    e.gate = lead.gate;
    if (lead.gate == v1::STAGE_DISQUALIFIED) {
      e.dq_reason = "DISQUALIFICATION_REASON_" + AsciiStrToUpper(lead.disqualification_reason);
    }
    EXPECT_TRUE(expected->emplace(DemoLeadId(lead), std::move(e)).second)
        << "two leads with one id: " << batch << " lead " << lead.index;
  }
}

// Every lead shows its outcome at least once: processed (scored), MQLs qualified and handed off,
// disqualified leads disqualified. Differences() then checks "exactly".
bool Reached(const Expectations& expected, const EventTally& qualification,
             const EventTally& handoffs) {
  for (const auto& [lead, e] : expected) {
    if (qualification.Count(lead, "scored") == 0) return false;
    if (e.gate == v1::STAGE_MQL &&
        (qualification.Count(lead, "qualified") == 0 || handoffs.Count(lead, "handed_off") == 0)) {
      return false;
    }
    if (e.gate == v1::STAGE_DISQUALIFIED && qualification.Count(lead, "disqualified") == 0) {
      return false;
    }
  }
  return true;
}

// Where the topics differ from `expected`, one line each: every lead scored at least once; exactly
// one LeadQualified and one LeadHandedOff for an MQL, exactly one LeadDisqualified (with its
// reason) for a disqualified lead, neither for an inquiry; no event of a lead nobody submitted; no
// event id twice (of any kind, LeadScored too).
std::vector<std::string> Differences(const Expectations& expected, const EventTally& qualification,
                                     const EventTally& handoffs) {
  std::vector<std::string> out;
  for (const auto& [lead, e] : expected) {
    const int scored = qualification.Count(lead, "scored");
    const int qualified = qualification.Count(lead, "qualified");
    const int disqualified = qualification.Count(lead, "disqualified");
    const int handed_off = handoffs.Count(lead, "handed_off");
    const bool mql = e.gate == v1::STAGE_MQL;
    const bool dq = e.gate == v1::STAGE_DISQUALIFIED;
    if (scored == 0 || qualified != (mql ? 1 : 0) || disqualified != (dq ? 1 : 0) ||
        handed_off != (mql ? 1 : 0) ||
        (dq && qualification.DisqualificationReason(lead) != e.dq_reason)) {
      out.push_back(
          StrCat(e.what, " ", lead, " expected ", v1::Stage_Name(e.gate), " ", e.dq_reason,
                 ": scored ", scored, ", qualified ", qualified, ", disqualified ", disqualified,
                 " ", qualification.DisqualificationReason(lead), ", handed off ", handed_off));
    }
  }
  for (const std::string& repeat : qualification.repeated_ids()) {
    out.push_back("qualification event twice: " + repeat);
  }
  for (const std::string& repeat : handoffs.repeated_ids()) {
    out.push_back("handoff event twice: " + repeat);
  }
  for (const std::string& lead : qualification.Leads()) {
    if (expected.count(lead) == 0) {
      out.push_back(StrCat("qualification events of unknown lead ", lead));
    }
  }
  for (const std::string& lead : handoffs.Leads()) {
    if (expected.count(lead) == 0) {
      out.push_back(StrCat("handoff events of unknown lead ", lead));
    }
  }
  return out;
}

std::string First(const std::vector<std::string>& lines, size_t n = 10) {
  std::string out;
  for (size_t i = 0; i < lines.size() && i < n; ++i) out += "\n  " + lines[i];
  if (lines.size() > n) out += StrCat("\n  ... and ", lines.size() - n, " more");
  return out;
}

// Reads the topics until every lead of `expected` shows its outcome (generous deadline), then a
// little longer so that a duplicate would show up too.
void AwaitOutcomes(const Expectations& expected, EventTally& qualification, EventTally& handoffs,
                   testing::Verifier& dlq) {
  const bool reached = testing::WaitUntil(
      [&] { return Reached(expected, qualification, handoffs); }, kOutcomeDeadline,
      [&] {
        qualification.Poll();
        handoffs.Poll();
        dlq.PollOnce(0);
      });
  qualification.Poll(1500);
  handoffs.Poll(500);
  EXPECT_TRUE(reached) << "outcomes missing after " << kOutcomeDeadline.count()
                       << " min:" << First(Differences(expected, qualification, handoffs));
}

TEST(ScaleOutTest, ThreeQualificationReplicasShareThePartitionsAndTwoTakeOverOnDownscale) {
  const auto test_started = Steady::now();
  testing::TempDir dir;
  testing::PipelineOptions options;
  options.instances["qualification"] = kReplicas;
  testing::Pipeline pipeline(dir, testing::BuiltBinaries(), options);
  ASSERT_NO_FATAL_FAILURE(pipeline.Start());
  const testing::PipelineTopics& topics = pipeline.topics();
  const std::string app = topics.app + "-qualification-scoring";  // the stream step's app id
  std::cout << "[scale] pipeline with " << kReplicas << " qualification replicas started in "
            << Millis(Steady::now() - test_started) << " ms" << std::endl;

  // 1. The three replicas share the partitions.
  std::string seen;
  std::optional<Assignment> three;
  ASSERT_TRUE(testing::WaitUntil(
      [&] {
        return (three = Spread(pipeline, {0, 1, 2}, app, &seen)).has_value();
      },
      testing::kKafkaDeadline))
      << "the partitions are not spread over the three replicas; last seen:" << seen;
  std::cout << "[scale] three replicas:" << Describe(*three) << std::endl;

  // 2. A first batch. Half of its MQLs (those with activities) hold back their last activity, the
  // one that opens their gate, until after the downscale.
  const int64_t now_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now().time_since_epoch())
          .count();
  auto generate = [&](uint64_t seed, int leads) {
    demo::DemoOptions o;
    o.seed = seed;
    o.leads = leads;
    o.now_ms = now_ms;
    return demo::Generate(o);
  };
  const demo::DemoDataSet first = generate(20261201, 150);
  const demo::DemoDataSet second = generate(20261202, 100);
  demo::DemoDataSet batch1 = first;
  std::vector<const demo::DemoLead*> held_back;
  Expectations expected;
  AddExpectations(first, "batch 1", &expected);
  int mqls = 0;
  for (size_t i = 0; i < first.leads.size(); ++i) {
    const demo::DemoLead& lead = first.leads[i];
    if (lead.gate != v1::STAGE_MQL || lead.engagements.empty() || mqls++ % 2 == 0) continue;
    held_back.push_back(&lead);
    batch1.leads[i].engagements.pop_back();
    expected[DemoLeadId(lead)].gate = v1::STAGE_INQUIRY;  // until its last activity
  }
  ASSERT_GE(held_back.size(), 5u);

  demo::Endpoints endpoints;
  endpoints.intake_grpc = pipeline.intake().grpc_address();
  endpoints.intake_http = "127.0.0.1:" + std::to_string(pipeline.intake().http_port());
  endpoints.bootstrap = testing::KafkaBootstrap();
  endpoints.raw_topic = topics.raw;
  auto log = [](const std::string& line) { std::cout << "[demo] " << line << std::endl; };
  EventTally qualification(topics.qualification);
  EventTally handoffs(topics.handoffs);
  testing::Verifier dlq(topics.dlq);

  absl::StatusOr<demo::FeedResult> fed = demo::FeedLeads(batch1, endpoints, dir.Sub(""), log);
  ASSERT_TRUE(fed.ok()) << fed.status();
  EXPECT_EQ(fed->duplicates, 0);
  ASSERT_NO_FATAL_FAILURE(AwaitOutcomes(expected, qualification, handoffs, dlq));
  const std::vector<std::string> after_first = Differences(expected, qualification, handoffs);
  EXPECT_TRUE(after_first.empty()) << "batch 1:" << First(after_first);
  // Every replica did its share.
  for (int i = 0; i < kReplicas; ++i) {
    const std::optional<std::string> metrics = Scrape(pipeline.instance("qualification", i));
    ASSERT_TRUE(metrics.has_value()) << "qualification-" << i;
    const double in =
        Value(*metrics, StrCat("leadflow_stream_records_in_total{app=\"", app, "\"}")).value_or(0);
    EXPECT_GT(in, 0) << "qualification-" << i << " processed nothing";
    std::cout << "[scale] batch 1: qualification-" << i << " processed " << in << " records"
              << std::endl;
  }
  std::cout << "[scale] batch 1: " << first.leads.size() << " leads (" << held_back.size()
            << " MQLs holding back their last activity), " << qualification.records()
            << " qualification events, " << handoffs.records() << " handoff events" << std::endl;

  // 3. Scale down by one: SIGTERM to the replica with the most partitions (commit, leave the
  // group); the two survivors take them over.
  // (Still the three of them: a rebalance in between, e.g. a replica of a slow machine missing its
  // session timeout, is waited out rather than failed.)
  ASSERT_TRUE(testing::WaitUntil(
      [&] {
        return (three = Spread(pipeline, {0, 1, 2}, app, &seen)).has_value();
      },
      testing::kKafkaDeadline))
      << "the partitions are no longer spread over the three replicas; last seen:" << seen;
  int victim = 0;
  for (const auto& [i, partitions] : *three) {
    if (partitions.size() > three->at(victim).size()) victim = i;
  }
  std::vector<int> survivors;
  for (int i = 0; i < kReplicas; ++i) {
    if (i != victim) survivors.push_back(i);
  }
  const auto stop_sent = Steady::now();
  const int exit_code = pipeline.instance("qualification", victim).Stop(SIGTERM);
  const auto exited = Steady::now();
  EXPECT_EQ(exit_code, 0) << "qualification-" << victim << " did not exit cleanly on SIGTERM";
  std::optional<Assignment> two;
  ASSERT_TRUE(testing::WaitUntil(
      [&] { return (two = Spread(pipeline, survivors, app, &seen)).has_value(); },
      testing::kKafkaDeadline))
      << "the survivors did not take over every partition; last seen:" << seen;
  const auto taken_over = Steady::now();
  std::cout << "[scale] SIGTERM to qualification-" << victim << " ("
            << Describe({{victim, three->at(victim)}}) << "): exited after "
            << Millis(exited - stop_sent) << " ms; the survivors own every partition "
            << Millis(taken_over - stop_sent) << " ms after the SIGTERM:" << Describe(*two)
            << std::endl;
  RecordProperty("shutdown_ms", std::to_string(Millis(exited - stop_sent)));
  RecordProperty("takeover_ms", std::to_string(Millis(taken_over - stop_sent)));

  // 4. A second batch, and the held-back activities (through SubmitLead, as a marketing system
  // sends an activity): the held-back MQLs qualify now, on whichever survivor owns them, from the
  // engagement state the first batch left.
  AddExpectations(second, "batch 2", &expected);
  for (const demo::DemoLead* lead : held_back) {
    Expected& e = expected[DemoLeadId(*lead)];
    e.gate = v1::STAGE_MQL;
    e.what += " (last activity after the downscale)";
  }
  fed = demo::FeedLeads(second, endpoints, dir.Sub(""), log);
  ASSERT_TRUE(fed.ok()) << fed.status();
  EXPECT_EQ(fed->duplicates, 0);
  auto intake = v1::IntakeService::NewStub(
      grpc::CreateChannel(endpoints.intake_grpc, grpc::InsecureChannelCredentials()));
  for (const demo::DemoLead* lead : held_back) {
    v1::SubmitLeadRequest req;
    *req.mutable_submission() = demo::ActivityAsSubmission(*lead, lead->engagements.size() - 1);
    v1::SubmitLeadResponse resp;
    grpc::ClientContext ctx;
    ctx.set_deadline(Clock::now() + std::chrono::seconds(30));
    const grpc::Status s = intake->SubmitLead(&ctx, req, &resp);
    ASSERT_TRUE(s.ok()) << s.error_code() << " " << s.error_message();
    EXPECT_EQ(resp.result().outcome(), v1::SUBMISSION_OUTCOME_ACCEPTED)
        << "batch 1 lead " << lead->index;
  }
  ASSERT_NO_FATAL_FAILURE(AwaitOutcomes(expected, qualification, handoffs, dlq));
  const std::vector<std::string> after_second = Differences(expected, qualification, handoffs);
  EXPECT_TRUE(after_second.empty()) << "both batches:" << First(after_second);
  std::cout << "[scale] both batches: " << expected.size() << " leads; qualification events "
            << qualification.Summary() << "; handoff events " << handoffs.Summary() << std::endl;

  // For the record (not asserted): what the survivors did.
  for (int i : survivors) {
    const std::optional<std::string> metrics = Scrape(pipeline.instance("qualification", i));
    ASSERT_TRUE(metrics.has_value()) << "qualification-" << i;
    auto value = [&](const std::string& name) {
      return Value(*metrics, StrCat(name, "{app=\"", app, "\"}")).value_or(-1);
    };
    std::cout << "[scale] qualification-" << i << ": records in "
              << value("leadflow_stream_records_in_total") << ", changelog records restored "
              << value("leadflow_stream_restored_records_total") << ", last restore "
              << value("leadflow_stream_last_restore_seconds") << " s, aborts "
              << value("leadflow_stream_aborts_total") << ", duplicates dropped "
              << value("leadflow_stream_duplicates_dropped_total") << std::endl;
  }

  // The survivors still run every partition, and nothing was dead-lettered.
  EXPECT_TRUE(testing::WaitUntil(
      [&] { return Spread(pipeline, survivors, app, &seen).has_value(); }, testing::kKafkaDeadline))
      << "the survivors no longer share the partitions; last seen:" << seen;
  for (int i = 0; i < 10 && dlq.records.empty(); ++i) dlq.PollOnce(100);
  EXPECT_TRUE(dlq.records.empty())
      << dlq.records.size()
      << " records on the DLQ, first: " << (dlq.records.empty() ? "" : dlq.records.front().second);
  std::cout << "[scale] test body took " << Millis(Steady::now() - test_started) << " ms"
            << std::endl;
}

}  // namespace
}  // namespace leadflow
