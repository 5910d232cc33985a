// Prometheus metrics: counters, gauges and histograms with labels, rendered in the text exposition
// format (version 0.0.4) for GET /metrics. Updates are lock-free; registration takes a lock.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace leadflow::metrics {

// Label pairs, sorted by name when registered so {a,b} and {b,a} are the same series.
using Labels = std::vector<std::pair<std::string, std::string>>;

// A value that only goes up (events processed, records sent to the DLQ).
class Counter {
 public:
  void Increment(double by = 1.0);  // `by` < 0 is a programming error and aborts
  double Value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0.0};
};

// A value that goes up and down (consumer lag, state size, in-flight records).
class Gauge {
 public:
  void Set(double v) { value_.store(v, std::memory_order_relaxed); }
  void Add(double by) { value_.fetch_add(by, std::memory_order_relaxed); }
  double Value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0.0};
};

// Observations counted in cumulative buckets (processing latency, commit latency).
class Histogram {
 public:
  explicit Histogram(std::vector<double> upper_bounds);  // strictly increasing, finite
  void Observe(double v);

  struct Snapshot {
    std::vector<double> upper_bounds;
    std::vector<uint64_t> cumulative_counts;  // one per bound, then +Inf last
    double sum = 0;
    uint64_t count = 0;
  };
  Snapshot Take() const;

 private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<uint64_t>[]> counts_;  // per bucket (not cumulative), +Inf last
  std::atomic<double> sum_{0.0};
};

// Default latency buckets in seconds: 100 µs .. 10 s.
std::vector<double> LatencyBuckets();

// Owns every metric of a process. Getting the same name and labels twice returns the same object,
// so components can look metrics up once at construction and keep the reference.
class Registry {
 public:
  Counter& GetCounter(std::string_view name, std::string_view help, Labels labels = {});
  Gauge& GetGauge(std::string_view name, std::string_view help, Labels labels = {});
  Histogram& GetHistogram(std::string_view name, std::string_view help,
                          std::vector<double> upper_bounds, Labels labels = {});

  // The whole registry in Prometheus text format, families sorted by name.
  std::string Render() const;

 private:
  enum class Type { kCounter, kGauge, kHistogram };
  struct Family {
    Type type;
    std::string help;
    std::vector<double> bounds;  // histograms: every series of a family shares its buckets
    std::map<Labels, std::unique_ptr<Counter>> counters;
    std::map<Labels, std::unique_ptr<Gauge>> gauges;
    std::map<Labels, std::unique_ptr<Histogram>> histograms;
  };
  Family& FamilyFor(std::string_view name, std::string_view help, Type type);

  mutable std::mutex mu_;
  std::map<std::string, Family, std::less<>> families_;
};

// Escapes a label value for the text format (backslash, double quote, newline).
std::string EscapeLabelValue(std::string_view value);

// Formats a sample value the way Prometheus expects (+Inf, -Inf, NaN, shortest round-trip).
std::string FormatValue(double value);

}  // namespace leadflow::metrics
