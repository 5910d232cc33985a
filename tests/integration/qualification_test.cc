// leadflow-qualification as a real process on the real broker: leads submitted to leadflow-intake
// become the expected grades and MQL decisions; a config published while it runs applies to new
// events at once and to stored leads through Rescore; a kill -9 during a stream never applies an
// engagement twice (state) nor publishes a decision twice (read_committed output).
#include <grpcpp/grpcpp.h>
#include <httplib.h>
#include <signal.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "gtest/gtest.h"
#include "leadflow/v1/intake_service.grpc.pb.h"
#include "leadflow/v1/lead.pb.h"
#include "leadflow/v1/qualification_service.grpc.pb.h"
#include "services/common/base/strings.h"
#include "services/common/events/lead_events.h"
#include "tests/support/kafka_env.h"
#include "tests/support/lead_event_topic.h"
#include "tests/support/service_process.h"
#include "tests/support/stream_check.h"
#include "tests/support/temp_dir.h"
#include "tools/leadflowctl/config_cmd.h"

namespace leadflow {
namespace {

using testing::kKafkaDeadline;
using testing::ServiceProcess;
using testing::TempDir;
using testing::WaitUntil;

struct Topics {
  std::string raw = testing::UniqueName("raw");
  std::string admitted = testing::UniqueName("admitted");
  std::string leads = testing::UniqueName("leads");
  std::string recycle = testing::UniqueName("recycle");
  std::string commands = testing::UniqueName("qcommands");
  std::string output = testing::UniqueName("qualification");
  std::string config = testing::UniqueName("config");
  std::string accounts = testing::UniqueName("accounts");
  std::string dlq = testing::UniqueName("dlq");
  std::string intake_app = testing::UniqueName("intake");
  std::string app = testing::UniqueName("qualification");
};

Topics MakeTopics() {
  Topics t;
  EXPECT_TRUE(
      testing::CreateTopics({t.raw, t.admitted, t.leads, t.recycle, t.commands, t.output}, 4).ok());
  EXPECT_TRUE(testing::CreateTopics({t.config, t.dlq}, 1).ok());
  EXPECT_TRUE(testing::CreateTopics({t.accounts}, 2).ok());
  return t;
}

std::vector<std::string> QualificationFlags(const Topics& t, const TempDir& dir,
                                            const std::string& icp_file) {
  return {"--grpc.port=0",
          "--http.port=0",
          "--data.dir=" + dir.Sub("qualification-data"),
          "--kafka.bootstrap.servers=" + testing::KafkaBootstrap(),
          "--application.id=" + t.app,
          "--topics.leads=" + t.leads,
          "--topics.recycle=" + t.recycle,
          "--topics.commands=" + t.commands,
          "--topics.qualification=" + t.output,
          "--topics.config=" + t.config,
          "--topics.accounts=" + t.accounts,
          "--topics.dlq=" + t.dlq,
          "--qualification.icp_file=" + icp_file,
          std::string("--qualification.stages_file=") + LEADFLOW_CONFIG_DIR + "/stages.yaml",
          std::string("--qualification.nurture_file=") + LEADFLOW_CONFIG_DIR + "/nurture.yaml",
          "--kafka.session.timeout.ms=6000",
          "--kafka.heartbeat.interval.ms=1000"};
}

using Outputs = testing::LeadEventTopic;  // the qualification topic, read_committed

nlohmann::json GetJson(httplib::Client& http, const std::string& path, int* status) {
  auto r = http.Get(path);
  *status = r ? r->status : 0;
  if (!r) return nlohmann::json();
  return nlohmann::json::parse(r->body, nullptr, /*allow_exceptions=*/false);
}

v1::LeadSubmission Submission(const std::string& key, const std::string& email,
                              const std::string& seniority, const std::string& department,
                              int employees, const std::string& industry,
                              const std::string& country, v1::EngagementType engagement) {
  v1::LeadSubmission s;
  s.set_idempotency_key(key);
  s.set_source_system("it");
  s.mutable_person()->set_email(email);
  s.mutable_person()->set_seniority(seniority);
  s.mutable_person()->set_department(department);
  s.mutable_company()->set_employee_count(employees);
  s.mutable_company()->set_industry(industry);
  s.mutable_company()->set_country_code(country);
  if (engagement != v1::ENGAGEMENT_TYPE_UNSPECIFIED) s.mutable_engagement()->set_type(engagement);
  return s;
}

TEST(QualificationTest, LeadsFromIntakeBecomeTheExpectedGradesAndMqlDecisions) {
  const Topics t = MakeTopics();
  TempDir dir;
  ServiceProcess intake("intake", LEADFLOW_INTAKE_PATH, dir.Sub("intake.log"));
  ASSERT_NO_FATAL_FAILURE(intake.Start(
      {"--grpc.port=0", "--http.port=0", "--data.dir=" + dir.Sub("intake-data"),
       "--kafka.bootstrap.servers=" + testing::KafkaBootstrap(), "--topics.raw=" + t.raw,
       "--topics.admitted=" + t.admitted, "--topics.leads=" + t.leads, "--topics.dlq=" + t.dlq,
       "--intake.lead_id_secret=test-secret", "--application.id=" + t.intake_app}));
  ServiceProcess qualification("qualification", LEADFLOW_QUALIFICATION_PATH,
                               dir.Sub("qualification.log"));
  ASSERT_NO_FATAL_FAILURE(qualification.Start(
      QualificationFlags(t, dir, std::string(LEADFLOW_CONFIG_DIR) + "/icp.yaml")));
  auto stub = v1::IntakeService::NewStub(
      grpc::CreateChannel(intake.grpc_address(), grpc::InsecureChannelCredentials()));

  struct Case {
    std::string name;
    v1::LeadSubmission submission;
    v1::FitGrade grade;
    v1::LeadEvent::EventCase decision;  // kEventNotSet: stays an INQUIRY
    v1::MqlBasis basis = v1::MQL_BASIS_UNSPECIFIED;
  };
  const std::vector<Case> cases = {
      // Grade A (fit 90) with a demo request: 40 engagement >= 20, an MQL on score.
      {"a-demo",
       Submission("k1", "jane@acme.example", "vp", "marketing", 250, "software", "DE",
                  v1::ENGAGEMENT_TYPE_DEMO_REQUEST),
       v1::FIT_GRADE_A, v1::LeadEvent::kQualified, v1::MQL_BASIS_SCORE},
      // Grade C (fit 35) with a pricing request: the hand-raiser path.
      {"c-pricing",
       Submission("k2", "li@small.example", "manager", "marketing", 60, "retail", "BR",
                  v1::ENGAGEMENT_TYPE_PRICING_REQUEST),
       v1::FIT_GRADE_C, v1::LeadEvent::kQualified, v1::MQL_BASIS_HAND_RAISER},
      // A student at a grade-A company: disqualified.
      {"student",
       Submission("k3", "max@acme.example", "student", "marketing", 250, "software", "DE",
                  v1::ENGAGEMENT_TYPE_WEBINAR_ATTENDED),
       v1::FIT_GRADE_A, v1::LeadEvent::kDisqualified},
      // Free mail, nothing known: grade D; a webinar does not make it an MQL.
      {"d-webinar",
       Submission("k4", "sam@gmail.com", "", "", 0, "", "", v1::ENGAGEMENT_TYPE_WEBINAR_ATTENDED),
       v1::FIT_GRADE_D, v1::LeadEvent::EVENT_NOT_SET},
  };
  std::map<std::string, std::string> lead_ids;  // case name → lead id
  for (const Case& c : cases) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    v1::SubmitLeadRequest request;
    *request.mutable_submission() = c.submission;
    v1::SubmitLeadResponse response;
    const grpc::Status s = stub->SubmitLead(&ctx, request, &response);
    ASSERT_TRUE(s.ok()) << c.name << ": " << s.error_message();
    lead_ids[c.name] = response.result().lead_id();
  }

