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
// a lead — won revenue minus `rejected_lead_cost` for every lead sales rejected, per lead, in the
// group's deal currency (`cost_currency`, the cost's, when the group has no deals). Amounts
// in more than one currency in a row need grouping by REPORT_DIMENSION_CURRENCY.
absl::StatusOr<v1::GetSourceQualityResponse> LeadQuality(
    const std::vector<v1::LeadCycleFacts>& rows, const v1::GetSourceQualityRequest& request,
    int64_t rejected_lead_cost_micros, int64_t now_ms, std::string_view cost_currency = "");

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
absl::StatusOr<v1::GetAttributionResponse> MarketingSourcedRevenue(
    const std::vector<v1::LeadCycleFacts>& rows, const v1::GetAttributionRequest& request,
    const v1::CompSummary& comp, int64_t comp_version, int64_t now_ms);

// Recycle effectiveness by the time lead-cycles were recycled (`recycled_at_ms`; rows folded before
// that field existed fall back to their entry into STAGE_NURTURE): for each recycled lead-cycle
// that passes the filter, what the same lead did in its later cycles (cycle > the recycled one),
// as known at `now_ms`: released (a later cycle exists), requalified (a later cycle entered MQL),
// accepted (SAL) and won (WON) later, archived from nurture, still nurturing (neither archived nor
// released), the median time from the recycle to the first later MQL entry, and the amounts won in
// later cycles.
//
// Each recycled lead-cycle counts what happened in the cycles after it, so a lead recycled twice
// (cycles 1 and 2) and won in cycle 3 counts that win — and its amount — under both recycles: the
// sum of won_later_amount over rows is the revenue each recycle led to, not a revenue total. Within
// one recycled lead-cycle every later won cycle counts once.
//
// Rows may come in any order (they are grouped by lead_id here); a lead-cycle must appear once.
// Grouping dimensions and the filter apply to the recycled row (its reason, track, attribution,
// routing, cycle...), except REPORT_DIMENSION_CURRENCY, which here is the currency of the amounts
// won later ("" when none). Later wins in more than one currency in a report row need grouping by
// currency; a single recycled lead-cycle whose later wins mix currencies cannot be split and is
// INVALID_ARGUMENT.
absl::StatusOr<v1::GetRecycleEffectivenessResponse> RecycleEffectiveness(
    const std::vector<v1::LeadCycleFacts>& rows, const v1::GetRecycleEffectivenessRequest& request,
    int64_t now_ms);

}  // namespace leadflow::reporting
