#include "services/qualification/api.h"

#include <random>

#include "services/common/base/strings.h"
#include "services/common/base/words.h"
#include "services/common/events/ids.h"
#include "services/common/events/lead_events.h"
#include "services/common/http/json_api.h"
#include "services/common/rpc/status.h"
#include "services/qualification/processor.h"

namespace leadflow::qualification {
namespace {

std::string NewCommandId() {
  static thread_local std::mt19937_64 rng{std::random_device{}()};
  std::string bytes(16, '\0');
  for (size_t i = 0; i < bytes.size(); i += 8) {
    const uint64_t r = rng();
    for (size_t k = 0; k < 8; ++k) bytes[i + k] = static_cast<char>(r >> (8 * k));
  }
  return events::UuidFromDigest(bytes);
}

std::string Summary(const v1::QualificationState& state, const Explanation& x,
                    const QualificationConfig& config) {
  const v1::ScoreSnapshot& s = state.lead().score();
  std::string out =
      StrCat("Grade ", GradeLetter(s.fit_grade()), " (fit ", static_cast<int>(s.fit_score() + 0.5),
             "/100), engagement ", static_cast<int>(s.engagement_score() + 0.5), "/100");
  if (s.has_predictive_score()) {
    StrAppend(&out, ", predictive ", static_cast<int>(s.predictive_score() + 0.5), "/100");
  }
  StrAppend(&out, ", total ", static_cast<int>(s.total_score() + 0.5), "/100. Stage ",
            v1::Stage_Name(state.lead().stage()).substr(6), ", cycle ", state.lead().cycle(),
            ". MQL gate: ", x.gate_result.text(), ".");
  if (x.config_differs) {
    StrAppend(&out, " Scored with ICP version ", s.icp_version(),
              "; explained with the config in force now (ICP version ", config.icp_version,
              "): Rescore to apply it.");
  }
  return out;
}

}  // namespace

QualificationCore::QualificationCore(QualificationCoreOptions options, const stream::StreamApp* app,
                                     std::unique_ptr<ConfigSource> config, kafka::Sender* sender,
                                     std::function<int64_t()> now_ms)
    : options_(std::move(options)),
      app_(app),
      sender_(sender),
      now_ms_(std::move(now_ms)),
      config_(std::move(config)) {}

absl::StatusOr<v1::QualificationState> QualificationCore::LoadState(
    const std::string& lead_id) const {
  if (lead_id.empty()) return absl::InvalidArgumentError("lead_id: is required");
  if (app_ == nullptr) return absl::UnavailableError("qualification state is not available");
  absl::StatusOr<stream::StreamApp::LocalRead> read = app_->ReadCommitted(kLeadsStore, lead_id);
  if (!read.ok()) return read.status();
  if (!read->value.has_value()) {
    if (!read->owned) return stream::NotOwnedError(StrCat("lead ", lead_id), *read);
    return absl::NotFoundError(StrCat("no lead ", lead_id, " in qualification"));
  }
  v1::QualificationState state;
  if (!state.ParseFromString(*read->value)) {
    return absl::DataLossError("stored state does not parse");
  }
  return state;
}

absl::StatusOr<v1::GetScoreResponse> QualificationCore::GetScore(
    const v1::GetScoreRequest& request) const {
  absl::StatusOr<v1::QualificationState> state = LoadState(request.lead_id());
  if (!state.ok()) return state.status();
  v1::GetScoreResponse out;
  out.set_lead_id(request.lead_id());
  *out.mutable_score() = state->lead().score();
  out.set_stage(state->lead().stage());
  out.set_cycle(state->lead().cycle());
  return out;
}

absl::StatusOr<v1::ExplainScoreResponse> QualificationCore::ExplainScore(
    const v1::ExplainScoreRequest& request) {
  absl::StatusOr<v1::QualificationState> state = LoadState(request.lead_id());
  if (!state.ok()) return state.status();
  absl::StatusOr<std::shared_ptr<const QualificationConfig>> config = Config();
  if (!config.ok()) return config.status();
  Explanation x = ExplainState(*state, **config);
  v1::ExplainScoreResponse out;
  out.set_lead_id(request.lead_id());
  *out.mutable_score() = state->lead().score();
  for (v1::ScoreContribution& c : x.contributions) *out.add_contributions() = std::move(c);
  *out.mutable_gate_result() = x.gate_result;
  out.set_passes_mql_gate(x.passes_mql_gate);
  out.set_config_version(state->lead().config_version());
  *out.mutable_scored_at() = state->lead().score().scored_at();
  out.set_summary(Summary(*state, x, **config));
  return out;
}

absl::StatusOr<std::shared_ptr<const QualificationConfig>> QualificationCore::Config() {
  std::lock_guard<std::mutex> lock(config_mu_);
  const stream::GlobalTable* table =
      app_ == nullptr ? nullptr : app_->global_table(options_.config_topic);
  if (table != nullptr) {
    absl::StatusOr<ConfigSource::Update> update = config_->Refresh(
        table->generation(), [table](std::string_view key) { return table->Get(key); });
    if (!update.ok()) return update.status();
  }
  return config_->current();
}

absl::StatusOr<v1::ExplainIcpResponse> QualificationCore::ExplainIcp() {
  absl::StatusOr<std::shared_ptr<const QualificationConfig>> config = Config();
  if (!config.ok()) return config.status();
  const QualificationConfig& c = **config;
  v1::ExplainIcpResponse out;
  out.set_icp_version(c.icp_version);
  out.set_stage_model_version(c.stage_model_version);
  if (c.model.has_value()) out.set_model_version(c.model->version());
  out.set_text(DescribeConfig(c));
  *out.mutable_icp() = c.icp.config();
  *out.mutable_mql_gate() = c.mql_gate;
  return out;
}

absl::StatusOr<v1::RescoreResponse> QualificationCore::Rescore(const v1::RescoreRequest& request,
                                                               std::string_view requested_by) {
  if (request.all_leads() == (request.lead_ids_size() > 0)) {
    return absl::InvalidArgumentError("lead_ids or all_leads: exactly one is required");
  }
  if (static_cast<size_t>(request.lead_ids_size()) > options_.max_lead_ids) {
    return absl::InvalidArgumentError(StrCat("lead_ids: ", request.lead_ids_size(),
                                             " ids; at most ", options_.max_lead_ids,
                                             " per request (or all_leads)"));
  }
  for (int i = 0; i < request.lead_ids_size(); ++i) {
    if (request.lead_ids(i).empty() || request.lead_ids(i) == "*") {
      return absl::InvalidArgumentError(StrCat("lead_ids[", i, "]: is not a lead id"));
    }
  }
  const int partitions = app_ == nullptr ? -1 : app_->input_partitions();
  if (request.all_leads() && partitions <= 0) {
    return absl::UnavailableError("the qualification stream has not started yet");
  }
  v1::QualificationCommand command;
  command.set_command_id(NewCommandId());
  *command.mutable_requested_at() = events::TimestampFromMillis(now_ms_());
  command.set_requested_by(std::string(requested_by));
  command.set_reason(request.reason());
  command.mutable_rescore();
  const std::string value = command.SerializeAsString();

  kafka::Sender::Batch batch = sender_->NewBatch();
  int queued = 0;
  if (request.all_leads()) {
    for (int p = 0; p < partitions; ++p, ++queued) {
      batch.Add({options_.commands_topic, p, "*", value, {}});
    }
  } else {
    for (const std::string& id : request.lead_ids()) {
      batch.Add({options_.commands_topic, std::nullopt, id, value, {}});
      ++queued;
    }
  }
  for (const absl::Status& s : batch.Wait(options_.ack_timeout)) {
    if (!s.ok()) {
      return absl::UnavailableError(
          StrCat("rescore command not acknowledged by Kafka (retry): ", s.message()));
    }
  }
  v1::RescoreResponse out;
  out.set_command_id(command.command_id());
  out.set_commands_queued(queued);
  return out;
}

// ---- gRPC ----

grpc::Status QualificationGrpcService::GetScore(grpc::ServerContext*,
                                                const v1::GetScoreRequest* request,
                                                v1::GetScoreResponse* response) {
  auto r = core_->GetScore(*request);
  if (!r.ok()) return rpc::ToGrpcStatus(r.status());
  *response = std::move(*r);
  return grpc::Status::OK;
}

grpc::Status QualificationGrpcService::ExplainScore(grpc::ServerContext*,
                                                    const v1::ExplainScoreRequest* request,
                                                    v1::ExplainScoreResponse* response) {
  auto r = core_->ExplainScore(*request);
  if (!r.ok()) return rpc::ToGrpcStatus(r.status());
  *response = std::move(*r);
  return grpc::Status::OK;
}

grpc::Status QualificationGrpcService::ExplainIcp(grpc::ServerContext*,
                                                  const v1::ExplainIcpRequest*,
                                                  v1::ExplainIcpResponse* response) {
  auto r = core_->ExplainIcp();
  if (!r.ok()) return rpc::ToGrpcStatus(r.status());
  *response = std::move(*r);
  return grpc::Status::OK;
}

grpc::Status QualificationGrpcService::Rescore(grpc::ServerContext*,
                                               const v1::RescoreRequest* request,
                                               v1::RescoreResponse* response) {
  auto r = core_->Rescore(*request, "grpc");
  if (!r.ok()) return rpc::ToGrpcStatus(r.status());
  *response = std::move(*r);
  return grpc::Status::OK;
}

// ---- HTTP ----

void AddHttpRoutes(QualificationCore* core, http::HttpServer* server) {
  server->Handle("GET", "/v1/scores/([^/]+)",
                 http::Access::Method("leadflow.v1.QualificationService.GetScore"),
                 [core](const http::Request& req) {
                   v1::GetScoreRequest request;
                   request.set_lead_id(req.path_params.at(0));
                   auto r = core->GetScore(request);
                   return r.ok() ? http::JsonResponse(200, *r) : http::StatusResponse(r.status());
                 });
  server->Handle("GET", "/v1/scores/([^/]+)/explanation",
                 http::Access::Method("leadflow.v1.QualificationService.ExplainScore"),
                 [core](const http::Request& req) {
                   v1::ExplainScoreRequest request;
                   request.set_lead_id(req.path_params.at(0));
                   auto r = core->ExplainScore(request);
                   return r.ok() ? http::JsonResponse(200, *r) : http::StatusResponse(r.status());
                 });
  server->Handle("GET", "/v1/icp",
                 http::Access::Method("leadflow.v1.QualificationService.ExplainIcp"),
                 [core](const http::Request& req) {
                   auto r = core->ExplainIcp();
                   if (!r.ok()) return http::StatusResponse(r.status());
                   auto format = req.query.find("format");
                   if (format != req.query.end() && format->second == "text") {
                     return http::Response{200, "text/markdown; charset=utf-8", r->text()};
                   }
                   return http::JsonResponse(200, *r);
                 });
  server->Handle("POST", "/v1/rescore",
                 http::Access::Method("leadflow.v1.QualificationService.Rescore"),
                 [core](const http::Request& req) {
                   v1::RescoreRequest request;
                   if (absl::Status s = http::ParseJsonBody(req.body, &request); !s.ok()) {
                     return http::StatusResponse(s);
                   }
                   auto r = core->Rescore(request, "http");
                   return r.ok() ? http::JsonResponse(202, *r) : http::StatusResponse(r.status());
                 });
}

}  // namespace leadflow::qualification
