#include "services/recycle/api.h"

#include <algorithm>
#include <set>

#include "absl/strings/numbers.h"
#include "absl/time/time.h"
#include "services/common/base/strings.h"
#include "services/common/config/proto_yaml.h"
#include "services/common/events/follow.h"
#include "services/common/events/lead_events.h"
#include "services/common/http/json_api.h"
#include "services/common/rpc/status.h"

namespace leadflow::recycle {
namespace {

constexpr int kDefaultPage = 100;
constexpr int kMaxPage = 1000;

const v1::FeedbackRecord* FindCommand(const v1::RecycleState& s, const std::string& id) {
  for (const v1::FeedbackRecord& r : s.commands()) {
    if (r.key() == id) return &r;
  }
  return nullptr;
}

// "<recycled_at_ms>:<lead_id>": the listing continues with leads recycled before it.
std::string PageToken(const v1::RecycleState& s) {
  return StrCat(s.recycled_at_ms(), ":", s.lead_id());
}

}  // namespace

RecycleCore::RecycleCore(RecycleCoreOptions options, const stream::StreamApp* app,
                         std::unique_ptr<RecycleConfigSource> config, kafka::Sender* sender,
                         std::function<int64_t()> now_ms)
    : options_(std::move(options)),
      app_(app),
      sender_(sender),
      now_ms_(std::move(now_ms)),
      config_(std::move(config)) {}

absl::StatusOr<std::shared_ptr<const RecycleConfig>> RecycleCore::Config() {
  std::lock_guard<std::mutex> lock(config_mu_);
  const stream::GlobalTable* table =
      app_ == nullptr ? nullptr : app_->global_table(options_.config_topic);
  if (table != nullptr) {
    absl::StatusOr<RecycleConfigSource::Update> update = config_->Refresh(
        table->generation(), [table](std::string_view key) { return table->Get(key); });
    if (!update.ok()) return update.status();
  }
  return config_->current();
}

absl::StatusOr<v1::NurtureStatus> RecycleCore::GetNurtureStatus(const std::string& lead_id) {
  if (lead_id.empty()) return absl::InvalidArgumentError("lead_id: is required");
  if (app_ == nullptr) return absl::UnavailableError("recycle state is not available");
  absl::StatusOr<stream::StreamApp::LocalRead> read = app_->ReadCommitted(kNurtureStore, lead_id);
  if (!read.ok()) return read.status();
  absl::StatusOr<std::optional<v1::RecycleState>> state = ParseRecycleState(read->value, lead_id);
  if (!state.ok()) return state.status();
  if (!state->has_value()) {
    if (!read->owned) return stream::NotOwnedError(StrCat("lead ", lead_id), *read);
    return absl::NotFoundError(StrCat("recycle has never seen lead ", lead_id));
  }
  absl::StatusOr<std::shared_ptr<const RecycleConfig>> config = Config();
  if (!config.ok()) return config.status();
  return StatusOf(**state, **config, now_ms_());
}

absl::StatusOr<v1::ListRecycledResponse> RecycleCore::ListRecycled(
    const v1::ListRecycledRequest& request) {
  if (app_ == nullptr) return absl::UnavailableError("recycle state is not available");
  if (request.page_size() < 0 || request.page_size() > kMaxPage) {
    return absl::InvalidArgumentError(StrCat("page_size: 0 to ", kMaxPage));
  }
  const size_t page = request.page_size() == 0 ? kDefaultPage : request.page_size();
  int64_t before_ms = INT64_MAX;
  std::string before_id;
  if (!request.page_token().empty()) {
    const size_t colon = request.page_token().find(':');
    if (colon == std::string::npos ||
        !absl::SimpleAtoi(request.page_token().substr(0, colon), &before_ms)) {
      return absl::InvalidArgumentError("page_token: not a token of this listing");
    }
    before_id = request.page_token().substr(colon + 1);
  }
  const int64_t since = request.has_since() ? events::MillisFromTimestamp(request.since()) : 0;
  absl::StatusOr<std::shared_ptr<const RecycleConfig>> config = Config();
  if (!config.ok()) return config.status();
  std::vector<v1::RecycleState> matches;
  absl::Status parse_error;
  absl::StatusOr<bool> scanned = app_->ScanCommitted(kNurtureStore, [&](int32_t,
                                                                        std::string_view key,
                                                                        std::string_view value) {
    v1::RecycleState s;
    if (!s.ParseFromArray(value.data(), static_cast<int>(value.size()))) {
      parse_error = absl::DataLossError(StrCat("stored nurture state of ", key, " does not parse"));
      return false;
    }
    if (s.recycle_count() == 0 || s.recycled_at_ms() < since) return true;
    if (!request.nurture_track_id().empty() && s.nurture_track_id() != request.nurture_track_id()) {
      return true;
    }
    if (request.reason_code() != v1::RECYCLE_REASON_UNSPECIFIED &&
        s.reason_code() != request.reason_code()) {
      return true;
    }
    // Newest first: only those strictly after the page token in that order.
    if (s.recycled_at_ms() > before_ms ||
        (s.recycled_at_ms() == before_ms && s.lead_id() >= before_id)) {
      return true;
    }
    matches.push_back(std::move(s));
    return true;
  });
  if (!scanned.ok()) return scanned.status();
  if (!parse_error.ok()) return parse_error;
  std::sort(
      matches.begin(), matches.end(), [](const v1::RecycleState& a, const v1::RecycleState& b) {
        return a.recycled_at_ms() != b.recycled_at_ms() ? a.recycled_at_ms() > b.recycled_at_ms()
                                                        : a.lead_id() > b.lead_id();
      });
  // Ties on recycled_at order by lead id descending, so "after the token" is "id < token id".
  v1::ListRecycledResponse out;
  const int64_t now = now_ms_();
  for (size_t i = 0; i < matches.size() && i < page; ++i) {
    *out.add_leads() = StatusOf(matches[i], **config, now);
  }
  if (matches.size() > page) out.set_next_page_token(PageToken(matches[page - 1]));
  return out;
}

absl::StatusOr<v1::NurtureStatus> RecycleCore::Submit(const std::string& lead_id,
                                                      v1::RecycleCommand command) {
  if (lead_id.empty()) return absl::InvalidArgumentError("lead_id: is required");
  if (command.request_id().empty()) return absl::InvalidArgumentError("request_id: is required");
  if (app_ == nullptr) return absl::UnavailableError("recycle state is not available");
  *command.mutable_requested_at() = events::TimestampFromMillis(now_ms_());
  if (absl::Status s = sender_->Send(
          {options_.commands_topic,
           std::nullopt,
           lead_id,
           command.SerializeAsString(),
           {{"content-type", events::ProtobufContentType("leadflow.v1.RecycleCommand")}}},
          options_.ack_timeout);
      !s.ok()) {
    return absl::UnavailableError(
        StrCat("the request was not acknowledged by Kafka (retry with the same request_id): ",
               s.message()));
  }
  std::optional<v1::RecycleState> applied;
  absl::StatusOr<std::optional<std::string>> seen = app_->AwaitCommitted(
      kNurtureStore, lead_id,
      [&](const std::optional<std::string>& bytes) {
        absl::StatusOr<std::optional<v1::RecycleState>> s = ParseRecycleState(bytes, lead_id);
        if (!s.ok() || !s->has_value() || FindCommand(**s, command.request_id()) == nullptr) {
          return false;
        }
        applied = std::move(*s);
        return true;
      },
      options_.apply_timeout);
  if (!seen.ok()) {
    if (seen.status().code() != absl::StatusCode::kDeadlineExceeded) return seen.status();
    // An unknown lead is dead-lettered without state: it never shows up here.
    return absl::DeadlineExceededError(
        StrCat("the request was written but not applied within ", options_.apply_timeout.count(),
               " ms (an unknown lead goes to the DLQ); retry with the same request_id"));
  }
  const v1::FeedbackRecord* r = FindCommand(*applied, command.request_id());
  if (r->refused()) return absl::FailedPreconditionError(r->detail());
  absl::StatusOr<std::shared_ptr<const RecycleConfig>> config = Config();
  if (!config.ok()) return config.status();
  return StatusOf(*applied, **config, now_ms_());
}

absl::StatusOr<v1::NurtureStatus> RecycleCore::Release(const v1::ReleaseRequest& request,
                                                       std::string_view requested_by) {
  // Not in nurture as this instance has committed it: answered at once, without a write (the
  // processor checks again and has the last word) — unless this is a retry of a request already
  // applied, which gets its first answer.
  absl::StatusOr<v1::NurtureStatus> now = GetNurtureStatus(request.lead_id());
  if (!now.ok()) return now.status();
  absl::StatusOr<stream::StreamApp::LocalRead> read =
      app_->ReadCommitted(kNurtureStore, request.lead_id());
  if (!read.ok()) return read.status();
  absl::StatusOr<std::optional<v1::RecycleState>> state =
      ParseRecycleState(read->value, request.lead_id());
  if (!state.ok()) return state.status();
  const bool retry = state->has_value() && FindCommand(**state, request.request_id()) != nullptr;
  if (!retry && now->stage() != v1::STAGE_NURTURE) {
    return absl::FailedPreconditionError(StrCat("release: the lead is not in nurture (it is ",
                                                v1::Stage_Name(now->stage()).substr(6), ")"));
  }
  v1::RecycleCommand command;
  command.set_request_id(request.request_id());
  command.set_requested_by(std::string(requested_by));
  command.set_reason(request.reason());
  command.mutable_release();
  return Submit(request.lead_id(), std::move(command));
}

absl::StatusOr<v1::NurtureStatus> RecycleCore::Recycle(const v1::RecycleRequest& request,
                                                       std::string_view requested_by) {
  if (request.reason().empty()) return absl::InvalidArgumentError("reason: is required");
  absl::StatusOr<v1::NurtureStatus> now = GetNurtureStatus(request.lead_id());
  if (!now.ok()) return now.status();
  v1::RecycleCommand command;
  command.set_request_id(request.request_id());
  command.set_requested_by(std::string(requested_by));
  command.set_reason(request.reason());
  command.mutable_recycle()->set_nurture_track_id(request.nurture_track_id());
  return Submit(request.lead_id(), std::move(command));
}

absl::Status RecycleCore::Watch(const v1::WatchRecycledRequest& request,
                                const std::function<bool(const v1::WatchRecycledResponse&)>& write,
                                const std::function<bool()>& cancelled) {
  const int partitions = app_ == nullptr ? -1 : app_->input_partitions();
  if (partitions <= 0) return absl::UnavailableError("the recycle stream has not started yet");
  events::FollowOptions follow;
  follow.kafka = options_.kafka;
  follow.topic = options_.recycle_topic;
  follow.partitions = partitions;
  follow.resume_token = request.resume_token();
  if (request.has_since()) follow.since = request.since();
  follow.timeout = options_.ack_timeout;
  const std::set<std::string> tracks(request.nurture_track_ids().begin(),
                                     request.nurture_track_ids().end());
  return events::FollowLeadEvents(
      follow,
      [&](const v1::LeadEvent& e, const std::string& token) {
        if (!tracks.empty()) {
          const std::string& track = e.has_recycled() ? e.recycled().nurture_track_id()
                                     : e.has_nurture_released()
                                         ? e.nurture_released().nurture_track_id()
                                         : std::string();
          if (tracks.count(track) == 0) return true;
        }
        v1::WatchRecycledResponse out;
        *out.mutable_event() = e;
        out.set_resume_token(token);
        return write(out);
      },
      cancelled);
}

// ---- gRPC ----

grpc::Status RecycleGrpcService::GetNurtureStatus(grpc::ServerContext*,
                                                  const v1::GetNurtureStatusRequest* request,
                                                  v1::GetNurtureStatusResponse* response) {
  absl::StatusOr<v1::NurtureStatus> s = core_->GetNurtureStatus(request->lead_id());
  if (!s.ok()) return rpc::ToGrpcStatus(s.status());
  *response->mutable_status() = std::move(*s);
  return grpc::Status::OK;
}

grpc::Status RecycleGrpcService::ListRecycled(grpc::ServerContext*,
                                              const v1::ListRecycledRequest* request,
                                              v1::ListRecycledResponse* response) {
  absl::StatusOr<v1::ListRecycledResponse> r = core_->ListRecycled(*request);
  if (!r.ok()) return rpc::ToGrpcStatus(r.status());
  *response = std::move(*r);
  return grpc::Status::OK;
}

grpc::Status RecycleGrpcService::Release(grpc::ServerContext*, const v1::ReleaseRequest* request,
                                         v1::ReleaseResponse* response) {
  absl::StatusOr<v1::NurtureStatus> s = core_->Release(*request, "grpc");
  if (!s.ok()) return rpc::ToGrpcStatus(s.status());
  *response->mutable_status() = std::move(*s);
  return grpc::Status::OK;
}

grpc::Status RecycleGrpcService::Recycle(grpc::ServerContext*, const v1::RecycleRequest* request,
                                         v1::RecycleResponse* response) {
  absl::StatusOr<v1::NurtureStatus> s = core_->Recycle(*request, "grpc");
  if (!s.ok()) return rpc::ToGrpcStatus(s.status());
  *response->mutable_status() = std::move(*s);
  return grpc::Status::OK;
}

grpc::Status RecycleGrpcService::WatchRecycled(
    grpc::ServerContext* ctx, const v1::WatchRecycledRequest* request,
    grpc::ServerWriter<v1::WatchRecycledResponse>* writer) {
  return rpc::ToGrpcStatus(core_->Watch(
      *request, [writer](const v1::WatchRecycledResponse& r) { return writer->Write(r); },
      [ctx] { return ctx->IsCancelled(); }));
}

// ---- HTTP ----

void AddHttpRoutes(RecycleCore* core, http::HttpServer* server) {
  server->Handle("GET", "/v1/nurture/([^/]+)",
                 http::Access::Method("leadflow.v1.RecycleService.GetNurtureStatus"),
                 [core](const http::Request& req) {
                   absl::StatusOr<v1::NurtureStatus> s =
                       core->GetNurtureStatus(req.path_params.at(0));
                   if (!s.ok()) return http::StatusResponse(s.status());
                   v1::GetNurtureStatusResponse out;
                   *out.mutable_status() = std::move(*s);
                   return http::JsonResponse(200, out);
                 });
  server->Handle(
      "GET", "/v1/recycled", http::Access::Method("leadflow.v1.RecycleService.ListRecycled"),
      [core](const http::Request& req) {
        v1::ListRecycledRequest request;
        auto param = [&](const char* name) -> std::string {
          auto it = req.query.find(name);
          return it == req.query.end() ? std::string() : it->second;
        };
        request.set_nurture_track_id(param("track"));
        if (const std::string reason = param("reason"); !reason.empty()) {
          const auto* value =
              config::FindEnumValueByShortName(v1::RecycleReason_descriptor(), reason);
          if (value == nullptr) return http::ErrorResponse(400, "reason: not a recycle reason");
          request.set_reason_code(static_cast<v1::RecycleReason>(value->number()));
        }
        if (const std::string since = param("since"); !since.empty()) {
          absl::Time t;
          std::string err;
          if (!absl::ParseTime(absl::RFC3339_full, since, &t, &err)) {
            return http::ErrorResponse(400, "since: an RFC 3339 time, e.g. 2026-11-01T00:00:00Z");
          }
          *request.mutable_since() = events::TimestampFromMillis(absl::ToUnixMillis(t));
        }
        if (const std::string size = param("page_size"); !size.empty()) {
          int n = 0;
          if (!absl::SimpleAtoi(size, &n)) return http::ErrorResponse(400, "page_size: a number");
          request.set_page_size(n);
        }
        request.set_page_token(param("page_token"));
        absl::StatusOr<v1::ListRecycledResponse> r = core->ListRecycled(request);
        return r.ok() ? http::JsonResponse(200, *r) : http::StatusResponse(r.status());
      });
  server->Handle("POST", "/v1/nurture/([^/]+)/release",
                 http::Access::Method("leadflow.v1.RecycleService.Release"),
                 [core](const http::Request& req) {
                   v1::ReleaseRequest request;
                   if (absl::Status s = http::ParseJsonBody(req.body, &request); !s.ok()) {
                     return http::StatusResponse(s);
                   }
                   request.set_lead_id(req.path_params.at(0));
                   absl::StatusOr<v1::NurtureStatus> s = core->Release(request, "http");
                   if (!s.ok()) return http::StatusResponse(s.status());
                   v1::ReleaseResponse out;
                   *out.mutable_status() = std::move(*s);
                   return http::JsonResponse(200, out);
                 });
  server->Handle("POST", "/v1/nurture/([^/]+)/recycle",
                 http::Access::Method("leadflow.v1.RecycleService.Recycle"),
                 [core](const http::Request& req) {
                   v1::RecycleRequest request;
                   if (absl::Status s = http::ParseJsonBody(req.body, &request); !s.ok()) {
                     return http::StatusResponse(s);
                   }
                   request.set_lead_id(req.path_params.at(0));
                   absl::StatusOr<v1::NurtureStatus> s = core->Recycle(request, "http");
                   if (!s.ok()) return http::StatusResponse(s.status());
                   v1::RecycleResponse out;
                   *out.mutable_status() = std::move(*s);
                   return http::JsonResponse(200, out);
                 });
}

}  // namespace leadflow::recycle
