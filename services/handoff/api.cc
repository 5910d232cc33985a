#include "services/handoff/api.h"

#include <set>

#include "services/common/base/strings.h"
#include "services/common/events/follow.h"
#include "services/common/events/lead_events.h"
#include "services/common/http/json_api.h"
#include "services/common/rpc/status.h"
#include "services/handoff/machine.h"
#include "services/handoff/processor.h"

namespace leadflow::handoff {
namespace {

const v1::FeedbackRecord* FindFeedback(const v1::HandoffState& state, const std::string& key) {
  for (const v1::FeedbackRecord& r : state.feedback()) {
    if (r.key() == key) return &r;
  }
  return nullptr;
}

// The reps an event concerns (for the rep filter).
std::vector<std::string> RepsOf(const v1::LeadEvent& e) {
  switch (e.event_case()) {
    case v1::LeadEvent::kHandedOff:
      return {e.handed_off().owner_rep_id()};
    case v1::LeadEvent::kAccepted:
      return {e.accepted().rep_id()};
    case v1::LeadEvent::kRejected:
      return {e.rejected().rep_id()};
    case v1::LeadEvent::kEscalated:
      return {e.escalated().rep_id(), e.escalated().escalated_to()};
    case v1::LeadEvent::kReassigned:
      return {e.reassigned().from_rep_id(), e.reassigned().to_rep_id()};
    case v1::LeadEvent::kConverted:
      return {e.converted().rep_id()};
    case v1::LeadEvent::kOpportunityOpened:
      return {e.opportunity_opened().rep_id()};
    case v1::LeadEvent::kOpportunityClosed:
      return {e.opportunity_closed().rep_id()};
    default:
      return {};
  }
}

template <typename Request>
v1::SalesFeedback Common(const Request& r) {
  v1::SalesFeedback f;
  f.set_lead_id(r.lead_id());
  f.set_rep_id(r.rep_id());
  f.set_idempotency_key(r.idempotency_key());
  f.set_source_system(r.source_system());
  if (r.has_occurred_at()) *f.mutable_occurred_at() = r.occurred_at();
  return f;
}

}  // namespace

v1::SalesFeedback FeedbackOf(const v1::AcceptLeadRequest& r) {
  v1::SalesFeedback f = Common(r);
  f.mutable_accept();
  return f;
}

v1::SalesFeedback FeedbackOf(const v1::RejectLeadRequest& r) {
  v1::SalesFeedback f = Common(r);
  f.mutable_reject()->set_reason_code(r.reason_code());
  f.mutable_reject()->set_reason_text(r.reason_text());
  return f;
}

v1::SalesFeedback FeedbackOf(const v1::ConvertLeadRequest& r) {
  v1::SalesFeedback f = Common(r);
  *f.mutable_convert()->mutable_criteria() = r.criteria();
  return f;
}

v1::SalesFeedback FeedbackOf(const v1::RecordOpportunityRequest& r) {
  v1::SalesFeedback f = Common(r);
  if (r.has_opened()) *f.mutable_opportunity_opened() = r.opened();
  if (r.has_closed()) *f.mutable_opportunity_closed() = r.closed();
  return f;
}

HandoffCore::HandoffCore(HandoffCoreOptions options, const stream::StreamApp* app,
                         std::unique_ptr<HandoffConfigSource> config, kafka::Sender* sender,
                         std::function<int64_t()> now_ms)
    : options_(std::move(options)),
      app_(app),
      sender_(sender),
      now_ms_(std::move(now_ms)),
      config_(std::move(config)) {}

absl::StatusOr<std::shared_ptr<const HandoffConfig>> HandoffCore::Config() {
  std::lock_guard<std::mutex> lock(config_mu_);
  const stream::GlobalTable* table =
      app_ == nullptr ? nullptr : app_->global_table(options_.config_topic);
  if (table != nullptr) {
    absl::StatusOr<HandoffConfigSource::Update> update = config_->Refresh(
        table->generation(), [table](std::string_view key) { return table->Get(key); });
    if (!update.ok()) return update.status();
  }
  return config_->current();
}

absl::StatusOr<std::optional<v1::HandoffState>> HandoffCore::LoadState(const std::string& lead_id,
                                                                       std::string_view hint,
                                                                       bool* all_local) const {
  if (lead_id.empty()) return absl::InvalidArgumentError("lead_id: is required");
  if (app_ == nullptr) return absl::UnavailableError("handoff state is not available");
  absl::StatusOr<stream::StreamApp::LocalRead> read = app_->ReadCommitted(kHandoffsStore, lead_id);
  if (!read.ok()) return read.status();
  if (!read->value.has_value() && !read->owned) {
    return stream::NotOwnedError(StrCat("lead ", lead_id), *read, hint);
  }
  if (all_local != nullptr) *all_local = read->all_local;
  return ParseHandoffState(read->value, lead_id);
}

absl::StatusOr<v1::Handoff> HandoffCore::GetHandoff(const std::string& lead_id) const {
  absl::StatusOr<std::optional<v1::HandoffState>> state = LoadState(lead_id);
  if (!state.ok()) return state.status();
  if (!state->has_value()) return absl::NotFoundError(StrCat("no handoff for lead ", lead_id));
  return (*state)->handoff();
}

absl::StatusOr<HandoffCore::Answered> HandoffCore::Answer(v1::SalesFeedback feedback,
                                                          std::string_view default_source) {
  if (feedback.source_system().empty()) feedback.set_source_system(std::string(default_source));
  const int64_t now = now_ms_();
  if (!feedback.has_occurred_at())
    *feedback.mutable_occurred_at() = events::TimestampFromMillis(now);
  absl::StatusOr<std::shared_ptr<const HandoffConfig>> config = Config();
  if (!config.ok()) return config.status();
  if (std::string why = ValidateFeedback(feedback, (*config)->stages); !why.empty()) {
    return absl::InvalidArgumentError(why);
  }
  constexpr std::string_view kElsewhere =
      "retry, answer through the sales-feedback topic, or ask the instance that runs it";
  bool all_local = false;
  absl::StatusOr<std::optional<v1::HandoffState>> state =
      LoadState(feedback.lead_id(), kElsewhere, &all_local);
  if (!state.ok()) return state.status();
  if (!state->has_value()) {
    if (all_local) {
      return absl::NotFoundError(
          StrCat("lead_id: no handoff for lead ", feedback.lead_id(), " (never handed to sales)"));
    }
    // This instance runs the lead's partition but may be behind: a paused instance whose partitions
    // were given away answers from its old state until its next poll. A sales tool answering a
    // handoff it has seen must not be told "never handed to sales" by it, so the answer stays
    // retriable (the soak of 2026-11-28 evening met exactly this).
    return absl::UnavailableError(
        StrCat("lead ", feedback.lead_id(),
               " has no handoff in the state this instance holds for its partition (this instance "
               "may be behind for a moment); ",
               kElsewhere));
  }
  // The same checks the processor makes, on the committed state: most refusals are answered here
  // without a write. The processor checks again (the state may move in between) and has the last
  // word.
  const int64_t at_ms = events::MillisFromTimestamp(feedback.occurred_at());
  Effects dry = OnFeedback(**state, feedback, **config, at_ms, now);
  if (dry.outcome == v1::FEEDBACK_OUTCOME_DUPLICATE) {
    return Answered{v1::FEEDBACK_OUTCOME_DUPLICATE, (*state)->handoff()};
  }
  if (dry.refusal.has_value()) return absl::FailedPreconditionError(dry.detail);

  if (absl::Status s = sender_->Send(
          {options_.feedback_topic,
           std::nullopt,
           feedback.lead_id(),
           feedback.SerializeAsString(),
           {{"content-type", events::ProtobufContentType("leadflow.v1.SalesFeedback")}}},
          options_.ack_timeout);
      !s.ok()) {
    return absl::UnavailableError(
        StrCat("the answer was not acknowledged by Kafka (retry with the same idempotency key): ",
               s.message()));
  }
  const std::string key = FeedbackKey(feedback);
  std::optional<v1::HandoffState> applied;
  absl::StatusOr<std::optional<std::string>> seen = app_->AwaitCommitted(
      kHandoffsStore, feedback.lead_id(),
      [&](const std::optional<std::string>& bytes) {
        absl::StatusOr<std::optional<v1::HandoffState>> s =
            ParseHandoffState(bytes, feedback.lead_id());
        if (!s.ok() || !s->has_value() || FindFeedback(**s, key) == nullptr) return false;
        applied = std::move(*s);
        return true;
      },
      options_.apply_timeout);
  if (!seen.ok()) {
    if (seen.status().code() != absl::StatusCode::kDeadlineExceeded) return seen.status();
    return absl::DeadlineExceededError(
        StrCat("the answer is on the sales-feedback topic but was not applied within ",
               options_.apply_timeout.count(),
               " ms; retry with the same idempotency key to learn the outcome"));
  }
  const v1::FeedbackRecord* r = FindFeedback(*applied, key);
  if (r->refused()) return absl::FailedPreconditionError(r->detail());
  return Answered{v1::FEEDBACK_OUTCOME_APPLIED, applied->handoff()};
}

absl::Status HandoffCore::Watch(const v1::WatchHandoffsRequest& request,
                                const std::function<bool(const v1::WatchHandoffsResponse&)>& write,
                                const std::function<bool()>& cancelled) {
  const int partitions = app_ == nullptr ? -1 : app_->input_partitions();
  if (partitions <= 0) return absl::UnavailableError("the handoff stream has not started yet");
  events::FollowOptions follow;
  follow.kafka = options_.kafka;
  follow.topic = options_.handoffs_topic;
  follow.partitions = partitions;
  follow.resume_token = request.resume_token();
  if (request.has_since()) follow.since = request.since();
  follow.timeout = options_.ack_timeout;
  const std::set<std::string> reps(request.rep_ids().begin(), request.rep_ids().end());
  const std::set<std::string> queues(request.queues().begin(), request.queues().end());
  return events::FollowLeadEvents(
      follow,
      [&](const v1::LeadEvent& e, const std::string& token) {
        if (!reps.empty()) {
          bool match = false;
          for (const std::string& r : RepsOf(e)) match = match || reps.count(r) > 0;
          if (!match) return true;
        }
        if (!queues.empty()) {
          std::string queue = e.has_handed_off() ? e.handed_off().queue() : "";
          if (queue.empty()) {
            absl::StatusOr<std::optional<v1::HandoffState>> s = LoadState(e.envelope().lead_id());
            if (s.ok() && s->has_value()) queue = (*s)->handoff().queue();
          }
          if (queues.count(queue) == 0) return true;
        }
        v1::WatchHandoffsResponse out;
        *out.mutable_event() = e;
        out.set_resume_token(token);
        return write(out);
      },
      cancelled);
}

// ---- gRPC ----

namespace {

template <typename Response>
grpc::Status Reply(absl::StatusOr<HandoffCore::Answered> r, Response* response) {
  if (!r.ok()) return rpc::ToGrpcStatus(r.status());
  response->set_outcome(r->outcome);
  *response->mutable_handoff() = std::move(r->handoff);
  return grpc::Status::OK;
}

}  // namespace

grpc::Status HandoffGrpcService::AcceptLead(grpc::ServerContext*,
                                            const v1::AcceptLeadRequest* request,
                                            v1::AcceptLeadResponse* response) {
  return Reply(core_->Answer(FeedbackOf(*request), "grpc"), response);
}

grpc::Status HandoffGrpcService::RejectLead(grpc::ServerContext*,
                                            const v1::RejectLeadRequest* request,
                                            v1::RejectLeadResponse* response) {
  return Reply(core_->Answer(FeedbackOf(*request), "grpc"), response);
}

grpc::Status HandoffGrpcService::ConvertLead(grpc::ServerContext*,
                                             const v1::ConvertLeadRequest* request,
                                             v1::ConvertLeadResponse* response) {
  return Reply(core_->Answer(FeedbackOf(*request), "grpc"), response);
}

grpc::Status HandoffGrpcService::RecordOpportunity(grpc::ServerContext*,
                                                   const v1::RecordOpportunityRequest* request,
                                                   v1::RecordOpportunityResponse* response) {
  return Reply(core_->Answer(FeedbackOf(*request), "grpc"), response);
}

grpc::Status HandoffGrpcService::WatchHandoffs(
    grpc::ServerContext* ctx, const v1::WatchHandoffsRequest* request,
    grpc::ServerWriter<v1::WatchHandoffsResponse>* writer) {
  return rpc::ToGrpcStatus(core_->Watch(
      *request, [writer](const v1::WatchHandoffsResponse& r) { return writer->Write(r); },
      [ctx] { return ctx->IsCancelled(); }));
}

grpc::Status HandoffGrpcService::GetHandoff(grpc::ServerContext*,
                                            const v1::GetHandoffRequest* request,
                                            v1::GetHandoffResponse* response) {
  absl::StatusOr<v1::Handoff> h = core_->GetHandoff(request->lead_id());
  if (!h.ok()) return rpc::ToGrpcStatus(h.status());
  *response->mutable_handoff() = std::move(*h);
  return grpc::Status::OK;
}

// ---- HTTP ----

namespace {

// POST /v1/handoffs/{lead_id}/<action>: the body is the gRPC request; the path names the lead.
template <typename Request, typename Response>
void AddAnswerRoute(HandoffCore* core, http::HttpServer* server, const std::string& action,
                    const std::string& method) {
  server->Handle("POST", StrCat("/v1/handoffs/([^/]+)/", action),
                 http::Access::Method(StrCat("leadflow.v1.HandoffService.", method)),
                 [core](const http::Request& req) {
                   Request request;
                   if (absl::Status s = http::ParseJsonBody(req.body, &request); !s.ok()) {
                     return http::StatusResponse(s);
                   }
                   const std::string& lead = req.path_params.at(0);
                   if (!request.lead_id().empty() && request.lead_id() != lead) {
                     return http::ErrorResponse(400, "leadId: differs from the lead in the path");
                   }
                   request.set_lead_id(lead);
                   absl::StatusOr<HandoffCore::Answered> r =
                       core->Answer(FeedbackOf(request), "http");
                   if (!r.ok()) return http::StatusResponse(r.status());
                   Response response;
                   response.set_outcome(r->outcome);
                   *response.mutable_handoff() = std::move(r->handoff);
                   return http::JsonResponse(200, response);
                 });
}

}  // namespace

void AddHttpRoutes(HandoffCore* core, http::HttpServer* server) {
  server->Handle("GET", "/v1/handoffs/([^/]+)",
                 http::Access::Method("leadflow.v1.HandoffService.GetHandoff"),
                 [core](const http::Request& req) {
                   absl::StatusOr<v1::Handoff> h = core->GetHandoff(req.path_params.at(0));
                   if (!h.ok()) return http::StatusResponse(h.status());
                   v1::GetHandoffResponse out;
                   *out.mutable_handoff() = std::move(*h);
                   return http::JsonResponse(200, out);
                 });
  AddAnswerRoute<v1::AcceptLeadRequest, v1::AcceptLeadResponse>(core, server, "accept",
                                                                "AcceptLead");
  AddAnswerRoute<v1::RejectLeadRequest, v1::RejectLeadResponse>(core, server, "reject",
                                                                "RejectLead");
  AddAnswerRoute<v1::ConvertLeadRequest, v1::ConvertLeadResponse>(core, server, "convert",
                                                                  "ConvertLead");
  AddAnswerRoute<v1::RecordOpportunityRequest, v1::RecordOpportunityResponse>(
      core, server, "opportunity", "RecordOpportunity");
}

}  // namespace leadflow::handoff