  Outputs out(t.output);
  auto scores = v1::QualificationService::NewStub(
      grpc::CreateChannel(qualification.grpc_address(), grpc::InsecureChannelCredentials()));
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    const std::string& lead_id = lead_ids[c.name];
    // The score after the engagement: the last LeadScored has a non-zero engagement.
    std::optional<v1::LeadEvent> scored = out.WaitFor(lead_id, [](const v1::LeadEvent& e) {
      return e.has_scored() && e.scored().score().engagement_score() > 0;
    });
    ASSERT_TRUE(scored.has_value());
    EXPECT_EQ(scored->scored().score().fit_grade(), c.grade);
    EXPECT_EQ(scored->scored().score().icp_version(), 0) << "nothing published: the local file";
    EXPECT_FALSE(scored->scored().contributions().empty());
    if (c.decision != v1::LeadEvent::EVENT_NOT_SET) {
      std::optional<v1::LeadEvent> decision = out.WaitFor(
          lead_id, [&](const v1::LeadEvent& e) { return e.event_case() == c.decision; });
      ASSERT_TRUE(decision.has_value());
      if (decision->has_qualified()) {
        EXPECT_EQ(decision->qualified().basis(), c.basis);
        EXPECT_EQ(decision->qualified().person().department(), "marketing");
        EXPECT_EQ(decision->envelope().stage_change().to_stage(), v1::STAGE_MQL);
      } else {
        EXPECT_EQ(decision->disqualified().reason_code(), v1::DISQUALIFICATION_REASON_NOT_A_BUYER);
      }
    }
    // The API tells the same story from the committed state.
    int status = 0;
    nlohmann::json explained;
    ASSERT_TRUE(WaitUntil(
        [&] {
          explained =
              GetJson(qualification.http(), "/v1/scores/" + lead_id + "/explanation", &status);
          return status == 200 && explained.contains("score") &&
                 explained["score"].value("engagementScore", 0.0) > 0;
        },
        kKafkaDeadline))
        << status << " " << explained.dump();
    const std::string stage = c.decision == v1::LeadEvent::kQualified      ? "STAGE_MQL"
                              : c.decision == v1::LeadEvent::kDisqualified ? "STAGE_DISQUALIFIED"
                                                                           : "STAGE_INQUIRY";
    nlohmann::json score = GetJson(qualification.http(), "/v1/scores/" + lead_id, &status);
    EXPECT_EQ(status, 200);
    EXPECT_EQ(score.value("stage", ""), stage) << score.dump();
    EXPECT_EQ(explained.value("passesMqlGate", false), c.decision == v1::LeadEvent::kQualified);
    EXPECT_FALSE(explained.value("summary", "").empty());
    // And gRPC, the same.
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    v1::GetScoreRequest request;
    request.set_lead_id(lead_id);
    v1::GetScoreResponse response;
    const grpc::Status s = scores->GetScore(&ctx, request, &response);
    ASSERT_TRUE(s.ok()) << s.error_message();
    EXPECT_EQ(response.score().fit_grade(), c.grade);
    EXPECT_EQ(v1::Stage_Name(response.stage()), stage);
    EXPECT_EQ(response.cycle(), 1);
  }
  int status = 0;
  GetJson(qualification.http(), "/v1/scores/no-such-lead", &status);
  EXPECT_EQ(status, 404);
  auto icp = qualification.http().Get("/v1/icp?format=text");
  ASSERT_TRUE(icp);
  EXPECT_EQ(icp->status, 200);
  EXPECT_NE(icp->body.find("## Into MQL"), std::string::npos) << icp->body;
  EXPECT_EQ(qualification.Stop(SIGTERM), 0);
  EXPECT_EQ(intake.Stop(SIGTERM), 0);
}

