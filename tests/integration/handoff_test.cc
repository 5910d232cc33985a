// leadflow-handoff as a real process on the real broker. An MQL (a LeadQualified on the
// qualification topic, as qualification writes it) is routed and handed off, then answered over
// gRPC, HTTP and the sales-feedback topic all the way to won — and every illegal answer is refused
// (FAILED_PRECONDITION / 409 over the API, a DLQ entry on the topic). The SLA chain escalates,
// reassigns and expires across a kill -9. A burst survives a kill -9 without a duplicate handoff
// for a read_committed subscriber, and a WatchHandoffs client that disconnects and resumes from its
// token misses nothing and sees nothing twice.
#include <grpcpp/grpcpp.h>
#include <httplib.h>
#include <signal.h>

#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "gtest/gtest.h"
#include "leadflow/v1/feedback.pb.h"
#include "leadflow/v1/handoff_service.grpc.pb.h"
#include "leadflow/v1/lead.pb.h"
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
using testing::ServiceProcess;
using testing::TempDir;
using testing::WaitUntil;

struct Topics {
  std::string qualification = testing::UniqueName("qualification");
  std::string feedback = testing::UniqueName("feedback");
  std::string recycle = testing::UniqueName("recycle");
  std::string routing = testing::UniqueName("routing");
  std::string assignments = testing::UniqueName("assignments");
  std::string handoffs = testing::UniqueName("handoffs");
  std::string config = testing::UniqueName("config");
  std::string accounts = testing::UniqueName("accounts");
  std::string dlq = testing::UniqueName("dlq");
  std::string app = testing::UniqueName("handoff");
};

Topics MakeTopics() {
  Topics t;
  EXPECT_TRUE(testing::CreateTopics(
                  {t.qualification, t.feedback, t.recycle, t.routing, t.assignments, t.handoffs}, 4)
                  .ok());
  EXPECT_TRUE(testing::CreateTopics({t.config, t.dlq}, 1).ok());
  EXPECT_TRUE(testing::CreateTopics({t.accounts}, 2).ok());
  return t;
}

struct Files {
  std::string routing = std::string(LEADFLOW_CONFIG_DIR) + "/routing.yaml";
  std::string sla = std::string(LEADFLOW_CONFIG_DIR) + "/sla.yaml";
};

std::string WriteFile(const TempDir& dir, const std::string& name, const std::string& text) {
  const std::string path = dir.Sub(name);
  std::ofstream(path) << text;
  return path;
}

std::vector<std::string> HandoffFlags(const Topics& t, const TempDir& dir, const Files& files) {
  return {"--grpc.port=0",
          "--http.port=0",
          "--data.dir=" + dir.Sub("handoff-data"),
          "--kafka.bootstrap.servers=" + testing::KafkaBootstrap(),
          "--application.id=" + t.app,
          "--topics.qualification=" + t.qualification,
          "--topics.feedback=" + t.feedback,
          "--topics.recycle=" + t.recycle,
          "--topics.routing=" + t.routing,
          "--topics.assignments=" + t.assignments,
          "--topics.handoffs=" + t.handoffs,
          "--topics.config=" + t.config,
          "--topics.accounts=" + t.accounts,
          "--topics.dlq=" + t.dlq,
          "--handoff.routing_file=" + files.routing,
          "--handoff.sla_file=" + files.sla,
          std::string("--handoff.stages_file=") + LEADFLOW_CONFIG_DIR + "/stages.yaml",
          std::string("--handoff.comp_file=") + LEADFLOW_CONFIG_DIR + "/comp.yaml",
          "--kafka.session.timeout.ms=6000",
          "--kafka.heartbeat.interval.ms=1000"};
}

