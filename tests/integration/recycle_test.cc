// leadflow-recycle as a real process on the real broker.
//  1. The whole loop with intake, qualification, handoff and recycle as processes: a lead becomes
//     an MQL, is handed off, rejected as "not now", recycled into a track, re-engages with a demo
//     request, is released into cycle 2, qualifies again and is handed off again in cycle 2; a
//     second rejection reaches the recycle limit and archives it. Ops release/recycle over HTTP.
//  2. Nurture timers fire once across a kill -9 and a rebalance to a second instance: every
//     recycled lead is archived when its maximum stay ends, exactly once, none lost.
#include <grpcpp/grpcpp.h>
#include <httplib.h>
#include <signal.h>

#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "gtest/gtest.h"
#include "leadflow/v1/handoff_service.grpc.pb.h"
#include "leadflow/v1/lead.pb.h"
#include "leadflow/v1/recycle_service.grpc.pb.h"
#include "services/common/base/strings.h"
#include "services/common/events/lead_events.h"
#include "tests/support/kafka_env.h"
#include "tests/support/lead_event_topic.h"
#include "tests/support/service_process.h"
#include "tests/support/stream_check.h"
#include "tests/support/temp_dir.h"

namespace leadflow {
namespace {

using testing::kKafkaDeadline;
using testing::LeadEventTopic;
using testing::ServiceProcess;
using testing::TempDir;
using testing::WaitUntil;

struct Topics {
  std::string raw = testing::UniqueName("raw");
  std::string admitted = testing::UniqueName("admitted");
  std::string leads = testing::UniqueName("leads");
  std::string qcommands = testing::UniqueName("qcommands");
  std::string qualification = testing::UniqueName("qualification");
  std::string feedback = testing::UniqueName("feedback");
  std::string routing = testing::UniqueName("routing");
  std::string assignments = testing::UniqueName("assignments");
  std::string handoffs = testing::UniqueName("handoffs");
  std::string rcommands = testing::UniqueName("rcommands");
  std::string recycle = testing::UniqueName("recycle");
  std::string config = testing::UniqueName("config");
  std::string accounts = testing::UniqueName("accounts");
  std::string dlq = testing::UniqueName("dlq");
  std::string app = testing::UniqueName("app");
};

Topics MakeTopics() {
  Topics t;
  EXPECT_TRUE(
      testing::CreateTopics({t.raw, t.admitted, t.leads, t.qcommands, t.qualification, t.feedback,
                             t.routing, t.assignments, t.handoffs, t.rcommands, t.recycle},
                            4)
          .ok());
  EXPECT_TRUE(testing::CreateTopics({t.config, t.dlq}, 1).ok());
  EXPECT_TRUE(testing::CreateTopics({t.accounts}, 2).ok());
  return t;
}

std::string WriteFile(const TempDir& dir, const std::string& name, const std::string& text) {
  const std::string path = dir.Sub(name);
  testing::WriteFile(path, text);
  return path;
}

// The flags every service takes; `name` names its consumer groups, `data` its data directory.
std::vector<std::string> Common(const Topics& t, const TempDir& dir, const std::string& name,
                                const std::string& data = "") {
  return {"--grpc.port=0",
          "--http.port=0",
          "--data.dir=" + dir.Sub((data.empty() ? name : data) + "-data"),
          "--kafka.bootstrap.servers=" + testing::KafkaBootstrap(),
          "--application.id=" + t.app + "-" + name,
          "--topics.dlq=" + t.dlq,
          "--kafka.session.timeout.ms=6000",
          "--kafka.heartbeat.interval.ms=1000"};
}

std::vector<std::string> With(std::vector<std::string> a, const std::vector<std::string>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

std::vector<std::string> RecycleFlags(const Topics& t, const TempDir& dir,
                                      const std::string& nurture_file,
                                      const std::string& instance = "0") {
  return With(Common(t, dir, "recycle", "recycle-" + instance),
              {"--instance.id=" + instance, "--topics.config=" + t.config,
               "--topics.leads=" + t.leads, "--topics.qualification=" + t.qualification,
               "--topics.handoffs=" + t.handoffs, "--topics.commands=" + t.rcommands,
               "--topics.recycle=" + t.recycle, "--recycle.nurture_file=" + nurture_file,
               std::string("--recycle.stages_file=") + LEADFLOW_CONFIG_DIR + "/stages.yaml"});
}

const char* kNurture = R"(
recycle_limit: 1
default_track_id: general
archive_rejection_reasons: [not_a_buyer]
tracks:
  - {track_id: not-now, name: Not now, recycle_reasons: [rejected], rejection_reasons: [bad_timing],
     recheck_interval: 30d, release: {release_on: [demo_request]}}
  - {track_id: general, name: General, recycle_reasons: [rejected, lost, not_ready, manual],
     recheck_interval: 30d, release: {min_engagement_score: 60}}
)";

nlohmann::json Json(const httplib::Result& r) {
  return r ? nlohmann::json::parse(r->body, nullptr, false) : nlohmann::json();
}

TEST(RecycleTest, RejectedLeadComesBackInCycleTwoAndTheLimitArchives) {
  const Topics t = MakeTopics();
  TempDir dir;
  const std::string nurture = WriteFile(dir, "nurture.yaml", kNurture);
  ServiceProcess intake("intake", LEADFLOW_INTAKE_PATH, dir.Sub("intake.log"));
  ASSERT_NO_FATAL_FAILURE(
      intake.Start(With(Common(t, dir, "intake"),
                        {"--topics.raw=" + t.raw, "--topics.admitted=" + t.admitted,
                         "--topics.leads=" + t.leads, "--intake.lead_id_secret=test-secret"})));
  ServiceProcess qualification("qualification", LEADFLOW_QUALIFICATION_PATH,
                               dir.Sub("qualification.log"));
  ASSERT_NO_FATAL_FAILURE(qualification.Start(
      With(Common(t, dir, "qualification"),
           {"--topics.config=" + t.config, "--topics.leads=" + t.leads,
            "--topics.recycle=" + t.recycle, "--topics.commands=" + t.qcommands,
            "--topics.qualification=" + t.qualification, "--topics.accounts=" + t.accounts,
            std::string("--qualification.icp_file=") + LEADFLOW_CONFIG_DIR + "/icp.yaml",
            std::string("--qualification.stages_file=") + LEADFLOW_CONFIG_DIR + "/stages.yaml",
            "--qualification.nurture_file=" + nurture})));
  ServiceProcess handoff("handoff", LEADFLOW_HANDOFF_PATH, dir.Sub("handoff.log"));
  ASSERT_NO_FATAL_FAILURE(handoff.Start(
      With(Common(t, dir, "handoff"),
           {"--topics.config=" + t.config, "--topics.qualification=" + t.qualification,
            "--topics.feedback=" + t.feedback, "--topics.recycle=" + t.recycle,
            "--topics.routing=" + t.routing, "--topics.assignments=" + t.assignments,
            "--topics.handoffs=" + t.handoffs, "--topics.accounts=" + t.accounts,
            std::string("--handoff.routing_file=") + LEADFLOW_CONFIG_DIR + "/routing.yaml",
            std::string("--handoff.sla_file=") + LEADFLOW_CONFIG_DIR + "/sla.yaml",
            std::string("--handoff.stages_file=") + LEADFLOW_CONFIG_DIR + "/stages.yaml",
            std::string("--handoff.comp_file=") + LEADFLOW_CONFIG_DIR + "/comp.yaml"})));
  ServiceProcess recycle("recycle", LEADFLOW_RECYCLE_PATH, dir.Sub("recycle.log"));
  ASSERT_NO_FATAL_FAILURE(recycle.Start(RecycleFlags(t, dir, nurture)));

  // A grade-A person asks for a demo: an MQL, handed off.
  auto submit = [&](const std::string& key) {
    auto r = intake.http().Post("/v1/leads",
                                R"({"idempotencyKey":")" + key + R"(","sourceSystem":"webform",
            "person":{"email":"jane@acme-corp.example","seniority":"vp","department":"marketing"},
            "company":{"domain":"acme-corp.example","employeeCount":300,"industry":"software",
                       "countryCode":"DE"},
            "source":{"channel":"CHANNEL_WEBINAR"},
            "engagement":{"type":"ENGAGEMENT_TYPE_DEMO_REQUEST"}})",
                                "application/json");
    EXPECT_TRUE(r && r->status == 202) << (r ? r->body : "no answer");
    return Json(r).value("leadId", "");
  };
  const std::string lead = submit("s-1");
  ASSERT_FALSE(lead.empty());
  LeadEventTopic handoffs(t.handoffs);
  LeadEventTopic recycled(t.recycle);
  LeadEventTopic scores(t.qualification);
  std::optional<v1::LeadEvent> first = handoffs.WaitForKind(lead, "handed_off");
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(first->envelope().cycle(), 1);
  const std::string owner = first->handed_off().owner_rep_id();

