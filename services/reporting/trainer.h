// The closed loop's trainer: every reporting.train_interval, fits the scoring model on the closed
// deals in the fact rows (model.h), compares it with the published model on the same held-out
// deals, and publishes it to the config topic as the next config version only when it is better
// (Decide). Every run, published or not, is recorded with its reason (GetScoringModel).
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "absl/status/statusor.h"
#include "leadflow/v1/reporting_service.pb.h"
#include "services/common/kafka/sender.h"
#include "services/reporting/api.h"

namespace leadflow::reporting {

class Trainer {
 public:
  Trainer(ReportingCore* core, kafka::Sender* sender, std::string config_topic,
          std::function<int64_t()> now_ms);
  // One training run; its record (also kept by the core). Errors (too few deals, Kafka down) are
  // a run that did not publish, with the reason.
  v1::ScoringModelRun RunOnce();

 private:
  ReportingCore* core_;
  kafka::Sender* sender_;
  std::string config_topic_;
  std::function<int64_t()> now_ms_;
};

}  // namespace leadflow::reporting
