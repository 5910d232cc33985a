// String helpers over std::string_view. Debian's Abseil is built with its own absl::string_view
// (not std::string_view), so absl's string functions do not accept ours; these do, via fmt.
#pragma once

#include <algorithm>
#include <cctype>
#include <iterator>
#include <string>
#include <string_view>

#include "absl/strings/string_view.h"
#include "fmt/format.h"

#if !defined(ABSL_USES_STD_STRING_VIEW)
// Lets StrCat take absl::string_view (e.g. absl::Status::message()) where Abseil has its own type.
template <>
struct fmt::formatter<absl::string_view> : fmt::formatter<fmt::string_view> {
  auto format(absl::string_view s, fmt::format_context& ctx) const {
    return fmt::formatter<fmt::string_view>::format(fmt::string_view(s.data(), s.size()), ctx);
  }
};
#endif

namespace leadflow {

// Concatenates strings, string_views, characters and numbers (numbers in their shortest form).
template <typename... Args>
std::string StrCat(const Args&... args) {
  std::string out;
  (fmt::format_to(std::back_inserter(out), "{}", args), ...);
  return out;
}

template <typename... Args>
void StrAppend(std::string* out, const Args&... args) {
  (fmt::format_to(std::back_inserter(*out), "{}", args), ...);
}

// absl::Status::message() as a std::string_view.
inline std::string_view ToStd(absl::string_view s) { return {s.data(), s.size()}; }

inline bool StartsWith(std::string_view text, std::string_view prefix) {
  return text.starts_with(prefix);
}

inline bool StrContains(std::string_view text, std::string_view needle) {
  return text.find(needle) != std::string_view::npos;
}

inline std::string AsciiStrToLower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

inline std::string AsciiStrToUpper(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return out;
}

}  // namespace leadflow
