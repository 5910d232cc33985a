// `leadflowctl funnel|quality|winloss`: ReportingService's main reports as tables (or --json).
// The funnel shows the main path (inquiry → MQL → SAL → SQL → opportunity → won) with the
// conversion from each stage to the next, then the side stages a lead-cycle ended in.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/status/statusor.h"
#include "leadflow/v1/reporting_service.pb.h"
#include "tools/leadflowctl/command_support.h"

namespace leadflow::ctl {

struct ReportArgs {
  std::string from;                   // RFC 3339, date or duration ago; empty = the beginning
  std::string to;                     // empty = now
  std::vector<std::string> group_by;  // ReportDimension short names
  std::string bucket;                 // day|week|month|quarter
  std::string touch;                  // first|last
  std::vector<std::string> channels;
  std::vector<std::string> campaigns;
  std::vector<std::string> source_systems;
  std::vector<std::string> segments;
  std::vector<std::string> grades;  // a|b|c|d
  bool marketing_sourced_only = false;
};

absl::StatusOr<v1::ReportQuery> BuildReportQuery(const ReportArgs& args,
                                                 std::chrono::system_clock::time_point now);

// Tables of the responses, with a line on how complete the data is.
std::string RenderFunnel(const v1::GetFunnelResponse& response);
std::string RenderSourceQuality(const v1::GetSourceQualityResponse& response);
std::string RenderWinLoss(const v1::GetWinLossResponse& response);

class ReportCommands {
 public:
  void Add(CLI::App* app);
  std::optional<int> Run(const CallOptions& options);

 private:
  CLI::App* funnel_ = nullptr;
  CLI::App* quality_ = nullptr;
  CLI::App* winloss_ = nullptr;
  ReportArgs args_;
  std::string mode_;  // funnel: cohort|period
};

}  // namespace leadflow::ctl
