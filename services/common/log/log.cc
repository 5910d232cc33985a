// Structured logging on top of spdlog: leadflow renders the line, spdlog writes it thread-safely.
#include "services/common/log/log.h"

#include <atomic>
#include <chrono>
#include <mutex>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "nlohmann/json.hpp"
#include "services/common/base/strings.h"
#include "spdlog/sinks/stdout_sinks.h"
#include "spdlog/spdlog.h"

namespace leadflow::log {
namespace {

struct State {
  std::mutex mu;
  std::string service = "leadflow";
  Format format = Format::kText;
  std::shared_ptr<spdlog::logger> logger;
};

State& GlobalState() {
  static State* state = [] {
    auto* s = new State();  // leaked on purpose: logging must outlive static destructors
    s->logger = spdlog::stderr_logger_mt("leadflow");
    s->logger->set_pattern("%v");
    s->logger->set_level(spdlog::level::trace);
    return s;
  }();
  return *state;
}

std::atomic<int> g_min_level{static_cast<int>(Level::kInfo)};

std::string_view LevelName(Level level) {
  switch (level) {
    case Level::kTrace:
      return "trace";
    case Level::kDebug:
      return "debug";
    case Level::kInfo:
      return "info";
    case Level::kWarn:
      return "warn";
    case Level::kError:
      return "error";
  }
  return "info";
}

// Text values with spaces, quotes or '=' are quoted so a line stays machine-splittable.
std::string TextValue(const std::string& v) {
  const bool plain = !v.empty() && v.find_first_of(" \t\n\"=") == std::string::npos;
  if (plain) return v;
  std::string out = "\"";
  for (char c : v) {
    if (c == '"' || c == '\\') out.push_back('\\');
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out.push_back(c);
  }
  out.push_back('"');
  return out;
}

}  // namespace

absl::StatusOr<Level> ParseLevel(std::string_view text) {
  const std::string lower = leadflow::AsciiStrToLower(text);
  if (lower == "trace") return Level::kTrace;
  if (lower == "debug") return Level::kDebug;
  if (lower == "info") return Level::kInfo;
  if (lower == "warn" || lower == "warning") return Level::kWarn;
  if (lower == "error") return Level::kError;
  return absl::InvalidArgumentError(
      leadflow::StrCat("log level '", text, "': expected trace, debug, info, warn or error"));
}

absl::StatusOr<Format> ParseFormat(std::string_view text) {
  const std::string lower = leadflow::AsciiStrToLower(text);
  if (lower == "text") return Format::kText;
  if (lower == "json") return Format::kJson;
  return absl::InvalidArgumentError(
      leadflow::StrCat("log format '", text, "': expected text or json"));
}

std::string FormatLine(Format format, std::string_view timestamp, Level level,
                       std::string_view service, std::string_view message,
                       std::initializer_list<Field> fields) {
  if (format == Format::kJson) {
    nlohmann::ordered_json line;
    line["ts"] = timestamp;
    line["level"] = LevelName(level);
    line["service"] = service;
    line["msg"] = message;
    for (const Field& f : fields) {
      std::visit([&](const auto& v) { line[std::string(f.key)] = v; }, f.value);
    }
    // Replace invalid UTF-8 instead of throwing: a log line must never take the process down.
    return line.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
  }
  std::string out = leadflow::StrCat(timestamp, " ", leadflow::AsciiStrToUpper(LevelName(level)),
                                     " [", service, "] ", message);
  for (const Field& f : fields) {
    leadflow::StrAppend(&out, " ", f.key, "=");
    std::visit(
        [&](const auto& v) {
          using T = std::decay_t<decltype(v)>;
          if constexpr (std::is_same_v<T, std::string>) {
            leadflow::StrAppend(&out, TextValue(v));
          } else if constexpr (std::is_same_v<T, bool>) {
            leadflow::StrAppend(&out, v ? "true" : "false");
          } else {
            leadflow::StrAppend(&out, v);
          }
        },
        f.value);
  }
  return out;
}

void Init(std::string_view service, Level level, Format format) {
  State& state = GlobalState();
  std::lock_guard<std::mutex> lock(state.mu);
  state.service = std::string(service);
  state.format = format;
  g_min_level.store(static_cast<int>(level), std::memory_order_relaxed);
}

void SetLoggerForTesting(std::shared_ptr<spdlog::logger> logger) {
  State& state = GlobalState();
  std::lock_guard<std::mutex> lock(state.mu);
  if (logger == nullptr) {
    logger = spdlog::get("leadflow");
  }
  logger->set_pattern("%v");
  state.logger = std::move(logger);
}

bool Enabled(Level level) {
  return static_cast<int>(level) >= g_min_level.load(std::memory_order_relaxed);
}

void Write(Level level, std::string_view message, std::initializer_list<Field> fields) {
  if (!Enabled(level)) return;
  State& state = GlobalState();
  const std::string ts = absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::Now(), absl::UTCTimeZone());
  std::shared_ptr<spdlog::logger> logger;
  std::string line;
  {
    std::lock_guard<std::mutex> lock(state.mu);
    logger = state.logger;
    line = FormatLine(state.format, ts, level, state.service, message, fields);
  }
  logger->info(line);
  if (level >= Level::kWarn) logger->flush();
}

}  // namespace leadflow::log
