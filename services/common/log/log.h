// Structured logging: a message plus key=value fields, written as text or JSON lines to stderr.
// Log lines never carry personal data (emails, names, phone numbers): log lead ids, not people.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>
#include <variant>

#include "absl/status/statusor.h"

namespace spdlog {
class logger;
}

namespace leadflow::log {

enum class Level { kTrace, kDebug, kInfo, kWarn, kError };
enum class Format { kText, kJson };

// One structured field. Values keep their type so JSON output stays typed.
struct Field {
  Field(std::string_view k, std::string_view v) : key(k), value(std::string(v)) {}
  Field(std::string_view k, const char* v) : key(k), value(std::string(v)) {}
  Field(std::string_view k, const std::string& v) : key(k), value(v) {}
  Field(std::string_view k, bool v) : key(k), value(v) {}
  Field(std::string_view k, double v) : key(k), value(v) {}
  template <typename T>
  requires std::is_integral_v<T> Field(std::string_view k, T v)
      : key(k), value(static_cast<int64_t>(v)) {}

  std::string_view key;
  std::variant<std::string, int64_t, double, bool> value;
};

absl::StatusOr<Level> ParseLevel(std::string_view text);
absl::StatusOr<Format> ParseFormat(std::string_view text);

// Renders one line (no trailing newline). Exposed for tests and for sinks other than stderr.
std::string FormatLine(Format format, std::string_view timestamp, Level level,
                       std::string_view service, std::string_view message,
                       std::initializer_list<Field> fields);

// Process-wide logging setup; call once from main() before threads start.
void Init(std::string_view service, Level level, Format format);

// Redirects output to `logger` (tests capture lines with an ostream sink). Pass nullptr to restore.
void SetLoggerForTesting(std::shared_ptr<spdlog::logger> logger);

bool Enabled(Level level);
void Write(Level level, std::string_view message, std::initializer_list<Field> fields = {});

inline void Debug(std::string_view m, std::initializer_list<Field> f = {}) {
  if (Enabled(Level::kDebug)) Write(Level::kDebug, m, f);
}
inline void Info(std::string_view m, std::initializer_list<Field> f = {}) {
  Write(Level::kInfo, m, f);
}
inline void Warn(std::string_view m, std::initializer_list<Field> f = {}) {
  Write(Level::kWarn, m, f);
}
inline void Error(std::string_view m, std::initializer_list<Field> f = {}) {
  Write(Level::kError, m, f);
}

}  // namespace leadflow::log
