// The recycle API: gRPC RecycleService and its HTTP JSON mirror over one core.
//   - GetNurtureStatus and ListRecycled read the committed state (this instance's partitions).
//   - Release and Recycle (ops) are written to leadflow.recycle.commands.v1 and return once the
//     processor applied them (the lead's status after it) or refused them (FAILED_PRECONDITION
//     with the reason); a retry with the same request_id returns the same result.
//   - WatchRecycled follows leadflow.recycle.v1 (read_committed) with resume tokens, like
//     HandoffService.WatchHandoffs.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "absl/status/statusor.h"
#include "leadflow/v1/recycle_service.grpc.pb.h"
#include "services/common/http/http_server.h"
#include "services/common/kafka/properties.h"
#include "services/common/kafka/sender.h"
#include "services/common/stream/stream_app.h"
#include "services/recycle/processor.h"

namespace leadflow::recycle {

struct RecycleCoreOptions {
  std::string commands_topic = "leadflow.recycle.commands.v1";
  std::string recycle_topic = "leadflow.recycle.v1";
  std::string config_topic = "leadflow.config.v1";
  std::chrono::milliseconds ack_timeout{15000};
  std::chrono::milliseconds apply_timeout{30000};
  kafka::Properties kafka;  // for WatchRecycled's readers
};

class RecycleCore {
 public:
  RecycleCore(RecycleCoreOptions options, const stream::StreamApp* app,
              std::unique_ptr<RecycleConfigSource> config, kafka::Sender* sender,
              std::function<int64_t()> now_ms);

  absl::StatusOr<v1::NurtureStatus> GetNurtureStatus(const std::string& lead_id);
  absl::StatusOr<v1::ListRecycledResponse> ListRecycled(const v1::ListRecycledRequest& request);
  absl::StatusOr<v1::NurtureStatus> Release(const v1::ReleaseRequest& request,
                                            std::string_view requested_by);
  absl::StatusOr<v1::NurtureStatus> Recycle(const v1::RecycleRequest& request,
                                            std::string_view requested_by);
  absl::Status Watch(const v1::WatchRecycledRequest& request,
                     const std::function<bool(const v1::WatchRecycledResponse&)>& write,
                     const std::function<bool()>& cancelled);

 private:
  absl::StatusOr<std::shared_ptr<const RecycleConfig>> Config();
  // Writes the command and waits until the lead's state records its request id.
  absl::StatusOr<v1::NurtureStatus> Submit(const std::string& lead_id, v1::RecycleCommand command);

  RecycleCoreOptions options_;
  const stream::StreamApp* app_;
  kafka::Sender* sender_;
  std::function<int64_t()> now_ms_;
  std::mutex config_mu_;
  std::unique_ptr<RecycleConfigSource> config_;
};

class RecycleGrpcService final : public v1::RecycleService::Service {
 public:
  explicit RecycleGrpcService(RecycleCore* core) : core_(core) {}
  grpc::Status GetNurtureStatus(grpc::ServerContext* ctx,
                                const v1::GetNurtureStatusRequest* request,
                                v1::GetNurtureStatusResponse* response) override;
  grpc::Status ListRecycled(grpc::ServerContext* ctx, const v1::ListRecycledRequest* request,
                            v1::ListRecycledResponse* response) override;
  grpc::Status Release(grpc::ServerContext* ctx, const v1::ReleaseRequest* request,
                       v1::ReleaseResponse* response) override;
  grpc::Status Recycle(grpc::ServerContext* ctx, const v1::RecycleRequest* request,
                       v1::RecycleResponse* response) override;
  grpc::Status WatchRecycled(grpc::ServerContext* ctx, const v1::WatchRecycledRequest* request,
                             grpc::ServerWriter<v1::WatchRecycledResponse>* writer) override;

 private:
  RecycleCore* core_;
};

// HTTP JSON: GET /v1/nurture/{lead_id}; GET
// /v1/recycled?track=&reason=&since=&page_size=&page_token=; POST /v1/nurture/{lead_id}/release
// ({"requestId", "reason"}) and /recycle ({"requestId", "reason", "nurtureTrackId"}).
void AddHttpRoutes(RecycleCore* core, http::HttpServer* server);

}  // namespace leadflow::recycle
