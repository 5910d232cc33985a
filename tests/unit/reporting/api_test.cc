// The reporting API's pure parts: the HTTP query string of a report (every parameter, and an error
// that names the parameter for anything else) and the CSV export.
#include "services/reporting/api.h"

#include "gtest/gtest.h"
#include "services/common/events/lead_events.h"

namespace leadflow::reporting {
namespace {

TEST(ReportQueryTest, EveryParameterParses) {
  v1::ReportQuery q;
  ASSERT_TRUE(ParseReportQuery({{"from", "2026-10-01"},
                                {"to", "2026-11-01T00:00:00Z"},
                                {"group_by", "channel, campaign,recycle_reason"},
                                {"bucket", "week"},
                                {"source_system", "marketo,hubspot"},
                                {"channel", "webinar,CHANNEL_PAID_SEARCH"},
                                {"campaign", "q4-launch"},
                                {"fit_grade", "A,b"},
                                {"segment", "enterprise"},
                                {"territory", "emea"},
                                {"queue", "emea-ent"},
                                {"rep", "rep-anna"},
                                {"cycle", "1,2"},
                                {"attribution", "last"},
                                {"marketing_sourced_only", "true"},
                                {"format", "csv"}},
                               &q)
                  .ok());
  EXPECT_EQ(events::MillisFromTimestamp(q.range().start()), 1'790'812'800'000);  // 2026-10-01
  EXPECT_EQ(events::MillisFromTimestamp(q.range().end()), 1'793'491'200'000);    // 2026-11-01
  ASSERT_EQ(q.group_by_size(), 3);
  EXPECT_EQ(q.group_by(0), v1::REPORT_DIMENSION_CHANNEL);
  EXPECT_EQ(q.group_by(1), v1::REPORT_DIMENSION_CAMPAIGN);
  EXPECT_EQ(q.group_by(2), v1::REPORT_DIMENSION_RECYCLE_REASON);
  EXPECT_EQ(q.bucket(), v1::TIME_BUCKET_WEEK);
  EXPECT_EQ(q.attribution(), v1::ATTRIBUTION_TOUCH_LAST);
  const v1::ReportFilter& f = q.filter();
  ASSERT_EQ(f.source_systems_size(), 2);
  EXPECT_EQ(f.source_systems(1), "hubspot");
  ASSERT_EQ(f.channels_size(), 2);
  EXPECT_EQ(f.channels(0), v1::CHANNEL_WEBINAR);
  EXPECT_EQ(f.channels(1), v1::CHANNEL_PAID_SEARCH);
  ASSERT_EQ(f.fit_grades_size(), 2);
  EXPECT_EQ(f.fit_grades(1), v1::FIT_GRADE_B);
  EXPECT_EQ(f.campaign_ids(0), "q4-launch");
  EXPECT_EQ(f.segments(0), "enterprise");
  EXPECT_EQ(f.territories(0), "emea");
  EXPECT_EQ(f.queues(0), "emea-ent");
  EXPECT_EQ(f.rep_ids(0), "rep-anna");
  ASSERT_EQ(f.cycles_size(), 2);
  EXPECT_EQ(f.cycles(1), 2);
  EXPECT_TRUE(f.marketing_sourced_only());
}

TEST(ReportQueryTest, ABadParameterIsNamedWithWhy) {
  const std::vector<std::pair<std::map<std::string, std::string>, std::string>> cases = {
      {{{"from", "yesterday"}}, "from: 'yesterday' is not an RFC 3339 time"},
      {{{"group_by", "channel,colour"}}, "group_by: 'colour' is not a dimension"},
      {{{"bucket", "fortnight"}}, "bucket: 'fortnight' is not day, week, month or quarter"},
      {{{"channel", "carrier-pigeon"}}, "channel: 'carrier-pigeon' is not a channel"},
      {{{"fit_grade", "E"}}, "fit_grade: 'E' is not a fit grade"},
      {{{"cycle", "0"}}, "cycle: '0' is not a cycle"},
      {{{"attribution", "middle"}}, "attribution: 'middle' is not first or last"},
      {{{"marketing_sourced_only", "yes"}}, "marketing_sourced_only: 'yes'"},
      {{{"colour", "red"}}, "colour: 'red' is not a report parameter"},
  };
  for (const auto& [params, want] : cases) {
    v1::ReportQuery q;
    const absl::Status s = ParseReportQuery(params, &q);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << want;
    EXPECT_NE(s.message().find(want), std::string::npos) << s.message() << " / want " << want;
  }
}

TEST(ReportCsvTest, RowsWithGroupsBucketsStagesMoneyAndReasons) {
  v1::GetFunnelResponse funnel;
  v1::FunnelRow& row = *funnel.add_rows();
  v1::DimensionValue& g = *row.mutable_key()->add_group();
  g.set_dimension(v1::REPORT_DIMENSION_CAMPAIGN);
  g.set_value("launch, \"q4\"");  // a comma and quotes: quoted and doubled
  *row.mutable_key()->mutable_bucket_start() = events::TimestampFromMillis(1'790'812'800'000);
  v1::StageCount& s = *row.add_stages();
  s.set_stage(v1::STAGE_MQL);
  s.set_entered(12);
  s.set_current(3);
  EXPECT_EQ(ReportCsv(funnel),
            "campaign,bucket_start,mql_entered,mql_current\r\n"
            "\"launch, \"\"q4\"\"\",2026-10-01T00:00:00Z,12,3\r\n");

  v1::GetSourceQualityResponse quality;
  v1::LeadQualityRow& q = *quality.add_rows();
  q.set_leads(10);
  q.set_acceptance_rate(0.75);
  q.mutable_won_amount()->set_currency_code("EUR");
  q.mutable_won_amount()->set_amount_micros(1'234'500'000);
  v1::ReasonCount& r = *q.add_rejection_reasons();
  r.mutable_reason()->set_code("bad_timing");
  r.set_count(2);
  const std::string csv = ReportCsv(quality);
  const std::string header = csv.substr(0, csv.find("\r\n"));
  EXPECT_NE(header.find("leads,"), std::string::npos) << header;
  EXPECT_NE(header.find("won_amount,won_amount_currency"), std::string::npos) << header;
  EXPECT_NE(csv.find(",1234.50,EUR,"), std::string::npos) << csv;
  EXPECT_NE(csv.find("bad_timing=2"), std::string::npos) << csv;
  EXPECT_NE(csv.find(",0.75,"), std::string::npos) << csv;
}

}  // namespace
}  // namespace leadflow::reporting
