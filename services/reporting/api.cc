#include "services/reporting/api.h"

#include <google/protobuf/util/json_util.h>

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "services/common/base/strings.h"
#include "services/common/config/proto_yaml.h"
#include "services/common/events/lead_events.h"
#include "services/common/http/json_api.h"
#include "services/common/lifecycle/comp.h"
#include "services/common/lifecycle/stage_model.h"
#include "services/common/rpc/status.h"
#include "services/common/stream/task_state.h"
#include "services/reporting/aggregates.h"
#include "services/reporting/dashboard_assets.h"
#include "services/reporting/processor.h"

namespace leadflow::reporting {
namespace {

namespace pb = google::protobuf;

std::string FirstViolation(const std::vector<config::ConfigViolation>& v) {
  return v.empty() ? std::string() : StrCat(v.front().path, ": ", v.front().why);
}

std::vector<std::string> Values(const std::string& raw) {
  std::vector<std::string> out;
  for (absl::string_view v : absl::StrSplit(raw, ',', absl::SkipWhitespace())) {
    out.emplace_back(absl::StripAsciiWhitespace(v));
  }
  return out;
}

// An enum value by its full name ("CHANNEL_WEBINAR") or without the prefix ("webinar", "A"), as
// the config files name them (config::FindEnumValueByShortName); never *_UNSPECIFIED.
template <typename E>
bool ParseEnum(const pb::EnumDescriptor* d, std::string_view text, E* out) {
  const pb::EnumValueDescriptor* v = config::FindEnumValueByShortName(d, text);
  if (v == nullptr) return false;
  *out = static_cast<E>(v->number());
  return true;
}

absl::StatusOr<pb::Timestamp> ParseTimeParam(const std::string& name, const std::string& text) {
  absl::Time t;
  std::string err;
  if (!absl::ParseTime(absl::RFC3339_full, text, &t, &err) &&
      !absl::ParseTime("%Y-%m-%d", text, absl::UTCTimeZone(), &t, &err)) {
    return absl::InvalidArgumentError(
        StrCat(name, ": '", text, "' is not an RFC 3339 time or a YYYY-MM-DD date"));
  }
  return events::TimestampFromMillis(absl::ToUnixMillis(t));
}

absl::Status BadParam(const std::string& name, const std::string& value, std::string_view why) {
  return absl::InvalidArgumentError(StrCat(name, ": '", value, "' ", why));
}

void EscapeCsv(std::string_view cell, std::string* out) {
  if (cell.find_first_of(",\"\r\n") == std::string_view::npos) {
    out->append(cell);
    return;
  }
  out->push_back('"');
  for (char c : cell) {
    if (c == '"') out->push_back('"');
    out->push_back(c);
  }
  out->push_back('"');
}

std::string MoneyAmount(const v1::Money& m) {
  return absl::StrFormat("%.2f", static_cast<double>(m.amount_micros()) / 1e6);
}

std::string DurationSeconds(const pb::Duration& d) {
  return absl::StrFormat("%.3f", static_cast<double>(d.seconds()) + d.nanos() / 1e9);
}

// Flattens one report row into (column, cell) pairs, in field order.
void Flatten(const pb::Message& row, const std::string& prefix,
             std::vector<std::pair<std::string, std::string>>* out) {
  const pb::Descriptor* d = row.GetDescriptor();
  const pb::Reflection* r = row.GetReflection();
  for (int i = 0; i < d->field_count(); ++i) {
    const pb::FieldDescriptor* f = d->field(i);
    const std::string name = prefix + f->name();
    if (f->is_repeated()) {
      const int n = r->FieldSize(row, f);
      if (f->message_type() == v1::StageCount::descriptor()) {
        for (int j = 0; j < n; ++j) {
          const auto& s = static_cast<const v1::StageCount&>(r->GetRepeatedMessage(row, f, j));
          const std::string stage =
              absl::AsciiStrToLower(v1::Stage_Name(s.stage()).substr(sizeof("STAGE_") - 1));
          out->emplace_back(stage + "_entered", std::to_string(s.entered()));
          out->emplace_back(stage + "_current", std::to_string(s.current()));
        }
        continue;
      }
      std::string cell;
      for (int j = 0; j < n; ++j) {
        if (!cell.empty()) cell += ';';
        if (f->cpp_type() == pb::FieldDescriptor::CPPTYPE_MESSAGE) {
          const pb::Message& m = r->GetRepeatedMessage(row, f, j);
          if (m.GetDescriptor() == v1::ReasonCount::descriptor()) {
            const auto& rc = static_cast<const v1::ReasonCount&>(m);
            StrAppend(&cell, rc.reason().code(), "=", rc.count());
          } else if (m.GetDescriptor() == v1::CompetitorCount::descriptor()) {
            const auto& cc = static_cast<const v1::CompetitorCount&>(m);
            StrAppend(&cell, cc.competitor(), "=won:", cc.won(), "/lost:", cc.lost());
          } else {
            cell += m.ShortDebugString();
          }
        } else {
          cell += r->GetRepeatedString(row, f, j);
        }
      }
      out->emplace_back(name, cell);
      continue;
    }
    switch (f->cpp_type()) {
      case pb::FieldDescriptor::CPPTYPE_MESSAGE: {
        const pb::Message& m = r->GetMessage(row, f);
        if (m.GetDescriptor() == v1::RowKey::descriptor()) {
          const auto& key = static_cast<const v1::RowKey&>(m);
          for (const v1::DimensionValue& g : key.group()) {
            out->emplace_back(absl::AsciiStrToLower(v1::ReportDimension_Name(g.dimension())
                                                        .substr(sizeof("REPORT_DIMENSION_") - 1)),
                              g.value());
          }
          if (key.has_bucket_start()) {
            out->emplace_back("bucket_start",
                              absl::FormatTime("%Y-%m-%dT%H:%M:%SZ",
                                               absl::FromUnixMillis(
                                                   events::MillisFromTimestamp(key.bucket_start())),
                                               absl::UTCTimeZone()));
          }
        } else if (m.GetDescriptor() == v1::Money::descriptor()) {
          const auto& money = static_cast<const v1::Money&>(m);
          out->emplace_back(name, r->HasField(row, f) ? MoneyAmount(money) : "");
          out->emplace_back(name + "_currency", money.currency_code());
        } else if (m.GetDescriptor() == pb::Duration::descriptor()) {
          out->emplace_back(
              name + "_seconds",
              r->HasField(row, f) ? DurationSeconds(static_cast<const pb::Duration&>(m)) : "");
        } else {
          Flatten(m, name + ".", out);
        }
        break;
      }
      case pb::FieldDescriptor::CPPTYPE_ENUM:
        out->emplace_back(name, r->GetEnum(row, f)->name());
        break;
      case pb::FieldDescriptor::CPPTYPE_STRING:
        out->emplace_back(name, r->GetString(row, f));
        break;
      case pb::FieldDescriptor::CPPTYPE_DOUBLE:
        out->emplace_back(name, absl::StrFormat("%.6g", r->GetDouble(row, f)));
        break;
      case pb::FieldDescriptor::CPPTYPE_BOOL:
        out->emplace_back(name, r->GetBool(row, f) ? "true" : "false");
        break;
      case pb::FieldDescriptor::CPPTYPE_INT64:
        out->emplace_back(name, std::to_string(r->GetInt64(row, f)));
        break;
      case pb::FieldDescriptor::CPPTYPE_INT32:
        out->emplace_back(name, std::to_string(r->GetInt32(row, f)));
        break;
      default:
        break;
    }
  }
}

template <typename Request, typename Response>
http::Response Report(const http::Request& req, Request request,
                      const std::function<absl::StatusOr<Response>(const Request&)>& run,
                      const std::function<absl::Status(const http::Request&, Request*)>& extra) {
  if (absl::Status s = ParseReportQuery(req.query, request.mutable_query()); !s.ok()) {
    return http::StatusResponse(s);
  }
  if (extra) {
    if (absl::Status s = extra(req, &request); !s.ok()) return http::StatusResponse(s);
  }
  absl::StatusOr<Response> response = run(request);
  if (!response.ok()) return http::StatusResponse(response.status());
  auto format = req.query.find("format");
  if (format != req.query.end() && format->second == "csv") {
    return {200, "text/csv; charset=utf-8", ReportCsv(*response)};
  }
  if (format != req.query.end() && format->second != "json") {
    return http::StatusResponse(BadParam("format", format->second, "is not json or csv"));
  }
  return http::JsonResponse(200, *response, /*print_defaults=*/true);
}

absl::Status StagePair(const http::Request& req, v1::Stage* from, v1::Stage* to) {
  for (auto [name, out] : {std::pair{"from_stage", from}, std::pair{"to_stage", to}}) {
    auto it = req.query.find(name);
    if (it == req.query.end() || it->second.empty()) continue;
    if (!ParseEnum(v1::Stage_descriptor(), it->second, out)) {
      return BadParam(name, it->second, "is not a stage (e.g. MQL, SAL, WON)");
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<ReportingConfigSource>> LoadReportingConfig(
    const std::string& stages_file, const std::string& comp_file) {
  absl::StatusOr<v1::StageModel> stages = lifecycle::LoadStageModelFile(stages_file);
  if (!stages.ok()) return stages.status();
  absl::StatusOr<v1::CompSummary> comp = lifecycle::LoadCompFile(comp_file);
  if (!comp.ok()) return comp.status();
  v1::ConfigRecord stages_record, comp_record;
  *stages_record.mutable_stage_model() = std::move(*stages);
  *comp_record.mutable_comp_summary() = std::move(*comp);
  return ReportingConfigSource::Create(
      config::ConfigSet({
          {"stage_model", stages_record,
           [](const v1::ConfigRecord& r) {
             return FirstViolation(lifecycle::ValidateStageModel(r.stage_model()));
           }},
          {"comp_summary", comp_record,
           [](const v1::ConfigRecord& r) {
             return FirstViolation(lifecycle::ValidateComp(r.comp_summary()));
           }},
          {"scoring_model", std::nullopt, nullptr},
      }),
      [](const config::ConfigSet& set) -> absl::StatusOr<std::shared_ptr<const ReportingConfig>> {
        auto c = std::make_shared<ReportingConfig>();
        c->version = set.version();
        for (const v1::StageDefinition& d : set.Get("stage_model")->stage_model().stages()) {
          c->stages.push_back(d.stage());
        }
        const v1::ConfigRecord* comp_in_force = set.Get("comp_summary");
        c->comp = comp_in_force->comp_summary();
        c->comp_version = comp_in_force->version().version();
        if (const v1::ConfigRecord* model = set.Get("scoring_model"); model != nullptr) {
          c->model = model->scoring_model();
          c->model_config_version = model->version().version();
        }
        return std::shared_ptr<const ReportingConfig>(std::move(c));
      });
}

absl::Status ParseReportQuery(const std::map<std::string, std::string>& params,
                              v1::ReportQuery* q) {
  static const std::set<std::string, std::less<>> kKnown = {
      "from",    "to",       "group_by",   "bucket",      "source_system",
      "channel", "campaign", "fit_grade",  "segment",     "territory",
      "queue",   "rep",      "cycle",      "attribution", "marketing_sourced_only",
      "format",  "mode",     "from_stage", "to_stage",    "comp_summary_version"};
  for (const auto& [name, value] : params) {
    if (!kKnown.contains(name)) return BadParam(name, value, "is not a report parameter");
    if (name == "from" || name == "to") {
      absl::StatusOr<pb::Timestamp> t = ParseTimeParam(name, value);
      if (!t.ok()) return t.status();
      *(name == "from" ? q->mutable_range()->mutable_start() : q->mutable_range()->mutable_end()) =
          *t;
    } else if (name == "group_by") {
      for (const std::string& v : Values(value)) {
        v1::ReportDimension dimension;
        if (!ParseEnum(v1::ReportDimension_descriptor(), v, &dimension)) {
          return BadParam(name, v, "is not a dimension (e.g. channel, campaign, fit_grade)");
        }
        q->add_group_by(dimension);
      }
    } else if (name == "bucket") {
      v1::TimeBucket b;
      if (!ParseEnum(v1::TimeBucket_descriptor(), value, &b)) {
        return BadParam(name, value, "is not day, week, month or quarter");
      }
      q->set_bucket(b);
    } else if (name == "attribution") {
      v1::AttributionTouch t;
      if (!ParseEnum(v1::AttributionTouch_descriptor(), value, &t)) {
        return BadParam(name, value, "is not first or last");
      }
      q->set_attribution(t);
    } else if (name == "marketing_sourced_only") {
      if (value != "true" && value != "false") return BadParam(name, value, "is not true/false");
      q->mutable_filter()->set_marketing_sourced_only(value == "true");
    } else if (name == "channel") {
      for (const std::string& v : Values(value)) {
        v1::Channel c;
        if (!ParseEnum(v1::Channel_descriptor(), v, &c)) {
          return BadParam(name, v, "is not a channel (e.g. webinar, paid_search)");
        }
        q->mutable_filter()->add_channels(c);
      }
    } else if (name == "fit_grade") {
      for (const std::string& v : Values(value)) {
        v1::FitGrade g;
        if (!ParseEnum(v1::FitGrade_descriptor(), v, &g)) {
          return BadParam(name, v, "is not a fit grade (A to D)");
        }
        q->mutable_filter()->add_fit_grades(g);
      }
    } else if (name == "cycle") {
      for (const std::string& v : Values(value)) {
        int32_t c = 0;
        if (!absl::SimpleAtoi(v, &c) || c < 1) return BadParam(name, v, "is not a cycle (1, 2, …)");
        q->mutable_filter()->add_cycles(c);
      }
    } else {
      v1::ReportFilter& f = *q->mutable_filter();
      auto* list = name == "source_system" ? f.mutable_source_systems()
                   : name == "campaign"    ? f.mutable_campaign_ids()
                   : name == "segment"     ? f.mutable_segments()
                   : name == "territory"   ? f.mutable_territories()
                   : name == "queue"       ? f.mutable_queues()
                   : name == "rep"         ? f.mutable_rep_ids()
                                           : nullptr;
      if (list != nullptr) {
        for (std::string& v : Values(value)) list->Add(std::move(v));
      }
      // format, mode, from_stage, to_stage, comp_summary_version: read by the route.
    }
  }
  return absl::OkStatus();
}

std::string ReportCsv(const pb::Message& response) {
  const pb::FieldDescriptor* rows = response.GetDescriptor()->FindFieldByName("rows");
  if (rows == nullptr || !rows->is_repeated()) return "";
  const pb::Reflection* r = response.GetReflection();
  std::vector<std::string> columns;
  std::vector<std::map<std::string, std::string>> lines;
  for (int i = 0; i < r->FieldSize(response, rows); ++i) {
    std::vector<std::pair<std::string, std::string>> cells;
    Flatten(r->GetRepeatedMessage(response, rows, i), "", &cells);
    std::map<std::string, std::string> line;
    for (auto& [column, cell] : cells) {
      if (std::find(columns.begin(), columns.end(), column) == columns.end()) {
        columns.push_back(column);
      }
      line[column] = std::move(cell);
    }
    lines.push_back(std::move(line));
  }
  std::string out;
  for (size_t i = 0; i < columns.size(); ++i) {
    if (i > 0) out += ',';
    EscapeCsv(columns[i], &out);
  }
  out += "\r\n";
  for (const auto& line : lines) {
    for (size_t i = 0; i < columns.size(); ++i) {
      if (i > 0) out += ',';
      auto it = line.find(columns[i]);
      if (it != line.end()) EscapeCsv(it->second, &out);
    }
    out += "\r\n";
  }
  return out;
}

ReportingCore::ReportingCore(ReportingCoreOptions options, const stream::StreamApp* app,
                             std::unique_ptr<ReportingConfigSource> config,
                             std::function<int64_t()> now_ms)
    : options_(std::move(options)),
      app_(app),
      now_ms_(std::move(now_ms)),
      config_(std::move(config)) {}

absl::StatusOr<std::shared_ptr<const ReportingConfig>> ReportingCore::Config() {
  std::lock_guard<std::mutex> lock(config_mu_);
  const stream::GlobalTable* table =
      app_ == nullptr ? nullptr : app_->global_table(options_.config_topic);
  if (table != nullptr) {
    absl::StatusOr<ReportingConfigSource::Update> update = config_->Refresh(
        table->generation(), [table](std::string_view key) { return table->Get(key); });
    if (!update.ok()) return update.status();
  }
  return config_->current();
}

absl::StatusOr<ReportingCore::RowSet> ReportingCore::Rows() {
  const stream::GlobalTable* replica =
      app_ == nullptr ? nullptr : app_->global_table(options_.changelog_topic);
  if (replica == nullptr) {
    return absl::UnavailableError("reporting is starting: its replica of the facts is not open");
  }
  std::lock_guard<std::mutex> lock(rows_mu_);
  const uint64_t generation = replica->generation();
  const int64_t now = now_ms_();
  if (rows_ != nullptr &&
      (generation == rows_generation_ || now - rows_at_ms_ < options_.rows_max_age.count())) {
    return rows_;
  }
  auto rows = std::make_shared<std::vector<v1::LeadCycleFacts>>();
  if (rows_ != nullptr) rows->reserve(rows_->size());
  absl::Status parse_error;
  const std::string prefix = stream::ChangelogKey(kCyclesStore, "");
  absl::Status scanned = replica->Scan(prefix, [&](std::string_view key, std::string_view value) {
    v1::LeadCycleFacts& f = rows->emplace_back();
    if (!f.ParseFromArray(value.data(), static_cast<int>(value.size()))) {
      parse_error = absl::DataLossError(
          StrCat("fact row ", key.substr(prefix.size()), " in the replica does not parse"));
      return false;
    }
    return true;
  });
  if (!scanned.ok()) return scanned;
  if (!parse_error.ok()) return parse_error;
  rows_ = std::move(rows);
  rows_generation_ = generation;
  rows_at_ms_ = now;
  return rows_;
}

// Reads the rows and the config, computes the report, stamps its metadata.
template <typename Compute>
auto ReportingCore::Report(Compute compute) -> decltype(compute(RowSet(), ReportingConfig())) {
  absl::StatusOr<RowSet> rows = Rows();
  if (!rows.ok()) return rows.status();
  absl::StatusOr<std::shared_ptr<const ReportingConfig>> config = Config();
  if (!config.ok()) return config.status();
  auto out = compute(*rows, **config);
  if (out.ok()) out->mutable_metadata()->set_config_version((*config)->version);
  return out;
}

absl::StatusOr<v1::GetFunnelResponse> ReportingCore::GetFunnel(const v1::GetFunnelRequest& r) {
  return Report([&](const RowSet& rows, const ReportingConfig& c) {
    return Funnel(*rows, r, c.stages, now_ms_());
  });
}
absl::StatusOr<v1::GetConversionResponse> ReportingCore::GetConversion(
    const v1::GetConversionRequest& r) {
  return Report([&](const RowSet& rows, const ReportingConfig& c) {
    return Conversion(*rows, r, MainPath(c.stages), now_ms_());
  });
}
absl::StatusOr<v1::GetVelocityResponse> ReportingCore::GetVelocity(
    const v1::GetVelocityRequest& r) {
  return Report([&](const RowSet& rows, const ReportingConfig& c) {
    return Velocity(*rows, r, MainPath(c.stages), now_ms_());
  });
}
absl::StatusOr<v1::GetSlaComplianceResponse> ReportingCore::GetSlaCompliance(
    const v1::GetSlaComplianceRequest& r) {
  return Report([&](const RowSet& rows, const ReportingConfig&) {
    return SlaCompliance(*rows, r, now_ms_());
  });
}
absl::StatusOr<v1::GetSourceQualityResponse> ReportingCore::GetSourceQuality(
    const v1::GetSourceQualityRequest& r) {
  return Report([&](const RowSet& rows, const ReportingConfig&) {
    return LeadQuality(*rows, r, options_.rejected_lead_cost_micros, now_ms_(),
                       options_.rejected_lead_cost_currency);
  });
}
absl::StatusOr<v1::GetWinLossResponse> ReportingCore::GetWinLoss(const v1::GetWinLossRequest& r) {
  return Report(
      [&](const RowSet& rows, const ReportingConfig&) { return WinLoss(*rows, r, now_ms_()); });
}
absl::StatusOr<v1::GetAttributionResponse> ReportingCore::GetAttribution(
    const v1::GetAttributionRequest& r) {
  return Report([&](const RowSet& rows, const ReportingConfig& c) {
    return MarketingSourcedRevenue(*rows, r, c.comp, c.comp_version, now_ms_());
  });
}
absl::StatusOr<v1::GetRecycleEffectivenessResponse> ReportingCore::GetRecycleEffectiveness(
    const v1::GetRecycleEffectivenessRequest& r) {
  return Report([&](const RowSet& rows, const ReportingConfig&) {
    return RecycleEffectiveness(*rows, r, now_ms_());
  });
}

absl::StatusOr<v1::GetCompSummaryResponse> ReportingCore::GetCompSummary() {
  absl::StatusOr<std::shared_ptr<const ReportingConfig>> config = Config();
  if (!config.ok()) return config.status();
  v1::GetCompSummaryResponse out;
  *out.mutable_summary() = (*config)->comp;
  out.set_version((*config)->comp_version);
  out.set_text(lifecycle::CompInWords((*config)->comp));
  return out;
}

absl::StatusOr<v1::GetScoringModelResponse> ReportingCore::GetScoringModel(
    const v1::GetScoringModelRequest& request) {
  if (request.runs() < 0 || request.runs() > 100) {
    return absl::InvalidArgumentError("runs: 0 to 100 (0 = 10)");
  }
  absl::StatusOr<std::shared_ptr<const ReportingConfig>> config = Config();
  if (!config.ok()) return config.status();
  v1::GetScoringModelResponse out;
  if ((*config)->model.has_value()) *out.mutable_current() = *(*config)->model;
  const size_t n = request.runs() == 0 ? 10 : static_cast<size_t>(request.runs());
  std::lock_guard<std::mutex> lock(runs_mu_);
  for (size_t i = 0; i < runs_.size() && i < n; ++i) *out.add_runs() = runs_[i];
  return out;
}

absl::StatusOr<int64_t> ReportingCore::LatestConfigVersion() {
  const stream::GlobalTable* table =
      app_ == nullptr ? nullptr : app_->global_table(options_.config_topic);
  if (table == nullptr) return absl::UnavailableError("the config table is not open yet");
  int64_t latest = 0;
  absl::Status scanned = table->Scan("", [&](std::string_view, std::string_view value) {
    v1::ConfigRecord r;
    if (r.ParseFromArray(value.data(), static_cast<int>(value.size()))) {
      latest = std::max(latest, r.version().version());
    }
    return true;
  });
  if (!scanned.ok()) return scanned;
  return latest;
}

void ReportingCore::RecordRun(v1::ScoringModelRun run) {
  std::lock_guard<std::mutex> lock(runs_mu_);
  runs_.push_front(std::move(run));
  while (runs_.size() > options_.max_runs) runs_.pop_back();
}

// --- gRPC ---

#define LF_RPC(Method, Call)                                                                      \
  grpc::Status ReportingGrpcService::Method(                                                      \
      grpc::ServerContext*, const v1::Method##Request* request, v1::Method##Response* response) { \
    auto out = Call;                                                                              \
    if (!out.ok()) return rpc::ToGrpcStatus(out.status());                                        \
    *response = std::move(*out);                                                                  \
    return grpc::Status::OK;                                                                      \
  }
LF_RPC(GetFunnel, core_->GetFunnel(*request))
LF_RPC(GetConversion, core_->GetConversion(*request))
LF_RPC(GetVelocity, core_->GetVelocity(*request))
LF_RPC(GetSlaCompliance, core_->GetSlaCompliance(*request))
LF_RPC(GetSourceQuality, core_->GetSourceQuality(*request))
LF_RPC(GetWinLoss, core_->GetWinLoss(*request))
LF_RPC(GetAttribution, core_->GetAttribution(*request))
LF_RPC(GetRecycleEffectiveness, core_->GetRecycleEffectiveness(*request))
LF_RPC(GetScoringModel, core_->GetScoringModel(*request))
#undef LF_RPC

grpc::Status ReportingGrpcService::GetCompSummary(grpc::ServerContext*,
                                                  const v1::GetCompSummaryRequest*,
                                                  v1::GetCompSummaryResponse* response) {
  auto out = core_->GetCompSummary();
  if (!out.ok()) return rpc::ToGrpcStatus(out.status());
  *response = std::move(*out);
  return grpc::Status::OK;
}

// --- HTTP ---

void AddHttpRoutes(ReportingCore* core, http::HttpServer* server) {
  // GET /v1/reports/<name> serves ReportingService.<method>.
  auto route = [server](const std::string& name, const std::string& method, auto handler) {
    server->Handle("GET", "/v1/reports/" + name,
                   http::Access::Method("leadflow.v1.ReportingService." + method),
                   std::move(handler));
  };
  route("funnel", "GetFunnel", [core](const http::Request& req) {
    return Report<v1::GetFunnelRequest, v1::GetFunnelResponse>(
        req, {}, [core](const auto& r) { return core->GetFunnel(r); },
        [](const http::Request& q, v1::GetFunnelRequest* r) {
          auto it = q.query.find("mode");
          if (it == q.query.end()) return absl::OkStatus();
          v1::FunnelMode mode;
          if (!ParseEnum(v1::FunnelMode_descriptor(), it->second, &mode)) {
            return BadParam("mode", it->second, "is not cohort or period");
          }
          r->set_mode(mode);
          return absl::OkStatus();
        });
  });
  route("conversion", "GetConversion", [core](const http::Request& req) {
    return Report<v1::GetConversionRequest, v1::GetConversionResponse>(
        req, {}, [core](const auto& r) { return core->GetConversion(r); },
        [](const http::Request& q, v1::GetConversionRequest* r) {
          v1::Stage from = v1::STAGE_UNSPECIFIED, to = v1::STAGE_UNSPECIFIED;
          absl::Status s = StagePair(q, &from, &to);
          r->set_from_stage(from);
          r->set_to_stage(to);
          return s;
        });
  });
  route("velocity", "GetVelocity", [core](const http::Request& req) {
    return Report<v1::GetVelocityRequest, v1::GetVelocityResponse>(
        req, {}, [core](const auto& r) { return core->GetVelocity(r); },
        [](const http::Request& q, v1::GetVelocityRequest* r) {
          v1::Stage from = v1::STAGE_UNSPECIFIED, to = v1::STAGE_UNSPECIFIED;
          absl::Status s = StagePair(q, &from, &to);
          r->set_from_stage(from);
          r->set_to_stage(to);
          return s;
        });
  });
  route("sla", "GetSlaCompliance", [core](const http::Request& req) {
    return Report<v1::GetSlaComplianceRequest, v1::GetSlaComplianceResponse>(
        req, {}, [core](const auto& r) { return core->GetSlaCompliance(r); }, nullptr);
  });
  route("quality", "GetSourceQuality", [core](const http::Request& req) {
    return Report<v1::GetSourceQualityRequest, v1::GetSourceQualityResponse>(
        req, {}, [core](const auto& r) { return core->GetSourceQuality(r); }, nullptr);
  });
  route("winloss", "GetWinLoss", [core](const http::Request& req) {
    return Report<v1::GetWinLossRequest, v1::GetWinLossResponse>(
        req, {}, [core](const auto& r) { return core->GetWinLoss(r); }, nullptr);
  });
  route("attribution", "GetAttribution", [core](const http::Request& req) {
    return Report<v1::GetAttributionRequest, v1::GetAttributionResponse>(
        req, {}, [core](const auto& r) { return core->GetAttribution(r); },
        [](const http::Request& q, v1::GetAttributionRequest* r) {
          auto it = q.query.find("comp_summary_version");
          if (it == q.query.end()) return absl::OkStatus();
          int64_t v = 0;
          if (!absl::SimpleAtoi(it->second, &v) || v < 0) {
            return BadParam("comp_summary_version", it->second, "is not a version number");
          }
          r->set_comp_summary_version(v);
          return absl::OkStatus();
        });
  });
  route("recycle", "GetRecycleEffectiveness", [core](const http::Request& req) {
    return Report<v1::GetRecycleEffectivenessRequest, v1::GetRecycleEffectivenessResponse>(
        req, {}, [core](const auto& r) { return core->GetRecycleEffectiveness(r); }, nullptr);
  });
  server->Handle("GET", "/v1/comp-summary",
                 http::Access::Method("leadflow.v1.ReportingService.GetCompSummary"),
                 [core](const http::Request&) {
                   absl::StatusOr<v1::GetCompSummaryResponse> out = core->GetCompSummary();
                   return out.ok() ? http::JsonResponse(200, *out, /*print_defaults=*/true)
                                   : http::StatusResponse(out.status());
                 });
  server->Handle("GET", "/v1/model",
                 http::Access::Method("leadflow.v1.ReportingService.GetScoringModel"),
                 [core](const http::Request& req) {
                   v1::GetScoringModelRequest request;
                   if (auto it = req.query.find("runs"); it != req.query.end()) {
                     int32_t n = 0;
                     if (!absl::SimpleAtoi(it->second, &n)) {
                       return http::StatusResponse(BadParam("runs", it->second, "is not a number"));
                     }
                     request.set_runs(n);
                   }
                   absl::StatusOr<v1::GetScoringModelResponse> out = core->GetScoringModel(request);
                   return out.ok() ? http::JsonResponse(200, *out, /*print_defaults=*/true)
                                   : http::StatusResponse(out.status());
                 });
  for (const DashboardAsset& asset : DashboardAssets()) {
    // The dashboard's files carry no data (the page asks for a token and sends it on the
    // report calls), so they are public.
    server->Handle("GET", "/dashboard/" + absl::StrReplaceAll(asset.name, {{".", "\\."}}),
                   http::Access::Public(), [&asset](const http::Request&) {
                     return http::Response{200, asset.content_type, std::string(asset.content)};
                   });
  }
  server->Handle("GET", "/dashboard/?", http::Access::Public(), [](const http::Request&) {
    for (const DashboardAsset& asset : DashboardAssets()) {
      if (asset.name == "index.html") {
        return http::Response{200, asset.content_type, std::string(asset.content)};
      }
    }
    return http::ErrorResponse(404, "the dashboard is not built in");
  });
  server->Handle("GET", "/", http::Access::Public(), [](const http::Request&) {
    return http::Response{
        200, "text/html; charset=utf-8",
        R"(<!doctype html><meta http-equiv="refresh" content="0; url=/dashboard/">)"
        R"(<a href="/dashboard/">leadflow dashboard</a>)"};
  });
}

}  // namespace leadflow::reporting
