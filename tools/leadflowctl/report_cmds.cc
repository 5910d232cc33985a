#include "tools/leadflowctl/report_cmds.h"

#include <cstdio>

#include <google/protobuf/util/time_util.h>

#include "leadflow/v1/reporting_service.grpc.pb.h"
#include "services/common/base/strings.h"
#include "services/common/base/words.h"
#include "tools/leadflowctl/table.h"

namespace leadflow::ctl {
namespace {

using google::protobuf::util::TimeUtil;

constexpr v1::Stage kMainPath[] = {v1::STAGE_INQUIRY, v1::STAGE_MQL,         v1::STAGE_SAL,
                                   v1::STAGE_SQL,     v1::STAGE_OPPORTUNITY, v1::STAGE_WON};

template <typename Enum>
absl::Status AddEnums(const std::vector<std::string>& texts,
                      const google::protobuf::EnumDescriptor* e, std::string_view flag,
                      google::protobuf::RepeatedField<int>* out) {
  for (const auto& text : texts) {
    absl::StatusOr<Enum> v = ParseEnumArg<Enum>(e, text, flag);
    if (!v.ok()) return v.status();
    out->Add(*v);
  }
  return absl::OkStatus();
}

// "CHANNEL_PAID_SEARCH" of the channel dimension → "paid_search"; "" → "(none)".
std::string DisplayValue(const v1::DimensionValue& d) {
  if (d.value().empty()) return "(none)";
  const std::string prefix =
      v1::ReportDimension_Name(d.dimension()).substr(std::string("REPORT_DIMENSION_").size()) + "_";
  if (!StartsWith(d.value(), prefix)) return d.value();
  const std::string rest = d.value().substr(prefix.size());
  return d.dimension() == v1::REPORT_DIMENSION_FIT_GRADE ? rest : AsciiStrToLower(rest);
}

std::string DimensionTitle(v1::ReportDimension d) {
  return v1::ReportDimension_Name(d).substr(std::string("REPORT_DIMENSION_").size());
}

// The group columns of a report: one per dimension of the first row, and BUCKET when bucketed.
struct KeyColumns {
  std::vector<v1::ReportDimension> dimensions;
  bool bucketed = false;

