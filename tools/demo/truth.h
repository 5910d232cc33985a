// The ground truth a demo data set implies, counted from its archetypes and sales plans alone
// (generator.h) — the numbers reporting must give once the data set has run through leadflow:
// the funnel (stages entered), source quality by first-touch channel, and win-loss. Written as
// JSON beside the data set, and compared with the reporting API's answers field by field.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "leadflow/v1/reporting_service.pb.h"
#include "tools/demo/generator.h"

namespace leadflow::demo {

struct QualityTruth {
  int64_t leads = 0;
  int64_t mql = 0;
  int64_t disqualified = 0;
  int64_t accepted = 0;
  int64_t rejected = 0;
  int64_t sql = 0;
  int64_t opportunities = 0;
  int64_t won = 0;
  int64_t pipeline_micros = 0;  // EUR, amounts of opportunities opened
  int64_t won_micros = 0;
  std::map<std::string, int64_t> rejection_reasons;  // short names ("bad_timing")
};

struct WinLossTruth {
  int64_t won = 0;
  int64_t lost = 0;
  int64_t won_micros = 0;
  int64_t lost_micros = 0;
  std::map<std::string, int64_t> win_reasons;
  std::map<std::string, int64_t> loss_reasons;
  std::map<std::string, std::pair<int64_t, int64_t>> competitors;  // name → (won, lost)
};

struct GroundTruth {
  int64_t leads = 0;
  // Lead-cycles that entered each stage (cohort funnel over all time). Recycle's stages follow
  // config/nurture.yaml: rejections and losses with an archive reason are archived, the rest
  // nurtured; disqualifications are nurtured only for not_icp (the future-fit track).
  std::map<v1::Stage, int64_t> entered;
  // LeadHandedOff events: one per MQL (no SLA runs out while the data set is driven).
  int64_t handoffs = 0;
  std::map<v1::Channel, QualityTruth> quality;  // by first-touch channel
  WinLossTruth winloss;
  // Leads per way in, per archetype (for the summary; not a report).
  std::map<std::string, int64_t> by_way_in;
  std::map<std::string, int64_t> by_archetype;
};

// The stages `lead` enters, in order, once the data set has run (INQUIRY first; the gate; sales'
// answers; where recycle puts it: NURTURE or ARCHIVED per config/nurture.yaml).
std::vector<v1::Stage> EnteredStages(const DemoLead& lead);

GroundTruth ComputeTruth(const DemoDataSet& set);
nlohmann::json TruthToJson(const GroundTruth& truth);

// The differences between the truth and reporting's answers, one line each ("funnel MQL entered:
// truth 41, reported 40"); empty when they agree exactly. `funnel` is ungrouped cohort mode,
// `quality` grouped by channel, `winloss` ungrouped, all over all time.
std::vector<std::string> CompareFunnel(const GroundTruth& truth,
                                       const v1::GetFunnelResponse& funnel);
std::vector<std::string> CompareQuality(const GroundTruth& truth,
                                        const v1::GetSourceQualityResponse& quality);
std::vector<std::string> CompareWinLoss(const GroundTruth& truth,
                                        const v1::GetWinLossResponse& winloss);

// The funnel stages the truth counts, in funnel order.
const std::vector<v1::Stage>& TruthStages();

}  // namespace leadflow::demo
