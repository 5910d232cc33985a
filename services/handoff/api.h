// The handoff API: gRPC HandoffService and its HTTP JSON mirror over one core, for sales tools.
//   - Sales answers (AcceptLead, RejectLead, ConvertLead, RecordOpportunity) are checked first —
//     fields (INVALID_ARGUMENT naming the field), then against the lead's handoff as this instance
//     has committed it (FAILED_PRECONDITION: not the owner, not allowed from the stage) — then
//     written to leadflow.sales-feedback.v1, the same path a sales tool's Kafka producer takes;
//     the call returns once the processor applied (or refused) it, so the answer is the truth.
//     A retry with the same idempotency key returns DUPLICATE and writes nothing.
//   - GetHandoff reads the committed state.
//   - WatchHandoffs follows leadflow.handoffs.v1 (read_committed) and hands every event a resume
//     token; a client that reconnects with its last token misses nothing and sees nothing twice.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "absl/status/statusor.h"
#include "leadflow/v1/handoff_service.grpc.pb.h"
#include "leadflow/v1/handoff_state.pb.h"
#include "services/common/http/http_server.h"
#include "services/common/kafka/properties.h"
#include "services/common/kafka/sender.h"
#include "services/common/stream/stream_app.h"
#include "services/handoff/config_source.h"

namespace leadflow::handoff {

struct HandoffCoreOptions {
  std::string feedback_topic = "leadflow.sales-feedback.v1";
  std::string handoffs_topic = "leadflow.handoffs.v1";
  std::string config_topic = "leadflow.config.v1";
  std::chrono::milliseconds ack_timeout{15000};    // Kafka acknowledges the answer
  std::chrono::milliseconds apply_timeout{30000};  // the processor applies it
  kafka::Properties kafka;                         // for WatchHandoffs' readers
};

class HandoffCore {
 public:
  HandoffCore(HandoffCoreOptions options, const stream::StreamApp* app,
              std::unique_ptr<HandoffConfigSource> config, kafka::Sender* sender,
              std::function<int64_t()> now_ms);

  absl::StatusOr<v1::Handoff> GetHandoff(const std::string& lead_id) const;

  struct Answered {
    v1::FeedbackOutcome outcome = v1::FEEDBACK_OUTCOME_UNSPECIFIED;
    v1::Handoff handoff;
  };
  // One sales answer (the RPCs build the SalesFeedback). `default_source`: the source_system
  // when the caller named none.
  absl::StatusOr<Answered> Answer(v1::SalesFeedback feedback, std::string_view default_source);

  // Streams the handoff events that pass the request's filters to `write` until `write` returns
  // false or `cancelled()` is true (checked at least every 200 ms).
  absl::Status Watch(const v1::WatchHandoffsRequest& request,
                     const std::function<bool(const v1::WatchHandoffsResponse&)>& write,
                     const std::function<bool()>& cancelled);

 private:
  // The lead's committed state; nullopt when there is none. When this instance does not run the
  // lead's partition, an absent state is NotOwnedError(…, `hint`): it may exist elsewhere.
  // `all_local` (optional) says whether this instance runs every partition.
  absl::StatusOr<std::optional<v1::HandoffState>> LoadState(
      const std::string& lead_id, std::string_view hint = "retry, or ask the instance that runs it",
      bool* all_local = nullptr) const;
  absl::StatusOr<std::shared_ptr<const HandoffConfig>> Config();

  HandoffCoreOptions options_;
  const stream::StreamApp* app_;
  kafka::Sender* sender_;
  std::function<int64_t()> now_ms_;
  std::mutex config_mu_;
  std::unique_ptr<HandoffConfigSource> config_;
};

class HandoffGrpcService final : public v1::HandoffService::Service {
 public:
  explicit HandoffGrpcService(HandoffCore* core) : core_(core) {}
  grpc::Status AcceptLead(grpc::ServerContext* ctx, const v1::AcceptLeadRequest* request,
                          v1::AcceptLeadResponse* response) override;
  grpc::Status RejectLead(grpc::ServerContext* ctx, const v1::RejectLeadRequest* request,
                          v1::RejectLeadResponse* response) override;
  grpc::Status ConvertLead(grpc::ServerContext* ctx, const v1::ConvertLeadRequest* request,
                           v1::ConvertLeadResponse* response) override;
  grpc::Status RecordOpportunity(grpc::ServerContext* ctx,
                                 const v1::RecordOpportunityRequest* request,
                                 v1::RecordOpportunityResponse* response) override;
  grpc::Status WatchHandoffs(grpc::ServerContext* ctx, const v1::WatchHandoffsRequest* request,
                             grpc::ServerWriter<v1::WatchHandoffsResponse>* writer) override;
  grpc::Status GetHandoff(grpc::ServerContext* ctx, const v1::GetHandoffRequest* request,
                          v1::GetHandoffResponse* response) override;

 private:
  HandoffCore* core_;
};

// HTTP JSON: GET /v1/handoffs/{lead_id}; POST /v1/handoffs/{lead_id}/accept, /reject, /convert,
// /opportunity with the gRPC request as the body (lead_id from the path).
void AddHttpRoutes(HandoffCore* core, http::HttpServer* server);

// The SalesFeedback of each request.
v1::SalesFeedback FeedbackOf(const v1::AcceptLeadRequest& r);
v1::SalesFeedback FeedbackOf(const v1::RejectLeadRequest& r);
v1::SalesFeedback FeedbackOf(const v1::ConvertLeadRequest& r);
v1::SalesFeedback FeedbackOf(const v1::RecordOpportunityRequest& r);

}  // namespace leadflow::handoff