// Lead events as intake writes them, produced straight onto the leads topic.
v1::LeadEvent CapturedEvent(const std::string& lead_id, const std::string& email,
                            const std::string& seniority, int employees,
                            const std::string& industry, int64_t at_ms) {
  v1::LeadEvent e;
  e.mutable_envelope()->set_lead_id(lead_id);
  e.mutable_envelope()->set_event_id(lead_id + "-captured");
  e.mutable_envelope()->set_cycle(1);
  *e.mutable_envelope()->mutable_occurred_at() = events::TimestampFromMillis(at_ms);
  v1::LeadCaptured& c = *e.mutable_captured();
  c.set_email_normalized(email);
  c.mutable_person()->set_seniority(seniority);
  c.mutable_person()->set_department("it");
  c.mutable_company()->set_employee_count(employees);
  c.mutable_company()->set_industry(industry);
  c.mutable_company()->set_country_code("US");
  c.mutable_company()->set_domain(email.substr(email.find('@') + 1));
  return e;
}

v1::LeadEvent EngagementEvent(const std::string& lead_id, const std::string& event_id,
                              v1::EngagementType type, int64_t at_ms) {
  v1::LeadEvent e;
  e.mutable_envelope()->set_lead_id(lead_id);
  e.mutable_envelope()->set_event_id(event_id);
  *e.mutable_envelope()->mutable_occurred_at() = events::TimestampFromMillis(at_ms);
  e.mutable_engagement_recorded()->mutable_engagement()->set_type(type);
  *e.mutable_engagement_recorded()->mutable_engagement()->mutable_occurred_at() =
      events::TimestampFromMillis(at_ms);
  return e;
}

std::pair<std::string, std::string> Record(const v1::LeadEvent& e) {
  return {e.envelope().lead_id(), e.SerializeAsString()};
}

