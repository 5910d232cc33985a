// The whole pipeline as its users meet it: the five services as processes on the real broker
// with the shipped configuration, a generated demo data set (tools/demo) driven through every way
// in — gRPC SubmitLead, gRPC StreamLeads, HTTP webhook, the raw Kafka topic, a CSV import — and a
// sales tool answering every handoff from WatchHandoffs as the data set's plans say.
//   - reporting's funnel, source quality (by channel) and win-loss equal the generator's ground
//     truth exactly;
//   - every handoff reaches the WatchHandoffs subscriber once and a plain read_committed Kafka
//     consumer of the handoffs topic once, for the same leads;
//   - nothing went to the dead-letter topic (every record was valid by construction).
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <set>
#include <sstream>

#include "gtest/gtest.h"
#include "services/common/base/strings.h"
#include "services/common/events/lead_events.h"
#include "services/handoff/routing.h"
#include "tests/support/kafka_env.h"
#include "tests/support/lead_event_topic.h"
#include "tests/support/pipeline.h"
#include "tests/support/stream_check.h"
#include "tests/support/temp_dir.h"
#include "tools/demo/driver.h"
#include "tools/demo/generator.h"
#include "tools/demo/truth.h"

namespace leadflow {
namespace {

using Clock = std::chrono::system_clock;

TEST(PipelineE2ETest, DemoDataThroughEveryWayInMatchesTheGroundTruthAndHandoffsArriveOnce) {
  testing::TempDir dir;
  testing::Pipeline pipeline(dir, testing::BuiltBinaries());
  ASSERT_NO_FATAL_FAILURE(pipeline.Start());
  const testing::PipelineTopics& topics = pipeline.topics();

  demo::DemoOptions options;
  options.seed = 20261127;
  options.leads = 400;
  options.now_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now().time_since_epoch())
          .count();
  const demo::DemoDataSet set = demo::Generate(options);
  const demo::GroundTruth truth = demo::ComputeTruth(set);
  ASSERT_GT(truth.handoffs, 50);
  ASSERT_GT(truth.winloss.won, 3);

  demo::Endpoints endpoints;
  endpoints.intake_grpc = pipeline.intake().grpc_address();
  endpoints.intake_http = "127.0.0.1:" + std::to_string(pipeline.intake().http_port());
  endpoints.handoff_grpc = pipeline.handoff().grpc_address();
  endpoints.reporting_grpc = pipeline.reporting().grpc_address();
  endpoints.bootstrap = testing::KafkaBootstrap();
  endpoints.raw_topic = topics.raw;
  auto log = [](const std::string& line) { std::cout << "[demo] " << line << std::endl; };

  absl::StatusOr<v1::RoutingConfig> routing =
      handoff::LoadRoutingFile(std::string(LEADFLOW_CONFIG_DIR) + "/routing.yaml");
  ASSERT_TRUE(routing.ok()) << routing.status();
  demo::SalesDesk desk(set, endpoints, *routing, log);
  ASSERT_TRUE(desk.Start(Clock::now() - std::chrono::minutes(1)).ok());

  absl::StatusOr<demo::FeedResult> fed = demo::FeedLeads(set, endpoints, dir.Sub(""), log);
  ASSERT_TRUE(fed.ok()) << fed.status();
  EXPECT_EQ(fed->duplicates, 0);

  const absl::Status answered = desk.AwaitDone(truth.handoffs, std::chrono::minutes(5));
  ASSERT_TRUE(answered.ok()) << answered;
  EXPECT_TRUE(desk.errors().empty()) << desk.errors().front();

  // Reporting converges on the truth (it folds the same events the desk caused).
  const absl::Status equal = demo::AwaitTruth(truth, endpoints, std::chrono::minutes(5), log);
  EXPECT_TRUE(equal.ok()) << equal;

  // Handoffs: once each to the subscriber...
  const std::map<std::string, int> watched = desk.handoffs_per_lead();
  EXPECT_EQ(static_cast<int64_t>(watched.size()), truth.handoffs);
  for (const auto& [lead, n] : watched) EXPECT_EQ(n, 1) << lead;
  // ... and once each to a plain read_committed consumer, for the same leads.
  testing::LeadEventTopic handoffs(topics.handoffs);
  ASSERT_TRUE(testing::WaitUntil(
      [&] { return static_cast<int64_t>(handoffs.Count("handed_off")) >= truth.handoffs; },
      testing::kKafkaDeadline, [&] { handoffs.verifier.PollOnce(200); }))
      << handoffs.Count("handed_off") << " of " << truth.handoffs;
  handoffs.verifier.PollOnce(2000);  // anything more (a duplicate) would be here by now
  std::map<std::string, int> consumed;
  for (const v1::LeadEvent& e : handoffs.All()) {
    if (e.has_handed_off()) ++consumed[e.envelope().lead_id()];
  }
  EXPECT_EQ(consumed, watched);

  // Nothing was dead-lettered.
  testing::Verifier dlq(topics.dlq);
  dlq.PollOnce(2000);
  EXPECT_TRUE(dlq.records.empty())
      << dlq.records.size()
      << " records on the DLQ, first: " << (dlq.records.empty() ? "" : dlq.records.front().second);

  // No personal data in what operators collect: none of the data set's emails (as sent and
  // lower-cased), full names or phone numbers (as sent and as digits; the data set has none today)
  // appears in any service's log of this run or on any service's /metrics page.
  std::set<std::string> personal;
  for (const demo::DemoLead& lead : set.leads) {
    const v1::Person& person = lead.submission.person();
    personal.insert(person.email());
    personal.insert(AsciiStrToLower(person.email()));
    if (!person.first_name().empty() && !person.last_name().empty()) {
      personal.insert(StrCat(person.first_name(), " ", person.last_name()));
    }
    if (!person.phone().empty()) {
      personal.insert(person.phone());
      std::string digits;
      for (char c : person.phone()) {
        if (c >= '0' && c <= '9') digits += c;
      }
      if (digits.size() >= 7) personal.insert(digits);
    }
  }
  personal.erase("");
  ASSERT_GE(personal.size(), set.leads.size()) << "at least each lead's email";
  std::map<std::string, std::string> collected;  // where -> text
  for (const auto& entry : std::filesystem::directory_iterator(dir.path())) {
    if (entry.path().extension() != ".log") continue;
    std::ifstream in(entry.path());
    std::stringstream text;
    text << in.rdbuf();
    collected[entry.path().filename().string()] = text.str();
  }
  ASSERT_EQ(collected.size(), 5u) << "the five service logs";
  for (testing::ServiceProcess* service :
       {&pipeline.intake(), &pipeline.qualification(), &pipeline.handoff(), &pipeline.recycle(),
        &pipeline.reporting()}) {
    httplib::Result metrics = service->http().Get("/metrics");
    ASSERT_TRUE(metrics && metrics->status == 200);
    collected[StrCat(service->name(), " /metrics")] = metrics->body;
  }
  for (const auto& [where, text] : collected) {
    for (const std::string& value : personal) {
      EXPECT_EQ(text.find(value), std::string::npos) << where << " contains " << value;
    }
  }
}

}  // namespace
}  // namespace leadflow
