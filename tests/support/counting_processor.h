// A test processor on the stream runtime: a running count per key. Every input emits
// "<topic>/<partition>/<offset>=<count>" to the output topic, so an independent verifier can check
// that every input is reflected exactly once and every count exactly once. Values "poison" are
// rejected (DLQ); values "timer:<ms>" also schedule a timer for the key at now+ms, which emits
// "fired:<key>:<due>@<now>" when it fires.
#pragma once

#include <string>

#include "services/common/stream/processor.h"

namespace leadflow::testing {

inline constexpr char kCountsStore[] = "counts";

class CountingProcessor : public stream::Processor {
 public:
  explicit CountingProcessor(std::string output_topic) : output_topic_(std::move(output_topic)) {}
  absl::Status Process(const stream::InputRecord& record, stream::Context& ctx) override;
  absl::Status OnTimer(const stream::Timer& timer, stream::Context& ctx) override;

 private:
  std::string output_topic_;
};

}  // namespace leadflow::testing