TEST(QualificationTest, APublishedIcpAppliesToNewEventsAtOnceAndToStoredLeadsOnRescore) {
  const Topics t = MakeTopics();
  TempDir dir;
  ServiceProcess qualification("qualification", LEADFLOW_QUALIFICATION_PATH,
                               dir.Sub("qualification.log"));
  ASSERT_NO_FATAL_FAILURE(qualification.Start(
      QualificationFlags(t, dir, std::string(LEADFLOW_CONFIG_DIR) + "/icp.yaml")));
  Outputs out(t.output);
  // Events of now: Rescore scores at the time of the request, so older engagement would have
  // decayed by then.
  const int64_t t0 = std::chrono::duration_cast<std::chrono::milliseconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();

  // Grade B (fit 55: smb 10, US 10, director 20, it 15) with 25 engagement: below B's 35.
  testing::ProduceAll(
      t.leads, {Record(CapturedEvent("b1", "raj@mid.example", "director", 100, "retail", t0)),
                Record(EngagementEvent("b1", "b1-w", v1::ENGAGEMENT_TYPE_WEBINAR_ATTENDED, t0)),
                Record(EngagementEvent("b1", "b1-f", v1::ENGAGEMENT_TYPE_FORM_FILL, t0))});
  std::optional<v1::LeadEvent> before = out.WaitFor("b1", [](const v1::LeadEvent& e) {
    return e.has_scored() && e.scored().score().engagement_score() == 25;
  });
  ASSERT_TRUE(before.has_value());
  EXPECT_EQ(before->scored().score().fit_grade(), v1::FIT_GRADE_B);
  EXPECT_EQ(before->scored().score().icp_version(), 0);

  // ICP v1 values retail (+20): the same profile is grade A (75), whose threshold is 20.
  std::ifstream in(std::string(LEADFLOW_CONFIG_DIR) + "/icp.yaml");
  std::stringstream text;
  text << in.rdbuf();
  std::string yaml = text.str();
  const std::string anchor = "  # --- persona: who the person is ---";
  ASSERT_NE(yaml.find(anchor), std::string::npos);
  yaml.insert(yaml.find(anchor),
              "  - rule_id: industry.retail\n    description: retail, newly in focus\n"
              "    condition: {attribute: company.industry, op: equals, values: [retail]}\n"
              "    weight: 20\n");
  testing::WriteFile(dir.Sub("config/icp.yaml"), yaml);
  auto applied = ctl::ApplyConfig({{"bootstrap.servers", testing::KafkaBootstrap()}}, t.config,
                                  dir.Sub("config"), "retail in focus", kKafkaDeadline);
  ASSERT_TRUE(applied.ok()) << applied.status();
  ASSERT_EQ(applied->published, (std::vector<std::string>{"icp v1"}));

  // The running service's API and processor both pick it up.
  int status = 0;
  ASSERT_TRUE(WaitUntil(
      [&] {
        return GetJson(qualification.http(), "/v1/icp", &status).value("icpVersion", "0") == "1";
      },
      kKafkaDeadline));
  testing::ProduceAll(
      t.leads, {Record(CapturedEvent("b2", "ana@other.example", "director", 100, "retail", t0))});
  std::optional<v1::LeadEvent> fresh =
      out.WaitFor("b2", [](const v1::LeadEvent& e) { return e.has_scored(); });
  ASSERT_TRUE(fresh.has_value());
  EXPECT_EQ(fresh->scored().score().icp_version(), 1);
  EXPECT_EQ(fresh->scored().score().fit_grade(), v1::FIT_GRADE_A);
  EXPECT_EQ(fresh->envelope().config_version(), 1);

  // b1 is stored under v0 until a re-score: then it is grade A, and 25 >= 20 makes it an MQL.
  auto posted = qualification.http().Post("/v1/rescore", R"({"allLeads": true, "reason": "v1"})",
                                          "application/json");
  ASSERT_TRUE(posted);
  ASSERT_EQ(posted->status, 202) << posted->body;
  std::optional<v1::LeadEvent> rescored = out.WaitFor("b1", [](const v1::LeadEvent& e) {
    return e.has_scored() && e.scored().trigger() == v1::SCORE_TRIGGER_RESCORE;
  });
  ASSERT_TRUE(rescored.has_value());
  EXPECT_EQ(rescored->scored().score().icp_version(), 1);
  EXPECT_EQ(rescored->scored().previous_fit_grade(), v1::FIT_GRADE_B);
  std::optional<v1::LeadEvent> mql =
      out.WaitFor("b1", [](const v1::LeadEvent& e) { return e.has_qualified(); });
  ASSERT_TRUE(mql.has_value());
  EXPECT_TRUE(StartsWith(mql->envelope().causation_id(), "rescore:"));
  // A bad request names its field.
  auto bad = qualification.http().Post("/v1/rescore", R"({"reason": "nothing to do"})",
                                       "application/json");
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->status, 400);
  EXPECT_NE(bad->body.find("lead_ids or all_leads"), std::string::npos) << bad->body;
  EXPECT_EQ(qualification.Stop(SIGTERM), 0);
}