  template <typename Rows>
  static KeyColumns Of(const Rows& rows) {
    KeyColumns k;
    for (const auto& row : rows) {
      if (row.key().has_bucket_start()) k.bucketed = true;
    }
    if (!rows.empty()) {
      for (const auto& g : rows.begin()->key().group()) k.dimensions.push_back(g.dimension());
    }
    return k;
  }
  void AddTitles(std::vector<Table::Column>* columns) const {
    if (bucketed) columns->push_back({"BUCKET", false});
    for (auto d : dimensions) columns->push_back({DimensionTitle(d), false});
  }
  std::vector<std::string> Cells(const v1::RowKey& key) const {
    std::vector<std::string> cells;
    if (bucketed) {
      cells.push_back(key.has_bucket_start() ? TimeUtil::ToString(key.bucket_start()).substr(0, 10)
                                             : std::string());
    }
    for (size_t i = 0; i < dimensions.size(); ++i) {
      cells.push_back(i < static_cast<size_t>(key.group_size())
                          ? DisplayValue(key.group(static_cast<int>(i)))
                          : std::string());
    }
    return cells;
  }
};

std::string Footer(const v1::ReportMetadata& m, size_t rows) {
  std::string out;
  if (rows == 0) out = "no rows for this range and filter\n";
  if (m.has_complete_through()) {
    StrAppend(&out, "complete through ", TimeUtil::ToString(m.complete_through()));
    if (m.config_version() > 0) StrAppend(&out, " (config v", m.config_version(), ")");
    out += "\n";
  }
  return out;
}

std::string TopReason(const google::protobuf::RepeatedPtrField<v1::ReasonCount>& reasons) {
  if (reasons.empty()) return "-";
  const v1::ReasonCount& top = reasons.Get(0);
  std::string code = top.reason().code().empty() ? top.reason().text() : top.reason().code();
  // Rejection reasons come as enum value names; show them as typed on the command line.
  if (StartsWith(code, "REJECTION_REASON_")) code = AsciiStrToLower(code.substr(17));
  return StrCat(code, " (", FormatCount(top.count()), ")");
}

std::string DurationText(const google::protobuf::Duration& d) {
  if (d.seconds() == 0 && d.nanos() == 0) return "-";
  const double seconds = static_cast<double>(d.seconds()) + d.nanos() / 1e9;
  char buf[32];
  if (seconds >= 86400) {
    std::snprintf(buf, sizeof(buf), "%.1fd", seconds / 86400);
  } else if (seconds >= 3600) {
    std::snprintf(buf, sizeof(buf), "%.1fh", seconds / 3600);
  } else if (seconds >= 60) {
    std::snprintf(buf, sizeof(buf), "%.1fm", seconds / 60);
  } else {
    std::snprintf(buf, sizeof(buf), "%.1fs", seconds);
  }
  return buf;
}

std::string StageName(v1::Stage s) { return EnumWords(v1::Stage_Name(s), "STAGE_"); }

}  // namespace

absl::StatusOr<v1::ReportQuery> BuildReportQuery(const ReportArgs& args,
                                                 std::chrono::system_clock::time_point now) {
  v1::ReportQuery q;
  if (!args.from.empty()) {
    auto t = ParseTimeArg(args.from, "--from", now);
    if (!t.ok()) return t.status();
    *q.mutable_range()->mutable_start() = *t;
  }
  if (!args.to.empty()) {
    auto t = ParseTimeArg(args.to, "--to", now);
    if (!t.ok()) return t.status();
    *q.mutable_range()->mutable_end() = *t;
  }
  if (absl::Status s = AddEnums<v1::ReportDimension>(
          args.group_by, v1::ReportDimension_descriptor(), "--group-by", q.mutable_group_by());
      !s.ok()) {
    return s;
  }
  if (!args.bucket.empty()) {
    auto b = ParseEnumArg<v1::TimeBucket>(v1::TimeBucket_descriptor(), args.bucket, "--bucket");
    if (!b.ok()) return b.status();
    q.set_bucket(*b);
  }
  if (!args.touch.empty()) {
    auto t = ParseEnumArg<v1::AttributionTouch>(v1::AttributionTouch_descriptor(), args.touch,
                                                "--touch");
    if (!t.ok()) return t.status();
    q.set_attribution(*t);
  }
  v1::ReportFilter& f = *q.mutable_filter();
  if (absl::Status s = AddEnums<v1::Channel>(args.channels, v1::Channel_descriptor(), "--channel",
                                             f.mutable_channels());
      !s.ok()) {
    return s;
  }
  if (absl::Status s = AddEnums<v1::FitGrade>(args.grades, v1::FitGrade_descriptor(), "--grade",
                                              f.mutable_fit_grades());
      !s.ok()) {
    return s;
  }
  for (const auto& c : args.campaigns) f.add_campaign_ids(c);
  for (const auto& s : args.source_systems) f.add_source_systems(s);
  for (const auto& s : args.segments) f.add_segments(s);
  f.set_marketing_sourced_only(args.marketing_sourced_only);
  return q;
}

std::string RenderFunnel(const v1::GetFunnelResponse& response) {
  const KeyColumns keys = KeyColumns::Of(response.rows());
  std::vector<Table::Column> columns;
  keys.AddTitles(&columns);
  columns.push_back({"STAGE", false});
  columns.push_back({"ENTERED", true});
  columns.push_back({"NOW IN", true});
  columns.push_back({"CONVERSION", true});
  Table table(columns);
  for (const v1::FunnelRow& row : response.rows()) {
    const std::vector<std::string> key = keys.Cells(row.key());
    auto add = [&](const std::string& stage, const v1::StageCount* count,
                   const std::string& conversion) {
      std::vector<std::string> cells = key;
      cells.push_back(stage);
      cells.push_back(FormatCount(count == nullptr ? 0 : count->entered()));
      cells.push_back(FormatCount(count == nullptr ? 0 : count->current()));
      cells.push_back(conversion);
      table.AddRow(std::move(cells));
    };
    auto find = [&](v1::Stage s) -> const v1::StageCount* {
      for (const auto& c : row.stages()) {
        if (c.stage() == s) return &c;
      }
      return nullptr;
    };
    const v1::StageCount* previous = nullptr;
    bool first = true;
    for (v1::Stage s : kMainPath) {
      const v1::StageCount* count = find(s);
      std::string conversion = "-";
      if (!first) {
        const int64_t from = previous == nullptr ? 0 : previous->entered();
        const int64_t to = count == nullptr ? 0 : count->entered();
        conversion =
            from > 0 ? FormatPercent(static_cast<double>(to) / static_cast<double>(from)) : "-";
      }
      add(StageName(s), count, conversion);
      previous = count;
      first = false;
    }
    // Side stages (disqualified, rejected, lost, nurture, ...) where cycles went instead.
    for (const auto& c : row.stages()) {
      bool main = false;
      for (v1::Stage s : kMainPath) main = main || s == c.stage();
      if (!main && c.entered() > 0) add(StageName(c.stage()), &c, "");
    }
  }
  return (response.rows().empty() ? std::string() : table.Render()) +
         Footer(response.metadata(), static_cast<size_t>(response.rows_size()));
}

std::string RenderSourceQuality(const v1::GetSourceQualityResponse& response) {
  const KeyColumns keys = KeyColumns::Of(response.rows());
  std::vector<Table::Column> columns;
  keys.AddTitles(&columns);
  for (const char* title : {"LEADS", "MQL", "DISQUALIFIED", "ACCEPTED", "REJECTED", "ACCEPT RATE",
                            "SQL", "OPPS", "WON", "PIPELINE", "WON AMOUNT", "VALUE/LEAD"}) {
    columns.push_back({title, true});
  }
  columns.push_back({"TOP REJECTION", false});
  Table table(columns);
  for (const v1::LeadQualityRow& r : response.rows()) {
    std::vector<std::string> cells = keys.Cells(r.key());
    for (int64_t n : {r.leads(), r.mql(), r.disqualified(), r.accepted(), r.rejected()}) {
      cells.push_back(FormatCount(n));
    }
    cells.push_back(r.accepted() + r.rejected() > 0 ? FormatPercent(r.acceptance_rate()) : "-");
    for (int64_t n : {r.sql(), r.opportunities(), r.won()}) cells.push_back(FormatCount(n));
    cells.push_back(FormatMoney(r.pipeline_amount()));
    cells.push_back(FormatMoney(r.won_amount()));
    cells.push_back(FormatMoney(r.value_per_lead()));
    cells.push_back(TopReason(r.rejection_reasons()));
    table.AddRow(std::move(cells));
  }
  return (response.rows().empty() ? std::string() : table.Render()) +
         Footer(response.metadata(), static_cast<size_t>(response.rows_size()));
}

std::string RenderWinLoss(const v1::GetWinLossResponse& response) {
  const KeyColumns keys = KeyColumns::Of(response.rows());
  std::vector<Table::Column> columns;
  keys.AddTitles(&columns);
  for (const char* title : {"WON", "LOST", "WIN RATE", "WON AMOUNT", "LOST AMOUNT"}) {
    columns.push_back({title, true});
  }
  columns.push_back({"TOP WIN REASON", false});
  columns.push_back({"TOP LOSS REASON", false});
  columns.push_back({"TOP COMPETITOR", false});
  columns.push_back({"MEDIAN CYCLE", true});
  Table table(columns);
  for (const v1::WinLossRow& r : response.rows()) {
    std::vector<std::string> cells = keys.Cells(r.key());
    cells.push_back(FormatCount(r.won()));
    cells.push_back(FormatCount(r.lost()));
    cells.push_back(r.won() + r.lost() > 0 ? FormatPercent(r.win_rate()) : "-");
    cells.push_back(FormatMoney(r.won_amount()));
    cells.push_back(FormatMoney(r.lost_amount()));
    cells.push_back(TopReason(r.win_reasons()));
    cells.push_back(TopReason(r.loss_reasons()));
    if (r.competitors().empty()) {
      cells.push_back("-");
    } else {
      const v1::CompetitorCount& c = r.competitors(0);
      cells.push_back(StrCat(c.competitor(), " (won ", FormatCount(c.won()), ", lost ",
                             FormatCount(c.lost()), ")"));
    }
    cells.push_back(DurationText(r.median_sales_cycle()));
    table.AddRow(std::move(cells));
  }
  return (response.rows().empty() ? std::string() : table.Render()) +
         Footer(response.metadata(), static_cast<size_t>(response.rows_size()));
}

void ReportCommands::Add(CLI::App* app) {
  funnel_ = app->add_subcommand(
      "funnel",
      "lead-cycles entering each stage, with the conversion from stage to stage "
      "(ReportingService.GetFunnel)\n"
      "examples:\n"
      "  leadflowctl funnel --from 2026-01-01 --to 2026-04-01\n"
      "  leadflowctl funnel --from 90d --group-by channel,campaign --grade a,b --mode period");
  quality_ = app->add_subcommand(
      "quality",
      "lead quality by source: acceptance, rejection reasons, outcomes, value per lead "
      "(GetSourceQuality)\n"
      "example:\n"
      "  leadflowctl quality --from 2026-01-01 --group-by source_system,campaign");
  winloss_ = app->add_subcommand(
      "winloss",
      "won and lost opportunities: win rate, amounts, reasons, competitors (GetWinLoss)\n"
      "example:\n"
      "  leadflowctl winloss --from 2026-01-01 --group-by segment --channel paid_search");
  for (CLI::App* cmd : {funnel_, quality_, winloss_}) {
    ReportArgs& a = args_;
    cmd->add_option("--from", a.from, "range start: RFC 3339 time, date, or duration ago (30d)");
    cmd->add_option("--to", a.to, "range end, exclusive (default: now)");
    cmd->add_option(
           "--group-by", a.group_by,
           "dimensions, comma-separated: " + AllowedValues(v1::ReportDimension_descriptor()))
        ->delimiter(',');
    cmd->add_option("--bucket", a.bucket,
                    "time buckets: " + AllowedValues(v1::TimeBucket_descriptor()));
    cmd->add_option("--touch", a.touch,
                    "attribution touch for source/channel/campaign: first|last");
    cmd->add_option("--channel", a.channels, "only these channels (comma-separated)")
        ->delimiter(',');
    cmd->add_option("--campaign", a.campaigns, "only these campaign ids")->delimiter(',');
    cmd->add_option("--source-system", a.source_systems, "only these source systems")
        ->delimiter(',');
    cmd->add_option("--segment", a.segments, "only these company segments")->delimiter(',');
    cmd->add_option("--grade", a.grades, "only these fit grades: a,b,c,d")->delimiter(',');
    cmd->add_flag("--marketing-sourced", a.marketing_sourced_only, "only marketing-sourced leads");
  }
  funnel_->add_option("--mode", mode_,
                      "cohort (cycles started in the range) or period (stage entries in it)");
}

std::optional<int> ReportCommands::Run(const CallOptions& options) {
  if (!funnel_->parsed() && !quality_->parsed() && !winloss_->parsed()) return std::nullopt;
  absl::StatusOr<v1::ReportQuery> query = BuildReportQuery(args_, std::chrono::system_clock::now());
  if (!query.ok()) return FailUsage(query.status());
  auto stub = v1::ReportingService::NewStub(ChannelTo(options, options.reporting_address));
  grpc::Status status;
  std::string out;
  if (funnel_->parsed()) {
    v1::GetFunnelRequest request;
    *request.mutable_query() = *query;
    if (!mode_.empty()) {
      auto mode = ParseEnumArg<v1::FunnelMode>(v1::FunnelMode_descriptor(), mode_, "--mode");
      if (!mode.ok()) return FailUsage(mode.status());
      request.set_mode(*mode);
    }
    v1::GetFunnelResponse response;
    status = stub->GetFunnel(UnaryContext(options).get(), request, &response);
    out = options.json ? ToJsonLine(response) + "\n" : RenderFunnel(response);
  } else if (quality_->parsed()) {
    v1::GetSourceQualityRequest request;
    *request.mutable_query() = *query;
    v1::GetSourceQualityResponse response;
    status = stub->GetSourceQuality(UnaryContext(options).get(), request, &response);
    out = options.json ? ToJsonLine(response) + "\n" : RenderSourceQuality(response);
  } else {
    v1::GetWinLossRequest request;
    *request.mutable_query() = *query;
    v1::GetWinLossResponse response;
    status = stub->GetWinLoss(UnaryContext(options).get(), request, &response);
    out = options.json ? ToJsonLine(response) + "\n" : RenderWinLoss(response);
  }
  if (!status.ok()) return FailRpc(status);
  std::fputs(out.c_str(), stdout);
  return 0;
}

}  // namespace leadflow::ctl
