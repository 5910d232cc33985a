// The reporting API: gRPC ReportingService, its HTTP JSON mirror with CSV export, and the
// dashboard, over one core.
//
// Every instance answers for the whole system, whichever partitions it runs: the core reads the
// fact rows from a replica of the reporting app's own changelog (a global table of
// "<application id>.state.changelog", read_committed), not from its local tasks. The replica holds
// exactly the committed state of every partition, so a report equals the one a single instance
// would give, across restarts, kill -9 and rebalances; it trails the processor by the replica's
// fetch latency.
#pragma once

#include <chrono>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "leadflow/v1/reporting_service.grpc.pb.h"
#include "leadflow/v1/reporting_state.pb.h"
#include "services/common/config/config_topic.h"
#include "services/common/http/http_server.h"
#include "services/common/stream/stream_app.h"

namespace leadflow::reporting {

// What reporting reads from the config topic (or the local files until published).
struct ReportingConfig {
  int64_t version = 0;            // the global config version of this snapshot
  std::vector<v1::Stage> stages;  // the stage model's stages, in funnel order
  v1::CompSummary comp;           // the comp summary in force
  int64_t comp_version = 0;
  std::optional<v1::ScoringModel> model;  // the published scoring model, if any
  int64_t model_config_version = 0;
};
using ReportingConfigSource = config::Snapshots<ReportingConfig>;

absl::StatusOr<std::unique_ptr<ReportingConfigSource>> LoadReportingConfig(
    const std::string& stages_file, const std::string& comp_file);

struct ReportingCoreOptions {
  std::string config_topic = "leadflow.config.v1";
  std::string changelog_topic;  // the reporting app's changelog (the replica the reports read)
  int64_t rejected_lead_cost_micros = 0;    // the sales time a rejected lead costs (lead quality)
  std::string rejected_lead_cost_currency;  // its currency (for groups without deals)
  size_t max_runs = 100;                    // training runs kept for GetScoringModel
  // How stale the parsed rows may be while the replica keeps changing (0 = re-read on every
  // change).
  std::chrono::milliseconds rows_max_age{1000};
};

class ReportingCore {
 public:
  ReportingCore(ReportingCoreOptions options, const stream::StreamApp* app,
                std::unique_ptr<ReportingConfigSource> config, std::function<int64_t()> now_ms);

  // Every lead-cycle fact row, in key order (a lead's cycles consecutive, ascending). Parsed once
  // per change of the replica, at most every `rows_max_age` while it changes (parsing a million
  // rows costs seconds: docs/benchmarks.md), and shared by concurrent requests.
  using RowSet = std::shared_ptr<const std::vector<v1::LeadCycleFacts>>;
  absl::StatusOr<RowSet> Rows();
  absl::StatusOr<std::shared_ptr<const ReportingConfig>> Config();

  absl::StatusOr<v1::GetFunnelResponse> GetFunnel(const v1::GetFunnelRequest& request);
  absl::StatusOr<v1::GetConversionResponse> GetConversion(const v1::GetConversionRequest& request);
  absl::StatusOr<v1::GetVelocityResponse> GetVelocity(const v1::GetVelocityRequest& request);
  absl::StatusOr<v1::GetSlaComplianceResponse> GetSlaCompliance(
      const v1::GetSlaComplianceRequest& request);
  absl::StatusOr<v1::GetSourceQualityResponse> GetSourceQuality(
      const v1::GetSourceQualityRequest& request);
  absl::StatusOr<v1::GetWinLossResponse> GetWinLoss(const v1::GetWinLossRequest& request);
  absl::StatusOr<v1::GetAttributionResponse> GetAttribution(
      const v1::GetAttributionRequest& request);
  absl::StatusOr<v1::GetRecycleEffectivenessResponse> GetRecycleEffectiveness(
      const v1::GetRecycleEffectivenessRequest& request);
  absl::StatusOr<v1::GetCompSummaryResponse> GetCompSummary();
  absl::StatusOr<v1::GetScoringModelResponse> GetScoringModel(
      const v1::GetScoringModelRequest& request);

  // The highest version on the config topic, over every kind (the next publication is one more).
  absl::StatusOr<int64_t> LatestConfigVersion();

  // Records a training run (the trainer's), newest first in GetScoringModel.
  void RecordRun(v1::ScoringModelRun run);

 private:
  template <typename Compute>
  auto Report(Compute compute) -> decltype(compute(RowSet(), ReportingConfig()));

  ReportingCoreOptions options_;
  const stream::StreamApp* app_;
  std::function<int64_t()> now_ms_;
  std::mutex config_mu_;
  std::unique_ptr<ReportingConfigSource> config_;
  std::mutex rows_mu_;  // one parse at a time; the others wait for its result
  RowSet rows_;
  uint64_t rows_generation_ = 0;
  int64_t rows_at_ms_ = 0;
  std::mutex runs_mu_;
  std::deque<v1::ScoringModelRun> runs_;
};

class ReportingGrpcService final : public v1::ReportingService::Service {
 public:
  explicit ReportingGrpcService(ReportingCore* core) : core_(core) {}
  grpc::Status GetFunnel(grpc::ServerContext*, const v1::GetFunnelRequest* request,
                         v1::GetFunnelResponse* response) override;
  grpc::Status GetConversion(grpc::ServerContext*, const v1::GetConversionRequest* request,
                             v1::GetConversionResponse* response) override;
  grpc::Status GetVelocity(grpc::ServerContext*, const v1::GetVelocityRequest* request,
                           v1::GetVelocityResponse* response) override;
  grpc::Status GetSlaCompliance(grpc::ServerContext*, const v1::GetSlaComplianceRequest* request,
                                v1::GetSlaComplianceResponse* response) override;
  grpc::Status GetSourceQuality(grpc::ServerContext*, const v1::GetSourceQualityRequest* request,
                                v1::GetSourceQualityResponse* response) override;
  grpc::Status GetWinLoss(grpc::ServerContext*, const v1::GetWinLossRequest* request,
                          v1::GetWinLossResponse* response) override;
  grpc::Status GetAttribution(grpc::ServerContext*, const v1::GetAttributionRequest* request,
                              v1::GetAttributionResponse* response) override;
  grpc::Status GetRecycleEffectiveness(grpc::ServerContext*,
                                       const v1::GetRecycleEffectivenessRequest* request,
                                       v1::GetRecycleEffectivenessResponse* response) override;
  grpc::Status GetCompSummary(grpc::ServerContext*, const v1::GetCompSummaryRequest* request,
                              v1::GetCompSummaryResponse* response) override;
  grpc::Status GetScoringModel(grpc::ServerContext*, const v1::GetScoringModelRequest* request,
                               v1::GetScoringModelResponse* response) override;

 private:
  ReportingCore* core_;
};

// The HTTP query string of a report (from, to, group_by, bucket, the filters, attribution) as a
// ReportQuery; InvalidArgument names the parameter and why.
absl::Status ParseReportQuery(const std::map<std::string, std::string>& params,
                              v1::ReportQuery* query);

// A report's rows as CSV (RFC 4180): one line per row, the group and bucket first, then every
// field; money as amount and currency columns, per-stage counts as columns, reasons as
// "code=count;..." cells.
std::string ReportCsv(const google::protobuf::Message& response);

// GET /v1/reports/{funnel,conversion,velocity,sla,quality,winloss,attribution,recycle}
// (?format=csv), /v1/comp-summary, /v1/model, and the dashboard at /dashboard/.
void AddHttpRoutes(ReportingCore* core, http::HttpServer* server);

}  // namespace leadflow::reporting
