// The demo and test data generator: realistic B2B leads (companies, personas, sources, campaigns,
// engagement over time) and what sales will do with each of them, deterministic from a seed.
//
// Every lead is drawn from an archetype whose qualification outcome is known by construction
// against the shipped ICP and stage model (config/icp.yaml, config/stages.yaml) — an ideal-fit
// hand-raiser becomes an MQL, a competitor's employee is disqualified, a cold lead stays an
// inquiry — with a margin that no rounding or decay can cross. The sales plan says how the rep
// answers the handoff (accept rates by grade, rejection reasons, conversion, win rates, deal
// sizes). The ground truth (truth.h) is counted from archetypes and plans alone, never from
// anything the services compute, so an end-to-end run can be checked against it exactly.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "leadflow/v1/common.pb.h"
#include "leadflow/v1/lead.pb.h"

namespace leadflow::demo {

// A small, portable PRNG (SplitMix64): the same seed gives the same data set with any standard
// library (std::*_distribution are implementation-defined).
class Random {
 public:
  explicit Random(uint64_t seed) : state_(seed) {}
  uint64_t Next();
  // Uniform in [0, n).
  uint64_t Below(uint64_t n) { return Next() % n; }
  // True with probability `p` (to 1/10,000).
  bool Chance(double p) { return static_cast<double>(Below(10000)) < p * 10000.0; }
  template <typename T>
  const T& Pick(const std::vector<T>& items) {
    return items[Below(items.size())];
  }

 private:
  uint64_t state_;
};

// How the lead enters leadflow. Every way in of the intake is exercised.
enum class WayIn { kGrpc, kGrpcStream, kHttp, kRawTopic, kCsv };
const char* WayInName(WayIn way);

// What qualification must decide, and why, by construction.
enum class Archetype {
  kHandRaiser,       // fit grade A–C and a demo/pricing/contact request → MQL (hand raiser)
  kEngagedFit,       // grade A or B, engagement well above the grade's gate → MQL (score)
  kColdFit,          // fits, engagement far below the gate → INQUIRY
  kWarmPoorFit,      // grade C, engagement below C's gate → INQUIRY
  kUnfitHandRaiser,  // grade D (free mail, no firmographics) raising a hand → INQUIRY
  kCompetitor,       // works at a competitor's domain → DISQUALIFIED competitor
  kStudent,          // a student → DISQUALIFIED not_a_buyer
  kRoleAddress,      // info@… → DISQUALIFIED invalid_contact
  kExcludedMarket,   // a sanctioned market → DISQUALIFIED not_icp (nurtured: future-fit track)
};
const char* ArchetypeName(Archetype a);

// What the sales side does with the handoff of an MQL.
struct SalesPlan {
  enum class Answer { kNone, kAccept, kReject };
  enum class Close { kNone, kWon, kLost };
  Answer answer = Answer::kNone;  // kNone: the handoff waits (still MQL at the end)
  v1::RejectionReason reject_reason = v1::REJECTION_REASON_UNSPECIFIED;
  std::string reject_text;
  bool convert = false;  // SAL → SQL
  bool open = false;     // SQL → OPPORTUNITY
  Close close = Close::kNone;
  std::string opportunity_id;
  int64_t amount_micros = 0;  // EUR, the same when opened and when closed
  std::vector<std::string> products;
  std::string close_reason;  // won: why we won; lost: the loss reason code
  std::string competitor;    // lost (sometimes won) against
};

struct DemoLead {
  int index = 0;
  Archetype archetype = Archetype::kColdFit;
  WayIn way_in = WayIn::kGrpc;
  v1::FitGrade grade = v1::FIT_GRADE_UNSPECIFIED;  // by construction
  // The capture (occurred_at days ago, usually with the form fill that created the lead).
  v1::LeadSubmission submission;
  // Activities after the capture, oldest first (each with its occurred_at).
  std::vector<v1::Engagement> engagements;
  // INQUIRY, MQL or DISQUALIFIED: what qualification decides.
  v1::Stage gate = v1::STAGE_INQUIRY;
  std::string disqualification_reason;  // competitor, not_a_buyer, invalid_contact, not_icp
  SalesPlan plan;                       // for MQLs
};

struct DemoOptions {
  uint64_t seed = 1;
  int leads = 500;
  // Capture times lie in [now - history_days, now - 1 h]; the activities that make a lead an MQL
  // lie in the last hour before `now_ms`, so SLA deadlines (counted from them) are ahead.
  int64_t now_ms = 0;
  int history_days = 20;  // below the INQUIRY stage's 30-day recycle-on-breach
  // A tag in every email and idempotency key, so two data sets never share a person (e.g. demo
  // runs into the same Kafka). Empty: "s<seed>".
  std::string tag;
};

struct DemoDataSet {
  DemoOptions options;
  std::vector<DemoLead> leads;
};

// The same options give the same data set (with `now_ms` fixed: the same bytes).
DemoDataSet Generate(const DemoOptions& options);

}  // namespace leadflow::demo
