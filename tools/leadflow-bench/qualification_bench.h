// leadflow-bench qualification: inputs/s of the qualification processor on the stream runtime
// (exactly-once, RocksDB state, the default ICP and stage gates) beside the runtime's exactly-once
// no-op relay over the very same lead events, interleaved over rounds. Results and conditions:
// docs/benchmarks.md.
#pragma once

#include <string>

namespace leadflow::bench {

struct QualificationBenchOptions {
  std::string bootstrap;
  int leads = 20'000;
  int engagements = 9;  // per lead, after its LeadCaptured
  int partitions = 4;
  int rounds = 3;
  std::string config_dir = "config";  // icp.yaml and stages.yaml
  int broker_pid = 0;                 // when set, the broker's CPU per input is reported too
};

int RunQualificationBench(const QualificationBenchOptions& options);

}  // namespace leadflow::bench
