// leadflow-intake as a real process on the real broker: every way in ends in one lead per person,
// retries emit nothing new, bad raw records reach the DLQ with their reason, and a kill -9 during a
// stream of submissions loses no acknowledged lead and duplicates none.
#include <grpcpp/grpcpp.h>
#include <httplib.h>
#include <signal.h>

#include <atomic>
#include <fstream>
#include <map>
#include <mutex>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

#include "gmock/gmock.h"
#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "gtest/gtest.h"
#include "leadflow/v1/feedback.pb.h"
#include "leadflow/v1/intake_service.grpc.pb.h"
#include "services/common/base/strings.h"
#include "services/common/events/ids.h"
#include "services/common/kafka/producer.h"
#include "tests/support/child_process.h"
#include "tests/support/kafka_env.h"
#include "tests/support/service_process.h"
#include "tests/support/stream_check.h"
#include "tests/support/temp_dir.h"

namespace leadflow {
namespace {

using testing::ChildProcess;
using ::testing::HasSubstr;
using testing::kKafkaDeadline;
using testing::TempDir;
using testing::WaitUntil;

struct IntakeTopics {
  std::string raw = testing::UniqueName("raw");
  std::string admitted = testing::UniqueName("admitted");
  std::string leads = testing::UniqueName("leads");
  std::string dlq = testing::UniqueName("dlq");
  std::string app = testing::UniqueName("intake");
};

// One leadflow-intake process with its own topics and state, and clients for its APIs.
class Intake {
 public:
  Intake(const IntakeTopics& t, const TempDir& dir)
      : topics_(t), dir_(dir), process_("intake", LEADFLOW_INTAKE_PATH, dir.Sub("intake.log")) {}

  void Start(const std::vector<std::string>& extra = {}) {
    std::vector<std::string> flags = {
        "--grpc.port=0", "--http.port=0", "--data.dir=" + dir_.Sub("data"),
        "--kafka.bootstrap.servers=" + testing::KafkaBootstrap(), "--topics.raw=" + topics_.raw,
        "--topics.admitted=" + topics_.admitted, "--topics.leads=" + topics_.leads,
        "--topics.dlq=" + topics_.dlq, "--intake.lead_id_secret=test-secret",
        "--intake.ack_timeout=5s", "--application.id=" + topics_.app,
        // A killed member is noticed after the session timeout; keep it short.
        "--kafka.session.timeout.ms=6000", "--kafka.heartbeat.interval.ms=1000"};
    flags.insert(flags.end(), extra.begin(), extra.end());
    ASSERT_NO_FATAL_FAILURE(process_.Start(flags));
    std::lock_guard<std::mutex> lock(mu_);
    stub_ = v1::IntakeService::NewStub(
        grpc::CreateChannel(process_.grpc_address(), grpc::InsecureChannelCredentials()));
  }

  int Stop(int signal) { return process_.Stop(signal); }
  std::string grpc_address() const { return process_.grpc_address(); }

  // Safe from a client thread while the main thread restarts the process.
  grpc::Status Submit(const v1::LeadSubmission& s, v1::SubmitLeadResponse* response) {
    std::shared_ptr<v1::IntakeService::Stub> stub;
    {
      std::lock_guard<std::mutex> lock(mu_);
      stub = stub_;
    }
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    v1::SubmitLeadRequest request;
    *request.mutable_submission() = s;
    return stub->SubmitLead(&ctx, request, response);
  }

  grpc::Status GetLead(const std::string& lead_id, v1::Lead* lead) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    v1::GetLeadRequest request;
    request.set_lead_id(lead_id);
    v1::GetLeadResponse response;
    grpc::Status s = stub_->GetLead(&ctx, request, &response);
    *lead = response.lead();
    return s;
  }

  httplib::Client& http() { return process_.http(); }
  v1::IntakeService::Stub& stub() {
    std::lock_guard<std::mutex> lock(mu_);
    return *stub_;
  }

