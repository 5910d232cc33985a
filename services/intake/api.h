// The intake API: gRPC IntakeService and its HTTP JSON mirror share one core (IntakeCore):
// admission, the duplicate check against identity's committed state, and the durable write of
// LeadAdmitted to leadflow.intake.admitted.v1 (OK only once Kafka acknowledged it).
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "leadflow/v1/intake_service.grpc.pb.h"
#include "services/common/http/http_server.h"
#include "services/common/kafka/sender.h"
#include "services/common/metrics/metrics.h"
#include "services/common/security/auth.h"
#include "services/common/security/rate_limit.h"
#include "services/common/stream/stream_app.h"
#include "services/intake/admission.h"

namespace leadflow::intake {

struct IntakeCoreOptions {
  std::string admitted_topic = "leadflow.intake.admitted.v1";
  std::string leads_topic = "leadflow.leads.v1";  // names the LeadErased event id it returns
  AdmissionOptions admission;
  size_t max_batch = 1000;
  std::chrono::milliseconds ack_timeout{15000};
  // How long identity remembers an idempotency key (intake.idempotency_ttl).
  int64_t idempotency_ttl_ms = int64_t{7} * 24 * 3600 * 1000;
  // Submissions per second and burst per caller (intake.rate_limit, intake.rate_burst); 0: none.
  double rate_per_second = 0;
  double rate_burst = 0;
  // Who a caller is (its token's name), for the rate limit; null: everyone is "anonymous".
  const security::Guard* guard = nullptr;
};

class IntakeCore {
 public:
  // `identity` (may be null) answers duplicate checks and lookups from its committed state.
  IntakeCore(IntakeCoreOptions options, kafka::Sender* sender, const stream::StreamApp* identity,
             metrics::Registry* registry, std::function<int64_t()> now_ms);

  // Admits the submissions and writes the admitted ones. One result per submission. Fails as a
  // whole (Unavailable) when any admitted record was not acknowledged by Kafka: the caller retries
  // the call, and the idempotency keys make the retry safe.
  absl::StatusOr<std::vector<v1::SubmissionResult>> Submit(
      const std::vector<const v1::LeadSubmission*>& submissions, v1::IngressChannel ingress,
      bool validate_only);

  // The lead by id or email, from identity's committed state.
  absl::StatusOr<v1::Lead> GetLead(const v1::GetLeadRequest& request) const;

  // Requests the erasure of a lead (by id or email): writes LeadErased to the admitted topic and
  // returns once Kafka acknowledged it (Unavailable otherwise); identity and then every service
  // erase the person asynchronously. A request_id identity already applied is answered again
  // without a write. Invalid requests: InvalidArgument, with the field violations in
  // `violations`. `requested_by` is the caller's principal (never the subject).
  absl::StatusOr<v1::EraseLeadResponse> EraseLead(const v1::EraseLeadRequest& request,
                                                  std::string_view requested_by,
                                                  std::vector<v1::FieldViolation>* violations);

  // Takes `n` submissions from the budget of the caller with this Authorization header: OK, or
  // ResourceExhausted naming the limit and when to retry (counted). `wait`: a stream waits for its
  // budget instead, up to a minute, which slows its sender.
  absl::Status Throttle(std::string_view authorization, size_t n, v1::IngressChannel ingress,
                        bool wait);
  // The caller's name (its token's), "anonymous" without authentication.
  std::string CallerOf(std::string_view authorization) const;
  // The same for a caller already known by name (HTTP: http::Request::caller).
  absl::Status ThrottleCaller(std::string_view caller, size_t n, v1::IngressChannel ingress,
                              bool wait);

 private:
  // Whether identity's committed state already applied this admitted submission's key.
  absl::StatusOr<bool> SeenByIdentity(const v1::LeadEvent& admitted, int64_t now_ms) const;

  IntakeCoreOptions options_;
  security::RateLimiter limiter_;
  kafka::Sender* sender_;
  const stream::StreamApp* identity_;
  std::function<int64_t()> now_ms_;
  metrics::Registry* registry_;
};

// gRPC IntakeService over IntakeCore.
class IntakeGrpcService final : public v1::IntakeService::Service {
 public:
  explicit IntakeGrpcService(IntakeCore* core) : core_(core) {}
  grpc::Status SubmitLead(grpc::ServerContext* ctx, const v1::SubmitLeadRequest* request,
                          v1::SubmitLeadResponse* response) override;
  grpc::Status SubmitLeads(grpc::ServerContext* ctx, const v1::SubmitLeadsRequest* request,
                           v1::SubmitLeadsResponse* response) override;
  grpc::Status StreamLeads(grpc::ServerContext* ctx,
                           grpc::ServerReader<v1::StreamLeadsRequest>* reader,
                           v1::StreamLeadsResponse* response) override;
  grpc::Status RecordEngagement(grpc::ServerContext* ctx,
                                const v1::RecordEngagementRequest* request,
                                v1::RecordEngagementResponse* response) override;
  grpc::Status GetLead(grpc::ServerContext* ctx, const v1::GetLeadRequest* request,
                       v1::GetLeadResponse* response) override;
  grpc::Status EraseLead(grpc::ServerContext* ctx, const v1::EraseLeadRequest* request,
                         v1::EraseLeadResponse* response) override;

 private:
  IntakeCore* core_;
};

// HTTP JSON routes (protobuf JSON mapping): POST /v1/leads (a LeadSubmission, or
// {"submissions": [...]} for a batch), POST /v1/engagements (a RecordEngagementRequest),
// GET /v1/leads/{id}, POST /v1/erasures (an EraseLeadRequest).
void AddHttpRoutes(IntakeCore* core, http::HttpServer* server);

// The LeadSubmission a RecordEngagementRequest stands for.
v1::LeadSubmission EngagementSubmission(const v1::RecordEngagementRequest& request);

}  // namespace leadflow::intake
