// leadflow-bench handoff: the handoff processor on the stream runtime (exactly-once, RocksDB, the
// routing step and the lead step, the shipped routing/SLA/comp config). Two phases on one app:
//   - throughput: MQLs preloaded on the qualification topic, handed off as fast as it can
//     (handoffs/s from the first record processed to the last LeadHandedOff read);
//   - latency: MQLs produced at a fixed rate; MQL→handoff latency measured from the MQL's
//     produce time to when a read_committed subscriber reads its LeadHandedOff (p50/p99).
// Results and conditions: docs/benchmarks.md.
#pragma once

#include <string>

namespace leadflow::bench {

struct HandoffBenchOptions {
  std::string bootstrap;
  int leads = 20'000;        // throughput phase
  int rate = 200;            // MQLs per second in the latency phase
  int latency_seconds = 20;  // length of the latency phase
  int partitions = 4;
  // The subscriber's fetch.wait.max.ms: 500 is librdkafka's default (what a sales tool with default
  // settings sees); a read_committed fetch may wait that long after a transaction committed.
  int reader_fetch_wait_ms = 500;
  // The handoff app's own consumer's fetch.wait.max.ms; 0 = librdkafka's default (500).
  int app_fetch_wait_ms = 0;
  std::string config_dir = "config";  // routing.yaml, sla.yaml, stages.yaml, comp.yaml
};

int RunHandoffBench(const HandoffBenchOptions& options);

}  // namespace leadflow::bench