// A LeadQualified as qualification writes it: grade B, a DE company of 250 people.
v1::LeadEvent Mql(const std::string& lead_id, v1::FitGrade grade = v1::FIT_GRADE_B) {
  v1::LeadEvent e;
  v1::EventEnvelope& env = *e.mutable_envelope();
  env.set_event_id("qualified-" + lead_id);
  env.set_lead_id(lead_id);
  env.set_cycle(1);
  env.set_correlation_id("submission:it:" + lead_id);
  env.set_producer_service(v1::SERVICE_NAME_QUALIFICATION);
  const int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  *env.mutable_occurred_at() = events::TimestampFromMillis(now);
  env.mutable_stage_change()->set_from_stage(v1::STAGE_INQUIRY);
  env.mutable_stage_change()->set_to_stage(v1::STAGE_MQL);
  v1::LeadQualified& q = *e.mutable_qualified();
  q.set_basis(v1::MQL_BASIS_SCORE);
  q.mutable_score()->set_fit_grade(grade);
  q.mutable_score()->set_fit_score(70);
  q.mutable_company()->set_country_code("DE");
  q.mutable_company()->set_employee_count(250);
  q.mutable_company()->set_domain("acme.example");
  q.mutable_person()->set_email("jane@acme.example");
  q.mutable_first_touch()->set_channel(v1::CHANNEL_WEBINAR);
  *q.mutable_first_touch()->mutable_touched_at() =
      events::TimestampFromMillis(now - 10LL * 86'400'000);
  return e;
}

void PublishMqls(const Topics& t, const std::vector<std::string>& lead_ids) {
  testing::KeyValues records;
  for (const std::string& id : lead_ids) records.emplace_back(id, Mql(id).SerializeAsString());
  testing::ProduceAll(t.qualification, records);
}

using Handoffs = testing::LeadEventTopic;  // the handoffs topic, read_committed

std::unique_ptr<v1::HandoffService::Stub> Stub(const ServiceProcess& p) {
  return v1::HandoffService::NewStub(
      grpc::CreateChannel(p.grpc_address(), grpc::InsecureChannelCredentials()));
}

template <typename Request, typename Response, typename Call>
grpc::Status Call_(Call call, const Request& request, Response* response) {
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
  return call(&ctx, request, response);
}

v1::AcceptLeadRequest AcceptRequest(const std::string& lead, const std::string& rep,
                                    const std::string& key) {
  v1::AcceptLeadRequest r;
  r.set_lead_id(lead);
  r.set_rep_id(rep);
  r.set_idempotency_key(key);
  r.set_source_system("it-crm");
  return r;
}

// The dead letters on the DLQ topic, by detail.
std::vector<v1::DeadLetter> DeadLetters(testing::Verifier& dlq) {
  std::vector<v1::DeadLetter> out;
  for (const auto& [k, v] : dlq.records) {
    v1::DeadLetter d;
    EXPECT_TRUE(d.ParseFromString(v));
    out.push_back(std::move(d));
  }
  return out;
}

