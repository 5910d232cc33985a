// The whole pipeline as its users meet it: the five services as processes on the real broker
// with the shipped configuration, a generated demo data set (tools/demo) driven through every way
// in — gRPC SubmitLead, gRPC StreamLeads, HTTP webhook, the raw Kafka topic, a CSV import — and a
// sales tool answering every handoff from WatchHandoffs as the data set's plans say.
//   - reporting's funnel, source quality (by channel) and win-loss equal the generator's ground
//     truth exactly;
//   - every handoff reaches the WatchHandoffs subscriber once and a plain read_committed Kafka
//     consumer of the handoffs topic once, for the same leads;
//   - nothing went to the dead-letter topic (every record was valid by construction).
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "gtest/gtest.h"
#include "services/common/base/strings.h"
#include "services/common/events/lead_events.h"
#include "tests/support/kafka_env.h"
#include "tests/support/lead_event_topic.h"
#include "tests/support/pipeline.h"
#include "tests/support/pipeline_demo.h"
#include "tests/support/stream_check.h"
#include "tests/support/temp_dir.h"

namespace leadflow {
namespace {

TEST(PipelineE2ETest, DemoDataThroughEveryWayInMatchesTheGroundTruthAndHandoffsArriveOnce) {
  testing::TempDir dir;
  testing::Pipeline pipeline(dir, testing::BuiltBinaries());
  ASSERT_NO_FATAL_FAILURE(pipeline.Start());
  const testing::PipelineTopics& topics = pipeline.topics();

  testing::PipelineDemo demo(pipeline, 20261127, 400);
  const demo::DemoDataSet& set = demo.set();
  const demo::GroundTruth& truth = demo.truth();
  ASSERT_GT(truth.handoffs, 50);
  ASSERT_GT(truth.winloss.won, 3);
  // Every way in, a sales desk answering every handoff; reporting equals the ground truth.
  ASSERT_NO_FATAL_FAILURE(demo.Run(dir));

  // The independent verifier over every lead topic, as a read_committed consumer sees them: no
  // event twice, no effect before its cause, every lead in exactly the stages the data set implies,
  // and reporting's funnel equal to the one recomputed from the topics.
  testing::PipelineVerifier verifier;
  for (const std::string& topic :
       {topics.leads, topics.qualification, topics.handoffs, topics.recycle}) {
    for (const testing::ReadRecord& r : testing::ReadTopicRecords(topic)) verifier.Add(r);
  }
  EXPECT_EQ(verifier.Malformed(), std::vector<std::string>{});
  EXPECT_EQ(verifier.Duplicates(), std::vector<std::string>{});
  EXPECT_EQ(verifier.CausalityViolations(), std::vector<std::string>{});
  std::map<std::string, std::vector<v1::Stage>> expected;
  for (const demo::DemoLead& lead : set.leads) {
    expected[testing::DemoLeadId(lead)] = demo::EnteredStages(lead);
  }
  EXPECT_EQ(verifier.StageMismatches(expected), std::vector<std::string>{});
  demo::GroundTruth recomputed;
  const std::map<v1::Stage, int64_t> entered = verifier.EnteredCounts();
  for (v1::Stage s : demo::TruthStages()) {
    recomputed.entered[s] = entered.count(s) != 0 ? entered.at(s) : 0;
  }
  absl::StatusOr<demo::Reports> reports = demo::FetchReports(demo.endpoints());
  ASSERT_TRUE(reports.ok()) << reports.status();
  EXPECT_EQ(demo::CompareFunnel(recomputed, reports->funnel), std::vector<std::string>{});

  // Handoffs: once each to the subscriber...
  const std::map<std::string, int> watched = demo.desk()->handoffs_per_lead();
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
