// Small helpers shared by the benchmarks.
#pragma once

#include <algorithm>
#include <vector>

namespace leadflow::bench {

// The q-quantile (0..1) of `v` by the nearest-rank method; 0 for an empty sample.
inline double Percentile(std::vector<double> v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(q * static_cast<double>(v.size())))];
}

}  // namespace leadflow::bench