 private:
  IntakeTopics topics_;
  const TempDir& dir_;
  testing::ServiceProcess process_;
  std::mutex mu_;
  std::shared_ptr<v1::IntakeService::Stub> stub_;
};

IntakeTopics MakeTopics() {
  IntakeTopics t;
  EXPECT_TRUE(testing::CreateTopics({t.raw, t.admitted, t.leads}, 4).ok());
  EXPECT_TRUE(testing::CreateTopics({t.dlq}, 1).ok());
  return t;
}

v1::LeadSubmission Submission(const std::string& key, const std::string& system,
                              const std::string& email) {
  v1::LeadSubmission s;
  s.set_idempotency_key(key);
  s.set_source_system(system);
  s.mutable_person()->set_email(email);
  return s;
}

// The lead events on the leads topic, parsed, in topic order per key.
struct LeadEvents {
  explicit LeadEvents(const std::string& topic) : verifier(topic) {}
  std::vector<v1::LeadEvent> For(const std::string& lead_id) {
    std::vector<v1::LeadEvent> out;
    for (const auto& [k, v] : verifier.records) {
      if (k != lead_id) continue;
      v1::LeadEvent e;
      EXPECT_TRUE(e.ParseFromString(v));
      out.push_back(e);
    }
    return out;
  }
  bool WaitForLead(const std::string& lead_id, size_t n) {
    return WaitUntil([&] { return For(lead_id).size() >= n; }, kKafkaDeadline,
                     [&] { verifier.PollOnce(100); });
  }
  testing::Verifier verifier;
};

std::string Kinds(const std::vector<v1::LeadEvent>& events) {
  std::string out;
  for (const auto& e : events) {
    out += e.has_captured()              ? "captured "
           : e.has_updated()             ? "updated "
           : e.has_engagement_recorded() ? "engagement "
                                         : "other ";
  }
  return out;
}

TEST(IntakeTest, TheSamePersonThroughEveryWayInIsOneLead) {
  const IntakeTopics t = MakeTopics();
  TempDir dir;
  Intake intake(t, dir);
  ASSERT_NO_FATAL_FAILURE(intake.Start());
  LeadEvents events(t.leads);

  // gRPC.
  v1::LeadSubmission first = Submission("g-1", "crm-sync", "Pat.Lee@Example-Corp.com");
  first.mutable_person()->set_first_name("Pat");
  v1::SubmitLeadResponse response;
  ASSERT_TRUE(intake.Submit(first, &response).ok());
  ASSERT_EQ(response.result().outcome(), v1::SUBMISSION_OUTCOME_ACCEPTED);
  const std::string lead_id = response.result().lead_id();
  ASSERT_FALSE(lead_id.empty());
  ASSERT_TRUE(events.WaitForLead(lead_id, 1));

  // HTTP, the shape a webhook sends.
  auto http = intake.http().Post(
      "/v1/leads",
      R"({"idempotencyKey":"h-1","sourceSystem":"webhook","person":{"email":"  pat.lee@EXAMPLE-corp.com ","jobTitle":"CTO"},
          "engagement":{"type":"ENGAGEMENT_TYPE_WEBINAR_ATTENDED"}})",
      "application/json");
  ASSERT_TRUE(http);
  ASSERT_EQ(http->status, 202) << http->body;
  EXPECT_NE(http->body.find(lead_id), std::string::npos) << http->body;

  // The raw topic (any key).
  v1::LeadSubmission raw = Submission("r-1", "marketo", "PAT.LEE@example-corp.com");
  raw.mutable_company()->set_name("Example Corp");
  // An engagement makes a repeat that slipped past dedup visible (a second engagement_recorded).
  raw.mutable_engagement()->set_type(v1::ENGAGEMENT_TYPE_CONTENT_DOWNLOAD);
  testing::ProduceAll(t.raw, {{"whatever-key", raw.SerializeAsString()}});

  ASSERT_TRUE(events.WaitForLead(lead_id, 5)) << Kinds(events.For(lead_id));
  EXPECT_EQ(Kinds(events.For(lead_id)), "captured updated engagement updated engagement ");
  v1::Lead lead;
  ASSERT_TRUE(WaitUntil(
      [&] {
        return intake.GetLead(lead_id, &lead).ok() && lead.company().name() == "Example Corp";
      },
      kKafkaDeadline));
  EXPECT_EQ(lead.person().first_name(), "Pat");
  EXPECT_EQ(lead.person().job_title(), "CTO");
  EXPECT_EQ(lead.email_normalized(), "pat.lee@example-corp.com");
  EXPECT_EQ(lead.engagement_count(), 2);

  // Retries: the API answers with the first result and writes nothing; a repeated raw record is
  // dropped by identity. A last, real change proves the retries' turn has passed.
  ASSERT_TRUE(intake.Submit(first, &response).ok());
  EXPECT_EQ(response.result().outcome(), v1::SUBMISSION_OUTCOME_DUPLICATE);
  EXPECT_EQ(response.result().lead_id(), lead_id);
  testing::ProduceAll(t.raw, {{"whatever-key", raw.SerializeAsString()}});
  v1::LeadSubmission last = Submission("g-2", "crm-sync", "pat.lee@example-corp.com");
  last.mutable_person()->set_last_name("Lee");
  // Same raw key as the repeat, so the same raw partition: admission and identity handle the
  // repeat before it, and anything the repeat caused is on the topic before this update.
  testing::ProduceAll(t.raw, {{"whatever-key", last.SerializeAsString()}});
  ASSERT_TRUE(events.WaitForLead(lead_id, 6));
  EXPECT_EQ(Kinds(events.For(lead_id)), "captured updated engagement updated engagement updated ");
  std::set<std::string> ids;
  for (const auto& e : events.For(lead_id)) EXPECT_TRUE(ids.insert(e.envelope().event_id()).second);
  EXPECT_EQ(intake.Stop(SIGTERM), 0);
}

