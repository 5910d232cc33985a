// How leadflow writes numbers and enum values in explanations (score reasons, gate results,
// ExplainIcp, comp annotations): one place, so every text says "grade A", "demo request", "72.5".
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <string_view>

#include "leadflow/v1/common.pb.h"
#include "services/common/base/strings.h"

namespace leadflow {

// Integers plainly ("25"), others with `decimals` decimals ("72.5").
inline std::string FormatNumber(double v, int decimals) {
  char buf[40];
  if (v == std::floor(v) && std::fabs(v) < 1e15) {
    std::snprintf(buf, sizeof(buf), "%.0f", v);
  } else {
    std::snprintf(buf, sizeof(buf), "%.*f", decimals, v);
  }
  return buf;
}

// An enum value name in words: ("ENGAGEMENT_TYPE_DEMO_REQUEST", "ENGAGEMENT_TYPE_") → "demo
// request".
inline std::string EnumWords(std::string_view name, std::string_view prefix) {
  std::string out = AsciiStrToLower(name.substr(std::min(prefix.size(), name.size())));
  std::replace(out.begin(), out.end(), '_', ' ');
  return out;
}

// "A" … "D"; "-" when not graded.
inline std::string GradeLetter(v1::FitGrade g) {
  return g == v1::FIT_GRADE_UNSPECIFIED ? "-" : v1::FitGrade_Name(g).substr(10);
}

}  // namespace leadflow
