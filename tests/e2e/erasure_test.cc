// Erasure end to end: the five services as processes on the real broker, a demo data set worked
// by a sales desk, then two people erased — one sales worked on (erased by email over gRPC), one
// that never qualified (by lead id over HTTP). Proven:
//   - LeadErased goes down the cascade once per lead topic (intake → qualification → handoff →
//     recycle), with the documented event ids;
//   - reporting's numbers do not move (the rows live on anonymously);
//   - the people's emails leave every changelog topic (read uncommitted, so aborted records count
//     too) within the configured bound, while a person not erased stays;
//   - after a clean stop no file of any service's state (RocksDB tables decoded, every other file
//     raw) and no service log holds them, while the person not erased is still on disk.
// Event topics are not searched: they keep personal data until their retention (docs/security.md).
#include <grpcpp/grpcpp.h>
#include <signal.h>

#include <chrono>
#include <filesystem>
#include <iostream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <httplib.h>
#include "gtest/gtest.h"
#include "leadflow/v1/intake_service.grpc.pb.h"
#include "services/common/base/strings.h"
#include "services/common/events/ids.h"
#include "services/common/events/lead_events.h"
#include "services/common/kafka/admin.h"
#include "tests/support/kafka_env.h"
#include "tests/support/lead_event_topic.h"
#include "tests/support/pipeline.h"
#include "tests/support/pipeline_demo.h"
#include "tests/support/state_files.h"
#include "tests/support/stream_check.h"
#include "tests/support/temp_dir.h"

