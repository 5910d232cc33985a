// The qualification API: gRPC QualificationService and its HTTP JSON mirror over one core.
// Reads come from the processor's committed state (StreamApp::ReadCommitted) and the config
// table; Rescore queues commands on leadflow.qualification.commands.v1 and answers once Kafka
// acknowledged them.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "absl/status/statusor.h"
#include "leadflow/v1/qualification_service.grpc.pb.h"
#include "services/common/http/http_server.h"
#include "services/common/kafka/sender.h"
#include "services/common/stream/stream_app.h"
#include "services/qualification/config_source.h"

namespace leadflow::qualification {

struct QualificationCoreOptions {
  std::string commands_topic = "leadflow.qualification.commands.v1";
  std::string config_topic = "leadflow.config.v1";
  std::chrono::milliseconds ack_timeout{15000};
  size_t max_lead_ids = 1000;  // per Rescore request
};

class QualificationCore {
 public:
  QualificationCore(QualificationCoreOptions options, const stream::StreamApp* app,
                    std::unique_ptr<ConfigSource> config, kafka::Sender* sender,
                    std::function<int64_t()> now_ms);

  absl::StatusOr<v1::GetScoreResponse> GetScore(const v1::GetScoreRequest& request) const;
  absl::StatusOr<v1::ExplainScoreResponse> ExplainScore(const v1::ExplainScoreRequest& request);
  absl::StatusOr<v1::ExplainIcpResponse> ExplainIcp();
  absl::StatusOr<v1::RescoreResponse> Rescore(const v1::RescoreRequest& request,
                                              std::string_view requested_by);

 private:
  absl::StatusOr<v1::QualificationState> LoadState(const std::string& lead_id) const;
  // The config in force, refreshed from the config table.
  absl::StatusOr<std::shared_ptr<const QualificationConfig>> Config();

  QualificationCoreOptions options_;
  const stream::StreamApp* app_;
  kafka::Sender* sender_;
  std::function<int64_t()> now_ms_;
  std::mutex config_mu_;
  std::unique_ptr<ConfigSource> config_;
};

class QualificationGrpcService final : public v1::QualificationService::Service {
 public:
  explicit QualificationGrpcService(QualificationCore* core) : core_(core) {}
  grpc::Status GetScore(grpc::ServerContext* ctx, const v1::GetScoreRequest* request,
                        v1::GetScoreResponse* response) override;
  grpc::Status ExplainScore(grpc::ServerContext* ctx, const v1::ExplainScoreRequest* request,
                            v1::ExplainScoreResponse* response) override;
  grpc::Status ExplainIcp(grpc::ServerContext* ctx, const v1::ExplainIcpRequest* request,
                          v1::ExplainIcpResponse* response) override;
  grpc::Status Rescore(grpc::ServerContext* ctx, const v1::RescoreRequest* request,
                       v1::RescoreResponse* response) override;

 private:
  QualificationCore* core_;
};

// HTTP JSON: GET /v1/scores/{lead_id}, GET /v1/scores/{lead_id}/explanation, GET /v1/icp
// (?format=text for the plain-words text alone), POST /v1/rescore (a RescoreRequest).
void AddHttpRoutes(QualificationCore* core, http::HttpServer* server);

}  // namespace leadflow::qualification
