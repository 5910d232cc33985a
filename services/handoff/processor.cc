#include "services/handoff/processor.h"

#include <map>
#include <set>

#include "absl/strings/numbers.h"
#include "services/common/base/status_macros.h"
#include "services/common/base/strings.h"
#include "services/common/events/lead_events.h"
#include "services/common/log/log.h"

namespace leadflow::handoff {

struct HandoffProcessor::Metrics {
  explicit Metrics(metrics::Registry* r)
      : handed_off(Event(r, "handed_off")),
        accepted(Event(r, "accepted")),
        rejected(Event(r, "rejected")),
        escalated(Event(r, "escalated")),
        reassigned(Event(r, "reassigned")),
        converted(Event(r, "converted")),
        opened(Event(r, "opportunity_opened")),
        closed(Event(r, "opportunity_closed")),
        queued(r->GetCounter("leadflow_handoff_queued_total",
                             "Handoffs no rep could take (capacity, away, excluded): they wait in "
                             "the team queue.")),
        sla_expired(r->GetCounter("leadflow_handoff_sla_expired_total",
                                  "Handoffs whose escalation chain ran out.")),
        refused(r->GetCounter("leadflow_handoff_feedback_refused_total",
                              "Sales answers refused (not the owner, not allowed from the stage, "
                              "unknown lead): dead-lettered.")),
        duplicates(r->GetCounter("leadflow_handoff_feedback_duplicates_total",
                                 "Sales answers seen again under the same idempotency key.")),
        stale(r->GetCounter("leadflow_handoff_stale_assignments_total",
                            "Routing answers for handoffs that had moved on (slot released).")),
        config_errors(r->GetCounter(
            "leadflow_handoff_config_errors_total",
            "Published config records handoff could not use (the previous one stays).")),
        bad_accounts(r->GetCounter(
            "leadflow_handoff_account_records_unusable_total",
            "Accounts-table records that did not parse when routing (routed without them).")),
        config_version(r->GetGauge("leadflow_handoff_config_version",
                                   "The global config version handoff decides with.")) {}

  static metrics::Counter& Event(metrics::Registry* r, const char* kind) {
    return r->GetCounter("leadflow_handoff_events_total", "Events handoff wrote, by kind.",
                         {{"kind", kind}});
  }

  void Count(const v1::LeadEvent& e) {
    switch (e.event_case()) {
      case v1::LeadEvent::kHandedOff:
        handed_off.Increment();
        if (e.handed_off().owner_rep_id().empty()) queued.Increment();
        break;
      case v1::LeadEvent::kAccepted:
        accepted.Increment();
        break;
      case v1::LeadEvent::kRejected:
        rejected.Increment();
        if (e.rejected().reason_code() == v1::REJECTION_REASON_SLA_EXPIRED) {
          sla_expired.Increment();
        }
        break;
      case v1::LeadEvent::kEscalated:
        escalated.Increment();
        break;
      case v1::LeadEvent::kReassigned:
        reassigned.Increment();
        break;
      case v1::LeadEvent::kConverted:
        converted.Increment();
        break;
      case v1::LeadEvent::kOpportunityOpened:
        opened.Increment();
        break;
      case v1::LeadEvent::kOpportunityClosed:
        closed.Increment();
        break;
      default:
        break;
    }
  }