TEST(IntakeTest, EngagementsBatchesAndValidateOnly) {
  const IntakeTopics t = MakeTopics();
  TempDir dir;
  Intake intake(t, dir);
  ASSERT_NO_FATAL_FAILURE(intake.Start());
  LeadEvents events(t.leads);

  // validate_only answers with the verdict and the lead id, and writes nothing.
  v1::SubmitLeadsRequest check;
  check.set_validate_only(true);
  *check.add_submissions() = Submission("v-1", "crm", "Val.Only@example.org");
  *check.add_submissions() = Submission("v-2", "crm", "not-an-email");
  v1::SubmitLeadsResponse checked;
  {
    grpc::ClientContext ctx;
    ASSERT_TRUE(intake.stub().SubmitLeads(&ctx, check, &checked).ok());
  }
  ASSERT_EQ(checked.results_size(), 2);
  EXPECT_EQ(checked.results(0).outcome(), v1::SUBMISSION_OUTCOME_ACCEPTED);
  EXPECT_EQ(checked.results(1).outcome(), v1::SUBMISSION_OUTCOME_INVALID);
  EXPECT_EQ(checked.results(1).violations(0).field(), "person.email");
  const std::string validated_lead = checked.results(0).lead_id();

  // An HTTP batch: one result per submission, invalid ones do not fail the batch.
  auto http = intake.http().Post(
      "/v1/leads",
      R"({"submissions":[{"idempotencyKey":"hb-1","sourceSystem":"webhook","person":{"email":"kim@example.org"}},
                         {"idempotencyKey":"hb-2","sourceSystem":"webhook","person":{"email":"kim@@example.org"}}]})",
      "application/json");
  ASSERT_TRUE(http);
  ASSERT_EQ(http->status, 200) << http->body;
  EXPECT_NE(http->body.find("SUBMISSION_OUTCOME_ACCEPTED"), std::string::npos) << http->body;
  EXPECT_NE(http->body.find("SUBMISSION_OUTCOME_INVALID"), std::string::npos) << http->body;

  // RecordEngagement for a person intake has never seen: captured with the engagement.
  v1::RecordEngagementRequest engage;
  engage.set_idempotency_key("e-1");
  engage.set_source_system("marketo");
  engage.set_email("new.person@example.org");
  engage.mutable_engagement()->set_type(v1::ENGAGEMENT_TYPE_PRICING_REQUEST);
  v1::RecordEngagementResponse engaged;
  {
    grpc::ClientContext ctx;
    ASSERT_TRUE(intake.stub().RecordEngagement(&ctx, engage, &engaged).ok());
  }
  const std::string engaged_lead = engaged.result().lead_id();
  // And over HTTP, an unsubscribe of the same person.
  http = intake.http().Post(
      "/v1/engagements",
      R"({"idempotencyKey":"e-2","sourceSystem":"marketo","email":"NEW.PERSON@example.org",
          "engagement":{"type":"ENGAGEMENT_TYPE_UNSUBSCRIBE"}})",
      "application/json");
  ASSERT_TRUE(http);
  EXPECT_EQ(http->status, 202) << http->body;
  ASSERT_TRUE(events.WaitForLead(engaged_lead, 3)) << Kinds(events.For(engaged_lead));
  const std::vector<v1::LeadEvent> e = events.For(engaged_lead);
  EXPECT_EQ(Kinds(e), "captured engagement engagement ");
  EXPECT_TRUE(e[1].engagement_recorded().hand_raiser());
  EXPECT_EQ(e[2].engagement_recorded().engagement().type(), v1::ENGAGEMENT_TYPE_UNSUBSCRIBE);
  EXPECT_EQ(e[2].engagement_recorded().engagement_count(), 2);

  // Nothing was written for the validated-only submission: submitting the same person for real
  // now captures the lead with this submission's key.
  v1::SubmitLeadResponse real;
  ASSERT_TRUE(intake.Submit(Submission("v-3", "crm", "val.only@example.org"), &real).ok());
  EXPECT_EQ(real.result().lead_id(), validated_lead);
  ASSERT_TRUE(events.WaitForLead(validated_lead, 1));
  const std::vector<v1::LeadEvent> first = events.For(validated_lead);
  ASSERT_TRUE(first[0].has_captured()) << Kinds(first);
  EXPECT_EQ(first[0].captured().idempotency_key(), "v-3");
  EXPECT_EQ(intake.Stop(SIGTERM), 0);
}

