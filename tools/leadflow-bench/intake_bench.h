// leadflow-bench intake: leads/s admitted through gRPC streaming, HTTP batches and the raw topic,
// and unary SubmitLead acknowledgement latency, beside a no-op gRPC/HTTP service on the same
// machine (the ceiling of the transport). Results and conditions: docs/benchmarks.md.
#pragma once

#include <string>

namespace leadflow::bench {

struct IntakeBenchOptions {
  std::string bootstrap;
  int leads = 100'000;  // per throughput mode
  int partitions = 4;
  int streams = 4;         // concurrent StreamLeads calls / HTTP clients
  int batch = 1000;        // HTTP batch size
  int unary_seconds = 10;  // length of the unary latency phase
  int unary_clients = 8;   // concurrent unary callers
  std::string modes = "grpc-stream,http-batch,raw,unary";
  int broker_pid = 0;  // when set, the broker's CPU per lead is reported too
};

int RunIntakeBench(const IntakeBenchOptions& options);

}  // namespace leadflow::bench