  metrics::Counter& handed_off;
  metrics::Counter& accepted;
  metrics::Counter& rejected;
  metrics::Counter& escalated;
  metrics::Counter& reassigned;
  metrics::Counter& converted;
  metrics::Counter& opened;
  metrics::Counter& closed;
  metrics::Counter& queued;
  metrics::Counter& sla_expired;
  metrics::Counter& refused;
  metrics::Counter& duplicates;
  metrics::Counter& stale;
  metrics::Counter& config_errors;
  metrics::Counter& bad_accounts;
  metrics::Gauge& config_version;
};

namespace {

template <typename M>
bool ParseValue(const stream::InputRecord& record, M* out) {
  return out->ParseFromArray(record.value.data(), static_cast<int>(record.value.size()));
}

std::string OpenKey(std::string_view lead_id) { return StrCat("open/", lead_id); }
std::string LoadKey(std::string_view rep_id) { return StrCat("load/", rep_id); }
std::string RotationKey(std::string_view queue) { return StrCat("rotation/", queue); }

}  // namespace

absl::StatusOr<std::optional<v1::HandoffState>> ParseHandoffState(
    const std::optional<std::string>& bytes, std::string_view lead_id) {
  if (!bytes.has_value()) return std::optional<v1::HandoffState>();
  v1::HandoffState state;
  if (!state.ParseFromString(*bytes)) {
    return absl::DataLossError(StrCat("stored handoff of lead ", lead_id, " does not parse"));
  }
  return std::optional<v1::HandoffState>(std::move(state));
}

HandoffProcessor::HandoffProcessor(HandoffTopics topics,
                                   std::unique_ptr<HandoffConfigSource> config,
                                   metrics::Registry* registry)
    : topics_(std::move(topics)),
      config_(std::move(config)),
      metrics_(std::make_unique<Metrics>(registry)),
      gate_({v1::SERVICE_NAME_QUALIFICATION, v1::SERVICE_NAME_RECYCLE}, registry) {
  metrics_->config_version.Set(static_cast<double>(config_->current()->version));
}

HandoffProcessor::~HandoffProcessor() = default;

absl::Status HandoffProcessor::RefreshConfig(stream::Context& ctx) {
  LF_ASSIGN_OR_RETURN(uint64_t generation, ctx.GlobalGeneration(topics_.config));
  LF_ASSIGN_OR_RETURN(HandoffConfigSource::Update update,
                      config_->Refresh(generation, [&](std::string_view key) {
                        return ctx.GetGlobal(topics_.config, key);
                      }));
  for (const std::string& e : update.errors) {
    metrics_->config_errors.Increment();
    log::Error("config record not used", {{"error", e}});
  }
  if (update.changed) {
    const HandoffConfig& c = *config_->current();
    metrics_->config_version.Set(static_cast<double>(c.version));
    log::Info("handoff config in force", {{"config_version", std::to_string(c.version)},
                                          {"routing_version", std::to_string(c.routing_version)},
                                          {"comp_version", std::to_string(c.comp_version)}});
  }
  return absl::OkStatus();
}

absl::Status HandoffProcessor::Process(const stream::InputRecord& record, stream::Context& ctx) {
  LF_RETURN_IF_ERROR(RefreshConfig(ctx));
  if (record.topic == topics_.routing) return HandleRouting(record, ctx);
  if (record.topic == topics_.assignments) return HandleAssignment(record, ctx);
  if (record.topic == topics_.feedback) return HandleFeedback(record, ctx);
  return HandleLeadEvent(record, ctx);
}

absl::Status HandoffProcessor::HandleLeadEvent(const stream::InputRecord& record,
                                               stream::Context& ctx) {
  v1::LeadEvent event;
  if (!ParseValue(record, &event)) {
    return stream::Reject(v1::DEAD_LETTER_REASON_MALFORMED, "not a leadflow.v1.LeadEvent");
  }
  const std::string& lead_id = event.envelope().lead_id();
  if (lead_id.empty() || record.key != lead_id) {
    return stream::Reject(v1::DEAD_LETTER_REASON_INVALID,
                          "envelope.lead_id: empty or not the record key");
  }
  if (!event.has_qualified() && !event.has_disqualified() && !event.has_recycled() &&
      !event.has_erased()) {
    return absl::OkStatus();  // scores, releases, archives: nothing for handoff
  }
  // An erasure (stream::ErasureGate): the first copy erases, events from before it that arrive
  // later are not applied, the later copy changes nothing; handoff's own LeadErased follows
  // qualification's copy, whichever came first.
  LF_ASSIGN_OR_RETURN(stream::ErasureGate::Decision gate, gate_.Admit(lead_id, event, ctx));
  if (gate.verdict == stream::ErasureGate::Verdict::kStraggler) return absl::OkStatus();
  if (event.has_erased() && record.topic == topics_.qualification) {
    ctx.Emit(events::ForwardErasure(event, topics_.output, v1::SERVICE_NAME_HANDOFF, ctx.now_ms()));
  }
  if (gate.verdict == stream::ErasureGate::Verdict::kLaterCopy) return absl::OkStatus();
  LF_ASSIGN_OR_RETURN(std::optional<std::string> bytes, ctx.Get(kHandoffsStore, lead_id));
  LF_ASSIGN_OR_RETURN(std::optional<v1::HandoffState> state, ParseHandoffState(bytes, lead_id));
  switch (event.event_case()) {
    case v1::LeadEvent::kQualified:
      return Apply(lead_id, OnQualified(std::move(state), event, *config_->current()), ctx);
    case v1::LeadEvent::kDisqualified:
      return Apply(lead_id, OnDisqualified(std::move(state), event), ctx);
    case v1::LeadEvent::kRecycled:
      return Apply(lead_id, OnRecycled(std::move(state), event), ctx);
    default:
      return Apply(lead_id, OnErased(std::move(state)), ctx);
  }
}

absl::Status HandoffProcessor::HandleFeedback(const stream::InputRecord& record,
                                              stream::Context& ctx) {
  v1::SalesFeedback feedback;
  if (!ParseValue(record, &feedback)) {
    return stream::Reject(v1::DEAD_LETTER_REASON_MALFORMED, "not a leadflow.v1.SalesFeedback");
  }
  const HandoffConfig& config = *config_->current();
  if (feedback.action_case() == v1::SalesFeedback::ACTION_NOT_SET &&
      !feedback.GetReflection()->GetUnknownFields(feedback).empty()) {
    return stream::Reject(v1::DEAD_LETTER_REASON_UNSUPPORTED,
                          "action: a newer action than this version knows");
  }
  if (std::string why = ValidateFeedback(feedback, config.stages); !why.empty()) {
    return stream::Reject(v1::DEAD_LETTER_REASON_INVALID, why);
  }
  if (record.key != feedback.lead_id()) {
    return stream::Reject(v1::DEAD_LETTER_REASON_INVALID, "lead_id: is not the record key");
  }
  const int64_t at_ms = feedback.has_occurred_at()
                            ? events::MillisFromTimestamp(feedback.occurred_at())
                            : record.timestamp_ms;
  LF_ASSIGN_OR_RETURN(std::optional<std::string> bytes,
                      ctx.Get(kHandoffsStore, feedback.lead_id()));
  LF_ASSIGN_OR_RETURN(std::optional<v1::HandoffState> state,
                      ParseHandoffState(bytes, feedback.lead_id()));
  Effects effects = OnFeedback(std::move(state), feedback, config, at_ms, ctx.now_ms());
  if (effects.outcome == v1::FEEDBACK_OUTCOME_DUPLICATE) metrics_->duplicates.Increment();
  return Apply(feedback.lead_id(), std::move(effects), ctx);
}

absl::Status HandoffProcessor::HandleAssignment(const stream::InputRecord& record,
                                                stream::Context& ctx) {
  v1::RoutingAssignment assignment;
  if (!ParseValue(record, &assignment) || assignment.lead_id() != record.key) {
    return stream::Reject(v1::DEAD_LETTER_REASON_MALFORMED,
                          "not a leadflow.v1.RoutingAssignment of the record key's lead");
  }
  LF_ASSIGN_OR_RETURN(std::optional<std::string> bytes,
                      ctx.Get(kHandoffsStore, assignment.lead_id()));
  LF_ASSIGN_OR_RETURN(std::optional<v1::HandoffState> state,
                      ParseHandoffState(bytes, assignment.lead_id()));
  Effects effects = OnAssignment(std::move(state), assignment, *config_->current(), ctx.now_ms());
  if (effects.events.empty()) metrics_->stale.Increment();
  return Apply(assignment.lead_id(), std::move(effects), ctx);
}

absl::Status HandoffProcessor::OnTimer(const stream::Timer& timer, stream::Context& ctx) {
  if (!StartsWith(timer.key, "sla/")) return absl::OkStatus();
  LF_RETURN_IF_ERROR(RefreshConfig(ctx));
  const std::string lead_id = timer.key.substr(4);
  LF_ASSIGN_OR_RETURN(std::optional<std::string> bytes, ctx.Get(kHandoffsStore, lead_id));
  LF_ASSIGN_OR_RETURN(std::optional<v1::HandoffState> state, ParseHandoffState(bytes, lead_id));
  if (!state.has_value()) return absl::OkStatus();  // erased since
  return Apply(lead_id, OnSlaTimer(*state, timer.due_ms, *config_->current(), ctx.now_ms()), ctx);
}

absl::Status HandoffProcessor::Apply(const std::string& lead_id, Effects effects,
                                     stream::Context& ctx) {
  switch (effects.store) {
    case Effects::Store::kKeep:
      break;
    case Effects::Store::kPut:
      ctx.Put(kHandoffsStore, lead_id, effects.state.SerializeAsString());
      break;
    case Effects::Store::kDelete:  // erasure
      ctx.Erase(kHandoffsStore, lead_id);
      break;
  }
  for (const v1::LeadEvent& e : effects.events) {
    metrics_->Count(e);
    ctx.Emit(events::LeadEventRecord(topics_.output, e));
  }
  for (const v1::RoutingCommand& c : effects.routing) {
    ctx.Emit({topics_.routing,
              std::nullopt,
              kRouterKey,
              c.SerializeAsString(),
              {{"content-type", events::ProtobufContentType("leadflow.v1.RoutingCommand")}}});
  }
  switch (effects.timer) {
    case Effects::Timer::kKeep:
      break;
    case Effects::Timer::kSchedule:
      ctx.ScheduleTimer(SlaTimerKey(lead_id), effects.timer_due_ms, "");
      break;
    case Effects::Timer::kCancel:
      ctx.CancelTimer(SlaTimerKey(lead_id));
      break;
  }
  if (effects.refusal.has_value()) {
    metrics_->refused.Increment();
    if (effects.store == Effects::Store::kKeep) {
      return stream::Reject(*effects.refusal, effects.detail);
    }
    // Remembered in the lead's state (so the API caller and a retry learn why) and dead-lettered.
    ctx.DeadLetterInput(*effects.refusal, effects.detail);
  }
  return absl::OkStatus();
}

// --- the routing step ---------------------------------------------------------------------------

absl::StatusOr<int> HandoffProcessor::Load(stream::Context& ctx, std::string_view rep_id) {
  LF_ASSIGN_OR_RETURN(std::optional<std::string> v, ctx.Get(kRouterStore, LoadKey(rep_id)));
  if (!v.has_value()) return 0;
  int n = 0;
  if (!absl::SimpleAtoi(*v, &n)) {
    return absl::DataLossError(StrCat("router load of ", rep_id, " does not parse"));
  }
  return n;
}

absl::Status HandoffProcessor::ReleaseSlot(std::string_view lead_id, int cycle, int attempt,
                                           stream::Context& ctx) {
  LF_ASSIGN_OR_RETURN(std::optional<std::string> bytes, ctx.Get(kRouterStore, OpenKey(lead_id)));
  if (!bytes.has_value()) return absl::OkStatus();
  v1::OpenAssignment open;
  if (!open.ParseFromString(*bytes)) {
    return absl::DataLossError(StrCat("router slot of lead ", lead_id, " does not parse"));
  }
  // attempt 0 = whatever the lead holds (a new route of the same lead supersedes it).
  if (attempt != 0 && (open.cycle() != cycle || open.attempt() != attempt)) {
    return absl::OkStatus();
  }
  ctx.Delete(kRouterStore, OpenKey(lead_id));
  LF_ASSIGN_OR_RETURN(int load, Load(ctx, open.rep_id()));
  if (load <= 1) {
    ctx.Delete(kRouterStore, LoadKey(open.rep_id()));
  } else {
    ctx.Put(kRouterStore, LoadKey(open.rep_id()), std::to_string(load - 1));
  }
  return absl::OkStatus();
}

absl::Status HandoffProcessor::HandleRouting(const stream::InputRecord& record,
                                             stream::Context& ctx) {
  v1::RoutingCommand command;
  if (!ParseValue(record, &command)) {
    return stream::Reject(v1::DEAD_LETTER_REASON_MALFORMED, "not a leadflow.v1.RoutingCommand");
  }
  switch (command.command_case()) {
    case v1::RoutingCommand::kRoute:
      return Route(command.route(), ctx);
    case v1::RoutingCommand::kRelease:
      return ReleaseSlot(command.release().lead_id(), command.release().cycle(),
                         std::max(1, command.release().attempt()), ctx);
    case v1::RoutingCommand::COMMAND_NOT_SET:
      break;
  }
  return stream::Reject(v1::DEAD_LETTER_REASON_UNSUPPORTED, "routing command: none set");
}

absl::Status HandoffProcessor::Route(const v1::RouteLead& route, stream::Context& ctx) {
  const HandoffConfig& config = *config_->current();
  LF_RETURN_IF_ERROR(ReleaseSlot(route.lead_id(), 0, 0, ctx));

  v1::AccountRecord account;
  bool has_account = false;
  const std::string& domain = route.lead().company().domain();
  if (!topics_.accounts.empty() && !domain.empty()) {
    LF_ASSIGN_OR_RETURN(std::optional<std::string> bytes, ctx.GetGlobal(topics_.accounts, domain));
    if (bytes.has_value()) {
      has_account = account.ParseFromString(*bytes);
      if (!has_account) {
        metrics_->bad_accounts.Increment();
        log::Error("accounts record does not parse; routed without it",
                   {{"domain", domain}, {"topic", topics_.accounts}});
      }
    }
  }
  // Every queue's rotation (a handful), so the router can pick in whichever queue matches.
  std::set<std::string> queues = {config.router.config().fallback_queue()};
  for (const v1::RoutingRule& r : config.router.config().rules()) queues.insert(r.queue());
  std::map<std::string, Rotation> rotations;
  for (const std::string& q : queues) {
    LF_ASSIGN_OR_RETURN(std::optional<std::string> bytes, ctx.Get(kRouterStore, RotationKey(q)));
    if (!bytes.has_value()) continue;
    v1::QueueRotation stored;
    if (!stored.ParseFromString(*bytes)) {
      return absl::DataLossError(StrCat("rotation of queue ", q, " does not parse"));
    }
    rotations[q].credit.insert(stored.credit().begin(), stored.credit().end());
  }
  std::map<std::string, int> loads;
  absl::Status load_error;
  auto open_handoffs = [&](const std::string& rep) {
    auto it = loads.find(rep);
    if (it != loads.end()) return it->second;
    absl::StatusOr<int> n = Load(ctx, rep);
    if (!n.ok()) {
      load_error = n.status();
      return 0;
    }
    loads[rep] = *n;
    return *n;
  };
  RouteRequest request;
  request.lead = &route.lead();
  request.account = has_account ? &account : nullptr;
  request.now_ms = ctx.now_ms();
  request.exclude.insert(route.exclude().begin(), route.exclude().end());
  RouteResult result = config.router.Route(request, open_handoffs, &rotations);
  LF_RETURN_IF_ERROR(load_error);

  if (auto it = rotations.find(result.queue); it != rotations.end()) {
    v1::QueueRotation stored;
    stored.mutable_credit()->insert(it->second.credit.begin(), it->second.credit.end());
    ctx.Put(kRouterStore, RotationKey(result.queue), stored.SerializeAsString());
  }
  if (!result.rep_id.empty()) {
    v1::OpenAssignment open;
    open.set_rep_id(result.rep_id);
    open.set_cycle(route.cycle());
    open.set_attempt(route.attempt());
    ctx.Put(kRouterStore, OpenKey(route.lead_id()), open.SerializeAsString());
    ctx.Put(kRouterStore, LoadKey(result.rep_id), std::to_string(open_handoffs(result.rep_id) + 1));
  }
  v1::RoutingAssignment assignment;
  assignment.set_lead_id(route.lead_id());
  assignment.set_cycle(route.cycle());
  assignment.set_attempt(route.attempt());
  assignment.set_rep_id(result.rep_id);
  assignment.set_queue(result.queue);
  *assignment.mutable_decision() = std::move(result.decision);
  for (std::string& c : result.candidates) assignment.add_candidates(std::move(c));
  assignment.set_config_version(config.version);
  ctx.Emit({topics_.assignments,
            std::nullopt,
            route.lead_id(),
            assignment.SerializeAsString(),
            {{"content-type", events::ProtobufContentType("leadflow.v1.RoutingAssignment")}}});
  return absl::OkStatus();
}

}  // namespace leadflow::handoff