TEST(IntakeTest, ACallerOverItsRateIsRefusedWithWhenToRetryAndAStreamIsSlowedNotRefused) {
  const IntakeTopics t = MakeTopics();
  TempDir dir;
  Intake intake(t, dir);
  ASSERT_NO_FATAL_FAILURE(intake.Start({"--intake.rate_limit=2", "--intake.rate_burst=5"}));

  // The burst passes at once...
  v1::SubmitLeadsRequest five;
  five.set_validate_only(true);
  for (int i = 0; i < 5; ++i)
    *five.add_submissions() = Submission(StrCat("q-", i), "crm", "q@x.example");
  v1::SubmitLeadsResponse answered;
  {
    grpc::ClientContext ctx;
    ASSERT_TRUE(intake.stub().SubmitLeads(&ctx, five, &answered).ok());
  }
  // ... and the next call is refused, saying what the limit is and when to retry.
  v1::SubmitLeadResponse response;
  grpc::Status refused = intake.Submit(Submission("q-6", "crm", "q@x.example"), &response);
  EXPECT_EQ(refused.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_THAT(refused.error_message(),
              HasSubstr("rate limit: caller 'anonymous' may send 2 submissions/s (bursts of 5); "
                        "retry in "));
  auto http = intake.http().Post("/v1/leads", R"({"idempotencyKey":"q-7","sourceSystem":"crm",
      "person":{"email":"q@x.example"}})",
                                 "application/json");
  ASSERT_TRUE(http);
  EXPECT_EQ(http->status, 429);
  EXPECT_THAT(http->body, HasSubstr("rate limit"));
  // A batch larger than the burst could never pass: it says so.
  v1::SubmitLeadsRequest six = five;
  *six.add_submissions() = Submission("q-8", "crm", "q@x.example");
  {
    grpc::ClientContext ctx;
    grpc::Status s = intake.stub().SubmitLeads(&ctx, six, &answered);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
    EXPECT_THAT(s.error_message(), HasSubstr("more than the burst of 5"));
  }

  // A stream over the rate is paced, not refused: 8 submissions at 2/s take at least ~3 s more
  // (the bucket is empty now), and every one is accepted.
  const auto started = std::chrono::steady_clock::now();
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(120));
  v1::StreamLeadsResponse streamed;
  auto writer = intake.stub().StreamLeads(&ctx, &streamed);
  for (int i = 0; i < 8; ++i) {
    v1::StreamLeadsRequest m;
    *m.mutable_submission() = Submission(StrCat("s-", i), "crm", StrCat("s", i, "@x.example"));
    ASSERT_TRUE(writer->Write(m));
  }
  writer->WritesDone();
  ASSERT_TRUE(writer->Finish().ok());
  EXPECT_EQ(streamed.accepted(), 8);
  EXPECT_GE(std::chrono::steady_clock::now() - started, std::chrono::milliseconds(3000));
  auto metrics = intake.http().Get("/metrics");
  ASSERT_TRUE(metrics);
  EXPECT_THAT(metrics->body, HasSubstr("leadflow_intake_rate_limited_total{ingress=\"http\"} 1"));
}

