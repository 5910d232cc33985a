// Prometheus registry and text-format rendering.
#include "services/common/metrics/metrics.h"

#include <algorithm>
#include <charconv>
#include <cmath>

#include "services/common/base/status_macros.h"
#include "services/common/base/strings.h"

namespace leadflow::metrics {
namespace {

bool ValidName(std::string_view name, bool allow_colon) {
  if (name.empty()) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool alpha =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (allow_colon && c == ':');
    const bool digit = c >= '0' && c <= '9';
    if (!(alpha || (i > 0 && digit))) return false;
  }
  return true;
}

Labels Canonical(Labels labels) {
  for (const auto& [k, v] : labels) {
    LF_CHECK(ValidName(k, false) && k.rfind("__", 0) != 0, "invalid metric label name");
    LF_CHECK(k != "le", "'le' is reserved for histogram buckets");
  }
  std::sort(labels.begin(), labels.end());
  return labels;
}

std::string RenderLabels(const Labels& labels, std::string_view extra_key = {},
                         std::string_view extra_value = {}) {
  if (labels.empty() && extra_key.empty()) return "";
  std::string out = "{";
  bool first = true;
  for (const auto& [k, v] : labels) {
    leadflow::StrAppend(&out, first ? "" : ",", k, "=\"", EscapeLabelValue(v), "\"");
    first = false;
  }
  if (!extra_key.empty()) {
    leadflow::StrAppend(&out, first ? "" : ",", extra_key, "=\"", extra_value, "\"");
  }
  out += "}";
  return out;
}

std::string EscapeHelp(std::string_view help) {
  std::string out;
  for (char c : help) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out.push_back(c);
    }
  }
  return out;
}

}  // namespace

std::string EscapeLabelValue(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::string FormatValue(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  char buf[64];
  auto [ptr, ec] = std::to_chars(buf, buf + sizeof(buf), value);
  LF_CHECK(ec == std::errc(), "double does not fit 64 chars");
  return std::string(buf, ptr);
}

void Counter::Increment(double by) {
  LF_CHECK(by >= 0, "a counter only goes up");
  value_.fetch_add(by, std::memory_order_relaxed);
}

Histogram::Histogram(std::vector<double> upper_bounds)
    : bounds_(std::move(upper_bounds)),
      counts_(std::make_unique<std::atomic<uint64_t>[]>(bounds_.size() + 1)) {
  for (size_t i = 0; i < bounds_.size(); ++i) {
    LF_CHECK(std::isfinite(bounds_[i]), "histogram bounds must be finite (+Inf is implicit)");
    LF_CHECK(i == 0 || bounds_[i] > bounds_[i - 1], "histogram bounds must increase");
  }
}

void Histogram::Observe(double v) {
  // Prometheus buckets are "less than or equal": v lands in the first bound >= v.
  const size_t bucket =
      static_cast<size_t>(std::lower_bound(bounds_.begin(), bounds_.end(), v) - bounds_.begin());
  counts_[bucket].fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(v, std::memory_order_relaxed);
}

Histogram::Snapshot Histogram::Take() const {
  Snapshot s;
  s.upper_bounds = bounds_;
  uint64_t running = 0;
  for (size_t i = 0; i <= bounds_.size(); ++i) {
    running += counts_[i].load(std::memory_order_relaxed);
    s.cumulative_counts.push_back(running);
  }
  s.sum = sum_.load(std::memory_order_relaxed);
  // The count is the +Inf bucket, so the exposition is self-consistent even mid-update.
  s.count = running;
  return s;
}

std::vector<double> LatencyBuckets() {
  return {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
          0.05,   0.1,     0.25,   0.5,   1.0,    2.5,   5.0,  10.0};
}

Registry::Family& Registry::FamilyFor(std::string_view name, std::string_view help, Type type) {
  LF_CHECK(ValidName(name, true), "invalid metric name");
  auto it = families_.find(name);
  if (it == families_.end()) {
    it =
        families_.emplace(std::string(name), Family{type, std::string(help), {}, {}, {}, {}}).first;
  }
  LF_CHECK(it->second.type == type, "metric registered twice with different types");
  return it->second;
}

Counter& Registry::GetCounter(std::string_view name, std::string_view help, Labels labels) {
  std::lock_guard<std::mutex> lock(mu_);
  Family& f = FamilyFor(name, help, Type::kCounter);
  auto& slot = f.counters[Canonical(std::move(labels))];
  if (!slot) slot = std::make_unique<Counter>();
  return *slot;
}

Gauge& Registry::GetGauge(std::string_view name, std::string_view help, Labels labels) {
  std::lock_guard<std::mutex> lock(mu_);
  Family& f = FamilyFor(name, help, Type::kGauge);
  auto& slot = f.gauges[Canonical(std::move(labels))];
  if (!slot) slot = std::make_unique<Gauge>();
  return *slot;
}

Histogram& Registry::GetHistogram(std::string_view name, std::string_view help,
                                  std::vector<double> upper_bounds, Labels labels) {
  std::lock_guard<std::mutex> lock(mu_);
  Family& f = FamilyFor(name, help, Type::kHistogram);
  if (f.histograms.empty()) {
    f.bounds = upper_bounds;
  }
  LF_CHECK(f.bounds == upper_bounds, "histogram series of one family must share buckets");
  auto& slot = f.histograms[Canonical(std::move(labels))];
  if (!slot) slot = std::make_unique<Histogram>(std::move(upper_bounds));
  return *slot;
}

std::string Registry::Render() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::string out;
  for (const auto& [name, f] : families_) {
    const char* type = f.type == Type::kCounter ? "counter"
                       : f.type == Type::kGauge ? "gauge"
                                                : "histogram";
    leadflow::StrAppend(&out, "# HELP ", name, " ", EscapeHelp(f.help), "\n# TYPE ", name, " ",
                        type, "\n");
    for (const auto& [labels, c] : f.counters) {
      leadflow::StrAppend(&out, name, RenderLabels(labels), " ", FormatValue(c->Value()), "\n");
    }
    for (const auto& [labels, g] : f.gauges) {
      leadflow::StrAppend(&out, name, RenderLabels(labels), " ", FormatValue(g->Value()), "\n");
    }
    for (const auto& [labels, h] : f.histograms) {
      const Histogram::Snapshot s = h->Take();
      for (size_t i = 0; i < s.upper_bounds.size(); ++i) {
        leadflow::StrAppend(&out, name, "_bucket",
                            RenderLabels(labels, "le", FormatValue(s.upper_bounds[i])), " ",
                            s.cumulative_counts[i], "\n");
      }
      leadflow::StrAppend(&out, name, "_bucket", RenderLabels(labels, "le", "+Inf"), " ", s.count,
                          "\n", name, "_sum", RenderLabels(labels), " ", FormatValue(s.sum), "\n",
                          name, "_count", RenderLabels(labels), " ", s.count, "\n");
    }
  }
  return out;
}

}  // namespace leadflow::metrics