TEST(HandoffTest, MqlToWonOverEveryWayInAndEveryIllegalAnswerRefused) {
  const Topics t = MakeTopics();
  TempDir dir;
  ServiceProcess handoff("handoff", LEADFLOW_HANDOFF_PATH, dir.Sub("handoff.log"));
  ASSERT_NO_FATAL_FAILURE(handoff.Start(HandoffFlags(t, dir, Files{})));
  PublishMqls(t, {"lead-won", "lead-other"});

  Handoffs out(t.handoffs);
  std::optional<v1::LeadEvent> handed = out.WaitForKind("lead-won", "handed_off");
  ASSERT_TRUE(handed.has_value());
  const v1::LeadHandedOff& h = handed->handed_off();
  // The shipped routing: DE and 250 people → emea.mid_market, reps bruno and chloe.
  EXPECT_EQ(h.queue(), "emea-mid-market");
  EXPECT_EQ(h.routing().rule_id(), "emea.mid_market");
  EXPECT_EQ(h.routing().method(), v1::ROUTING_METHOD_RULE);
  const std::string owner = h.owner_rep_id();
  ASSERT_TRUE(owner == "rep-bruno" || owner == "rep-chloe") << owner;
  const std::string other_rep = owner == "rep-bruno" ? "rep-chloe" : "rep-bruno";
  EXPECT_EQ(h.attempt(), 1);
  EXPECT_TRUE(h.has_sla_deadline());
  EXPECT_TRUE(h.comp().marketing_sourced()) << h.comp().marketing_sourced_reason().text();
  EXPECT_EQ(h.person().email(), "jane@acme.example");
  EXPECT_EQ(handed->envelope().causation_id(), "qualified-lead-won");
  ASSERT_TRUE(out.WaitForKind("lead-other", "handed_off").has_value());

  auto stub = Stub(handoff);
  auto accept = [&](const v1::AcceptLeadRequest& r, v1::AcceptLeadResponse* resp) {
    return Call_([&](grpc::ClientContext* c, const v1::AcceptLeadRequest& q,
                     v1::AcceptLeadResponse* p) { return stub->AcceptLead(c, q, p); },
                 r, resp);
  };
  v1::AcceptLeadResponse accepted;
  // Someone else's handoff.
  grpc::Status s = accept(AcceptRequest("lead-won", other_rep, "a-0"), &accepted);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_NE(s.error_message().find("does not own this handoff"), std::string::npos)
      << s.error_message();
  // A missing field.
  s = accept(AcceptRequest("lead-won", owner, ""), &accepted);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(s.error_message(), "idempotency_key: is required");
  // Convert before accept, over HTTP: 409 with the stage model's reason.
  auto convert_early = handoff.http().Post(
      "/v1/handoffs/lead-won/convert",
      R"({"repId":")" + owner + R"(","idempotencyKey":"c-0","criteria":{"need":true}})",
      "application/json");
  ASSERT_TRUE(convert_early);
  EXPECT_EQ(convert_early->status, 409) << convert_early->body;
  EXPECT_NE(convert_early->body.find("not allowed while the lead is MQL"), std::string::npos)
      << convert_early->body;

  // The owner accepts; the retry is a duplicate.
  s = accept(AcceptRequest("lead-won", owner, "a-1"), &accepted);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(accepted.outcome(), v1::FEEDBACK_OUTCOME_APPLIED);
  EXPECT_EQ(accepted.handoff().status(), v1::HANDOFF_STATUS_ACCEPTED);
  s = accept(AcceptRequest("lead-won", owner, "a-1"), &accepted);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(accepted.outcome(), v1::FEEDBACK_OUTCOME_DUPLICATE);

  // Convert over HTTP.
  auto converted =
      handoff.http().Post("/v1/handoffs/lead-won/convert",
                          R"({"repId":")" + owner +
                              R"(","idempotencyKey":"c-1","criteria":{"need":true,"budget":true}})",
                          "application/json");
  ASSERT_TRUE(converted);
  EXPECT_EQ(converted->status, 200) << converted->body;

  // The opportunity opens over gRPC; closing another opportunity id is refused.
  v1::RecordOpportunityRequest open;
  open.set_lead_id("lead-won");
  open.set_rep_id(owner);
  open.set_idempotency_key("o-1");
  open.mutable_opened()->set_opportunity_id("opp-7");
  open.mutable_opened()->mutable_amount()->set_currency_code("EUR");
  open.mutable_opened()->mutable_amount()->set_amount_micros(40'000'000'000);
  open.mutable_opened()->add_product_ids("analytics");
  v1::RecordOpportunityResponse opp;
  auto record = [&](const v1::RecordOpportunityRequest& r, v1::RecordOpportunityResponse* p) {
    return Call_([&](grpc::ClientContext* c, const v1::RecordOpportunityRequest& q,
                     v1::RecordOpportunityResponse* o) { return stub->RecordOpportunity(c, q, o); },
                 r, p);
  };
  s = record(open, &opp);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(opp.handoff().status(), v1::HANDOFF_STATUS_OPPORTUNITY);
  v1::RecordOpportunityRequest close = open;
  close.set_idempotency_key("x-1");
  close.clear_opened();
  close.mutable_closed()->set_opportunity_id("opp-8");
  close.mutable_closed()->set_outcome(v1::OPPORTUNITY_OUTCOME_WON);
  s = record(close, &opp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_NE(s.error_message().find("'opp-8' is not the lead's open opportunity"), std::string::npos)
      << s.error_message();
  close.set_idempotency_key("x-2");
  close.mutable_closed()->set_opportunity_id("opp-7");
  close.mutable_closed()->mutable_amount()->set_amount_micros(38'000'000'000);
  close.mutable_closed()->set_competitor("rival");
  s = record(close, &opp);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(opp.handoff().status(), v1::HANDOFF_STATUS_WON);

  // The sales-feedback topic: an answer that does not fit (accept after won), one for a lead that
  // was never handed off, and bytes that are no SalesFeedback all go to the DLQ with the reason;
  // a valid one (the other lead's rejection) is applied.
  v1::SalesFeedback late;
  late.set_idempotency_key("t-1");
  late.set_source_system("kafka-crm");
  late.set_lead_id("lead-won");
  late.set_rep_id(owner);
  late.mutable_accept();
  v1::SalesFeedback unknown = late;
  unknown.set_lead_id("lead-never");
  v1::SalesFeedback reject = late;
  reject.set_lead_id("lead-other");
  reject.set_idempotency_key("t-2");
  reject.clear_accept();
  reject.mutable_reject()->set_reason_code(v1::REJECTION_REASON_BAD_TIMING);
  reject.mutable_reject()->set_reason_text("next quarter");
  std::optional<v1::LeadEvent> other = out.WaitForKind("lead-other", "handed_off");
  ASSERT_TRUE(other.has_value());
  reject.set_rep_id(other->handed_off().owner_rep_id());
  testing::ProduceAll(t.feedback, {{"lead-won", late.SerializeAsString()},
                                   {"lead-never", unknown.SerializeAsString()},
                                   {"lead-other", "not a protobuf \xff"},
                                   {"lead-other", reject.SerializeAsString()}});
  testing::Verifier dlq(t.dlq);
  ASSERT_TRUE(dlq.WaitFor(3));
  std::map<v1::DeadLetterReason, std::string> reasons;
  for (const v1::DeadLetter& d : DeadLetters(dlq)) {
    EXPECT_EQ(d.source_topic(), t.feedback);
    EXPECT_EQ(d.failing_service(), v1::SERVICE_NAME_HANDOFF);
    reasons[d.reason_code()] = d.detail();
  }
  ASSERT_EQ(reasons.size(), 3u);
  EXPECT_NE(reasons[v1::DEAD_LETTER_REASON_INVALID_TRANSITION].find(
                "accept: not allowed while the lead is WON"),
            std::string::npos)
      << reasons[v1::DEAD_LETTER_REASON_INVALID_TRANSITION];
  EXPECT_EQ(reasons.count(v1::DEAD_LETTER_REASON_UNKNOWN_LEAD), 1u);
  EXPECT_EQ(reasons.count(v1::DEAD_LETTER_REASON_MALFORMED), 1u);
  std::optional<v1::LeadEvent> rejected = out.WaitForKind("lead-other", "rejected");
  ASSERT_TRUE(rejected.has_value());
  EXPECT_EQ(rejected->rejected().reason_code(), v1::REJECTION_REASON_BAD_TIMING);
  EXPECT_EQ(rejected->rejected().reason().text(), "next quarter");

  // The public stream has the whole story once each, in causal order.
  ASSERT_TRUE(out.WaitForKind("lead-won", "opportunity_closed").has_value());
  out.verifier.PollOnce(1000);  // anything doubled would be here by now
  std::vector<std::string> kinds;
  for (const v1::LeadEvent& e : out.For("lead-won")) kinds.push_back(events::EventKind(e));
  EXPECT_EQ(kinds, (std::vector<std::string>{"handed_off", "accepted", "converted",
                                             "opportunity_opened", "opportunity_closed"}));
  std::optional<v1::LeadEvent> won = out.WaitForKind("lead-won", "opportunity_closed");
  EXPECT_EQ(won->envelope().stage_change().to_stage(), v1::STAGE_WON);
  EXPECT_TRUE(won->opportunity_closed().comp().marketing_sourced());
  ASSERT_EQ(won->opportunity_closed().comp().accelerated_product_ids_size(), 1);

  auto got = handoff.http().Get("/v1/handoffs/lead-won");
  ASSERT_TRUE(got);
  EXPECT_EQ(got->status, 200);
  const nlohmann::json j = nlohmann::json::parse(got->body, nullptr, false);
  EXPECT_EQ(j["handoff"].value("status", ""), "HANDOFF_STATUS_WON") << got->body;
  EXPECT_EQ(handoff.http().Get("/v1/handoffs/lead-never")->status, 404);
  EXPECT_EQ(handoff.Stop(SIGTERM), 0);
}

TEST(HandoffTest, SlaEscalatesReassignsAndExpiresAcrossAKill) {
  const Topics t = MakeTopics();
  TempDir dir;
  Files files;
  files.routing = WriteFile(dir, "routing.yaml", R"(
fallback_queue: team
reps:
  - {rep_id: r1, queues: [team], weight: 1, active: true, manager_rep_id: boss}
  - {rep_id: r2, queues: [team], weight: 1, active: true, manager_rep_id: boss}
  - {rep_id: boss, queues: [managers], weight: 1, active: true}
)");
  // Seconds instead of hours: the chain runs within the test.
  files.sla = WriteFile(dir, "sla.yaml", R"(
accept_within: 4s
escalation_chain:
  - {action: notify_manager, grace: 3s}
  - {action: reassign, grace: 3s}
max_reassignments: 1
)");
  ServiceProcess handoff("handoff", LEADFLOW_HANDOFF_PATH, dir.Sub("handoff.log"));
  ASSERT_NO_FATAL_FAILURE(handoff.Start(HandoffFlags(t, dir, files)));
  PublishMqls(t, {"lead-sla"});
  Handoffs out(t.handoffs);
  std::optional<v1::LeadEvent> first = out.WaitForKind("lead-sla", "handed_off");
  ASSERT_TRUE(first.has_value());
  // The deadline's timer is state: a kill -9 right after the handoff does not lose it.
  EXPECT_EQ(handoff.Stop(SIGKILL), 128 + SIGKILL);
  ASSERT_NO_FATAL_FAILURE(handoff.Start(HandoffFlags(t, dir, files)));

  std::optional<v1::LeadEvent> notified = out.WaitForKind("lead-sla", "escalated");
  ASSERT_TRUE(notified.has_value());
  EXPECT_EQ(notified->escalated().level(), 1);
  EXPECT_EQ(notified->escalated().escalated_to(), "boss");
  EXPECT_EQ(notified->escalated().missed_deadline().seconds(),
            first->handed_off().sla_deadline().seconds());
  // And again during the chain.
  EXPECT_EQ(handoff.Stop(SIGKILL), 128 + SIGKILL);
  ASSERT_NO_FATAL_FAILURE(handoff.Start(HandoffFlags(t, dir, files)));

  std::optional<v1::LeadEvent> second = out.WaitForKind("lead-sla", "handed_off", 2);
  ASSERT_TRUE(second.has_value());
  EXPECT_EQ(second->handed_off().attempt(), 2);
  EXPECT_NE(second->handed_off().owner_rep_id(), first->handed_off().owner_rep_id())
      << "a reassignment never goes back to a previous owner";
  std::optional<v1::LeadEvent> reassigned = out.WaitForKind("lead-sla", "reassigned");
  ASSERT_TRUE(reassigned.has_value());
  EXPECT_EQ(reassigned->reassigned().from_rep_id(), first->handed_off().owner_rep_id());
  EXPECT_EQ(reassigned->reassigned().to_rep_id(), second->handed_off().owner_rep_id());

  std::optional<v1::LeadEvent> expired = out.WaitForKind("lead-sla", "rejected");
  ASSERT_TRUE(expired.has_value());
  EXPECT_EQ(expired->rejected().reason_code(), v1::REJECTION_REASON_SLA_EXPIRED);
  out.verifier.PollOnce(2000);
  std::vector<std::string> kinds;
  std::set<std::string> ids;
  for (const v1::LeadEvent& e : out.For("lead-sla")) {
    kinds.push_back(events::EventKind(e));
    EXPECT_TRUE(ids.insert(e.envelope().event_id()).second) << "event twice: " << e.DebugString();
  }
  EXPECT_EQ(kinds, (std::vector<std::string>{"handed_off", "escalated", "escalated", "reassigned",
                                             "handed_off", "rejected"}));
  EXPECT_EQ(handoff.Stop(SIGTERM), 0);
}

// Reads WatchHandoffs until `n` events arrived (or the deadline); returns the events and the last
// resume token.
struct Watched {
  std::vector<v1::LeadEvent> events;
  std::string token;
};
Watched Watch(const ServiceProcess& p, v1::WatchHandoffsRequest request, size_t n) {
  auto stub = Stub(p);
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(120));
  auto reader = stub->WatchHandoffs(&ctx, request);
  Watched out;
  v1::WatchHandoffsResponse response;
  while (out.events.size() < n && reader->Read(&response)) {
    out.events.push_back(response.event());
    out.token = response.resume_token();
  }
  ctx.TryCancel();  // the client goes away mid-stream
  (void)reader->Finish();
  return out;
}

TEST(HandoffTest, BurstSurvivesKillAndWatchResumesWithoutGapsOrRepeats) {
  const Topics t = MakeTopics();
  TempDir dir;
  Files files;
  files.routing = WriteFile(dir, "routing.yaml", R"(
fallback_queue: team
reps:
  - {rep_id: r1, queues: [team], weight: 1, active: true}
  - {rep_id: r2, queues: [team], weight: 2, active: true}
  - {rep_id: r3, queues: [team], weight: 1, active: true, capacity: 10}
)");
  ServiceProcess handoff("handoff", LEADFLOW_HANDOFF_PATH, dir.Sub("handoff.log"));
  ASSERT_NO_FATAL_FAILURE(handoff.Start(HandoffFlags(t, dir, files)));
  const auto started = std::chrono::system_clock::now();
  constexpr int kLeads = 300;
  std::vector<std::string> ids;
  for (int i = 0; i < kLeads; ++i) ids.push_back(StrCat("burst-", i));
  PublishMqls(t, ids);

  Handoffs out(t.handoffs);
  ASSERT_TRUE(WaitUntil([&] { return out.Count("handed_off") >= 40; }, kKafkaDeadline,
                        [&] { out.verifier.PollOnce(50); }));
  EXPECT_EQ(handoff.Stop(SIGKILL), 128 + SIGKILL);  // mid-burst
  ASSERT_NO_FATAL_FAILURE(handoff.Start(HandoffFlags(t, dir, files)));
  ASSERT_TRUE(out.verifier.WaitFor(kLeads, 120));

  // Every lead handed off exactly once; the capacity of r3 held.
  std::map<std::string, int> per_lead;
  std::map<std::string, int> per_rep;
  std::set<std::string> event_ids;
  for (const v1::LeadEvent& e : out.All()) {
    ASSERT_TRUE(e.has_handed_off()) << e.DebugString();
    ++per_lead[e.envelope().lead_id()];
    ++per_rep[e.handed_off().owner_rep_id()];
    EXPECT_TRUE(event_ids.insert(e.envelope().event_id()).second);
  }
  EXPECT_EQ(per_lead.size(), static_cast<size_t>(kLeads));
  for (const auto& [lead, n] : per_lead) EXPECT_EQ(n, 1) << lead;
  EXPECT_EQ(per_rep["r3"], 10) << "r3's capacity is 10 open handoffs";
  // The weights: r2 (2) gets about twice r1 (1) of the rest.
  EXPECT_NEAR(per_rep["r2"], 2 * per_rep["r1"], 4);
  EXPECT_EQ(per_rep[""], 0);

  // A client reads 100, disconnects, resumes from its token: the rest, none twice.
  v1::WatchHandoffsRequest from_start;
  *from_start.mutable_since() = events::TimestampFromMillis(
      std::chrono::duration_cast<std::chrono::milliseconds>(started.time_since_epoch()).count() -
      60'000);
  Watched part1 = Watch(handoff, from_start, 100);
  ASSERT_EQ(part1.events.size(), 100u);
  v1::WatchHandoffsRequest resume;
  resume.set_resume_token(part1.token);
  Watched part2 = Watch(handoff, resume, kLeads - 100);
  ASSERT_EQ(part2.events.size(), static_cast<size_t>(kLeads - 100));
  std::set<std::string> watched;
  for (const Watched* w : {&part1, &part2}) {
    for (const v1::LeadEvent& e : w->events) {
      EXPECT_TRUE(watched.insert(e.envelope().event_id()).second) << "seen twice";
    }
  }
  EXPECT_EQ(watched, event_ids) << "the watch saw exactly what a read_committed subscriber saw";

  // The rep filter: only r3's handoffs.
  v1::WatchHandoffsRequest only_r3 = from_start;
  only_r3.add_rep_ids("r3");
  Watched r3 = Watch(handoff, only_r3, 10);
  ASSERT_EQ(r3.events.size(), 10u);
  for (const v1::LeadEvent& e : r3.events) EXPECT_EQ(e.handed_off().owner_rep_id(), "r3");
  // A token that is not one of this stream's is a clear error.
  v1::WatchHandoffsRequest bad;
  bad.set_resume_token("garbage");
  auto stub = Stub(handoff);
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  auto reader = stub->WatchHandoffs(&ctx, bad);
  v1::WatchHandoffsResponse ignored;
  EXPECT_FALSE(reader->Read(&ignored));
  const grpc::Status s = reader->Finish();
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_NE(s.error_message().find("resume_token"), std::string::npos) << s.error_message();
  EXPECT_EQ(handoff.Stop(SIGTERM), 0);
}

}  // namespace
}  // namespace leadflow