namespace leadflow {
namespace {

using Clock = std::chrono::system_clock;

// The ways a person's email may be stored: as sent and normalised (lower case).
std::set<std::string> Spellings(const demo::DemoLead& lead) {
  const std::string& email = lead.submission.person().email();
  return {email, AsciiStrToLower(email)};
}

// The changelog topics of this pipeline's stream steps.
std::vector<std::string> Changelogs(const testing::PipelineTopics& topics) {
  std::vector<std::string> out;
  auto admin = kafka::Admin::Create(testing::KafkaProperties());
  EXPECT_TRUE(admin.ok());
  if (!admin.ok()) return out;
  auto info = (*admin)->Describe(testing::kKafkaDeadline);
  EXPECT_TRUE(info.ok());
  if (!info.ok()) return out;
  for (const auto& [name, partitions] : info->topics) {
    if (name.starts_with(topics.app) && name.ends_with(".state.changelog")) out.push_back(name);
  }
  return out;
}

// "topic: key" / "topic: value" for every changelog record that contains one of `needles`.
std::vector<std::string> ChangelogHits(const std::vector<std::string>& changelogs,
                                       const std::set<std::string>& needles) {
  std::vector<std::string> hits;
  for (const std::string& topic : changelogs) {
    for (const auto& [key, value] : testing::ReadWholeTopic(topic, /*uncommitted=*/true)) {
      for (const std::string& needle : needles) {
        if (key.find(needle) != std::string::npos) hits.push_back(topic + ": key");
        if (value.find(needle) != std::string::npos) hits.push_back(topic + ": value");
      }
    }
  }
  return hits;
}

// The files under `places` that hold one of `needles` (testing::FilesContaining).
std::vector<std::string> HitsIn(const std::vector<std::string>& places,
                                const std::set<std::string>& needles) {
  std::vector<std::string> hits;
  for (const std::string& place : places) {
    for (const std::string& needle : needles) {
      for (std::string& hit : testing::FilesContaining(place, needle)) hits.push_back(hit);
    }
  }
  return hits;
}

constexpr const char* kStopOrder[] = {"reporting", "recycle", "handoff", "qualification", "intake"};

// The sum of every sample of metric `name` (any labels, or those containing `labels`) on a
// service's /metrics page; -1 when the page cannot be read.
double MetricSum(testing::ServiceProcess& service, const std::string& name,
                 const std::string& labels = "") {
  httplib::Result page = service.http().Get("/metrics");
  if (!page || page->status != 200) return -1;
  double sum = 0;
  std::istringstream lines(page->body);
  for (std::string line; std::getline(lines, line);) {
    if (!line.starts_with(name) || line.size() <= name.size()) continue;
    const char next = line[name.size()];
    if (next != ' ' && next != '{') continue;
    if (!labels.empty() && line.find(labels) == std::string::npos) continue;
    sum += std::stod(line.substr(line.rfind(' ') + 1));
  }
  return sum;
}

std::string Join(const std::vector<std::string>& lines) {
  std::string out;
  for (const std::string& l : lines) StrAppend(&out, "\n  ", l);
  return out;
}

TEST(ErasureTest, AnErasedPersonLeavesEveryStoreChangelogAndLogWhileReportsKeepTheirCounts) {
  testing::TempDir dir;
  testing::PipelineOptions pipeline_options;
  // The bound on an erased value's life in a changelog (24 h by default), short enough to watch.
  pipeline_options.extra_flags = {"--state.erasure_max_lag=3s"};
  testing::Pipeline pipeline(dir, testing::BuiltBinaries(), pipeline_options);
  ASSERT_NO_FATAL_FAILURE(pipeline.Start());
  const testing::PipelineTopics& topics = pipeline.topics();

  testing::PipelineDemo demo(pipeline, 20261128, 120);
  const demo::DemoDataSet& set = demo.set();
  ASSERT_GT(demo.truth().handoffs, 5);
  ASSERT_NO_FATAL_FAILURE(demo.Run(dir));

  // Two people to erase (one sales worked on, one that never reached sales) and one to keep.
  const std::map<std::string, int> handed = demo.desk()->handoffs_per_lead();
  demo.StopDesk();  // its work is done; the services restart below
  const demo::DemoLead* worked = nullptr;
  const demo::DemoLead* quiet = nullptr;
  const demo::DemoLead* kept = nullptr;
  for (const demo::DemoLead& lead : set.leads) {
    const bool with_sales = handed.count(testing::DemoLeadId(lead)) != 0;
    if (with_sales && worked == nullptr) {
      worked = &lead;
    } else if (with_sales && kept == nullptr) {
      kept = &lead;
    } else if (!with_sales && quiet == nullptr) {
      quiet = &lead;
    }
  }
  ASSERT_TRUE(worked != nullptr && quiet != nullptr && kept != nullptr);
  const std::string worked_id = testing::DemoLeadId(*worked);
  const std::string quiet_id = testing::DemoLeadId(*quiet);
  std::set<std::string> erased_emails = Spellings(*worked);
  erased_emails.merge(Spellings(*quiet));
  const std::set<std::string> kept_emails = Spellings(*kept);

  // Before: the search of the changelogs sees them all.
  const std::vector<std::string> changelogs = Changelogs(topics);
  ASSERT_GE(changelogs.size(), 5u) << Join(changelogs);
  for (const demo::DemoLead* lead : {worked, quiet, kept}) {
    EXPECT_FALSE(ChangelogHits(changelogs, Spellings(*lead)).empty())
        << lead->submission.person().email();
  }
  // A clean stop flushes every store to its table files, where a long-running service keeps most
  // of its state (a value that never left the memtable is dropped with its delete at the flush, and
  // would prove nothing). The search of the files sees the people there; then all start again.
  for (const char* service : kStopOrder) {
    ASSERT_EQ(pipeline.instance(service, 0).Stop(SIGTERM), 0) << service;
  }
  for (const demo::DemoLead* lead : {worked, quiet, kept}) {
    EXPECT_FALSE(HitsIn({dir.Sub("intake-data")}, Spellings(*lead)).empty())
        << lead->submission.person().email();
  }
  EXPECT_FALSE(HitsIn({dir.Sub("handoff-data")}, Spellings(*worked)).empty());
  for (const char* service : {"intake", "qualification", "handoff", "recycle", "reporting"}) {
    ASSERT_NO_FATAL_FAILURE(pipeline.instance(service, 0).Start(pipeline.Flags(service)));
  }
  demo.Refresh();

  // Erased: by email over gRPC, by lead id over HTTP.
  auto intake = v1::IntakeService::NewStub(pipeline.intake().channel());
  testing::LeadEventTopic recycled(topics.recycle);  // subscribed before the requests
  recycled.verifier.PollOnce(1000);
  const auto requested = std::chrono::steady_clock::now();
  auto since_request = [&] {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() -
                                                                 requested)
        .count();
  };
  v1::EraseLeadRequest by_email;
  by_email.set_request_id("PRIV-W");
  by_email.set_email(AsciiStrToUpper(worked->submission.person().email()));
  v1::EraseLeadResponse response;
  grpc::ClientContext ctx;
  ctx.set_deadline(Clock::now() + std::chrono::seconds(30));
  const grpc::Status erased = intake->EraseLead(&ctx, by_email, &response);
  ASSERT_TRUE(erased.ok()) << erased.error_message();
  EXPECT_EQ(response.lead_id(), worked_id);
  auto http = pipeline.intake().http().Post(
      "/v1/erasures", StrCat(R"({"requestId":"PRIV-Q","leadId":")", quiet_id, R"("})"),
      "application/json");
  ASSERT_TRUE(http);
  ASSERT_EQ(http->status, 202) << http->body;

