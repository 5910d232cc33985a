#include "tools/leadflowctl/sales_cmds.h"

#include <atomic>
#include <csignal>
#include <cstdio>
#include <thread>

#include <google/protobuf/util/time_util.h>

#include "leadflow/v1/handoff_service.grpc.pb.h"
#include "leadflow/v1/recycle_service.grpc.pb.h"
#include "services/common/base/strings.h"
#include "services/common/base/words.h"
#include "tools/leadflowctl/exit_code.h"
#include "tools/leadflowctl/table.h"

namespace leadflow::ctl {
namespace {

using google::protobuf::util::TimeUtil;

// Set by SIGINT/SIGTERM while `watch handoffs` runs; a lock-free atomic is async-signal-safe.
std::atomic<bool> g_interrupted{false};
static_assert(std::atomic<bool>::is_always_lock_free);

extern "C" void OnInterrupt(int) { g_interrupted.store(true); }

template <typename Request>
absl::Status FillFeedback(const FeedbackArgs& args, const std::string& generated_key,
                          Clock::time_point now, bool rep_required, Request* request) {
  if (args.lead_id.empty()) return absl::InvalidArgumentError("LEAD: is required");
  if (rep_required && args.rep_id.empty()) return absl::InvalidArgumentError("--rep: is required");
  request->set_lead_id(args.lead_id);
  request->set_rep_id(args.rep_id);
  request->set_idempotency_key(args.idempotency_key.empty() ? generated_key : args.idempotency_key);
  request->set_source_system(args.source_system);
  if (!args.at.empty()) {
    absl::StatusOr<google::protobuf::Timestamp> at = ParseTimeArg(args.at, "--at", now);
    if (!at.ok()) return at.status();
    *request->mutable_occurred_at() = *at;
  }
  return absl::OkStatus();
}

absl::StatusOr<v1::Money> ParseMoney(const std::string& amount, const std::string& currency) {
  if (amount.empty()) return absl::InvalidArgumentError("--amount: is required");
  if (currency.empty()) return absl::InvalidArgumentError("--currency: is required");
  absl::StatusOr<int64_t> micros = ParseAmountMicros(amount, "--amount");
  if (!micros.ok()) return micros.status();
  absl::StatusOr<std::string> code = ParseCurrency(currency, "--currency");
  if (!code.ok()) return code.status();
  v1::Money money;
  money.set_currency_code(*code);
  money.set_amount_micros(*micros);
  return money;
}

std::string StatusWords(v1::HandoffStatus status) {
  return EnumWords(v1::HandoffStatus_Name(status), "HANDOFF_STATUS_");
}

std::string TimeText(const google::protobuf::Timestamp& t) {
  return t.seconds() == 0 && t.nanos() == 0 ? "-" : TimeUtil::ToString(t);
}

void AddFeedbackOptions(CLI::App* cmd, FeedbackArgs* args, bool rep_required) {
  cmd->add_option("lead", args->lead_id, "the lead id")->required();
  auto* rep = cmd->add_option("--rep", args->rep_id, "the rep acting");
  if (rep_required) rep->required();
  cmd->add_option("--key", args->idempotency_key,
                  "idempotency key; a retry must reuse it (default: a fresh one)");
  cmd->add_option("--source-system", args->source_system, "the calling sales tool")
      ->capture_default_str();
  cmd->add_option("--at", args->at, "when the rep acted (default: now)");
}

}  // namespace

absl::StatusOr<v1::AcceptLeadRequest> BuildAcceptRequest(const FeedbackArgs& args,
                                                         const std::string& generated_key,
                                                         Clock::time_point now) {
  v1::AcceptLeadRequest request;
  if (absl::Status s = FillFeedback(args, generated_key, now, true, &request); !s.ok()) return s;
  return request;
}

absl::StatusOr<v1::RejectLeadRequest> BuildRejectRequest(const RejectArgs& args,
                                                         const std::string& generated_key,
                                                         Clock::time_point now) {
  v1::RejectLeadRequest request;
  if (absl::Status s = FillFeedback(args.feedback, generated_key, now, true, &request); !s.ok()) {
    return s;
  }
  if (args.reason.empty()) {
    return absl::InvalidArgumentError(
        StrCat("--reason: is required; one of: ", AllowedValues(v1::RejectionReason_descriptor())));
  }
  absl::StatusOr<v1::RejectionReason> reason =
      ParseEnumArg<v1::RejectionReason>(v1::RejectionReason_descriptor(), args.reason, "--reason");
  if (!reason.ok()) return reason.status();
  request.set_reason_code(*reason);
  request.set_reason_text(args.text);
  return request;
}

absl::StatusOr<v1::ConvertLeadRequest> BuildConvertRequest(const ConvertArgs& args,
                                                           const std::string& generated_key,
                                                           Clock::time_point now) {
  v1::ConvertLeadRequest request;
  if (absl::Status s = FillFeedback(args.feedback, generated_key, now, true, &request); !s.ok()) {
    return s;
  }
  if (!args.need && !args.budget && !args.authority && !args.timeline) {
    return absl::InvalidArgumentError(
        "convert: confirm at least one of --need, --budget, --authority, --timeline");
  }
  v1::QualificationCriteria& c = *request.mutable_criteria();
  c.set_need(args.need);
  c.set_budget(args.budget);
  c.set_authority(args.authority);
  c.set_timeline(args.timeline);
  return request;
}

absl::StatusOr<v1::RecordOpportunityRequest> BuildOpportunityRequest(
    const OpportunityArgs& args, const std::string& generated_key, Clock::time_point now) {
  const bool closing = !args.outcome.empty();
  v1::RecordOpportunityRequest request;
  if (absl::Status s = FillFeedback(args.feedback, generated_key, now, !closing, &request);
      !s.ok()) {
    return s;
  }
  if (!closing) {
    if (args.opportunity_id.empty()) {
      return absl::InvalidArgumentError("--opportunity: is required");
    }
    v1::SalesFeedback::OpportunityOpened& o = *request.mutable_opened();
    o.set_opportunity_id(args.opportunity_id);
    if (!args.amount.empty() || !args.currency.empty()) {
      absl::StatusOr<v1::Money> money = ParseMoney(args.amount, args.currency);
      if (!money.ok()) return money.status();
      *o.mutable_amount() = *money;
    }
    for (const auto& p : args.products) o.add_product_ids(p);
    if (!args.expected_close.empty()) {
      absl::StatusOr<google::protobuf::Timestamp> t =
          ParseTimeArg(args.expected_close, "--expected-close", now);
      if (!t.ok()) return t.status();
      *o.mutable_expected_close_at() = *t;
    }
    return request;
  }
  absl::StatusOr<v1::OpportunityOutcome> outcome = ParseEnumArg<v1::OpportunityOutcome>(
      v1::OpportunityOutcome_descriptor(), args.outcome, "close");
  if (!outcome.ok()) return outcome.status();
  absl::StatusOr<v1::Money> money = ParseMoney(args.amount, args.currency);
  if (!money.ok()) return money.status();
  v1::SalesFeedback::OpportunityClosed& c = *request.mutable_closed();
  c.set_opportunity_id(args.opportunity_id);
  c.set_outcome(*outcome);
  *c.mutable_amount() = *money;
  if (!args.reason.empty() || !args.reason_text.empty()) {
    c.mutable_reason()->set_code(AsciiStrToLower(args.reason));
    c.mutable_reason()->set_text(args.reason_text);
  }
  c.set_competitor(args.competitor);
  for (const auto& p : args.products) c.add_product_ids(p);
  return request;
}

absl::StatusOr<v1::RecycleRequest> BuildRecycleRequest(const RecycleArgs& args,
                                                       const std::string& generated_key) {
  if (args.lead_id.empty()) return absl::InvalidArgumentError("LEAD: is required");
  if (args.reason.empty()) return absl::InvalidArgumentError("--reason: is required");
  v1::RecycleRequest request;
  request.set_lead_id(args.lead_id);
  request.set_request_id(args.request_id.empty() ? generated_key : args.request_id);
  request.set_reason(args.reason);
  request.set_nurture_track_id(args.track);
  return request;
}

std::string DescribeFeedback(v1::FeedbackOutcome outcome, const v1::Handoff& handoff) {
  std::string out = outcome == v1::FEEDBACK_OUTCOME_DUPLICATE
                        ? "duplicate (already applied under this key)"
                        : "applied";
  StrAppend(&out, ": lead ", handoff.lead_id(), " is now ", StatusWords(handoff.status()));
  if (!handoff.owner_rep_id().empty()) StrAppend(&out, " (owner ", handoff.owner_rep_id());
  if (!handoff.queue().empty()) {
    StrAppend(&out, handoff.owner_rep_id().empty() ? " (" : ", ", "queue ", handoff.queue());
  }
  if (!handoff.owner_rep_id().empty() || !handoff.queue().empty()) out += ")";
  if (!handoff.opportunity_id().empty())
    StrAppend(&out, ", opportunity ", handoff.opportunity_id());
  return out;
}

std::string DescribeHandoffEvent(const v1::LeadEvent& event) {
  const auto* oneof = v1::LeadEvent::descriptor()->FindOneofByName("event");
  const auto* field = event.GetReflection()->GetOneofFieldDescriptor(event, oneof);
  const v1::EventEnvelope& env = event.envelope();
  std::string out = StrCat(TimeText(env.occurred_at()), "  ",
                           field == nullptr ? std::string("?") : std::string(field->name()),
                           "  lead=", env.lead_id());
  if (env.cycle() > 0) StrAppend(&out, "  cycle=", env.cycle());
  switch (event.event_case()) {
    case v1::LeadEvent::kHandedOff:
      StrAppend(&out, "  rep=", event.handed_off().owner_rep_id(),
                "  queue=", event.handed_off().queue(),
                "  grade=", GradeLetter(event.handed_off().score().fit_grade()),
                "  sla=", TimeText(event.handed_off().sla_deadline()));
      break;
    case v1::LeadEvent::kAccepted:
      StrAppend(&out, "  rep=", event.accepted().rep_id(),
                event.accepted().within_sla() ? "  within SLA" : "  late");
      break;
    case v1::LeadEvent::kRejected:
      StrAppend(
          &out, "  rep=", event.rejected().rep_id(), "  reason=",
          EnumWords(v1::RejectionReason_Name(event.rejected().reason_code()), "REJECTION_REASON_"));
      break;
    case v1::LeadEvent::kEscalated:
      StrAppend(&out, "  rep=", event.escalated().rep_id(),
                "  to=", event.escalated().escalated_to());
      break;
    case v1::LeadEvent::kReassigned:
      StrAppend(&out, "  from=", event.reassigned().from_rep_id(),
                "  to=", event.reassigned().to_rep_id());
      break;
    case v1::LeadEvent::kConverted:
      StrAppend(&out, "  rep=", event.converted().rep_id());
      break;
    case v1::LeadEvent::kOpportunityOpened:
      StrAppend(&out, "  opportunity=", event.opportunity_opened().opportunity_id(),
                "  amount=", FormatMoney(event.opportunity_opened().amount()));
      break;
    case v1::LeadEvent::kOpportunityClosed:
      StrAppend(&out, "  opportunity=", event.opportunity_closed().opportunity_id(), "  ",
                EnumWords(v1::OpportunityOutcome_Name(event.opportunity_closed().outcome()),
                          "OPPORTUNITY_OUTCOME_"),
                "  amount=", FormatMoney(event.opportunity_closed().amount()));
      break;
    default:
      break;
  }
  if (env.has_stage_change()) {
    StrAppend(&out, "  (", EnumWords(v1::Stage_Name(env.stage_change().from_stage()), "STAGE_"),
              " → ", EnumWords(v1::Stage_Name(env.stage_change().to_stage()), "STAGE_"), ")");
  }
  return out;
}

std::string DescribeNurture(const v1::NurtureStatus& s) {
  std::string out = StrCat("recycled: lead ", s.lead_id(), " is in ",
                           EnumWords(v1::Stage_Name(s.stage()), "STAGE_"));
  if (!s.nurture_track_id().empty()) StrAppend(&out, ", track ", s.nurture_track_id());
  StrAppend(&out, ", recycle ", s.recycle_count(), " (", s.recycles_remaining(), " left)");
  if (s.has_recheck_at()) StrAppend(&out, ", next re-check ", TimeText(s.recheck_at()));
  return out;
}

void SalesCommands::Add(CLI::App* app) {
  auto* watch = app->add_subcommand("watch", "follow a stream of events");
  watch->require_subcommand(1);
  watch_handoffs_ = watch->add_subcommand(
      "handoffs",
      "print every handoff event (HandoffService.WatchHandoffs) until Ctrl-C, one line each\n"
      "  (--json: one WatchHandoffsResponse per line, with the resume_token to continue from)\n"
      "example:\n"
      "  leadflowctl watch handoffs --rep rep-anna --queue emea-mid-market");
  watch_handoffs_->add_option("--rep", watch_reps_, "only leads owned by this rep (repeatable)")
      ->delimiter(',');
  watch_handoffs_->add_option("--queue", watch_queues_, "only leads in this queue (repeatable)")
      ->delimiter(',');
  watch_handoffs_->add_option("--from-token", watch_token_,
                              "resume after this resume_token (nothing missed, nothing twice)");
  watch_handoffs_->add_option("--since", watch_since_,
                              "without a token: from this time (RFC 3339, date or 2h ago)");

  accept_ =
      app->add_subcommand("accept",
                          "a rep accepts a handed-off lead (→ SAL; HandoffService.AcceptLead)\n"
                          "example:\n"
                          "  leadflowctl accept 3f2a9c... --rep rep-anna");
  AddFeedbackOptions(accept_, &accept_args_, true);

  reject_ = app->add_subcommand(
      "reject",
      "a rep rejects a handed-off lead with a reason (→ REJECTED, then recycle)\n"
      "example:\n"
      "  leadflowctl reject 3f2a9c... --rep rep-anna --reason bad_timing --text 'budget in Q3'");
  AddFeedbackOptions(reject_, &reject_args_.feedback, true);
  reject_
      ->add_option("--reason", reject_args_.reason,
                   "reason: " + AllowedValues(v1::RejectionReason_descriptor()))
      ->required();
  reject_->add_option("--text", reject_args_.text, "the rep's explanation");

  convert_ = app->add_subcommand(
      "convert",
      "a rep qualifies an accepted lead (→ SQL; HandoffService.ConvertLead) confirming at least "
      "one criterion\n"
      "example:\n"
      "  leadflowctl convert 3f2a9c... --rep rep-anna --need --budget");
  AddFeedbackOptions(convert_, &convert_args_.feedback, true);
  convert_->add_flag("--need", convert_args_.need, "the need is confirmed");
  convert_->add_flag("--budget", convert_args_.budget, "the budget is confirmed");
  convert_->add_flag("--authority", convert_args_.authority, "the decision maker is involved");
  convert_->add_flag("--timeline", convert_args_.timeline, "the timeline is confirmed");

  open_ = app->add_subcommand(
      "open",
      "record an opportunity opened for a lead (→ OPPORTUNITY; RecordOpportunity)\n"
      "example:\n"
      "  leadflowctl open 3f2a9c... --rep rep-anna --opportunity OPP-981 --amount 12000 "
      "--currency EUR");
  AddFeedbackOptions(open_, &open_args_.feedback, true);
  open_->add_option("--opportunity", open_args_.opportunity_id, "opportunity id in the sales tool")
      ->required();
  open_->add_option("--amount", open_args_.amount, "expected amount, e.g. 12000 or 12000.50");
  open_->add_option("--currency", open_args_.currency, "ISO 4217 code, e.g. EUR");
  open_->add_option("--product", open_args_.products, "product id (repeatable)")->delimiter(',');
  open_->add_option("--expected-close", open_args_.expected_close, "expected close date");

  close_ = app->add_subcommand(
      "close",
      "record an opportunity closed won or lost (→ WON/LOST; RecordOpportunity). The rep and\n"
      "  the opportunity default to the lead's current handoff.\n"
      "examples:\n"
      "  leadflowctl close won 3f2a9c... --amount 12000 --currency EUR --reason price\n"
      "  leadflowctl close lost 3f2a9c... --amount 9000 --currency EUR --reason features "
      "--competitor Rivalo");
  close_->add_option("outcome", close_args_.outcome, "won or lost")->required();
  AddFeedbackOptions(close_, &close_args_.feedback, false);
  close_->add_option("--opportunity", close_args_.opportunity_id,
                     "opportunity id (default: the lead's)");
  close_->add_option("--amount", close_args_.amount, "closed amount, e.g. 12000")->required();
  close_->add_option("--currency", close_args_.currency, "ISO 4217 code, e.g. EUR")->required();
  close_->add_option("--reason", close_args_.reason, "win/loss reason code, e.g. price");
  close_->add_option("--reason-text", close_args_.reason_text, "the reason in words");
  close_->add_option("--competitor", close_args_.competitor, "the competitor in the deal");
  close_->add_option("--product", close_args_.products, "product id (repeatable)")->delimiter(',');

  recycle_ = app->add_subcommand(
      "recycle",
      "ops: send a lead to nurture now (RecycleService.Recycle, reason manual)\n"
      "example:\n"
      "  leadflowctl recycle 3f2a9c... --reason 'duplicate of an open deal' --request-id "
      "OPS-112");
  recycle_->add_option("lead", recycle_args_.lead_id, "the lead id")->required();
  recycle_->add_option("--reason", recycle_args_.reason, "why, in words")->required();
  recycle_->add_option("--request-id", recycle_args_.request_id,
                       "idempotency key; a retry must reuse it (default: a fresh one)");
  recycle_->add_option("--track", recycle_args_.track,
                       "nurture track (default: the one the config picks)");
}

int SalesCommands::Watch(const CallOptions& options) {
  v1::WatchHandoffsRequest request;
  for (const auto& r : watch_reps_) request.add_rep_ids(r);
  for (const auto& q : watch_queues_) request.add_queues(q);
  request.set_resume_token(watch_token_);
  if (!watch_since_.empty()) {
    absl::StatusOr<google::protobuf::Timestamp> since =
        ParseTimeArg(watch_since_, "--since", Clock::now());
    if (!since.ok()) return FailUsage(since.status());
    *request.mutable_since() = *since;
  }
  std::signal(SIGINT, OnInterrupt);
  std::signal(SIGTERM, OnInterrupt);
  auto stub = v1::HandoffService::NewStub(ChannelTo(options, options.handoff_address));
  while (true) {
    grpc::ClientContext ctx;
    std::atomic<bool> done{false};
    // gRPC's blocking read cannot be interrupted by a signal: cancel the call from a thread.
    std::thread canceller([&] {
      while (!done.load() && !g_interrupted.load()) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
      }
      if (g_interrupted.load()) ctx.TryCancel();
    });
    std::unique_ptr<grpc::ClientReader<v1::WatchHandoffsResponse>> reader =
        stub->WatchHandoffs(&ctx, request);
    v1::WatchHandoffsResponse response;
    int64_t received = 0;
    while (reader->Read(&response)) {
      ++received;
      request.set_resume_token(response.resume_token());
      std::printf("%s\n", options.json ? ToJsonLine(response).c_str()
                                       : DescribeHandoffEvent(response.event()).c_str());
      std::fflush(stdout);
    }
    grpc::Status status = reader->Finish();
    done.store(true);
    canceller.join();
    if (g_interrupted.load()) {
      if (!request.resume_token().empty() && !options.json) {
        std::fprintf(stderr, "stopped; resume with --from-token %s\n",
                     request.resume_token().c_str());
      }
      return 0;
    }
    // The stream never ends by itself: a server going away after we were connected is a
    // restart to ride out with the last token; failing before any event is an error to report.
    const bool reconnect =
        status.ok() || (status.error_code() == grpc::StatusCode::UNAVAILABLE && received > 0);
    if (!reconnect) return FailRpc(status);
    std::fprintf(stderr, "leadflowctl: stream ended (%s); reconnecting\n",
                 DescribeRpcError(status).c_str());
    for (int i = 0; i < 10 && !g_interrupted.load(); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    if (g_interrupted.load()) return 0;
  }
}

std::optional<int> SalesCommands::Run(const CallOptions& options) {
  if (watch_handoffs_->parsed()) return Watch(options);
  const auto now = Clock::now();
  auto handoff = [&] {
    return v1::HandoffService::NewStub(ChannelTo(options, options.handoff_address));
  };
  auto print = [&](const auto& response) {
    std::printf("%s\n", options.json
                            ? ToJsonLine(response).c_str()
                            : DescribeFeedback(response.outcome(), response.handoff()).c_str());
    return 0;
  };
  if (accept_->parsed()) {
    auto request = BuildAcceptRequest(accept_args_, NewIdempotencyKey(), now);
    if (!request.ok()) return FailUsage(request.status());
    v1::AcceptLeadResponse response;
    grpc::Status s = handoff()->AcceptLead(UnaryContext(options).get(), *request, &response);
    return s.ok() ? print(response) : FailRpc(s);
  }
  if (reject_->parsed()) {
    auto request = BuildRejectRequest(reject_args_, NewIdempotencyKey(), now);
    if (!request.ok()) return FailUsage(request.status());
    v1::RejectLeadResponse response;
    grpc::Status s = handoff()->RejectLead(UnaryContext(options).get(), *request, &response);
    return s.ok() ? print(response) : FailRpc(s);
  }
  if (convert_->parsed()) {
    auto request = BuildConvertRequest(convert_args_, NewIdempotencyKey(), now);
    if (!request.ok()) return FailUsage(request.status());
    v1::ConvertLeadResponse response;
    grpc::Status s = handoff()->ConvertLead(UnaryContext(options).get(), *request, &response);
    return s.ok() ? print(response) : FailRpc(s);
  }
  if (open_->parsed() || close_->parsed()) {
    const OpportunityArgs& args = open_->parsed() ? open_args_ : close_args_;
    auto request = BuildOpportunityRequest(args, NewIdempotencyKey(), now);
    if (!request.ok()) return FailUsage(request.status());
    auto stub = handoff();
    if (request->has_closed() &&
        (request->rep_id().empty() || request->closed().opportunity_id().empty())) {
      v1::GetHandoffRequest get;
      get.set_lead_id(request->lead_id());
      v1::GetHandoffResponse current;
      grpc::Status s = stub->GetHandoff(UnaryContext(options).get(), get, &current);
      if (!s.ok()) return FailRpc(s);
      if (request->rep_id().empty()) request->set_rep_id(current.handoff().owner_rep_id());
      if (request->closed().opportunity_id().empty()) {
        if (current.handoff().opportunity_id().empty()) {
          // What the service would answer: the action does not fit the lead's stage.
          return FailRpc(grpc::Status(
              grpc::StatusCode::FAILED_PRECONDITION,
              StrCat("lead ", request->lead_id(),
                     " has no opportunity (open one with leadflowctl open, or name it with "
                     "--opportunity)")));
        }
        request->mutable_closed()->set_opportunity_id(current.handoff().opportunity_id());
      }
    }
    v1::RecordOpportunityResponse response;
    grpc::Status s = stub->RecordOpportunity(UnaryContext(options).get(), *request, &response);
    return s.ok() ? print(response) : FailRpc(s);
  }
  if (recycle_->parsed()) {
    auto request = BuildRecycleRequest(recycle_args_, NewIdempotencyKey());
    if (!request.ok()) return FailUsage(request.status());
    auto stub = v1::RecycleService::NewStub(ChannelTo(options, options.recycle_address));
    v1::RecycleResponse response;
    grpc::Status s = stub->Recycle(UnaryContext(options).get(), *request, &response);
    if (!s.ok()) return FailRpc(s);
    std::printf("%s\n", options.json ? ToJsonLine(response).c_str()
                                     : DescribeNurture(response.status()).c_str());
    return 0;
  }
  return std::nullopt;
}

}  // namespace leadflow::ctl
