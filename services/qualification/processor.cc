#include "services/qualification/processor.h"

#include "services/common/base/status_macros.h"
#include "services/common/base/strings.h"
#include "services/common/events/lead_events.h"
#include "services/common/log/log.h"

namespace leadflow::qualification {
namespace {

constexpr const char* kOutcomeNames[] = {"applied", "duplicate", "held", "ignored", "erased"};

}  // namespace

QualificationProcessor::QualificationProcessor(QualificationTopics topics,
                                               std::unique_ptr<ConfigSource> config,
                                               metrics::Registry* registry)
    : topics_(std::move(topics)),
      config_(std::move(config)),
      registry_(registry),
      gate_({v1::SERVICE_NAME_INTAKE, v1::SERVICE_NAME_RECYCLE}, registry),
      scored_(registry->GetCounter("leadflow_qualification_events_total",
                                   "Events qualification wrote, by kind.", {{"kind", "scored"}})),
      qualified_(registry->GetCounter("leadflow_qualification_events_total",
                                      "Events qualification wrote, by kind.",
                                      {{"kind", "qualified"}})),
      disqualified_(registry->GetCounter("leadflow_qualification_events_total",
                                         "Events qualification wrote, by kind.",
                                         {{"kind", "disqualified"}})),
      config_errors_(registry->GetCounter(
          "leadflow_qualification_config_errors_total",
          "Published config records qualification could not use (the previous one stays).")),
      bad_accounts_(registry->GetCounter(
          "leadflow_qualification_account_records_unusable_total",
          "Accounts-table records that did not parse when a lead qualified (sent without them).")),
      rescored_(registry->GetCounter("leadflow_qualification_rescored_total",
                                     "Leads re-scored by Rescore commands.")),
      rescore_skipped_(registry->GetCounter(
          "leadflow_qualification_rescore_skipped_total",
          "Leads a whole-partition Rescore skipped because their stored state did not parse.")),
      config_version_(registry->GetGauge("leadflow_qualification_config_version",
                                         "The global config version qualification scores with.")) {
  for (size_t i = 0; i < std::size(kOutcomeNames); ++i) {
    outcomes_[i] = &registry->GetCounter("leadflow_qualification_inputs_total",
                                         "Lead events qualification consumed, by outcome.",
                                         {{"outcome", kOutcomeNames[i]}});
  }
  config_version_.Set(static_cast<double>(config_->current()->version()));
}

absl::Status QualificationProcessor::RefreshConfig(stream::Context& ctx) {
  LF_ASSIGN_OR_RETURN(uint64_t generation, ctx.GlobalGeneration(topics_.config));
  LF_ASSIGN_OR_RETURN(ConfigSource::Update update,
                      config_->Refresh(generation, [&](std::string_view key) {
                        return ctx.GetGlobal(topics_.config, key);
                      }));
  for (const std::string& e : update.errors) {
    config_errors_.Increment();
    log::Error("config record not used", {{"error", e}});
  }
  if (update.changed) {
    const auto& c = *config_->current();
    config_version_.Set(static_cast<double>(c.version()));
    log::Info("qualification config in force",
              {{"config_version", std::to_string(c.version())},
               {"icp_version", std::to_string(c.icp_version)},
               {"stage_model_version", std::to_string(c.stage_model_version)},
               {"model", c.model.has_value() ? c.model->version() : std::string("none")}});
  }
  return absl::OkStatus();
}

absl::StatusOr<std::optional<v1::QualificationState>> QualificationProcessor::Load(
    stream::Context& ctx, std::string_view lead_id) {
  LF_ASSIGN_OR_RETURN(std::optional<std::string> bytes, ctx.Get(kLeadsStore, lead_id));
  if (!bytes.has_value()) return std::optional<v1::QualificationState>();
  v1::QualificationState state;
  if (!state.ParseFromString(*bytes)) {
    return absl::DataLossError(StrCat("stored state of lead ", lead_id, " does not parse"));
  }
  return std::optional<v1::QualificationState>(std::move(state));
}

absl::Status QualificationProcessor::Commit(const std::string& lead_id, Decision decision,
                                            stream::Context& ctx) {
  outcomes_[static_cast<int>(decision.outcome)]->Increment();
  switch (decision.outcome) {
    case Outcome::kDuplicate:
    case Outcome::kIgnored:
      return absl::OkStatus();
    case Outcome::kErased:
      ctx.Erase(kLeadsStore, lead_id);
      return absl::OkStatus();
    case Outcome::kHeld:
    case Outcome::kApplied:
      break;
  }
  ctx.Put(kLeadsStore, lead_id, decision.state.SerializeAsString());
  for (v1::LeadEvent& e : decision.events) {
    if (e.has_qualified()) {
      qualified_.Increment();
      const std::string& domain = e.qualified().company().domain();
      if (!topics_.accounts.empty() && !domain.empty()) {
        LF_ASSIGN_OR_RETURN(std::optional<std::string> account,
                            ctx.GetGlobal(topics_.accounts, domain));
        v1::AccountRecord record;
        if (account.has_value() && record.ParseFromString(*account)) {
          AddAccount(record, e.mutable_qualified());
        } else if (account.has_value()) {
          // The MQL goes out without the account facts rather than not at all; ops see why.
          bad_accounts_.Increment();
          log::Error("accounts record does not parse; qualified without account facts",
                     {{"domain", domain}, {"topic", topics_.accounts}});
        }
      }
    } else if (e.has_scored()) {
      scored_.Increment();
    } else if (e.has_disqualified()) {
      disqualified_.Increment();
    }
    ctx.Emit(events::LeadEventRecord(topics_.output, e));
  }
  return absl::OkStatus();
}

absl::Status QualificationProcessor::Process(const stream::InputRecord& record,
                                             stream::Context& ctx) {
  LF_RETURN_IF_ERROR(RefreshConfig(ctx));
  if (record.topic == topics_.commands) return HandleCommand(record, ctx);

  v1::LeadEvent event;
  if (!event.ParseFromArray(record.value.data(), static_cast<int>(record.value.size()))) {
    return stream::Reject(v1::DEAD_LETTER_REASON_MALFORMED, "not a leadflow.v1.LeadEvent");
  }
  const std::string& lead_id = event.envelope().lead_id();
  if (lead_id.empty() || record.key != lead_id) {
    return stream::Reject(v1::DEAD_LETTER_REASON_INVALID,
                          "envelope.lead_id: empty or not the record key");
  }
  // An erasure (stream::ErasureGate): the first copy erases, events from before it that arrive
  // later are not applied (they would bring the person back), the later copy changes nothing.
  LF_ASSIGN_OR_RETURN(stream::ErasureGate::Decision gate, gate_.Admit(lead_id, event, ctx));
  if (gate.verdict == stream::ErasureGate::Verdict::kStraggler) return absl::OkStatus();
  // The erase cascade goes on from intake's copy, whichever copy came first.
  if (event.has_erased() && record.topic == topics_.leads) {
    ctx.Emit(events::ForwardErasure(event, topics_.output, v1::SERVICE_NAME_QUALIFICATION,
                                    ctx.now_ms()));
  }
  if (gate.verdict == stream::ErasureGate::Verdict::kLaterCopy) return absl::OkStatus();
  LF_ASSIGN_OR_RETURN(std::optional<v1::QualificationState> current, Load(ctx, lead_id));
  absl::StatusOr<Decision> decision =
      Apply(std::move(current), event, *config_->current(), ctx.now_ms());
  if (!decision.ok()) {
    return stream::Reject(v1::DEAD_LETTER_REASON_INVALID, ToStd(decision.status().message()));
  }
  return Commit(lead_id, std::move(*decision), ctx);
}

absl::Status QualificationProcessor::HandleCommand(const stream::InputRecord& record,
                                                   stream::Context& ctx) {
  v1::QualificationCommand command;
  if (!command.ParseFromArray(record.value.data(), static_cast<int>(record.value.size()))) {
    return stream::Reject(v1::DEAD_LETTER_REASON_MALFORMED,
                          "not a leadflow.v1.QualificationCommand");
  }
  if (!command.has_rescore() || command.command_id().empty() || !command.has_requested_at()) {
    return stream::Reject(v1::DEAD_LETTER_REASON_INVALID,
                          "command_id, requested_at and a command (rescore) are required");
  }
  if (record.key == "*") {
    // Every lead of this partition, one chunk per timer firing (bounded transactions).
    log::Info("re-scoring all leads of a partition",
              {{"command_id", command.command_id()},
               {"partition", std::to_string(ctx.partition())},
               {"reason", command.reason()}});
    command.clear_resume_after();
    ctx.ScheduleTimer(kRescoreAllTimer, ctx.now_ms(), command.SerializeAsString());
    return absl::OkStatus();
  }
  LF_ASSIGN_OR_RETURN(std::optional<v1::QualificationState> current, Load(ctx, record.key));
  if (!current.has_value()) {
    return stream::Reject(v1::DEAD_LETTER_REASON_INVALID,
                          StrCat("rescore: no lead ", record.key, " in qualification"));
  }
  rescored_.Increment();
  return Commit(std::string(record.key),
                Rescore(std::move(*current), command.command_id(),
                        events::MillisFromTimestamp(command.requested_at()), *config_->current(),
                        ctx.now_ms()),
                ctx);
}

absl::Status QualificationProcessor::OnTimer(const stream::Timer& timer, stream::Context& ctx) {
  if (timer.key != kRescoreAllTimer) return absl::OkStatus();
  LF_RETURN_IF_ERROR(RefreshConfig(ctx));
  v1::QualificationCommand command;
  if (!command.ParseFromString(timer.payload)) {
    return absl::DataLossError("rescore timer payload does not parse");
  }
  LF_ASSIGN_OR_RETURN(stream::ScanPage page,
                      ctx.Scan(kLeadsStore, command.resume_after(), kRescoreChunk));
  const int64_t at_ms = events::MillisFromTimestamp(command.requested_at());
  for (const auto& [lead_id, bytes] : page.entries) {
    v1::QualificationState state;
    if (!state.ParseFromString(bytes)) {
      // One broken record must not stop the re-score of the rest of the partition.
      rescore_skipped_.Increment();
      log::Error("stored state does not parse; not re-scored",
                 {{"lead_id", lead_id}, {"command_id", command.command_id()}});
      continue;
    }
    rescored_.Increment();
    LF_RETURN_IF_ERROR(Commit(
        lead_id,
        Rescore(std::move(state), command.command_id(), at_ms, *config_->current(), ctx.now_ms()),
        ctx));
  }
  if (page.more) {
    command.set_resume_after(page.next_after);
    ctx.ScheduleTimer(kRescoreAllTimer, ctx.now_ms(), command.SerializeAsString());
  } else {
    log::Info(
        "re-scored all leads of a partition",
        {{"command_id", command.command_id()}, {"partition", std::to_string(ctx.partition())}});
  }
  return absl::OkStatus();
}

}  // namespace leadflow::qualification
