// qualification on the stream runtime: consumes leadflow.leads.v1 (captured, updated, engagement
// recorded, erased), leadflow.recycle.v1 (recycled, nurture released, archived) and its command
// topic (re-score), co-partitioned; keeps one QualificationState per lead (store "leads"); writes
// LeadScored / LeadQualified / LeadDisqualified to leadflow.qualification.v1. Config comes from the
// config topic's global table (re-read when it moves), accounts from the accounts table.
#pragma once

#include <memory>
#include <string>

#include "services/common/metrics/metrics.h"
#include "services/common/stream/erasure_gate.h"
#include "services/common/stream/processor.h"
#include "services/qualification/config_source.h"

namespace leadflow::qualification {

inline constexpr char kLeadsStore[] = "leads";  // lead id → QualificationState
// A whole-partition re-score in progress: the timer's key (payload: the command with its cursor).
inline constexpr char kRescoreAllTimer[] = "rescore-all";
// Leads re-scored per timer firing (one transaction each).
inline constexpr size_t kRescoreChunk = 200;

struct QualificationTopics {
  std::string leads = "leadflow.leads.v1";
  std::string recycle = "leadflow.recycle.v1";
  std::string commands = "leadflow.qualification.commands.v1";
  std::string output = "leadflow.qualification.v1";
  std::string config = "leadflow.config.v1";      // global table
  std::string accounts = "leadflow.accounts.v1";  // global table; "" = not used
};

class QualificationProcessor : public stream::Processor {
 public:
  QualificationProcessor(QualificationTopics topics, std::unique_ptr<ConfigSource> config,
                         metrics::Registry* registry);
  absl::Status Process(const stream::InputRecord& record, stream::Context& ctx) override;
  absl::Status OnTimer(const stream::Timer& timer, stream::Context& ctx) override;

 private:
  absl::Status RefreshConfig(stream::Context& ctx);
  absl::Status HandleCommand(const stream::InputRecord& record, stream::Context& ctx);
  absl::StatusOr<std::optional<v1::QualificationState>> Load(stream::Context& ctx,
                                                             std::string_view lead_id);
  // Stores the decision's state and emits its events (with the account facts on LeadQualified).
  absl::Status Commit(const std::string& lead_id, Decision decision, stream::Context& ctx);

  QualificationTopics topics_;
  std::unique_ptr<ConfigSource> config_;
  metrics::Registry* registry_;
  stream::ErasureGate gate_;
  metrics::Counter* outcomes_[5];  // by Outcome
  metrics::Counter& scored_;
  metrics::Counter& qualified_;
  metrics::Counter& disqualified_;
  metrics::Counter& config_errors_;
  metrics::Counter& bad_accounts_;
  metrics::Counter& rescored_;
  metrics::Counter& rescore_skipped_;
  metrics::Gauge& config_version_;
};

}  // namespace leadflow::qualification
