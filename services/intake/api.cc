#include "services/intake/api.h"

#include <chrono>

#include "google/rpc/error_details.pb.h"
#include "google/rpc/status.pb.h"
#include "services/common/base/strings.h"
#include "services/common/events/ids.h"
#include "services/common/events/lead_events.h"
#include "services/common/http/json_api.h"
#include "services/common/log/log.h"
#include "services/common/rpc/status.h"
#include "services/intake/normalize.h"
#include "services/intake/processors.h"

namespace leadflow::intake {
namespace {

constexpr size_t kMaxEraseRequestIdBytes = 200;

// A lead id as LeadIdForEmail makes it: a lowercase UUID (8-4-4-4-12 hex digits).
bool IsLeadId(std::string_view id) {
  if (id.size() != 36) return false;
  for (size_t i = 0; i < id.size(); ++i) {
    const char c = id[i];
    const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? c != '-' : !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

// INVALID_ARGUMENT with the violations twice: readable in the message ("field: why; …") and
// typed as a google.rpc.BadRequest in the status details (grpc-status-details-bin), which gRPC
// clients in every language decode.
grpc::Status InvalidArgument(const std::vector<v1::FieldViolation>& violations) {
  const std::string message = DescribeViolations(violations);
  google::rpc::BadRequest bad_request;
  for (const v1::FieldViolation& v : violations) {
    google::rpc::BadRequest::FieldViolation* out = bad_request.add_field_violations();
    out->set_field(v.field());
    out->set_description(v.description());
  }
  google::rpc::Status status;
  status.set_code(grpc::StatusCode::INVALID_ARGUMENT);
  status.set_message(message);
  status.add_details()->PackFrom(bad_request);
  return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, message, status.SerializeAsString());
}

const char* IngressLabel(v1::IngressChannel ingress) {
  switch (ingress) {
    case v1::INGRESS_CHANNEL_GRPC:
      return "grpc";
    case v1::INGRESS_CHANNEL_HTTP:
      return "http";
    case v1::INGRESS_CHANNEL_CSV:
      return "csv";
    default:
      return "other";
  }
}

}  // namespace

v1::LeadSubmission EngagementSubmission(const v1::RecordEngagementRequest& request) {
  v1::LeadSubmission s;
  s.set_idempotency_key(request.idempotency_key());
  s.set_source_system(request.source_system());
  s.set_external_id(request.external_id());
  s.mutable_person()->set_email(request.email());
  if (request.engagement().has_occurred_at())
    *s.mutable_occurred_at() = request.engagement().occurred_at();
  if (request.engagement().has_source()) *s.mutable_source() = request.engagement().source();
  if (request.has_engagement()) {
    *s.mutable_engagement() = request.engagement();
  } else {
    s.mutable_engagement();  // present but empty: admission says engagement.type is required
  }
  return s;
}

IntakeCore::IntakeCore(IntakeCoreOptions options, kafka::Sender* sender,
                       const stream::StreamApp* identity, metrics::Registry* registry,
                       std::function<int64_t()> now_ms)
    : options_(std::move(options)),
      limiter_({options_.rate_per_second, options_.rate_burst, "submissions"}),
      sender_(sender),
      identity_(identity),
      now_ms_(std::move(now_ms)),
      registry_(registry) {}

absl::StatusOr<std::vector<v1::SubmissionResult>> IntakeCore::Submit(
    const std::vector<const v1::LeadSubmission*>& submissions, v1::IngressChannel ingress,
    bool validate_only) {
  if (submissions.size() > options_.max_batch) {
    return absl::InvalidArgumentError(StrCat("submissions: ", submissions.size(),
                                             " in one call; the limit is ", options_.max_batch));
  }
  auto count = [&](const char* outcome) -> metrics::Counter& {
    return registry_->GetCounter("leadflow_intake_admissions_total",
                                 "Submissions judged by admission, by ingress and outcome.",
                                 {{"ingress", IngressLabel(ingress)}, {"outcome", outcome}});
  };
  const int64_t now = now_ms_();
  std::vector<v1::SubmissionResult> results(submissions.size());
  kafka::Sender::Batch batch = sender_->NewBatch();
  std::vector<size_t> written;  // result index of each batch record
  for (size_t i = 0; i < submissions.size(); ++i) {
    v1::SubmissionResult& r = results[i];
    r.set_index(static_cast<int32_t>(i));
    r.set_idempotency_key(submissions[i]->idempotency_key());
    Admission a = Admit(*submissions[i], ingress, now, options_.admission);
    if (!a.ok()) {
      r.set_outcome(v1::SUBMISSION_OUTCOME_INVALID);
      for (auto& v : a.violations) *r.add_violations() = std::move(v);
      count("invalid").Increment();
      continue;
    }
    r.set_lead_id(a.lead_id());
    // Known key (identity committed it): the first answer stands and nothing is written.
    if (identity_ != nullptr) {
      absl::StatusOr<bool> seen = SeenByIdentity(a.event, now);
      if (!seen.ok()) {
        // Only the DUPLICATE answer is lost: the submission is written, and identity drops a
        // repeated key anyway. Counted, not logged per request.
        count("duplicate_check_failed").Increment();
      } else if (*seen) {
        r.set_outcome(v1::SUBMISSION_OUTCOME_DUPLICATE);
        count("duplicate").Increment();
        continue;
      }
    }
    r.set_outcome(v1::SUBMISSION_OUTCOME_ACCEPTED);
    if (validate_only) continue;
    batch.Add(events::LeadEventRecord(options_.admitted_topic, a.event));
    written.push_back(i);
  }
  if (!written.empty()) {
    const std::vector<absl::Status> acks = batch.Wait(options_.ack_timeout);
    for (size_t k = 0; k < acks.size(); ++k) {
      if (!acks[k].ok()) {
        count("unavailable").Increment(static_cast<double>(acks.size()));
        return absl::UnavailableError(
            StrCat("submission ", written[k], " was not durably written: ", acks[k].message(),
                   " (no submission of this call is "
                   "acknowledged; retry it with the same idempotency keys)"));
      }
    }
    count("accepted").Increment(static_cast<double>(written.size()));
  }
  return results;
}

absl::StatusOr<bool> IntakeCore::SeenByIdentity(const v1::LeadEvent& admitted,
                                                int64_t now_ms) const {
  absl::StatusOr<stream::StreamApp::LocalRead> read =
      identity_->ReadCommitted(kLeadsStore, admitted.envelope().lead_id());
  if (!read.ok()) return read.status();
  if (!read->value.has_value()) return false;  // no lead: nothing was applied to it
  v1::Lead lead;
  if (!lead.ParseFromString(*read->value)) return absl::DataLossError("stored lead does not parse");
  const v1::LeadAdmitted& a = admitted.admitted();
  return SeenBefore(
      lead, a.source_system(), a.idempotency_key(), now_ms, options_.idempotency_ttl_ms,
      [&](const std::string& key) -> absl::StatusOr<std::optional<std::string>> {
        absl::StatusOr<stream::StreamApp::LocalRead> old =
            identity_->ReadCommitted(kSubmissionsStore, key, admitted.envelope().lead_id());
        if (!old.ok()) return old.status();
        return std::move(old->value);
      });
}

absl::StatusOr<v1::Lead> IntakeCore::GetLead(const v1::GetLeadRequest& request) const {
  std::string lead_id = request.lead_id();
  if (request.lookup_case() == v1::GetLeadRequest::kEmail) {
    absl::StatusOr<std::string> email = NormalizeEmail(request.email());
    if (!email.ok()) return absl::InvalidArgumentError(StrCat("email: ", email.status().message()));
    lead_id = LeadIdForEmail(*email, options_.admission.lead_id_secret);
  }
  if (lead_id.empty()) return absl::InvalidArgumentError("lead_id or email: one is required");
  if (identity_ == nullptr) return absl::UnavailableError("identity state is not available");
  absl::StatusOr<stream::StreamApp::LocalRead> read =
      identity_->ReadCommitted(kLeadsStore, lead_id);
  if (!read.ok()) return read.status();
  if (!read->value.has_value()) {
    if (!read->owned) return stream::NotOwnedError(StrCat("lead ", lead_id), *read);
    return absl::NotFoundError(StrCat("no lead ", lead_id));
  }
  v1::Lead lead;
  if (!lead.ParseFromString(*read->value)) return absl::DataLossError("stored lead does not parse");
  // The merge's bookkeeping is not part of the answer, and the lifecycle fields belong to the
  // services that follow the lifecycle (intake's copy only knows the capture).
  lead.clear_field_sources();
  lead.clear_seen_submissions();
  lead.clear_stage();
  lead.clear_cycle();
  lead.clear_stage_entered_at();
  return lead;
}

absl::StatusOr<v1::EraseLeadResponse> IntakeCore::EraseLead(
    const v1::EraseLeadRequest& request, std::string_view requested_by,
    std::vector<v1::FieldViolation>* violations_out) {
  std::vector<v1::FieldViolation>& violations = *violations_out;
  violations.clear();
  auto violation = [&](const char* field, std::string description) {
    v1::FieldViolation& v = violations.emplace_back();
    v.set_field(field);
    v.set_description(std::move(description));
  };
  const std::string& request_id = request.request_id();
  if (request_id.empty()) {
    violation("request_id", "required: the erase request's idempotency key (e.g. the ticket id)");
  } else if (std::optional<std::string> problem = TextProblem(request_id, kMaxEraseRequestIdBytes);
             problem.has_value()) {
    violation("request_id", *problem);
  }
  std::string lead_id;
  switch (request.subject_case()) {
    case v1::EraseLeadRequest::kLeadId:
      lead_id = request.lead_id();
      if (!IsLeadId(lead_id)) violation("lead_id", "not a lead id (a lowercase UUID)");
      break;
    case v1::EraseLeadRequest::kEmail: {
      absl::StatusOr<std::string> email = NormalizeEmail(request.email());
      if (!email.ok()) {
        violation("email", std::string(email.status().message()));
      } else {
        lead_id = LeadIdForEmail(*email, options_.admission.lead_id_secret);
      }
      break;
    }
    default:
      violation("subject", "one of lead_id or email is required");
  }
  if (!violations.empty()) return absl::InvalidArgumentError(DescribeViolations(violations));

  v1::EraseLeadResponse response;
  response.set_lead_id(lead_id);
  response.set_request_id(request_id);
  response.set_event_id(events::EventId(events::ErasureCause(request_id), "erased",
                                        std::string_view(options_.leads_topic)));
  auto count = [&](const char* outcome) {
    registry_
        ->GetCounter("leadflow_intake_erase_requests_total", "EraseLead requests by outcome.",
                     {{"outcome", outcome}})
        .Increment();
  };
  // A retry of a request identity already applied writes nothing new.
  if (identity_ != nullptr) {
    absl::StatusOr<stream::StreamApp::LocalRead> done =
        identity_->ReadCommitted(kSubmissionsStore, ErasureKey(lead_id, request_id), lead_id);
    if (done.ok() && done->value.has_value()) {
      count("duplicate");
      return response;
    }
  }
  v1::LeadErased erased;
  erased.set_request_id(request_id);
  erased.set_requested_by(std::string(requested_by));
  *erased.mutable_requested_at() = events::TimestampFromMillis(now_ms_());
  kafka::Sender::Batch batch = sender_->NewBatch();
  batch.Add(events::LeadEventRecord(options_.admitted_topic,
                                    events::ErasureEvent(lead_id, erased, options_.admitted_topic,
                                                         v1::SERVICE_NAME_INTAKE, now_ms_())));
  const std::vector<absl::Status> acks = batch.Wait(options_.ack_timeout);
  if (!acks.front().ok()) {
    count("unavailable");
    return absl::UnavailableError(
        StrCat("the erase request was not durably written: ", acks.front().message(),
               " (retry with the same request_id)"));
  }
  count("accepted");
  log::Info("erase requested", {{"lead_id", lead_id},
                                {"request_id", request_id},
                                {"requested_by", std::string(requested_by)}});
  return response;
}

std::string IntakeCore::CallerOf(std::string_view authorization) const {
  return options_.guard == nullptr ? "anonymous" : options_.guard->CallerOf(authorization);
}

absl::Status IntakeCore::Throttle(std::string_view authorization, size_t n,
                                  v1::IngressChannel ingress, bool wait) {
  if (!limiter_.enabled()) return absl::OkStatus();
  return ThrottleCaller(CallerOf(authorization), n, ingress, wait);
}

absl::Status IntakeCore::ThrottleCaller(std::string_view caller, size_t n,
                                        v1::IngressChannel ingress, bool wait) {
  if (!limiter_.enabled()) return absl::OkStatus();
  const double units = static_cast<double>(n);
  absl::Status s = wait ? limiter_.Acquire(caller, units, std::chrono::minutes(1))
                        : limiter_.TryAcquire(caller, units);
  if (!s.ok()) {
    registry_
        ->GetCounter("leadflow_intake_rate_limited_total",
                     "Submissions refused by the per-caller rate limit (intake.rate_limit).",
                     {{"ingress", IngressLabel(ingress)}})
        .Increment(units);
  }
  return s;
}

// ---- gRPC ----

namespace {
// The call's Authorization metadata ("" when none).
std::string_view AuthorizationOf(const grpc::ServerContext* ctx) {
  auto it = ctx->client_metadata().find("authorization");
  return it == ctx->client_metadata().end()
             ? std::string_view()
             : std::string_view(it->second.data(), it->second.size());
}

grpc::Status SingleResult(absl::StatusOr<std::vector<v1::SubmissionResult>> results,
                          v1::SubmissionResult* out) {
  if (!results.ok()) return rpc::ToGrpcStatus(results.status());
  v1::SubmissionResult& r = results->front();
  if (r.outcome() == v1::SUBMISSION_OUTCOME_INVALID) {
    return InvalidArgument({r.violations().begin(), r.violations().end()});
  }
  *out = std::move(r);
  return grpc::Status::OK;
}
}  // namespace

grpc::Status IntakeGrpcService::SubmitLead(grpc::ServerContext* ctx,
                                           const v1::SubmitLeadRequest* request,
                                           v1::SubmitLeadResponse* response) {
  if (absl::Status s = core_->Throttle(AuthorizationOf(ctx), 1, v1::INGRESS_CHANNEL_GRPC, false);
      !s.ok()) {
    return rpc::ToGrpcStatus(s);
  }
  return SingleResult(
      core_->Submit({&request->submission()}, v1::INGRESS_CHANNEL_GRPC, request->validate_only()),
      response->mutable_result());
}

grpc::Status IntakeGrpcService::RecordEngagement(grpc::ServerContext* ctx,
                                                 const v1::RecordEngagementRequest* request,
                                                 v1::RecordEngagementResponse* response) {
  if (absl::Status s = core_->Throttle(AuthorizationOf(ctx), 1, v1::INGRESS_CHANNEL_GRPC, false);
      !s.ok()) {
    return rpc::ToGrpcStatus(s);
  }
  const v1::LeadSubmission s = EngagementSubmission(*request);
  return SingleResult(core_->Submit({&s}, v1::INGRESS_CHANNEL_GRPC, request->validate_only()),
                      response->mutable_result());
}

grpc::Status IntakeGrpcService::SubmitLeads(grpc::ServerContext* ctx,
                                            const v1::SubmitLeadsRequest* request,
                                            v1::SubmitLeadsResponse* response) {
  if (absl::Status s =
          core_->Throttle(AuthorizationOf(ctx), static_cast<size_t>(request->submissions_size()),
                          v1::INGRESS_CHANNEL_GRPC, false);
      !s.ok()) {
    return rpc::ToGrpcStatus(s);
  }
  std::vector<const v1::LeadSubmission*> items;
  for (const auto& s : request->submissions()) items.push_back(&s);
  auto results = core_->Submit(items, v1::INGRESS_CHANNEL_GRPC, request->validate_only());
  if (!results.ok()) return rpc::ToGrpcStatus(results.status());
  for (auto& r : *results) *response->add_results() = std::move(r);
  return grpc::Status::OK;
}

grpc::Status IntakeGrpcService::StreamLeads(grpc::ServerContext* ctx,
                                            grpc::ServerReader<v1::StreamLeadsRequest>* reader,
                                            v1::StreamLeadsResponse* response) {
  // Chunks keep many records in flight (throughput) while bounding memory.
  constexpr size_t kChunk = 500;
  constexpr int kMaxNotAccepted = 10000;
  std::vector<v1::StreamLeadsRequest> chunk;
  int64_t offset = 0;
  // Who the caller is, once per stream (not per chunk: that would check the token again each time).
  const std::string caller = core_->CallerOf(AuthorizationOf(ctx));
  auto flush = [&]() -> grpc::Status {
    // Paced, not refused: the stream waits for its budget, and gRPC flow control slows the sender.
    if (absl::Status s =
            core_->ThrottleCaller(caller, chunk.size(), v1::INGRESS_CHANNEL_GRPC, true);
        !s.ok()) {
      return grpc::Status(
          grpc::StatusCode::RESOURCE_EXHAUSTED,
          StrCat(s.message(), " — ", response->accepted(), " submissions before stream index ",
                 offset, " were acknowledged"));
    }
    std::vector<const v1::LeadSubmission*> items;
    for (const auto& m : chunk) items.push_back(&m.submission());
    auto results = core_->Submit(items, v1::INGRESS_CHANNEL_GRPC, false);
    if (!results.ok()) {
      return grpc::Status(
          grpc::StatusCode::UNAVAILABLE,
          StrCat(results.status().message(), " — ", response->accepted(),
                 " submissions before stream index ", offset, " were acknowledged"));
    }
    for (v1::SubmissionResult& r : *results) {
      r.set_index(static_cast<int32_t>(offset + r.index()));
      if (r.outcome() == v1::SUBMISSION_OUTCOME_ACCEPTED) {
        response->set_accepted(response->accepted() + 1);
        continue;
      }
      if (r.outcome() == v1::SUBMISSION_OUTCOME_DUPLICATE)
        response->set_duplicates(response->duplicates() + 1);
      if (r.outcome() == v1::SUBMISSION_OUTCOME_INVALID)
        response->set_invalid(response->invalid() + 1);
      if (response->not_accepted_size() < kMaxNotAccepted)
        *response->add_not_accepted() = std::move(r);
    }
    offset += static_cast<int64_t>(chunk.size());
    chunk.clear();
    return grpc::Status::OK;
  };
  // A chunk is also written once its first submission is kMaxChunkAge old, so a stream that
  // trickles (a system streaming leads as they happen) does not hold them back until 500 arrived.
  // (A submission followed by silence still waits for the next one or the end of the stream: the
  // synchronous reader cannot time out; such senders should close their streams or use
  // SubmitLead(s).)
  constexpr auto kMaxChunkAge = std::chrono::milliseconds(20);
  std::chrono::steady_clock::time_point chunk_started;
  v1::StreamLeadsRequest message;
  while (reader->Read(&message)) {
    if (chunk.empty()) chunk_started = std::chrono::steady_clock::now();
    chunk.push_back(std::move(message));
    if (chunk.size() >= kChunk ||
        std::chrono::steady_clock::now() - chunk_started >= kMaxChunkAge) {
      if (grpc::Status s = flush(); !s.ok()) return s;
    }
  }
  if (!chunk.empty()) return flush();
  return grpc::Status::OK;
}

grpc::Status IntakeGrpcService::GetLead(grpc::ServerContext*, const v1::GetLeadRequest* request,
                                        v1::GetLeadResponse* response) {
  absl::StatusOr<v1::Lead> lead = core_->GetLead(*request);
  if (!lead.ok()) return rpc::ToGrpcStatus(lead.status());
  *response->mutable_lead() = std::move(*lead);
  return grpc::Status::OK;
}

grpc::Status IntakeGrpcService::EraseLead(grpc::ServerContext* ctx,
                                          const v1::EraseLeadRequest* request,
                                          v1::EraseLeadResponse* response) {
  const std::string caller = core_->CallerOf(AuthorizationOf(ctx));
  std::vector<v1::FieldViolation> violations;
  absl::StatusOr<v1::EraseLeadResponse> r = core_->EraseLead(*request, caller, &violations);
  if (!violations.empty()) return InvalidArgument(violations);
  if (!r.ok()) return rpc::ToGrpcStatus(r.status());
  *response = std::move(*r);
  return grpc::Status::OK;
}

// ---- HTTP ----

namespace {

http::Response SubmitHttp(IntakeCore* core, const http::Request& req,
                          const std::vector<const v1::LeadSubmission*>& items, bool batch,
                          bool validate_only) {
  if (absl::Status s =
          core->ThrottleCaller(req.caller, items.size(), v1::INGRESS_CHANNEL_HTTP, false);
      !s.ok()) {
    return http::StatusResponse(s);
  }
  auto results = core->Submit(items, v1::INGRESS_CHANNEL_HTTP, validate_only);
  if (!results.ok())
    return http::ErrorResponse(http::HttpStatusOf(results.status()),
                               ToStd(results.status().message()));
  if (!batch) {
    const v1::SubmissionResult& r = results->front();
    if (r.outcome() == v1::SUBMISSION_OUTCOME_INVALID) {
      return http::ErrorResponse(400, "invalid submission",
                                 {r.violations().begin(), r.violations().end()});
    }
    return http::JsonResponse(r.outcome() == v1::SUBMISSION_OUTCOME_ACCEPTED ? 202 : 200, r);
  }
  v1::SubmitLeadsResponse response;
  for (auto& r : *results) *response.add_results() = std::move(r);
  return http::JsonResponse(200, response);
}

}  // namespace

void AddHttpRoutes(IntakeCore* core, http::HttpServer* server) {
  server->Handle("POST", "/v1/leads", http::Access::Method("leadflow.v1.IntakeService.SubmitLead"),
                 [core](const http::Request& req) {
                   const bool validate_only = req.query.count("validate_only") != 0 &&
                                              req.query.at("validate_only") == "true";
                   // A batch is {"submissions": [...]}; anything else is one LeadSubmission (a
                   // webhook's shape).
                   if (req.body.find("\"submissions\"") != std::string::npos) {
                     v1::SubmitLeadsRequest batch;
                     if (absl::Status s = http::ParseJsonBody(req.body, &batch); s.ok()) {
                       std::vector<const v1::LeadSubmission*> items;
                       for (const auto& s2 : batch.submissions()) items.push_back(&s2);
                       return SubmitHttp(core, req, items, /*batch=*/true,
                                         validate_only || batch.validate_only());
                     }
                   }
                   v1::LeadSubmission one;
                   if (absl::Status s = http::ParseJsonBody(req.body, &one); !s.ok())
                     return http::ErrorResponse(400, ToStd(s.message()));
                   return SubmitHttp(core, req, {&one}, /*batch=*/false, validate_only);
                 });
  server->Handle("POST", "/v1/engagements",
                 http::Access::Method("leadflow.v1.IntakeService.RecordEngagement"),
                 [core](const http::Request& req) {
                   v1::RecordEngagementRequest request;
                   if (absl::Status s = http::ParseJsonBody(req.body, &request); !s.ok())
                     return http::ErrorResponse(400, ToStd(s.message()));
                   const v1::LeadSubmission s = EngagementSubmission(request);
                   return SubmitHttp(core, req, {&s}, /*batch=*/false, request.validate_only());
                 });
  server->Handle(
      "POST", "/v1/erasures", http::Access::Method("leadflow.v1.IntakeService.EraseLead"),
      [core](const http::Request& req) {
        v1::EraseLeadRequest request;
        if (absl::Status s = http::ParseJsonBody(req.body, &request); !s.ok())
          return http::ErrorResponse(400, ToStd(s.message()));
        std::vector<v1::FieldViolation> violations;
        absl::StatusOr<v1::EraseLeadResponse> r = core->EraseLead(request, req.caller, &violations);
        if (!violations.empty())
          return http::ErrorResponse(400, "invalid erase request", violations);
        if (!r.ok())
          return http::ErrorResponse(http::HttpStatusOf(r.status()), ToStd(r.status().message()));
        return http::JsonResponse(202, *r);
      });
  server->Handle("GET", "/v1/leads/([^/]+)",
                 http::Access::Method("leadflow.v1.IntakeService.GetLead"),
                 [core](const http::Request& req) {
                   // By lead id only: an email in a URL would end up in access logs.
                   v1::GetLeadRequest request;
                   request.set_lead_id(req.path_params.at(0));
                   absl::StatusOr<v1::Lead> lead = core->GetLead(request);
                   if (!lead.ok())
                     return http::ErrorResponse(http::HttpStatusOf(lead.status()),
                                                ToStd(lead.status().message()));
                   v1::GetLeadResponse response;
                   *response.mutable_lead() = std::move(*lead);
                   return http::JsonResponse(200, response);
                 });
}

}  // namespace leadflow::intake
