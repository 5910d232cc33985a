#include "services/recycle/processor.h"

#include "services/common/base/status_macros.h"
#include "services/common/base/strings.h"
#include "services/common/events/lead_events.h"
#include "services/common/lifecycle/stage_model.h"
#include "services/common/log/log.h"
#include "services/recycle/nurture.h"

namespace leadflow::recycle {

namespace {

std::string FirstViolation(const std::vector<config::ConfigViolation>& v) {
  return v.empty() ? std::string() : StrCat(v.front().path, ": ", v.front().why);
}

}  // namespace

absl::StatusOr<std::unique_ptr<RecycleConfigSource>> LoadRecycleConfig(
    const std::string& nurture_file, const std::string& stages_file) {
  absl::StatusOr<v1::NurtureConfig> nurture = LoadNurtureFile(nurture_file);
  if (!nurture.ok()) return nurture.status();
  absl::StatusOr<v1::StageModel> stages = lifecycle::LoadStageModelFile(stages_file);
  if (!stages.ok()) return stages.status();
  v1::ConfigRecord n, m;
  *n.mutable_nurture() = std::move(*nurture);
  *m.mutable_stage_model() = std::move(*stages);
  return RecycleConfigSource::Create(
      config::ConfigSet({
          {"nurture", n,
           [](const v1::ConfigRecord& c) { return FirstViolation(ValidateNurture(c.nurture())); }},
          {"stage_model", m,
           [](const v1::ConfigRecord& c) {
             return FirstViolation(lifecycle::ValidateStageModel(c.stage_model()));
           }},
      }),
      [](const config::ConfigSet& set) -> absl::StatusOr<std::shared_ptr<const RecycleConfig>> {
        auto c = std::make_shared<RecycleConfig>();
        const v1::ConfigRecord* record = set.Get("nurture");
        c->version = set.version();
        c->nurture = record->nurture();
        c->nurture_version = record->version().version();
        c->stages = set.Get("stage_model")->stage_model();
        return std::shared_ptr<const RecycleConfig>(std::move(c));
      });
}

struct RecycleProcessor::Metrics {
  explicit Metrics(metrics::Registry* r)
      : recycled(Event(r, "recycled")),
        released(Event(r, "nurture_released")),
        archived(Event(r, "archived")),
        not_done(r->GetCounter("leadflow_recycle_steps_not_allowed_total",
                               "Recycles, releases or archives an event or timer called for that "
                               "the stage model does not allow from the lead's stage.")),
        refused(r->GetCounter("leadflow_recycle_commands_refused_total",
                              "Ops requests refused (not in nurture, not allowed from the stage, "
                              "unknown lead): dead-lettered.")),
        config_errors(r->GetCounter(
            "leadflow_recycle_config_errors_total",
            "Published config records recycle could not use (the previous one stays).")),
        config_version(r->GetGauge("leadflow_recycle_config_version",
                                   "The global config version recycle decides with.")) {}
  static metrics::Counter& Event(metrics::Registry* r, const char* kind) {
    return r->GetCounter("leadflow_recycle_events_total", "Events recycle wrote, by kind.",
                         {{"kind", kind}});
  }
  metrics::Counter& recycled;
  metrics::Counter& released;
  metrics::Counter& archived;
  metrics::Counter& not_done;
  metrics::Counter& refused;
  metrics::Counter& config_errors;
  metrics::Gauge& config_version;
};

absl::StatusOr<std::optional<v1::RecycleState>> ParseRecycleState(
    const std::optional<std::string>& bytes, std::string_view lead_id) {
  if (!bytes.has_value()) return std::optional<v1::RecycleState>();
  v1::RecycleState state;
  if (!state.ParseFromString(*bytes)) {
    return absl::DataLossError(StrCat("stored nurture state of lead ", lead_id, " does not parse"));
  }
  return std::optional<v1::RecycleState>(std::move(state));
}

RecycleProcessor::RecycleProcessor(RecycleTopics topics,
                                   std::unique_ptr<RecycleConfigSource> config,
                                   metrics::Registry* registry)
    : topics_(std::move(topics)),
      config_(std::move(config)),
      metrics_(std::make_unique<Metrics>(registry)),
      gate_({v1::SERVICE_NAME_INTAKE, v1::SERVICE_NAME_QUALIFICATION, v1::SERVICE_NAME_HANDOFF},
            registry) {
  metrics_->config_version.Set(static_cast<double>(config_->current()->version));
}

RecycleProcessor::~RecycleProcessor() = default;

absl::Status RecycleProcessor::RefreshConfig(stream::Context& ctx) {
  LF_ASSIGN_OR_RETURN(uint64_t generation, ctx.GlobalGeneration(topics_.config));
  LF_ASSIGN_OR_RETURN(RecycleConfigSource::Update update,
                      config_->Refresh(generation, [&](std::string_view key) {
                        return ctx.GetGlobal(topics_.config, key);
                      }));
  for (const std::string& e : update.errors) {
    metrics_->config_errors.Increment();
    log::Error("config record not used", {{"error", e}});
  }
  if (update.changed) {
    const RecycleConfig& c = *config_->current();
    metrics_->config_version.Set(static_cast<double>(c.version));
    log::Info("recycle config in force", {{"config_version", std::to_string(c.version)},
                                          {"nurture_version", std::to_string(c.nurture_version)}});
  }
  return absl::OkStatus();
}

absl::Status RecycleProcessor::Process(const stream::InputRecord& record, stream::Context& ctx) {
  LF_RETURN_IF_ERROR(RefreshConfig(ctx));
  const std::string lead_id(record.key);
  LF_ASSIGN_OR_RETURN(std::optional<std::string> bytes, ctx.Get(kNurtureStore, lead_id));
  LF_ASSIGN_OR_RETURN(std::optional<v1::RecycleState> state, ParseRecycleState(bytes, lead_id));
  const RecycleConfig& config = *config_->current();
  if (record.topic == topics_.commands) {
    v1::RecycleCommand command;
    if (!command.ParseFromArray(record.value.data(), static_cast<int>(record.value.size()))) {
      return stream::Reject(v1::DEAD_LETTER_REASON_MALFORMED, "not a leadflow.v1.RecycleCommand");
    }
    if (command.request_id().empty() || lead_id.empty()) {
      return stream::Reject(v1::DEAD_LETTER_REASON_INVALID,
                            "request_id and the record key (lead id) are required");
    }
    return Apply(lead_id, OnCommand(std::move(state), command, config, ctx.now_ms()), ctx);
  }
  v1::LeadEvent event;
  if (!event.ParseFromArray(record.value.data(), static_cast<int>(record.value.size()))) {
    return stream::Reject(v1::DEAD_LETTER_REASON_MALFORMED, "not a leadflow.v1.LeadEvent");
  }
  if (event.envelope().lead_id().empty() || event.envelope().lead_id() != lead_id) {
    return stream::Reject(v1::DEAD_LETTER_REASON_INVALID,
                          "envelope.lead_id: empty or not the record key");
  }
  // An erasure (stream::ErasureGate): the first copy erases, events from before it that arrive
  // later are not applied, the later copies change nothing. The cascade ends here: recycle writes
  // its own LeadErased from handoff's copy, the last one, so on leadflow.recycle.v1 it says that
  // intake, qualification, handoff and recycle have all erased the person.
  LF_ASSIGN_OR_RETURN(stream::ErasureGate::Decision gate, gate_.Admit(lead_id, event, ctx));
  if (gate.verdict == stream::ErasureGate::Verdict::kStraggler) return absl::OkStatus();
  if (event.has_erased() && record.topic == topics_.handoffs) {
    ctx.Emit(events::ForwardErasure(event, topics_.output, v1::SERVICE_NAME_RECYCLE, ctx.now_ms()));
  }
  if (gate.verdict == stream::ErasureGate::Verdict::kLaterCopy) return absl::OkStatus();
  return Apply(lead_id, OnEvent(std::move(state), event, config, ctx.now_ms()), ctx);
}

absl::Status RecycleProcessor::OnTimer(const stream::Timer& timer, stream::Context& ctx) {
  const size_t slash = timer.key.find('/');
  if (slash == std::string::npos) return absl::OkStatus();
  LF_RETURN_IF_ERROR(RefreshConfig(ctx));
  const std::string lead_id = timer.key.substr(slash + 1);
  LF_ASSIGN_OR_RETURN(std::optional<std::string> bytes, ctx.Get(kNurtureStore, lead_id));
  LF_ASSIGN_OR_RETURN(std::optional<v1::RecycleState> state, ParseRecycleState(bytes, lead_id));
  if (!state.has_value()) return absl::OkStatus();
  return Apply(lead_id,
               recycle::OnTimer(*state, timer.key, timer.due_ms, *config_->current(), ctx.now_ms()),
               ctx);
}

absl::Status RecycleProcessor::Apply(const std::string& lead_id, Effects effects,
                                     stream::Context& ctx) {
  switch (effects.store) {
    case Effects::Store::kKeep:
      break;
    case Effects::Store::kPut:
      ctx.Put(kNurtureStore, lead_id, effects.state.SerializeAsString());
      break;
    case Effects::Store::kDelete:  // erasure
      ctx.Erase(kNurtureStore, lead_id);
      break;
  }
  for (const v1::LeadEvent& e : effects.events) {
    if (e.has_recycled()) metrics_->recycled.Increment();
    if (e.has_nurture_released()) metrics_->released.Increment();
    if (e.has_archived()) metrics_->archived.Increment();
    ctx.Emit(events::LeadEventRecord(topics_.output, e));
  }
  for (const std::string& why : effects.not_done) {
    metrics_->not_done.Increment();
    log::Warn("recycle step not allowed by the stage model", {{"lead_id", lead_id}, {"why", why}});
  }
  for (const Effects::TimerOp& t : effects.timers) {
    if (t.due_ms.has_value()) {
      ctx.ScheduleTimer(t.key, *t.due_ms, "");
    } else {
      ctx.CancelTimer(t.key);
    }
  }
  if (effects.refusal.has_value()) {
    metrics_->refused.Increment();
    if (effects.store == Effects::Store::kKeep) {
      return stream::Reject(*effects.refusal, effects.detail);
    }
    ctx.DeadLetterInput(*effects.refusal, effects.detail);
  }
  return absl::OkStatus();
}

}  // namespace leadflow::recycle
