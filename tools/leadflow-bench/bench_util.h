// Small helpers shared by the benchmarks.
#pragma once

#include <pthread.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "services/common/stream/processor.h"

namespace leadflow::bench {

// CPU time (user + system) a process has used, from /proc/PID/stat; 0 when it cannot be read.
inline double ProcessCpuSeconds(int pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  // The fields after the command name (in parentheses, may hold spaces): state is field 3,
  // utime and stime are fields 14 and 15.
  const size_t close = stat.rfind(')');
  if (close == std::string::npos) return 0;
  std::istringstream fields(stat.substr(close + 2));
  std::string field;
  double ticks = 0;
  for (int n = 3; n <= 15 && fields >> field; ++n) {
    if (n >= 14) ticks += std::strtod(field.c_str(), nullptr);
  }
  return ticks / static_cast<double>(sysconf(_SC_CLK_TCK));
}

// CPU time a thread of this process has used so far.
inline double ThreadCpuSeconds(std::thread& t) {
  clockid_t clock;
  timespec ts{};
  if (pthread_getcpuclockid(t.native_handle(), &clock) != 0 || clock_gettime(clock, &ts) != 0) {
    return 0;
  }
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

// Prints "leadflow-bench: <what>: <why>" for a failed status; true when it failed.
inline bool Fail(const absl::Status& s, std::string_view what) {
  if (s.ok()) return false;
  std::fprintf(stderr, "leadflow-bench: %.*s: %s\n", static_cast<int>(what.size()), what.data(),
               std::string(s.message()).c_str());
  return true;
}

// Wall-clock Unix milliseconds.
inline int64_t WallMillis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Wall-clock Unix microseconds.
inline int64_t WallMicros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The q-quantile (0..1) of `v` by the nearest-rank method; 0 for an empty sample.
inline double Percentile(std::vector<double> v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(q * static_cast<double>(v.size())))];
}

// Records, once, when the first record was handled (steady_clock nanoseconds): throughput is
// measured from there, so group joins do not count.
inline void MarkFirst(std::atomic<int64_t>* first_ns) {
  if (first_ns->load(std::memory_order_relaxed) != 0) return;
  int64_t expected = 0;
  first_ns->compare_exchange_strong(expected,
                                    std::chrono::duration_cast<std::chrono::nanoseconds>(
                                        std::chrono::steady_clock::now().time_since_epoch())
                                        .count());
}

// The runtime's no-op: every input copied unchanged to `output`.
class RelayProcessor : public stream::Processor {
 public:
  explicit RelayProcessor(std::string output) : output_(std::move(output)) {}
  absl::Status Process(const stream::InputRecord& r, stream::Context& ctx) override {
    ctx.Emit({output_, std::nullopt, std::string(r.key), std::string(r.value), {}});
    return absl::OkStatus();
  }

 private:
  std::string output_;
};

// The runtime's stateful no-op: per input, one read and one write of a state entry of
// `state_bytes` under the record's key, and one output of `output_bytes`, with no domain logic.
// It moves the same bytes through the same state and broker as a real stateful processor whose
// average state and output sizes it is given, so "processor vs this" is the cost of the domain
// logic alone.
class StatefulRelayProcessor : public stream::Processor {
 public:
  StatefulRelayProcessor(std::string store, std::string output, size_t state_bytes,
                         size_t output_bytes)
      : store_(std::move(store)),
        output_(std::move(output)),
        state_(state_bytes, 's'),
        value_(output_bytes, 'o') {}
  absl::Status Process(const stream::InputRecord& r, stream::Context& ctx) override {
    absl::StatusOr<std::optional<std::string>> current = ctx.Get(store_, r.key);
    if (!current.ok()) return current.status();
    ctx.Put(store_, r.key, state_);
    ctx.Emit({output_, std::nullopt, std::string(r.key), value_, {}});
    return absl::OkStatus();
  }

 private:
  std::string store_, output_, state_, value_;
};

// Marks the first record handled (MarkFirst), then delegates.
class Timed : public stream::Processor {
 public:
  Timed(std::unique_ptr<stream::Processor> inner, std::atomic<int64_t>* first_ns)
      : inner_(std::move(inner)), first_ns_(first_ns) {}
  absl::Status Process(const stream::InputRecord& r, stream::Context& ctx) override {
    MarkFirst(first_ns_);
    return inner_->Process(r, ctx);
  }
  absl::Status OnTimer(const stream::Timer& t, stream::Context& ctx) override {
    return inner_->OnTimer(t, ctx);
  }

 private:
  std::unique_ptr<stream::Processor> inner_;
  std::atomic<int64_t>* first_ns_;
};

}  // namespace leadflow::bench
