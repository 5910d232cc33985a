// `leadflowctl submit` and `leadflowctl engage`: a lead or one activity through the intake
// (IntakeService.SubmitLead, RecordEngagement), as a marketing system would send it;
// `leadflowctl erase`: a person's erasure (IntakeService.EraseLead, ops-admin).
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "CLI/CLI.hpp"
#include "absl/status/statusor.h"
#include "leadflow/v1/intake_service.pb.h"
#include "tools/leadflowctl/command_support.h"

namespace leadflow::ctl {

struct SubmitArgs {
  std::string email;
  std::string first_name;
  std::string last_name;
  std::string company;
  std::string domain;
  std::string industry;
  int employees = 0;
  std::string title;
  std::string country;
  std::string phone;
  std::string source_system = "leadflowctl";
  std::string campaign;
  std::string channel;
  std::string idempotency_key;  // empty: `generated_key`
  bool validate_only = false;
};

// The request for the arguments; INVALID_ARGUMENT (bad usage) names the flag.
absl::StatusOr<v1::SubmitLeadRequest> BuildSubmitLeadRequest(const SubmitArgs& args,
                                                             const std::string& generated_key);

struct EngageArgs {
  std::string email;
  std::string type;
  std::string at;  // empty: the receive time
  std::string asset;
  std::string source_system = "leadflowctl";
  std::string campaign;
  std::string channel;
  std::string idempotency_key;
  bool validate_only = false;
};

absl::StatusOr<v1::RecordEngagementRequest> BuildRecordEngagementRequest(
    const EngageArgs& args, const std::string& generated_key,
    std::chrono::system_clock::time_point now);

struct EraseArgs {
  std::string email;
  std::string lead_id;
  std::string request_id;
};

// The request; exactly one of --email and --lead-id, and --request-id, are required.
absl::StatusOr<v1::EraseLeadRequest> BuildEraseLeadRequest(const EraseArgs& args);

// "accepted: lead 3f2a… (key K)" / "duplicate: ..." for a person.
std::string DescribeSubmission(const v1::SubmissionResult& result);

class LeadCommands {
 public:
  void Add(CLI::App* app);
  // The exit code when one of these commands was given.
  std::optional<int> Run(const CallOptions& options);

 private:
  CLI::App* submit_ = nullptr;
  CLI::App* engage_ = nullptr;
  CLI::App* erase_ = nullptr;
  SubmitArgs submit_args_;
  EngageArgs engage_args_;
  EraseArgs erase_args_;
};

}  // namespace leadflow::ctl
