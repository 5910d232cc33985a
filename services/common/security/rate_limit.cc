#include "services/common/security/rate_limit.h"

#include <algorithm>
#include <cmath>
#include <thread>

#include "services/common/base/strings.h"

namespace leadflow::security {
namespace {

// Callers a limiter remembers; beyond that, full (idle) buckets are forgotten: a full bucket is
// what a new caller starts with, so forgetting one changes nothing.
constexpr size_t kMaxCallers = 10000;

}  // namespace

RateLimiter::RateLimiter(Options options, Clock clock, Sleep sleep)
    : options_(std::move(options)), clock_(std::move(clock)), sleep_(std::move(sleep)) {
  options_.burst = std::max({options_.burst, options_.per_second, 1.0});
  if (!clock_) clock_ = [] { return std::chrono::steady_clock::now(); };
  if (!sleep_) sleep_ = [](std::chrono::milliseconds d) { std::this_thread::sleep_for(d); };
}

std::chrono::milliseconds RateLimiter::Take(std::string_view caller, double n) {
  std::lock_guard<std::mutex> lock(mu_);
  const auto now = clock_();  // under the lock: time never runs backwards for a bucket
  auto it = buckets_.find(caller);
  if (it == buckets_.end()) {
    if (buckets_.size() >= kMaxCallers) {
      for (auto b = buckets_.begin(); b != buckets_.end();) {
        const double seconds = std::chrono::duration<double>(now - b->second.at).count();
        b = b->second.tokens + seconds * options_.per_second >= options_.burst ? buckets_.erase(b)
                                                                               : std::next(b);
      }
    }
    it = buckets_.emplace(std::string(caller), Bucket{options_.burst, now}).first;
  }
  Bucket& b = it->second;
  const double elapsed = std::chrono::duration<double>(now - b.at).count();
  b.tokens = std::min(options_.burst, b.tokens + elapsed * options_.per_second);
  b.at = now;
  if (b.tokens >= n) {
    b.tokens -= n;
    return std::chrono::milliseconds(0);
  }
  const double wait_s = (n - b.tokens) / options_.per_second;
  return std::chrono::milliseconds(static_cast<int64_t>(std::ceil(wait_s * 1000)));
}

absl::Status RateLimiter::TryAcquire(std::string_view caller, double n) {
  if (!enabled()) return absl::OkStatus();
  if (n > options_.burst) {
    return absl::ResourceExhaustedError(
        StrCat("rate limit: ", n, " ", options_.unit, " at once is more than the burst of ",
               options_.burst, " per caller; send them in smaller parts"));
  }
  const std::chrono::milliseconds wait = Take(caller, n);
  return wait.count() == 0 ? absl::OkStatus() : Refusal(caller, wait);
}

absl::Status RateLimiter::Refusal(std::string_view caller, std::chrono::milliseconds wait) const {
  return absl::ResourceExhaustedError(
      StrCat("rate limit: caller '", caller, "' may send ", options_.per_second, " ", options_.unit,
             "/s (bursts of ", options_.burst, "); retry in ", wait.count(), " ms"));
}

absl::Status RateLimiter::Acquire(std::string_view caller, double n,
                                  std::chrono::milliseconds max_wait) {
  if (!enabled()) return absl::OkStatus();
  const auto give_up = clock_() + max_wait;
  // More than a burst is taken a burst at a time.
  for (double left = n; left > 0;) {
    const double part = std::min(left, options_.burst);
    const std::chrono::milliseconds wait = Take(caller, part);
    if (wait.count() == 0) {
      left -= part;
      continue;
    }
    if (clock_() >= give_up) return Refusal(caller, wait);
    sleep_(
        std::min(wait, std::chrono::duration_cast<std::chrono::milliseconds>(give_up - clock_()) +
                           std::chrono::milliseconds(1)));
  }
  return absl::OkStatus();
}

}  // namespace leadflow::security
