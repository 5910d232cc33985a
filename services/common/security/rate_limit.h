// A rate limit per caller (token buckets): each caller — a bearer token's name, or "anonymous"
// when authentication is off — may take `per_second` units per second on average and `burst` at
// once. Unary calls over the limit are refused with ResourceExhausted saying when to retry; a
// stream waits for its budget (the client is slowed by gRPC flow control) instead of failing.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <string_view>

#include "absl/status/status.h"

namespace leadflow::security {

class RateLimiter {
 public:
  using Clock = std::function<std::chrono::steady_clock::time_point()>;
  using Sleep = std::function<void(std::chrono::milliseconds)>;

  struct Options {
    double per_second = 0;          // 0: no limit
    double burst = 0;               // bucket size; at least per_second and at least 1
    std::string unit = "requests";  // for messages: "submissions"
  };

  explicit RateLimiter(Options options, Clock clock = {}, Sleep sleep = {});

  bool enabled() const { return options_.per_second > 0; }

  // Takes `n` units for `caller` now, or fails with ResourceExhausted: "rate limit: caller 'crm'
  // may send 2000 submissions/s (bursts of 4000); retry in 150 ms". More than the burst at once
  // can never pass and says so.
  absl::Status TryAcquire(std::string_view caller, double n);
  // Takes `n` units (more than a burst: a burst at a time), waiting for them up to `max_wait`
  // (then as TryAcquire).
  absl::Status Acquire(std::string_view caller, double n, std::chrono::milliseconds max_wait);

 private:
  struct Bucket {
    double tokens = 0;
    std::chrono::steady_clock::time_point at;
  };
  // Refills `caller`'s bucket to now and takes `n` units if they are there (returns 0); otherwise
  // takes nothing and returns how long until they are.
  std::chrono::milliseconds Take(std::string_view caller, double n);
  // The ResourceExhausted of a caller that must wait `wait` for its units.
  absl::Status Refusal(std::string_view caller, std::chrono::milliseconds wait) const;

  Options options_;
  Clock clock_;
  Sleep sleep_;
  std::mutex mu_;
  std::map<std::string, Bucket, std::less<>> buckets_;
};

}  // namespace leadflow::security