  // Sales: not now.
  auto reject = [&](const std::string& key) {
    return handoff.http().Post(
        "/v1/handoffs/" + lead + "/reject",
        R"({"repId":")" + owner + R"(","idempotencyKey":")" + key +
            R"(","reasonCode":"REJECTION_REASON_BAD_TIMING","reasonText":"budget in Q3"})",
        "application/json");
  };
  auto rejected = reject("r-1");
  ASSERT_TRUE(rejected && rejected->status == 200) << (rejected ? rejected->body : "");
  std::optional<v1::LeadEvent> back = recycled.WaitForKind(lead, "recycled");
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->recycled().nurture_track_id(), "not-now");
  EXPECT_EQ(back->recycled().rejection_reason(), v1::REJECTION_REASON_BAD_TIMING);
  EXPECT_EQ(back->recycled().reason().text(), "budget in Q3");
  EXPECT_EQ(back->recycled().rep_id(), owner);
  EXPECT_EQ(back->recycled().person().email(), "jane@acme-corp.example");
  EXPECT_EQ(back->envelope().cycle(), 1);
  // The API reads the committed state, applied just after the transaction that wrote the event.
  nlohmann::json status;
  EXPECT_TRUE(WaitUntil(
      [&] {
        status = Json(recycle.http().Get("/v1/nurture/" + lead));
        return status["status"].value("stage", "") == "STAGE_NURTURE";
      },
      kKafkaDeadline))
      << status.dump();
  EXPECT_EQ(status["status"].value("nurtureTrackId", ""), "not-now");
  auto listed = Json(recycle.http().Get("/v1/recycled?track=not-now&reason=rejected"));
  ASSERT_EQ(listed["leads"].size(), 1u) << listed.dump();
  EXPECT_EQ(listed["leads"][0].value("leadId", ""), lead);

  // Qualification has the lead in nurture; then the person asks for a demo again: released.
  ASSERT_TRUE(scores
                  .WaitFor(lead,
                           [](const v1::LeadEvent& e) {
                             return e.has_scored() &&
                                    e.scored().trigger() == v1::SCORE_TRIGGER_RECYCLED;
                           })
                  .has_value());
  submit("s-2");
  std::optional<v1::LeadEvent> released = recycled.WaitForKind(lead, "nurture_released");
  ASSERT_TRUE(released.has_value());
  EXPECT_EQ(released->nurture_released().trigger(), v1::RELEASE_TRIGGER_RE_ENGAGEMENT);
  EXPECT_EQ(released->envelope().cycle(), 2);
  std::optional<v1::LeadEvent> requalified = scores.WaitFor(
      lead, [](const v1::LeadEvent& e) { return e.has_qualified() && e.envelope().cycle() == 2; });
  ASSERT_TRUE(requalified.has_value());
  std::optional<v1::LeadEvent> second = handoffs.WaitForKind(lead, "handed_off", 2);
  ASSERT_TRUE(second.has_value());
  EXPECT_EQ(second->envelope().cycle(), 2);
  EXPECT_EQ(second->handed_off().attempt(), 1) << "a new cycle is a new handoff";

  // Rejected again: the limit (1) archives it.
  const std::string owner2 = second->handed_off().owner_rep_id();
  auto again = handoff.http().Post(
      "/v1/handoffs/" + lead + "/reject",
      R"({"repId":")" + owner2 +
          R"(","idempotencyKey":"r-2","reasonCode":"REJECTION_REASON_BAD_TIMING"})",
      "application/json");
  ASSERT_TRUE(again && again->status == 200) << (again ? again->body : "");
  std::optional<v1::LeadEvent> archived = recycled.WaitForKind(lead, "archived");
  ASSERT_TRUE(archived.has_value());
  EXPECT_EQ(archived->archived().reason_code(), v1::ARCHIVE_REASON_RECYCLE_LIMIT);
  EXPECT_EQ(archived->envelope().cycle(), 2);

  // Ops: releasing an archived lead is refused with the reason; an unknown lead is 404.
  auto refused = recycle.http().Post("/v1/nurture/" + lead + "/release",
                                     R"({"requestId":"ops-1","reason":"try"})", "application/json");
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 409) << refused->body;
  EXPECT_NE(refused->body.find("not in nurture"), std::string::npos) << refused->body;
  EXPECT_EQ(recycle.http().Get("/v1/nurture/no-such-lead")->status, 404);

  // The recycle topic has the story once each.
  recycled.verifier.PollOnce(1000);
  std::vector<std::string> kinds;
  for (const v1::LeadEvent& e : recycled.For(lead)) kinds.push_back(events::EventKind(e));
  EXPECT_EQ(kinds, (std::vector<std::string>{"recycled", "nurture_released", "archived"}));
  for (ServiceProcess* p : {&recycle, &handoff, &qualification, &intake}) {
    EXPECT_EQ(p->Stop(SIGTERM), 0);
  }
}

