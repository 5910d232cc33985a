// Reports computed from lead-cycle fact rows (facts.h), pure: the request's filter, grouping, time
// bucketing and time range applied to every row, so every report is exact under any combination of
// filters. Rows come from a scan of the reporting store; `now_ms` closes an open time range.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "leadflow/v1/config.pb.h"
#include "leadflow/v1/reporting_service.pb.h"
#include "leadflow/v1/reporting_state.pb.h"

namespace leadflow::reporting {

// Whether a row passes the filter.
bool Matches(const v1::LeadCycleFacts& row, const v1::ReportFilter& filter);

// The main path of the stage model, in its order: INQUIRY, MQL, SAL, SQL, OPPORTUNITY, WON (those
// the model defines).
std::vector<v1::Stage> MainPath(const std::vector<v1::Stage>& model_order);

// Lead-cycles entering each stage of `stages` (the model's order). COHORT: cycles that started in
// the range, grouped and bucketed by their start; PERIOD: stage entries in the range, by entry
// time.
absl::StatusOr<v1::GetFunnelResponse> Funnel(const std::vector<v1::LeadCycleFacts>& rows,
                                             const v1::GetFunnelRequest& request,
                                             const std::vector<v1::Stage>& stages, int64_t now_ms);

// Conversion from one stage to another within a cycle, by the time from_stage was entered.
absl::StatusOr<v1::GetConversionResponse> Conversion(const std::vector<v1::LeadCycleFacts>& rows,
                                                     const v1::GetConversionRequest& request,
                                                     const std::vector<v1::Stage>& stages,
                                                     int64_t now_ms);

// Time from entering one stage to entering another within a cycle, by the time to_stage was
// reached: count, mean, median, p90.
absl::StatusOr<v1::GetVelocityResponse> Velocity(const std::vector<v1::LeadCycleFacts>& rows,
                                                 const v1::GetVelocityRequest& request,
                                                 const std::vector<v1::Stage>& stages,
                                                 int64_t now_ms);

// Lead quality by the time the lead-cycle started (group by source system, channel, campaign):
// how far leads got, acceptance, rejection reasons, pipeline and won amounts, and the net value of
// a lead — won revenue minus `rejected_lead_cost` for every lead sales rejected, per lead. Amounts
// in more than one currency in a row need grouping by REPORT_DIMENSION_CURRENCY.
absl::StatusOr<v1::GetLeadQualityResponse> LeadQuality(const std::vector<v1::LeadCycleFacts>& rows,
                                                       const v1::GetLeadQualityRequest& request,
                                                       int64_t rejected_lead_cost_micros,
                                                       int64_t now_ms);

// Win-loss by the time the opportunity closed: won, lost, win rate, amounts, win and loss reasons,
// competitors, and the median time from opened to closed.
absl::StatusOr<v1::GetWinLossResponse> WinLoss(const std::vector<v1::LeadCycleFacts>& rows,
                                               const v1::GetWinLossRequest& request,
                                               int64_t now_ms);

// Acceptance SLA compliance by the time the lead was (first) handed off in its cycle: answered
// within the deadline (accepted or rejected by a rep), answered late, escalations, reassignments,
// expiries, still pending; the time to answer (median, p90). One handoff per lead-cycle: the
// attempts of a reassigned handoff count as one, with its reassignments.
absl::StatusOr<v1::GetSlaComplianceResponse> SlaCompliance(
    const std::vector<v1::LeadCycleFacts>& rows, const v1::GetSlaComplianceRequest& request,
    int64_t now_ms);

// Marketing-sourced revenue by the time deals closed won, under the annotation recorded on each
// deal (the comp summary in force when its opportunity opened): won deals and amounts, the
// marketing-sourced ones, their share, and their quota credit with `comp`'s accelerators (the
// highest accelerator among a deal's products; 100% when none).
absl::StatusOr<v1::GetMarketingSourcedRevenueResponse> MarketingSourcedRevenue(
    const std::vector<v1::LeadCycleFacts>& rows,
    const v1::GetMarketingSourcedRevenueRequest& request, const v1::CompSummary& comp,
    int64_t comp_version, int64_t now_ms);

}  // namespace leadflow::reporting
