// leadflow-bench pipeline: the product end to end. The five service binaries as processes on one
// broker with fresh topics (tools/common/pipeline_flags.h), leads that each become an MQL (grade-A
// hand-raisers) driven through the raw topic and gRPC StreamLeads, and, per way in:
//   max rate   — N leads sent as fast as the way in takes them; leads/s from the first send to the
//                N-th LeadHandedOff visible to a read_committed consumer of the handoffs topic;
//   fixed rate — leads sent at R/s (default: half the max rate measured) for S seconds; the
//                intake → handoff latency (send → handoff visible) p50/p90/p99/max;
//   memory     — every service's RSS sampled through the run (peak and at the end).
// In the same run, the runtime's exactly-once no-op relay ceiling on the same broker (for
// comparison). A table on stdout, --json for scripts; docs/benchmarks.md keeps the figures.
#pragma once

#include <functional>
#include <string>
#include <vector>

namespace leadflow::bench {

struct PipelineBenchOptions {
  std::string bootstrap;
  std::string bin_dir = "build/bin";
  std::string config_dir = "config";
  std::string work_dir = "/tmp/leadflow-bench-pipeline";
  int leads = 20000;      // per max-rate run
  int rate = 0;           // fixed-rate run, leads/s; 0 = half the max rate of that way in
  int rate_seconds = 30;  // fixed-rate run length
  int partitions = 4;
  std::string ways = "raw,grpc";
  int relay_records = 100000;  // 0: no relay ceiling
  bool json = false;
  std::vector<std::string> settings;  // "key=value": --key=value for every service
};

// Runs the relay ceiling (exactly-once no-op) with `records` records; records/s, or < 0 on error.
using RelayCeiling = std::function<double(int records)>;

int RunPipelineBench(const PipelineBenchOptions& options, const RelayCeiling& relay);

}  // namespace leadflow::bench