TEST(IntakeTest, BadInputIsRejectedPreciselyAndRawRecordsGoToTheDlqWithTheirReason) {
  const IntakeTopics t = MakeTopics();
  TempDir dir;
  Intake intake(t, dir);
  ASSERT_NO_FATAL_FAILURE(intake.Start());

  v1::SubmitLeadResponse response;
  grpc::Status s = intake.Submit(Submission("x-1", "crm", "no-at-sign"), &response);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(s.error_message(), "person.email: has no '@'");
  // The same, typed, for clients that read the standard error details.
  google::rpc::Status rpc_status;
  ASSERT_TRUE(rpc_status.ParseFromString(s.error_details()));
  EXPECT_EQ(rpc_status.code(), grpc::StatusCode::INVALID_ARGUMENT);
  ASSERT_EQ(rpc_status.details_size(), 1);
  google::rpc::BadRequest bad_request;
  ASSERT_TRUE(rpc_status.details(0).UnpackTo(&bad_request));
  ASSERT_EQ(bad_request.field_violations_size(), 1);
  EXPECT_EQ(bad_request.field_violations(0).field(), "person.email");
  EXPECT_EQ(bad_request.field_violations(0).description(), "has no '@'");
  auto http = intake.http().Post("/v1/leads",
                                 R"({"idempotencyKey":"x-2","person":{"email":"a@example.com"}})",
                                 "application/json");
  ASSERT_TRUE(http);
  EXPECT_EQ(http->status, 400);
  EXPECT_NE(http->body.find(R"("field":"source_system")"), std::string::npos) << http->body;
  // Batch limit: 1,000 per call.
  {
    grpc::ClientContext ctx;
    v1::SubmitLeadsRequest batch;
    for (int i = 0; i < 1001; ++i)
      *batch.add_submissions() = Submission(StrCat("b-", i), "crm", "b@example.com");
    v1::SubmitLeadsResponse batch_response;
    grpc::Status b = intake.stub().SubmitLeads(&ctx, batch, &batch_response);
    EXPECT_EQ(b.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_EQ(b.error_message(), "submissions: 1001 in one call; the limit is 1000");
  }
  http = intake.http().Post("/v1/leads", "{not json", "application/json");
  ASSERT_TRUE(http);
  EXPECT_EQ(http->status, 400);

  v1::LeadSubmission invalid = Submission("r-2", "marketo", "two@@ats.example");
  testing::ProduceAll(t.raw, {{"a", "\x08\x96\x01garbage that is not a submission"},
                              {"b", invalid.SerializeAsString()}});
  testing::Verifier dlq(t.dlq);
  ASSERT_TRUE(dlq.WaitFor(2));
  std::map<int, std::string> details;  // reason -> detail
  for (const auto& [k, v] : dlq.records) {
    v1::DeadLetter d;
    ASSERT_TRUE(d.ParseFromString(v));
    EXPECT_EQ(d.source_topic(), t.raw);
    details[d.reason_code()] = d.detail();
    EXPECT_EQ(d.failing_service(), v1::SERVICE_NAME_INTAKE);
  }
  EXPECT_NE(details[v1::DEAD_LETTER_REASON_MALFORMED].find("LeadSubmission"), std::string::npos);
  EXPECT_EQ(details[v1::DEAD_LETTER_REASON_INVALID], "person.email: has more than one '@'");
  EXPECT_EQ(intake.Stop(SIGTERM), 0);
}

grpc::Status Erase(Intake& intake, const v1::EraseLeadRequest& request,
                   v1::EraseLeadResponse* response) {
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  return intake.stub().EraseLead(&ctx, request, response);
}

// The field names of an INVALID_ARGUMENT's google.rpc.BadRequest details.
std::vector<std::string> ViolatedFields(const grpc::Status& s) {
  std::vector<std::string> out;
  google::rpc::Status rpc_status;
  google::rpc::BadRequest bad_request;
  if (!rpc_status.ParseFromString(s.error_details()) || rpc_status.details_size() != 1 ||
      !rpc_status.details(0).UnpackTo(&bad_request)) {
    return out;
  }
  for (const auto& v : bad_request.field_violations()) out.push_back(v.field());
  return out;
}

TEST(IntakeTest, EraseLeadErasesThePersonOnceAndALaterSubmissionStartsFresh) {
  const IntakeTopics t = MakeTopics();
  TempDir dir;
  Intake intake(t, dir);
  ASSERT_NO_FATAL_FAILURE(intake.Start());
  LeadEvents events(t.leads);

  // Bad requests name their fields, over gRPC and HTTP.
  v1::EraseLeadResponse response;
  grpc::Status bad = Erase(intake, v1::EraseLeadRequest(), &response);
  EXPECT_EQ(bad.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(ViolatedFields(bad), (std::vector<std::string>{"request_id", "subject"}));
  v1::EraseLeadRequest bad_id;
  bad_id.set_request_id("PRIV-0");
  bad_id.set_lead_id("not-a-lead-id");
  bad = Erase(intake, bad_id, &response);
  EXPECT_EQ(ViolatedFields(bad), std::vector<std::string>{"lead_id"});
  v1::EraseLeadRequest bad_email;
  bad_email.set_request_id("PRIV-0\x07");
  bad_email.set_email("no-at-sign");
  bad = Erase(intake, bad_email, &response);
  EXPECT_EQ(ViolatedFields(bad), (std::vector<std::string>{"request_id", "email"}));
  auto http =
      intake.http().Post("/v1/erasures", R"({"email":"a@example.com"})", "application/json");
  ASSERT_TRUE(http);
  EXPECT_EQ(http->status, 400);
  EXPECT_NE(http->body.find(R"("field":"request_id")"), std::string::npos) << http->body;

  // A person with a submission and an activity.
  v1::SubmitLeadResponse submitted;
  ASSERT_TRUE(intake.Submit(Submission("form-1", "web", "Erin.Doe@Example.org"), &submitted).ok());
  const std::string lead_id = submitted.result().lead_id();
  v1::LeadSubmission activity = Submission("act-1", "web", "erin.doe@example.org");
  activity.mutable_engagement()->set_type(v1::ENGAGEMENT_TYPE_WEBINAR_ATTENDED);
  ASSERT_TRUE(intake.Submit(activity, &submitted).ok());
  ASSERT_TRUE(events.WaitForLead(lead_id, 2));  // captured, engagement

  // Erased by email (any spelling of it).
  v1::EraseLeadRequest request;
  request.set_request_id("PRIV-1");
  request.set_email("  ERIN.DOE@example.ORG ");
  ASSERT_TRUE(Erase(intake, request, &response).ok());
  EXPECT_EQ(response.lead_id(), lead_id);
  EXPECT_EQ(response.request_id(), "PRIV-1");
  EXPECT_EQ(response.event_id(),
            events::EventId("erase:PRIV-1", "erased", std::string_view(t.leads)));
  ASSERT_TRUE(events.WaitForLead(lead_id, 3));
  const v1::LeadEvent erased = events.For(lead_id).back();
  ASSERT_TRUE(erased.has_erased());
  EXPECT_EQ(erased.envelope().event_id(), response.event_id());
  EXPECT_EQ(erased.envelope().causation_id(), "erase:PRIV-1");
  EXPECT_EQ(erased.envelope().producer_service(), v1::SERVICE_NAME_INTAKE);
  EXPECT_EQ(erased.envelope().stage_change().to_stage(), v1::STAGE_ERASED);
  EXPECT_EQ(erased.erased().request_id(), "PRIV-1");
  EXPECT_EQ(erased.erased().requested_by(), "anonymous");  // plaintext, no tokens in this test
  EXPECT_TRUE(erased.erased().has_requested_at());
  v1::Lead lead;
  EXPECT_EQ(intake.GetLead(lead_id, &lead).error_code(), grpc::StatusCode::NOT_FOUND);

  // Retried through HTTP by lead id: the same answer, nothing written. And a copy of the request
  // that reached identity twice (a retry racing the first) changes nothing either.
  http = intake.http().Post("/v1/erasures",
                            StrCat(R"({"requestId":"PRIV-1","leadId":")", lead_id, R"("})"),
                            "application/json");
  ASSERT_TRUE(http);
  EXPECT_EQ(http->status, 202) << http->body;
  EXPECT_NE(http->body.find(response.event_id()), std::string::npos) << http->body;
  v1::LeadEvent again = erased;
  again.mutable_envelope()->set_event_id(
      events::EventId("erase:PRIV-1", "erased", std::string_view(t.admitted)));
  testing::ProduceAll(t.admitted, {{lead_id, again.SerializeAsString()}});

  // The person comes back under the key of their first submission: its key went with them, so
  // this is a new capture (cycle 1), not a duplicate. It follows the repeated request on the
  // lead's partition, so when it is there, anything the repeat caused would be too.
  ASSERT_TRUE(intake.Submit(Submission("form-1", "web", "erin.doe@example.org"), &submitted).ok());
  EXPECT_EQ(submitted.result().outcome(), v1::SUBMISSION_OUTCOME_ACCEPTED);
  ASSERT_TRUE(events.WaitForLead(lead_id, 4));
  EXPECT_EQ(Kinds(events.For(lead_id)), "captured engagement other captured ");
  // On the admitted topic: the request, the copy this test wrote — and nothing from the HTTP retry
  // (the API answered it from identity's state).
  LeadEvents admitted(t.admitted);
  ASSERT_TRUE(admitted.WaitForLead(lead_id, 5));  // 3 submissions, 2 erase requests
  int requests = 0;
  for (const v1::LeadEvent& e : admitted.For(lead_id)) requests += e.has_erased() ? 1 : 0;
  EXPECT_EQ(requests, 2);
  ASSERT_TRUE(WaitUntil([&] { return intake.GetLead(lead_id, &lead).ok(); }, kKafkaDeadline));
  EXPECT_EQ(lead.engagement_count(), 0) << "nothing of the erased history";
  EXPECT_EQ(intake.Stop(SIGTERM), 0);
}

TEST(IntakeTest, WithSuppressionAnErasedPersonsLaterSubmissionIsDeadLetteredWithoutItsData) {
  const IntakeTopics t = MakeTopics();
  TempDir dir;
  Intake intake(t, dir);
  ASSERT_NO_FATAL_FAILURE(intake.Start({"--intake.suppress_erased=true"}));
  LeadEvents events(t.leads);
  v1::SubmitLeadResponse submitted;
  ASSERT_TRUE(intake.Submit(Submission("s-1", "web", "sam.roe@example.org"), &submitted).ok());
  const std::string lead_id = submitted.result().lead_id();
  ASSERT_TRUE(events.WaitForLead(lead_id, 1));
  v1::EraseLeadRequest request;
  request.set_request_id("PRIV-2");
  request.set_lead_id(lead_id);
  v1::EraseLeadResponse response;
  ASSERT_TRUE(Erase(intake, request, &response).ok());
  ASSERT_TRUE(events.WaitForLead(lead_id, 2));

  v1::LeadSubmission back = Submission("s-2", "web", "sam.roe@example.org");
  back.mutable_person()->set_first_name("Sam");
  ASSERT_TRUE(intake.Submit(back, &submitted).ok());  // admitted: identity decides
  testing::Verifier dlq(t.dlq);
  ASSERT_TRUE(dlq.WaitFor(1));
  ASSERT_EQ(dlq.records.size(), 1u);
  v1::DeadLetter d;
  ASSERT_TRUE(d.ParseFromString(dlq.records[0].second));
  EXPECT_EQ(d.reason_code(), v1::DEAD_LETTER_REASON_ERASED_LEAD);
  EXPECT_EQ(d.detail(),
            "the person was erased by request 'PRIV-2' and intake.suppress_erased refuses their "
            "submissions");
  EXPECT_EQ(d.original_key(), lead_id);
  EXPECT_TRUE(d.original_value().empty()) << "no personal data of an erased person on the DLQ";
  EXPECT_EQ(dlq.records[0].second.find("sam.roe"), std::string::npos);
  // Dead-lettered in the same transaction as anything identity would have emitted for it.
  events.verifier.PollOnce(500);
  EXPECT_EQ(Kinds(events.For(lead_id)), "captured other ");
  EXPECT_EQ(intake.Stop(SIGTERM), 0);
}

TEST(IntakeTest, KillDuringAStreamOfSubmissionsLosesNoAcknowledgedLeadAndDuplicatesNone) {
  constexpr int kLeads = 1500;
  const IntakeTopics t = MakeTopics();
  TempDir dir;
  Intake intake(t, dir);
  ASSERT_NO_FATAL_FAILURE(intake.Start());
  // A client submits one person after another; a call that fails is retried with the same key
  // (what the API asks of its clients) until it is acknowledged.
  std::mutex mu;
  std::map<std::string, int> acknowledged;  // lead id -> submission index
  std::atomic<int> acked{0};
  std::atomic<int> retries{0};
  std::string client_error;
  std::thread client([&] {
    for (int next = 0; next < kLeads;) {
      v1::LeadSubmission s =
          Submission(StrCat("k-", next), "load", StrCat("person", next, "@load.example"));
      v1::SubmitLeadResponse response;
      grpc::Status status = intake.Submit(s, &response);
      if (status.ok()) {
        std::lock_guard<std::mutex> lock(mu);
        acknowledged[response.result().lead_id()] = next;
        acked.store(++next);
      } else if (status.error_code() == grpc::StatusCode::UNAVAILABLE ||
                 status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED) {
        ++retries;
      } else {
        std::lock_guard<std::mutex> lock(mu);
        client_error = status.error_message();
        return;
      }
    }
  });
  // kill -9 while the client is mid-stream, then restart on the same state and topics.
  ASSERT_TRUE(WaitUntil([&] { return acked.load() >= kLeads / 3; }, std::chrono::seconds(300)));
  EXPECT_EQ(intake.Stop(SIGKILL), 128 + SIGKILL);
  ASSERT_NO_FATAL_FAILURE(intake.Start());
  ASSERT_TRUE(WaitUntil([&] { return acked.load() >= kLeads || !client_error.empty(); },
                        std::chrono::seconds(600)));
  client.join();
  ASSERT_EQ(client_error, "");
  std::printf("[   INFO   ] %d submissions acknowledged, %d calls retried around the kill\n",
              acked.load(), retries.load());
  ASSERT_EQ(acknowledged.size(), static_cast<size_t>(kLeads));
  LeadEvents events(t.leads);
  ASSERT_TRUE(events.verifier.WaitFor(kLeads))
      << events.verifier.records.size() << " of " << kLeads;
  std::map<std::string, int> captured;
  std::set<std::string> event_ids;
  for (const auto& [key, value] : events.verifier.records) {
    v1::LeadEvent e;
    ASSERT_TRUE(e.ParseFromString(value));
    EXPECT_TRUE(event_ids.insert(e.envelope().event_id()).second)
        << "event twice: " << e.envelope().event_id();
    if (e.has_captured()) ++captured[key];
  }
  for (const auto& [lead_id, index] : acknowledged) {
    EXPECT_EQ(captured[lead_id], 1) << "submission " << index;
  }
  EXPECT_EQ(captured.size(), acknowledged.size());
  EXPECT_EQ(intake.Stop(SIGTERM), 0);
}

TEST(IntakeTest, CsvImportOfTenThousandRowsCapturesTheGoodAndReportsTheBad) {
  constexpr int kRows = 10'000;
  const IntakeTopics t = MakeTopics();
  TempDir dir;
  Intake intake(t, dir);
  ASSERT_NO_FATAL_FAILURE(intake.Start());

  // Every 20th row is bad (5%), in three ways: caught by the CLI (employees), by admission (email
  // syntax), or missing the email altogether.
  std::ostringstream csv;
  csv << "Email,First Name,Last Name,Company,Employees,Title\n";
  int bad = 0;
  for (int i = 0; i < kRows; ++i) {
    std::string email = StrCat("badge", i, "@expo", i % 50, ".example");
    std::string employees = std::to_string(10 + i % 900);
    if (i % 20 == 7) {
      ++bad;
      switch (bad % 3) {
        case 0:
          employees = "lots";
          break;
        case 1:
          email = StrCat("badge", i, "@@expo.example");
          break;
        default:
          email = "";
          break;
      }
    }
    csv << email << ",Ann,\"Lee, Jr.\",Expo " << i % 50 << "," << employees << ",Director of IT\n";
  }
  const std::string file = dir.Sub("badges.csv");
  testing::WriteFile(file, csv.str());

  auto import = [&] {
    ChildProcess cli({LEADFLOWCTL_PATH, "import", file, "--intake", intake.grpc_address(),
                      "--source-system", "expo-2026", "--no-progress"},
                     dir.Sub("import.log"));
    return cli.Wait(600);
  };
  EXPECT_EQ(import(), 3) << "exit code 3: done, some rows rejected";
  std::ifstream log(dir.Sub("import.log"));
  std::stringstream log_text;
  log_text << log.rdbuf();
  EXPECT_NE(log_text.str().find("10000 rows — 9500 accepted, 0 duplicates, 500 rejected"),
            std::string::npos)
      << log_text.str();

  std::ifstream rejected(file + ".rejected.csv");
  std::string line;
  std::getline(rejected, line);
  EXPECT_EQ(line, "Email,First Name,Last Name,Company,Employees,Title,line,reason");
  int rejected_rows = 0;
  std::map<std::string, int> reasons;
  while (std::getline(rejected, line)) {
    ++rejected_rows;
    reasons[line.substr(line.rfind(',') + 1)]++;
  }
  EXPECT_EQ(rejected_rows, 500);
  EXPECT_EQ(reasons["company.employee_count: not a whole number"], 166);
  EXPECT_EQ(reasons["person.email: has more than one '@'"], 167);
  EXPECT_EQ(reasons["person.email: is required"], 167);

  LeadEvents events(t.leads);
  ASSERT_TRUE(events.verifier.WaitFor(kRows - 500)) << events.verifier.records.size();
  std::set<std::string> captured;
  for (const auto& [key, value] : events.verifier.records) {
    v1::LeadEvent e;
    ASSERT_TRUE(e.ParseFromString(value));
    EXPECT_TRUE(e.has_captured());
    EXPECT_TRUE(captured.insert(key).second) << "captured twice: " << key;
  }
  EXPECT_EQ(captured.size(), static_cast<size_t>(kRows - 500));

  // The same file again: nothing new (row keys are the file digest and the line).
  EXPECT_EQ(import(), 3);
  for (int i = 0; i < 30; ++i) events.verifier.PollOnce(100);
  EXPECT_EQ(events.verifier.records.size(), static_cast<size_t>(kRows - 500));
  EXPECT_EQ(intake.Stop(SIGTERM), 0);
}

}  // namespace
}  // namespace leadflow
