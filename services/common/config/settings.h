// Service settings: one declared schema, read from defaults, a YAML file, environment variables and
// command-line flags (in rising precedence), validated at load with errors that say where a bad
// value came from (file:line, env var or flag) and which setting it is.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace leadflow::config {

enum class SettingType { kString, kInt, kBool, kDuration };

// One declared setting. `name` is dotted and lower case ("grpc.port"); its environment variable is
// LEADFLOW_ + the name upper-cased with '.' and '-' as '_' (LEADFLOW_GRPC_PORT); its flag is
// --name.
struct SettingSpec {
  std::string name;
  SettingType type = SettingType::kString;
  std::string default_value;  // as it would be written in YAML; empty string = no default
  std::string help;
  int64_t min = INT64_MIN;  // kInt only
  int64_t max = INT64_MAX;  // kInt only
  bool required = false;    // a non-empty value must come from somewhere
};

// The schema a binary accepts: declared settings plus pass-through prefixes (e.g. "kafka.") whose
// keys are accepted as strings and handed on verbatim (kafka.* goes to librdkafka).
struct SettingsSchema {
  std::string program;  // for --help
  std::vector<SettingSpec> settings;
  std::vector<std::string> passthrough_prefixes;
};

// Where a value came from, for error messages and `--print-config`.
struct Origin {
  enum class Kind { kDefault, kFile, kEnv, kFlag };
  Kind kind = Kind::kDefault;
  std::string where;  // "leadflow.yaml:12:3", "LEADFLOW_GRPC_PORT", "--grpc.port", "default"
};

// What Load reads. Tests pass these explicitly; main() passes argv and the process environment.
struct SettingsInputs {
  std::vector<std::string> args;           // without argv[0]
  std::map<std::string, std::string> env;  // only LEADFLOW_* entries matter
};

// Builds SettingsInputs from main()'s arguments and the real environment.
SettingsInputs InputsFromProcess(int argc, const char* const* argv);

// True when the arguments ask for --help / -h.
bool WantsHelp(const std::vector<std::string>& args);

class Settings {
 public:
  // Resolves every declared setting. The YAML file is --config=PATH or LEADFLOW_CONFIG, when given.
  // Fails with InvalidArgument naming the origin and the setting for: unknown keys, values of the
  // wrong type or out of range, missing required values, malformed flags or YAML.
  static absl::StatusOr<Settings> Load(const SettingsSchema& schema, const SettingsInputs& inputs);

  // Typed reads of declared settings. Values were validated at Load, so these cannot fail; asking
  // for an undeclared name or the wrong type is a programming error and aborts.
  const std::string& GetString(std::string_view name) const;
  int64_t GetInt(std::string_view name) const;
  bool GetBool(std::string_view name) const;
  std::chrono::milliseconds GetDuration(std::string_view name) const;

  // Every pass-through key under `prefix`, with the prefix stripped ("kafka.linger.ms" ->
  // "linger.ms").
  std::map<std::string, std::string> WithPrefix(std::string_view prefix) const;

  const Origin& OriginOf(std::string_view name) const;

  // A "name = value  (origin)" listing, one per line, for startup logs.
  std::string Describe() const;

  // Non-fatal findings of Load (e.g. LEADFLOW_* variables that name no setting), for the startup
  // log.
  const std::vector<std::string>& warnings() const { return warnings_; }

  // Human help text for --help, generated from the schema.
  static std::string Help(const SettingsSchema& schema);

 private:
  struct Entry {
    SettingType type = SettingType::kString;
    std::string text;
    Origin origin;
    int64_t int_value = 0;
    bool bool_value = false;
    std::chrono::milliseconds duration_value{0};
  };
  const Entry& Find(std::string_view name, SettingType type) const;

  std::map<std::string, Entry, std::less<>> entries_;
  std::vector<std::string> warnings_;
};

// Parses "250ms", "5s", "2m", "1h", "1d" (and a bare integer as milliseconds).
absl::StatusOr<std::chrono::milliseconds> ParseDuration(std::string_view text);

// The environment variable that carries a setting: "grpc.port" -> "LEADFLOW_GRPC_PORT".
std::string EnvVarFor(std::string_view setting_name);

}  // namespace leadflow::config