TEST(QualificationTest, KillDashNineDuringAStreamNeverAppliesAnEngagementTwice) {
  const Topics t = MakeTopics();
  TempDir dir;
  // An ICP where every page view is worth exactly 0.01, without caps or (practical) decay: a
  // lead's engagement score is its number of applied page views / 100, so a double apply shows.
  testing::WriteFile(dir.Sub("icp.yaml"), R"(name: counting
rules:
  - {rule_id: any, condition: {attribute: company.domain, op: exists}, weight: 40}
grade_thresholds: {a_min: 70, b_min: 50, c_min: 30}
engagement:
  half_life: 36500d
  weights:
    - {type: page_view, points: 0.01}
)");
  constexpr int kLeads = 150;
  constexpr int kViews = 40;
  const int64_t t0 = 1'790'000'000'000;
  testing::KeyValues records;
  for (int i = 0; i < kLeads; ++i) {
    const std::string id = StrCat("lead-", i);
    records.push_back(
        Record(CapturedEvent(id, StrCat("p", i, "@c", i, ".example"), "manager", 10, "x", t0)));
  }
  for (int v = 0; v < kViews; ++v) {
    for (int i = 0; i < kLeads; ++i) {
      const std::string id = StrCat("lead-", i);
      records.push_back(
          Record(EngagementEvent(id, StrCat(id, "-pv-", v), v1::ENGAGEMENT_TYPE_PAGE_VIEW, t0)));
    }
  }
  const size_t total = records.size();

  ServiceProcess qualification("qualification", LEADFLOW_QUALIFICATION_PATH,
                               dir.Sub("qualification.log"));
  const std::vector<std::string> flags = QualificationFlags(t, dir, dir.Sub("icp.yaml"));
  ASSERT_NO_FATAL_FAILURE(qualification.Start(flags));
  Outputs out(t.output);
  // The stream arrives in 12 chunks; right after chunks 3, 6 and 9 are written (the service is
  // busy with them, a transaction open) it is killed -9 and restarted.
  constexpr size_t kChunks = 12;
  const size_t chunk = (total + kChunks - 1) / kChunks;
  for (size_t c = 0; c < kChunks; ++c) {
    const size_t begin = c * chunk;
    const size_t end = std::min(total, begin + chunk);
    testing::ProduceAll(t.leads, testing::KeyValues(records.begin() + static_cast<long>(begin),
                                                    records.begin() + static_cast<long>(end)));
    if (c == 3 || c == 6 || c == 9) {
      EXPECT_EQ(qualification.Stop(SIGKILL), 128 + SIGKILL);
      ASSERT_NO_FATAL_FAILURE(qualification.Start(flags));
    }
  }
  // Every input changes the score (by 0.01 > the 0.005 "same score"), so one LeadScored each.
  ASSERT_TRUE(out.verifier.WaitFor(total)) << out.verifier.records.size() << " of " << total;
  std::set<std::string> event_ids;
  std::map<std::string, int> causes;
  for (const v1::LeadEvent& e : out.All()) {
    EXPECT_TRUE(event_ids.insert(e.envelope().event_id()).second)
        << "duplicate " << e.envelope().event_id();
    if (e.has_scored()) ++causes[e.envelope().causation_id()];
  }
  EXPECT_EQ(causes.size(), total);
  for (const auto& [cause, n] : causes) EXPECT_EQ(n, 1) << cause;
  EXPECT_EQ(out.verifier.records.size(), total);
  // The committed state: exactly kViews page views per lead.
  for (int i = 0; i < kLeads; ++i) {
    int status = 0;
    nlohmann::json score = GetJson(qualification.http(), StrCat("/v1/scores/lead-", i), &status);
    ASSERT_EQ(status, 200) << score.dump();
    EXPECT_NEAR(score["score"].value("engagementScore", -1.0), kViews * 0.01, 1e-9) << "lead-" << i;
  }
  EXPECT_EQ(qualification.Stop(SIGTERM), 0);
}

}  // namespace
}  // namespace leadflow
