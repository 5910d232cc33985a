// leadflowctl's commands without a server: arguments → requests, responses → tables, the enum
// arguments' errors and the exit code of every gRPC status.
#include <chrono>
#include <string>

#include <gmock/gmock.h>
#include <google/protobuf/util/time_util.h>
#include <gtest/gtest.h>

#include "tools/leadflowctl/command_support.h"
#include "tools/leadflowctl/dlq_cmd.h"
#include "tools/leadflowctl/exit_code.h"
#include "tools/leadflowctl/lead_cmds.h"
#include "tools/leadflowctl/report_cmds.h"
#include "tools/leadflowctl/sales_cmds.h"
#include "tools/leadflowctl/table.h"

namespace leadflow::ctl {
namespace {

using google::protobuf::util::TimeUtil;
using ::testing::HasSubstr;
using ::testing::Not;

std::chrono::system_clock::time_point At(const std::string& rfc3339) {
  google::protobuf::Timestamp t;
  EXPECT_TRUE(TimeUtil::FromString(rfc3339, &t));
  return std::chrono::system_clock::time_point(
      std::chrono::milliseconds(TimeUtil::TimestampToMilliseconds(t)));
}

v1::Money Eur(int64_t units) {
  v1::Money m;
  m.set_currency_code("EUR");
  m.set_amount_micros(units * 1'000'000);
  return m;
}

// --- exit codes ---

TEST(ExitCodeTest, MapsEveryStatusOnce) {
  EXPECT_EQ(ExitCodeOf(grpc::StatusCode::OK), ExitCode::kDone);
  EXPECT_EQ(ExitCodeOf(grpc::StatusCode::NOT_FOUND), ExitCode::kNotFound);
  EXPECT_EQ(ExitCodeOf(grpc::StatusCode::UNAVAILABLE), ExitCode::kUnavailable);
  EXPECT_EQ(ExitCodeOf(grpc::StatusCode::DEADLINE_EXCEEDED), ExitCode::kUnavailable);
  for (auto code : {grpc::StatusCode::FAILED_PRECONDITION, grpc::StatusCode::INVALID_ARGUMENT,
                    grpc::StatusCode::PERMISSION_DENIED, grpc::StatusCode::INTERNAL,
                    grpc::StatusCode::ALREADY_EXISTS, grpc::StatusCode::UNKNOWN,
                    grpc::StatusCode::CANCELLED, grpc::StatusCode::UNIMPLEMENTED}) {
    EXPECT_EQ(ExitCodeOf(code), ExitCode::kFailed) << code;
  }
  EXPECT_EQ(static_cast<int>(ExitCode::kBadUsage), 2);
  EXPECT_EQ(static_cast<int>(ExitCode::kPartial), 3);
  EXPECT_EQ(static_cast<int>(ExitCode::kNotFound), 4);
  EXPECT_EQ(static_cast<int>(ExitCode::kUnavailable), 5);
}

TEST(ExitCodeTest, DescribesTheStatusCodeAndMessage) {
  EXPECT_EQ(DescribeRpcError(grpc::Status(grpc::StatusCode::FAILED_PRECONDITION,
                                          "the lead is not awaiting an answer")),
            "FAILED_PRECONDITION: the lead is not awaiting an answer");
}

// --- enum, time and money arguments ---

TEST(EnumArgTest, AcceptsShortAndFullNames) {
  auto d = v1::RejectionReason_descriptor();
  EXPECT_EQ(*ParseEnumArg<v1::RejectionReason>(d, "bad_timing", "--reason"),
            v1::REJECTION_REASON_BAD_TIMING);
  EXPECT_EQ(*ParseEnumArg<v1::RejectionReason>(d, "REJECTION_REASON_NO_BUDGET", "--reason"),
            v1::REJECTION_REASON_NO_BUDGET);
  EXPECT_EQ(
      *ParseEnumArg<v1::EngagementType>(v1::EngagementType_descriptor(), "demo_request", "--type"),
      v1::ENGAGEMENT_TYPE_DEMO_REQUEST);
}

TEST(EnumArgTest, UnknownValueNamesTheFlagAndTheAllowedValues) {
  auto r =
      ParseEnumArg<v1::RejectionReason>(v1::RejectionReason_descriptor(), "too_pricey", "--reason");
  ASSERT_FALSE(r.ok());
  const std::string message(r.status().message());
  EXPECT_THAT(message, HasSubstr("--reason"));
  EXPECT_THAT(message, HasSubstr("too_pricey"));
  EXPECT_THAT(message, HasSubstr("not_icp, no_budget, no_authority, no_need, bad_timing"));
  EXPECT_THAT(message, Not(HasSubstr("unspecified")));
  EXPECT_FALSE(
      ParseEnumArg<v1::RejectionReason>(v1::RejectionReason_descriptor(), "unspecified", "--reason")
          .ok());
}

TEST(TimeArgTest, TakesTimesDatesAndDurationsAgo) {
  const auto now = At("2026-03-10T12:00:00Z");
  EXPECT_EQ(TimeUtil::ToString(*ParseTimeArg("2026-03-01T09:30:00Z", "--at", now)),
            "2026-03-01T09:30:00Z");
  EXPECT_EQ(TimeUtil::ToString(*ParseTimeArg("2026-03-01", "--from", now)), "2026-03-01T00:00:00Z");
  EXPECT_EQ(TimeUtil::ToString(*ParseTimeArg("2d", "--from", now)), "2026-03-08T12:00:00Z");
  auto bad = ParseTimeArg("yesterday", "--from", now);
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(std::string(bad.status().message()), HasSubstr("--from"));
}

TEST(AmountArgTest, ParsesToMicros) {
  EXPECT_EQ(*ParseAmountMicros("12000", "--amount"), 12'000'000'000);
  EXPECT_EQ(*ParseAmountMicros("12,000.5", "--amount"), 12'000'500'000);
  EXPECT_EQ(*ParseAmountMicros("0.000001", "--amount"), 1);
  EXPECT_FALSE(ParseAmountMicros("12k", "--amount").ok());
  EXPECT_FALSE(ParseAmountMicros("", "--amount").ok());
  EXPECT_FALSE(ParseAmountMicros("1.0000001", "--amount").ok());
  EXPECT_EQ(*ParseCurrency("eur", "--currency"), "EUR");
  EXPECT_FALSE(ParseCurrency("EURO", "--currency").ok());
}

// --- formatting ---

TEST(FormatTest, CountsPercentsAndMoney) {
  EXPECT_EQ(FormatCount(0), "0");
  EXPECT_EQ(FormatCount(999), "999");
  EXPECT_EQ(FormatCount(1000), "1,000");
  EXPECT_EQ(FormatCount(1234567), "1,234,567");
  EXPECT_EQ(FormatCount(-1234), "-1,234");
  EXPECT_EQ(FormatPercent(0.4567), "45.7%");
  EXPECT_EQ(FormatPercent(1.0), "100.0%");
  EXPECT_EQ(FormatMoney(Eur(12000)), "12,000.00 EUR");
  v1::Money m;
  m.set_currency_code("USD");
  m.set_amount_micros(1'234'567'890);
  EXPECT_EQ(FormatMoney(m), "1,234.57 USD");
  EXPECT_EQ(FormatMoney(v1::Money()), "-");
}

TEST(TableTest, AlignsTextLeftAndNumbersRight) {
  Table t({{"NAME", false}, {"COUNT", true}});
  t.AddRow({"a", "1"});
  t.AddRow({"longer", "1,000"});
  EXPECT_EQ(t.Render(),
            "NAME    COUNT\n"
            "a           1\n"
            "longer  1,000\n");
}

// --- requests from arguments ---

TEST(SubmitRequestTest, BuildsTheSubmission) {
  SubmitArgs args;
  args.email = "ada@example.com";
  args.first_name = "Ada";
  args.last_name = "Lovelace";
  args.company = "Acme";
  args.title = "CTO";
  args.country = "de";
  args.phone = "+49 30 1234";
  args.campaign = "spring-26";
  args.channel = "paid_search";
  args.idempotency_key = "form-4711";
  auto r = BuildSubmitLeadRequest(args, "generated");
  ASSERT_TRUE(r.ok()) << r.status();
  const v1::LeadSubmission& s = r->submission();
  EXPECT_EQ(s.idempotency_key(), "form-4711");
  EXPECT_EQ(s.source_system(), "leadflowctl");
  EXPECT_EQ(s.person().email(), "ada@example.com");
  EXPECT_EQ(s.person().first_name(), "Ada");
  EXPECT_EQ(s.person().last_name(), "Lovelace");
  EXPECT_EQ(s.person().job_title(), "CTO");
  EXPECT_EQ(s.person().country_code(), "DE");
  EXPECT_EQ(s.person().phone(), "+49 30 1234");
  EXPECT_EQ(s.company().name(), "Acme");
  EXPECT_EQ(s.company().country_code(), "DE");
  EXPECT_EQ(s.source().source_system(), "leadflowctl");
  EXPECT_EQ(s.source().campaign_id(), "spring-26");
  EXPECT_EQ(s.source().channel(), v1::CHANNEL_PAID_SEARCH);
  EXPECT_FALSE(r->validate_only());
}

TEST(SubmitRequestTest, GeneratesAKeyAndRejectsABadChannel) {
  SubmitArgs args;
  args.email = "ada@example.com";
  EXPECT_EQ(BuildSubmitLeadRequest(args, "generated")->submission().idempotency_key(), "generated");
  args.channel = "carrier_pigeon";
  auto r = BuildSubmitLeadRequest(args, "generated");
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(std::string(r.status().message()), HasSubstr("--channel"));
  EXPECT_THAT(std::string(r.status().message()), HasSubstr("paid_search"));
}

TEST(EraseRequestTest, TakesEmailOrLeadIdAndAlwaysARequestId) {
  EraseArgs args;
  args.email = "ada@example.com";
  args.request_id = "PRIV-7";
  auto by_email = BuildEraseLeadRequest(args);
  ASSERT_TRUE(by_email.ok()) << by_email.status();
  EXPECT_EQ(by_email->email(), "ada@example.com");
  EXPECT_EQ(by_email->request_id(), "PRIV-7");
  args.email.clear();
  args.lead_id = "3f2a0b1c-0000-4000-8000-000000000001";
  auto by_id = BuildEraseLeadRequest(args);
  ASSERT_TRUE(by_id.ok()) << by_id.status();
  EXPECT_EQ(by_id->lead_id(), args.lead_id);

  args.email = "ada@example.com";  // both
  EXPECT_THAT(std::string(BuildEraseLeadRequest(args).status().message()),
              HasSubstr("exactly one"));
  args.email.clear();
  args.lead_id.clear();  // neither
  EXPECT_THAT(std::string(BuildEraseLeadRequest(args).status().message()),
              HasSubstr("exactly one"));
  args.email = "ada@example.com";
  args.request_id.clear();
  auto no_id = BuildEraseLeadRequest(args);
  EXPECT_EQ(no_id.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(no_id.status().message()), HasSubstr("--request-id"));
}

TEST(EngageRequestTest, BuildsTheEngagement) {
  EngageArgs args;
  args.email = "ada@example.com";
  args.type = "demo_request";
  args.at = "2026-03-01T09:30:00Z";
  auto r = BuildRecordEngagementRequest(args, "k1", At("2026-03-10T00:00:00Z"));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->engagement().type(), v1::ENGAGEMENT_TYPE_DEMO_REQUEST);
  EXPECT_EQ(TimeUtil::ToString(r->engagement().occurred_at()), "2026-03-01T09:30:00Z");
  EXPECT_EQ(r->idempotency_key(), "k1");
  args.type = "pricing_page";
  auto bad = BuildRecordEngagementRequest(args, "k1", At("2026-03-10T00:00:00Z"));
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(std::string(bad.status().message()), HasSubstr("pricing_request"));
}

TEST(RejectRequestTest, BuildsTheRejection) {
  RejectArgs args;
  args.feedback.lead_id = "lead-1";
  args.feedback.rep_id = "rep-anna";
  args.feedback.idempotency_key = "crm-77";
  args.reason = "bad_timing";
  args.text = "budget in Q3";
  auto r = BuildRejectRequest(args, "generated", At("2026-03-10T00:00:00Z"));
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->lead_id(), "lead-1");
  EXPECT_EQ(r->rep_id(), "rep-anna");
  EXPECT_EQ(r->idempotency_key(), "crm-77");
  EXPECT_EQ(r->source_system(), "leadflowctl");
  EXPECT_EQ(r->reason_code(), v1::REJECTION_REASON_BAD_TIMING);
  EXPECT_EQ(r->reason_text(), "budget in Q3");
  EXPECT_FALSE(r->has_occurred_at());
}

TEST(RejectRequestTest, UnknownReasonListsTheAllowedOnes) {
  RejectArgs args;
  args.feedback.lead_id = "lead-1";
  args.feedback.rep_id = "rep-anna";
  args.reason = "meh";
  auto r = BuildRejectRequest(args, "generated", At("2026-03-10T00:00:00Z"));
  ASSERT_FALSE(r.ok());
  EXPECT_THAT(std::string(r.status().message()), HasSubstr("bad_timing"));
  args.reason = "no_budget";
  args.feedback.rep_id.clear();
  EXPECT_THAT(
      std::string(BuildRejectRequest(args, "g", At("2026-03-10T00:00:00Z")).status().message()),
      HasSubstr("--rep"));
}

TEST(OpportunityRequestTest, ClosesWonWithMoneyReasonAndCompetitor) {
  OpportunityArgs args;
  args.feedback.lead_id = "lead-1";
  args.outcome = "won";
  args.amount = "12000";
  args.currency = "eur";
  args.reason = "price";
  args.competitor = "Rivalo";
  auto r = BuildOpportunityRequest(args, "g", At("2026-03-10T00:00:00Z"));
  ASSERT_TRUE(r.ok()) << r.status();
  ASSERT_TRUE(r->has_closed());
  EXPECT_EQ(r->closed().outcome(), v1::OPPORTUNITY_OUTCOME_WON);
  EXPECT_EQ(r->closed().amount().amount_micros(), 12'000'000'000);
  EXPECT_EQ(r->closed().amount().currency_code(), "EUR");
  EXPECT_EQ(r->closed().reason().code(), "price");
  EXPECT_EQ(r->closed().competitor(), "Rivalo");
  args.outcome = "tied";
  EXPECT_THAT(
      std::string(
          BuildOpportunityRequest(args, "g", At("2026-03-10T00:00:00Z")).status().message()),
      HasSubstr("won, lost"));
}

TEST(ConvertRequestTest, NeedsACriterion) {
  ConvertArgs args;
  args.feedback.lead_id = "lead-1";
  args.feedback.rep_id = "rep-anna";
  EXPECT_FALSE(BuildConvertRequest(args, "g", At("2026-03-10T00:00:00Z")).ok());
  args.budget = true;
  auto r = BuildConvertRequest(args, "g", At("2026-03-10T00:00:00Z"));
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->criteria().budget());
  EXPECT_FALSE(r->criteria().need());
}

TEST(ReportQueryTest, BuildsRangeGroupingAndFilter) {
  ReportArgs args;
  args.from = "2026-01-01";
  args.to = "2026-04-01";
  args.group_by = {"channel", "campaign"};
  args.channels = {"paid_search", "CHANNEL_EMAIL"};
  args.grades = {"a", "b"};
  args.segments = {"mid_market"};
  auto q = BuildReportQuery(args, At("2026-05-01T00:00:00Z"));
  ASSERT_TRUE(q.ok()) << q.status();
  EXPECT_EQ(TimeUtil::ToString(q->range().start()), "2026-01-01T00:00:00Z");
  EXPECT_EQ(TimeUtil::ToString(q->range().end()), "2026-04-01T00:00:00Z");
  ASSERT_EQ(q->group_by_size(), 2);
  EXPECT_EQ(q->group_by(0), v1::REPORT_DIMENSION_CHANNEL);
  EXPECT_EQ(q->group_by(1), v1::REPORT_DIMENSION_CAMPAIGN);
  ASSERT_EQ(q->filter().channels_size(), 2);
  EXPECT_EQ(q->filter().channels(1), v1::CHANNEL_EMAIL);
  ASSERT_EQ(q->filter().fit_grades_size(), 2);
  EXPECT_EQ(q->filter().fit_grades(0), v1::FIT_GRADE_A);
  EXPECT_EQ(q->filter().segments(0), "mid_market");
  args.group_by = {"colour"};
  auto bad = BuildReportQuery(args, At("2026-05-01T00:00:00Z"));
  ASSERT_FALSE(bad.ok());
  EXPECT_THAT(std::string(bad.status().message()), HasSubstr("--group-by"));
  EXPECT_THAT(std::string(bad.status().message()), HasSubstr("source_system, channel, campaign"));
}

// --- report tables ---

void AddStage(v1::FunnelRow* row, v1::Stage stage, int64_t entered, int64_t current) {
  v1::StageCount* c = row->add_stages();
  c->set_stage(stage);
  c->set_entered(entered);
  c->set_current(current);
}

TEST(FunnelTableTest, ShowsTheMainPathWithConversionBetweenStages) {
  v1::GetFunnelResponse response;
  TimeUtil::FromString("2026-03-10T12:00:00Z",
                       response.mutable_metadata()->mutable_complete_through());
  v1::FunnelRow* row = response.add_rows();
  v1::DimensionValue* g = row->mutable_key()->add_group();
  g->set_dimension(v1::REPORT_DIMENSION_CHANNEL);
  g->set_value("CHANNEL_PAID_SEARCH");
  AddStage(row, v1::STAGE_INQUIRY, 12000, 3000);
  AddStage(row, v1::STAGE_MQL, 3000, 500);
  AddStage(row, v1::STAGE_DISQUALIFIED, 1200, 1200);
  AddStage(row, v1::STAGE_SAL, 1500, 100);
  AddStage(row, v1::STAGE_REJECTED, 700, 0);
  AddStage(row, v1::STAGE_SQL, 600, 50);
  AddStage(row, v1::STAGE_OPPORTUNITY, 300, 120);
  AddStage(row, v1::STAGE_WON, 100, 100);
  EXPECT_EQ(RenderFunnel(response),
            "CHANNEL      STAGE         ENTERED  NOW IN  CONVERSION\n"
            "paid_search  inquiry        12,000   3,000           -\n"
            "paid_search  mql             3,000     500       25.0%\n"
            "paid_search  sal             1,500     100       50.0%\n"
            "paid_search  sql               600      50       40.0%\n"
            "paid_search  opportunity       300     120       50.0%\n"
            "paid_search  won               100     100       33.3%\n"
            "paid_search  disqualified    1,200   1,200\n"
            "paid_search  rejected          700       0\n"
            "complete through 2026-03-10T12:00:00Z\n");
}

TEST(FunnelTableTest, EmptyResponseSaysSo) {
  EXPECT_THAT(RenderFunnel(v1::GetFunnelResponse()), HasSubstr("no rows"));
}

v1::DeadLetter InvalidEmailLetter() {
  v1::DeadLetter d;
  d.set_source_topic("leadflow.intake.raw.v1");
  d.set_source_partition(2);
  d.set_source_offset(41);
  d.set_reason_code(v1::DEAD_LETTER_REASON_INVALID);
  d.set_detail("person.email: not a valid address");
  d.set_failing_service(v1::SERVICE_NAME_INTAKE);
  *d.mutable_occurred_at() = google::protobuf::util::TimeUtil::MillisecondsToTimestamp(
      1'795'000'000'000);  // 2026-11-18T11:06:40Z
  d.set_original_value("{\"email\":\"ann@example\"}");
  return d;
}

TEST(DeadLetterTableTest, ShowsTimeServiceReasonSourceAndDetailButNoPayload) {
  const std::string table = DeadLetterTable({InvalidEmailLetter()});
  EXPECT_EQ(table,
            "TIME                  SERVICE  REASON   SOURCE                        DETAIL\n"
            "2026-11-18T11:06:40Z  intake   invalid  leadflow.intake.raw.v1[2]@41  "
            "person.email: not a valid address\n");
  EXPECT_EQ(DeadLetterTable({}), "no dead letters\n");
}

TEST(DeadLetterJsonTest, LeavesThePayloadOutUnlessAskedFor) {
  const std::string without = DeadLetterJsonLines({InvalidEmailLetter()}, false);
  EXPECT_THAT(without, HasSubstr("\"detail\":\"person.email: not a valid address\""));
  EXPECT_THAT(without, Not(HasSubstr("originalValue")));
  EXPECT_THAT(DeadLetterJsonLines({InvalidEmailLetter()}, true), HasSubstr("originalValue"));
}

TEST(QualityTableTest, ShowsRatesMoneyAndTopRejection) {
  v1::GetSourceQualityResponse response;
  v1::LeadQualityRow* r = response.add_rows();
  v1::DimensionValue* g = r->mutable_key()->add_group();
  g->set_dimension(v1::REPORT_DIMENSION_SOURCE_SYSTEM);
  g->set_value("marketo");
  r->set_leads(2500);
  r->set_mql(800);
  r->set_disqualified(300);
  r->set_accepted(450);
  r->set_rejected(150);
  r->set_acceptance_rate(0.75);
  r->set_sql(200);
  r->set_opportunities(90);
  r->set_won(30);
  v1::ReasonCount* reason = r->add_rejection_reasons();
  reason->mutable_reason()->set_code("REJECTION_REASON_BAD_TIMING");
  reason->set_count(80);
  *r->mutable_pipeline_amount() = Eur(1080000);
  *r->mutable_won_amount() = Eur(360000);
  *r->mutable_value_per_lead() = Eur(144);
  EXPECT_EQ(RenderSourceQuality(response),
            "SOURCE_SYSTEM  LEADS  MQL  DISQUALIFIED  ACCEPTED  REJECTED  ACCEPT RATE  SQL  "
            "OPPS  WON          PIPELINE      WON AMOUNT  VALUE/LEAD  TOP REJECTION\n"
            "marketo        2,500  800           300       450       150        75.0%  200    "
            "90   30  1,080,000.00 EUR  360,000.00 EUR  144.00 EUR  bad_timing (80)\n");
}

TEST(WinLossTableTest, ShowsWinRateAmountsReasonsAndCompetitor) {
  v1::GetWinLossResponse response;
  v1::WinLossRow* r = response.add_rows();
  v1::DimensionValue* g = r->mutable_key()->add_group();
  g->set_dimension(v1::REPORT_DIMENSION_FIT_GRADE);
  g->set_value("FIT_GRADE_A");
  r->set_won(3);
  r->set_lost(1);
  r->set_win_rate(0.75);
  *r->mutable_won_amount() = Eur(36000);
  *r->mutable_lost_amount() = Eur(9000);
  v1::ReasonCount* win = r->add_win_reasons();
  win->mutable_reason()->set_code("price");
  win->set_count(2);
  v1::ReasonCount* loss = r->add_loss_reasons();
  loss->mutable_reason()->set_code("features");
  loss->set_count(1);
  v1::CompetitorCount* c = r->add_competitors();
  c->set_competitor("Rivalo");
  c->set_won(1);
  c->set_lost(1);
  r->mutable_median_sales_cycle()->set_seconds(36 * 3600);
  EXPECT_EQ(RenderWinLoss(response),
            "FIT_GRADE  WON  LOST  WIN RATE     WON AMOUNT   LOST AMOUNT  TOP WIN REASON  "
            "TOP LOSS REASON  TOP COMPETITOR          MEDIAN CYCLE\n"
            "A            3     1     75.0%  36,000.00 EUR  9,000.00 EUR  price (2)       "
            "features (1)     Rivalo (won 1, lost 1)          1.5d\n");
}

}  // namespace
}  // namespace leadflow::ctl