  // The cascade: one LeadErased per lead topic, recycle's (the last) once all have erased.
  const std::map<std::string, std::string> requests = {{worked_id, "PRIV-W"}, {quiet_id, "PRIV-Q"}};
  for (const auto& [lead_id, request_id] : requests) {
    ASSERT_TRUE(recycled.WaitForKind(lead_id, "erased").has_value()) << lead_id;
  }
  std::cout << "[erasure] cascade through every service in " << since_request() << " ms"
            << std::endl;
  for (const std::string& topic :
       {topics.recycle, topics.leads, topics.qualification, topics.handoffs}) {
    testing::LeadEventTopic events(topic);
    for (const auto& [lead_id, request_id] : requests) {
      const std::optional<v1::LeadEvent> e = events.WaitForKind(lead_id, "erased");
      ASSERT_TRUE(e.has_value()) << topic << " " << lead_id;
      EXPECT_EQ(e->envelope().event_id(),
                events::EventId(StrCat("erase:", request_id), "erased", std::string_view(topic)));
      EXPECT_EQ(e->erased().request_id(), request_id);
    }
    events.verifier.PollOnce(1000);  // a second copy would be here by now
    for (const auto& [lead_id, request_id] : requests) {
      int copies = 0;
      for (const v1::LeadEvent& e : events.For(lead_id)) copies += e.has_erased() ? 1 : 0;
      EXPECT_EQ(copies, 1) << topic << " " << lead_id;
    }
  }
  // The people are gone from the APIs...
  v1::GetLeadRequest get;
  get.set_lead_id(worked_id);
  v1::GetLeadResponse lead;
  grpc::ClientContext get_ctx;
  EXPECT_EQ(intake->GetLead(&get_ctx, get, &lead).error_code(), grpc::StatusCode::NOT_FOUND);
  // ... while every report still counts them (anonymously).
  const absl::Status same = demo.AwaitTruth(std::chrono::minutes(2));
  EXPECT_TRUE(same.ok()) << same;

  // The changelogs: the erased values are compacted away (roll after 3 s, then the cleaner's
  // pass); the person not erased stays.
  std::vector<std::string> left;
  const bool compacted = testing::WaitUntil(
      [&] {
        left = ChangelogHits(changelogs, erased_emails);
        return left.empty();
      },
      std::chrono::minutes(4));
  EXPECT_TRUE(compacted) << "still in the changelogs:" << Join(left);
  std::cout << "[erasure] gone from the changelogs " << since_request() << " ms after the request"
            << std::endl;
  EXPECT_FALSE(ChangelogHits(changelogs, kept_emails).empty());

  // The running services' files: the stores were compacted after the erasure (not only at a
  // close), so no table file holds the people any more.
  std::vector<std::string> data_dirs;
  for (const char* service : kStopOrder) data_dirs.push_back(dir.Sub(StrCat(service, "-data")));
  std::vector<std::string> running_hits;
  EXPECT_TRUE(testing::WaitUntil(
      [&] {
        running_hits = HitsIn(data_dirs, erased_emails);
        return running_hits.empty();
      },
      std::chrono::minutes(1)))
      << Join(running_hits);
  for (const char* service : kStopOrder) {
    EXPECT_GT(MetricSum(pipeline.instance(service, 0), "leadflow_stream_erasure_compactions_total"),
              0)
        << service;
  }
  // Reporting has read all four copies of both erasures (its marker of each is gone with them).
  EXPECT_TRUE(testing::WaitUntil(
      [&] {
        return MetricSum(pipeline.reporting(), "leadflow_erasure_copies_total", "copy=\"later\"") >=
               6;
      },
      testing::kKafkaDeadline));

  // A clean stop of every service, then every file they left: state and logs.
  for (const char* service : kStopOrder) {
    EXPECT_EQ(pipeline.instance(service, 0).Stop(SIGTERM), 0) << service;
  }
  std::vector<std::string> places;
  for (const auto& entry : std::filesystem::directory_iterator(dir.path())) {
    const std::string name = entry.path().filename().string();
    if ((entry.is_directory() && name.ends_with("-data")) ||
        (entry.is_regular_file() && entry.path().extension() == ".log")) {
      places.push_back(entry.path().string());
    }
  }
  ASSERT_EQ(places.size(), 10u) << "five data dirs and five logs:" << Join(places);
  EXPECT_EQ(HitsIn(places, erased_emails), std::vector<std::string>{});
  EXPECT_FALSE(HitsIn({dir.Sub("intake-data")}, kept_emails).empty())
      << "the search finds a person who was not erased";
  // Reporting keeps anonymous counts: no entry of its stores (its tasks' and its replica's) names
  // the erased leads any more. (Entries only: RocksDB's MANIFEST may still name a deleted table
  // file's first or last key until the store is next opened.)
  std::vector<std::string> named;
  for (const std::string& hit : HitsIn({dir.Sub("reporting-data")}, {worked_id, quiet_id})) {
    if (hit.find("(decoded") != std::string::npos) named.push_back(hit);
  }
  EXPECT_EQ(named, std::vector<std::string>{});
  const std::string kept_id = testing::DemoLeadId(*kept);
  EXPECT_FALSE(HitsIn({dir.Sub("reporting-data")}, {kept_id}).empty()) << "the search finds ids";
}

}  // namespace
}  // namespace leadflow
