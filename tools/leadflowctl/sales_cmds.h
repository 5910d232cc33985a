// The sales side of leadflowctl: `watch handoffs`, `accept`, `reject`, `convert`, `open`,
// `close won|lost` (HandoffService) and `recycle` (RecycleService) — what a sales tool or an
// ops person does to a handed-off lead.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/status/statusor.h"
#include "leadflow/v1/handoff_service.pb.h"
#include "leadflow/v1/recycle_service.pb.h"
#include "tools/leadflowctl/command_support.h"

namespace leadflow::ctl {

// What every sales answer carries.
struct FeedbackArgs {
  std::string lead_id;
  std::string rep_id;
  std::string idempotency_key;  // empty: `generated_key`
  std::string source_system = "leadflowctl";
  std::string at;  // empty: the receive time
};

struct RejectArgs {
  FeedbackArgs feedback;
  std::string reason;  // a RejectionReason, short or full name
  std::string text;
};

struct ConvertArgs {
  FeedbackArgs feedback;
  bool need = false;
  bool budget = false;
  bool authority = false;
  bool timeline = false;
};

struct OpportunityArgs {
  FeedbackArgs feedback;
  std::string outcome;         // close: won|lost; empty for open
  std::string opportunity_id;  // required for open; close: the handoff's when empty
  std::string amount;
  std::string currency;
  std::vector<std::string> products;
  std::string expected_close;  // open only
  std::string reason;          // close: a reason code, e.g. price
  std::string reason_text;
  std::string competitor;
};

struct RecycleArgs {
  std::string lead_id;
  std::string reason;
  std::string request_id;  // empty: `generated_key`
  std::string track;
};

using Clock = std::chrono::system_clock;

absl::StatusOr<v1::AcceptLeadRequest> BuildAcceptRequest(const FeedbackArgs& args,
                                                         const std::string& generated_key,
                                                         Clock::time_point now);
absl::StatusOr<v1::RejectLeadRequest> BuildRejectRequest(const RejectArgs& args,
                                                         const std::string& generated_key,
                                                         Clock::time_point now);
absl::StatusOr<v1::ConvertLeadRequest> BuildConvertRequest(const ConvertArgs& args,
                                                           const std::string& generated_key,
                                                           Clock::time_point now);
// Opens (outcome empty) or closes an opportunity. For close, the opportunity id and the rep may
// still be empty: the caller fills them from the lead's handoff.
absl::StatusOr<v1::RecordOpportunityRequest> BuildOpportunityRequest(
    const OpportunityArgs& args, const std::string& generated_key, Clock::time_point now);
absl::StatusOr<v1::RecycleRequest> BuildRecycleRequest(const RecycleArgs& args,
                                                       const std::string& generated_key);

// "applied: lead L is now accepted (owner rep-1, queue emea)".
std::string DescribeFeedback(v1::FeedbackOutcome outcome, const v1::Handoff& handoff);
// One line per handoff event: time, what happened, lead, rep, queue, details.
std::string DescribeHandoffEvent(const v1::LeadEvent& event);
std::string DescribeNurture(const v1::NurtureStatus& status);

class SalesCommands {
 public:
  void Add(CLI::App* app);
  std::optional<int> Run(const CallOptions& options);

 private:
  int Watch(const CallOptions& options);

  CLI::App* watch_handoffs_ = nullptr;
  CLI::App* accept_ = nullptr;
  CLI::App* reject_ = nullptr;
  CLI::App* convert_ = nullptr;
  CLI::App* open_ = nullptr;
  CLI::App* close_ = nullptr;
  CLI::App* recycle_ = nullptr;
  std::vector<std::string> watch_reps_;
  std::vector<std::string> watch_queues_;
  std::string watch_token_;
  std::string watch_since_;
  FeedbackArgs accept_args_;
  RejectArgs reject_args_;
  ConvertArgs convert_args_;
  OpportunityArgs open_args_;
  OpportunityArgs close_args_;
  RecycleArgs recycle_args_;
};

}  // namespace leadflow::ctl