// LeadRejected events as handoff writes them, straight onto the handoffs topic.
void PublishRejections(const Topics& t, int n) {
  testing::KeyValues records;
  for (int i = 0; i < n; ++i) {
    v1::LeadEvent e;
    const std::string id = StrCat("nurture-", i);
    e.mutable_envelope()->set_event_id("rejected-" + id);
    e.mutable_envelope()->set_lead_id(id);
    e.mutable_envelope()->set_cycle(1);
    e.mutable_rejected()->set_reason_code(v1::REJECTION_REASON_NO_NEED);
    records.emplace_back(id, e.SerializeAsString());
  }
  testing::ProduceAll(t.handoffs, records);
}

TEST(RecycleTest, NurtureTimersFireOnceAcrossKillAndRebalance) {
  const Topics t = MakeTopics();
  TempDir dir;
  // Seconds instead of days: every lead's stay ends within the test.
  const std::string nurture = WriteFile(dir, "nurture.yaml", R"(
recycle_limit: 3
default_track_id: short
tracks:
  - {track_id: short, name: Short, recycle_reasons: [rejected], recheck_interval: 3s,
     max_duration: 30s, release: {min_engagement_score: 90}}
)");
  ServiceProcess first("recycle", LEADFLOW_RECYCLE_PATH, dir.Sub("recycle-0.log"));
  ASSERT_NO_FATAL_FAILURE(first.Start(RecycleFlags(t, dir, nurture, "0")));
  constexpr int kLeads = 40;
  PublishRejections(t, kLeads);
  LeadEventTopic out(t.recycle);
  ASSERT_TRUE(WaitUntil([&] { return out.Count("recycled") == kLeads; }, kKafkaDeadline,
                        [&] { out.verifier.PollOnce(100); }));
  // Mid-stay: kill -9, restart, and a second instance joins (a rebalance moves partitions and
  // their timers to it).
  EXPECT_EQ(first.Stop(SIGKILL), 128 + SIGKILL);
  ASSERT_NO_FATAL_FAILURE(first.Start(RecycleFlags(t, dir, nurture, "0")));
  ServiceProcess second("recycle", LEADFLOW_RECYCLE_PATH, dir.Sub("recycle-1.log"));
  ASSERT_NO_FATAL_FAILURE(second.Start(RecycleFlags(t, dir, nurture, "1")));

  ASSERT_TRUE(WaitUntil([&] { return out.Count("archived") >= kLeads; }, kKafkaDeadline,
                        [&] { out.verifier.PollOnce(100); }));
  // The second instance took partitions (it is ready only once it runs tasks) and fired their
  // timers: the rebalance moved timers, it did not just happen to come after them.
  auto metrics = second.http().Get("/metrics");
  ASSERT_TRUE(metrics && metrics->status == 200);
  const std::string fired =
      "leadflow_stream_timers_fired_total{app=\"" + t.app + "-recycle-nurture\"} ";
  const size_t at = metrics->body.find(fired);
  ASSERT_NE(at, std::string::npos) << metrics->body.substr(0, 2000);
  EXPECT_GT(std::stod(metrics->body.substr(at + fired.size())), 0);
  out.verifier.PollOnce(3000);  // a timer that fired twice would show up by now
  std::map<std::string, std::vector<std::string>> per_lead;
  std::set<std::string> ids;
  for (const v1::LeadEvent& e : out.All()) {
    per_lead[e.envelope().lead_id()].push_back(events::EventKind(e));
    EXPECT_TRUE(ids.insert(e.envelope().event_id()).second) << "event twice: " << e.DebugString();
    if (e.has_archived()) {
      EXPECT_EQ(e.archived().reason_code(), v1::ARCHIVE_REASON_NURTURE_EXPIRED);
    }
  }
  ASSERT_EQ(per_lead.size(), static_cast<size_t>(kLeads)) << "no recycled lead lost";
  for (const auto& [lead, kinds] : per_lead) {
    EXPECT_EQ(kinds, (std::vector<std::string>{"recycled", "archived"})) << lead;
  }
  EXPECT_EQ(second.Stop(SIGTERM), 0);
  EXPECT_EQ(first.Stop(SIGTERM), 0);
}

}  // namespace
}  // namespace leadflow
