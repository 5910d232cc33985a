// Settings resolution: defaults < YAML file < LEADFLOW_* environment < --flags.
#include "services/common/config/settings.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdlib>
#include <optional>

#include "services/common/base/status_macros.h"
#include "services/common/base/strings.h"
#include "services/common/config/yaml_file.h"

extern char** environ;  // NOLINT: POSIX

namespace leadflow::config {
namespace {

constexpr std::string_view kEnvPrefix = "LEADFLOW_";
constexpr std::string_view kConfigFlag = "config";
constexpr std::string_view kConfigEnv = "LEADFLOW_CONFIG";

std::string TypeName(SettingType type) {
  switch (type) {
    case SettingType::kString:
      return "string";
    case SettingType::kInt:
      return "integer";
    case SettingType::kBool:
      return "boolean";
    case SettingType::kDuration:
      return "duration";
  }
  return "?";
}

std::string OriginText(const Origin& origin) {
  switch (origin.kind) {
    case Origin::Kind::kDefault:
      return "default";
    case Origin::Kind::kFile:
      return origin.where;
    case Origin::Kind::kEnv:
      return leadflow::StrCat("environment variable ", origin.where);
    case Origin::Kind::kFlag:
      return leadflow::StrCat("flag ", origin.where);
  }
  return origin.where;
}

// Levenshtein distance, to suggest the setting a typo probably meant.
size_t EditDistance(std::string_view a, std::string_view b) {
  std::vector<size_t> prev(b.size() + 1);
  std::vector<size_t> cur(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t subst = prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, subst});
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

std::string Suggestion(std::string_view name, const SettingsSchema& schema) {
  std::string best;
  size_t best_distance = 3;  // suggest only near misses
  for (const SettingSpec& spec : schema.settings) {
    const size_t d = EditDistance(name, spec.name);
    if (d < best_distance) {
      best_distance = d;
      best = spec.name;
    }
  }
  return best.empty() ? "" : leadflow::StrCat(" (did you mean '", best, "'?)");
}

bool IsPassthrough(std::string_view name, const SettingsSchema& schema) {
  return std::any_of(schema.passthrough_prefixes.begin(), schema.passthrough_prefixes.end(),
                     [&](const std::string& prefix) {
                       return leadflow::StartsWith(name, prefix) && name.size() > prefix.size();
                     });
}

const SettingSpec* FindSpec(std::string_view name, const SettingsSchema& schema) {
  for (const SettingSpec& spec : schema.settings) {
    if (spec.name == name) return &spec;
  }
  return nullptr;
}

// A raw (unvalidated) value and where it came from.
struct RawValue {
  std::string text;
  Origin origin;
};

absl::Status UnknownSetting(std::string_view name, const Origin& origin,
                            const SettingsSchema& schema) {
  return absl::InvalidArgumentError(leadflow::StrCat(OriginText(origin), ": unknown setting '",
                                                     name, "'", Suggestion(name, schema)));
}

// Flattens a YAML mapping into dotted names: {grpc: {port: 1}} -> "grpc.port" = "1".
absl::Status FlattenYaml(const YAML::Node& node, const std::string& prefix, const std::string& path,
                         std::vector<std::pair<std::string, RawValue>>* out) {
  if (!node.IsMap()) {
    return absl::InvalidArgumentError(
        leadflow::StrCat(Where(path, node), ": expected a mapping of settings",
                         prefix.empty() ? "" : leadflow::StrCat(" under '", prefix, "'")));
  }
  for (const auto& item : node) {
    if (!item.first.IsScalar()) {
      return absl::InvalidArgumentError(
          leadflow::StrCat(Where(path, item.first), ": setting names must be plain strings"));
    }
    const std::string key =
        prefix.empty() ? item.first.Scalar() : leadflow::StrCat(prefix, ".", item.first.Scalar());
    const YAML::Node& value = item.second;
    if (value.IsMap()) {
      LF_RETURN_IF_ERROR(FlattenYaml(value, key, path, out));
    } else if (value.IsScalar() || value.IsNull()) {
      out->emplace_back(key, RawValue{value.IsNull() ? "" : value.Scalar(),
                                      Origin{Origin::Kind::kFile, Where(path, value)}});
    } else {
      return absl::InvalidArgumentError(leadflow::StrCat(Where(path, value), ": field '", key,
                                                         "': expected a single value, not a list"));
    }
  }
  return absl::OkStatus();
}

// Maps an environment variable to a setting name, or nullopt when it names none.
std::optional<std::string> SettingForEnv(const std::string& var, const SettingsSchema& schema) {
  if (!leadflow::StartsWith(var, kEnvPrefix) || var == kConfigEnv) return std::nullopt;
  for (const SettingSpec& spec : schema.settings) {
    if (EnvVarFor(spec.name) == var) return spec.name;
  }
  // Pass-through: LEADFLOW_KAFKA_LINGER_MS -> kafka.linger.ms (librdkafka names use dots only).
  std::string name = leadflow::AsciiStrToLower(var.substr(kEnvPrefix.size()));
  std::replace(name.begin(), name.end(), '_', '.');
  if (IsPassthrough(name, schema)) return name;
  return std::nullopt;
}

absl::StatusOr<bool> ParseBool(std::string_view text) {
  const std::string lower = leadflow::AsciiStrToLower(text);
  if (lower == "true" || lower == "yes" || lower == "on" || lower == "1") return true;
  if (lower == "false" || lower == "no" || lower == "off" || lower == "0") return false;
  return absl::InvalidArgumentError("expected a boolean (true/false)");
}

absl::StatusOr<int64_t> ParseInt(std::string_view text) {
  int64_t value = 0;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (text.empty() || ec != std::errc() || ptr != end) {
    return absl::InvalidArgumentError("expected an integer");
  }
  return value;
}

}  // namespace

std::string EnvVarFor(std::string_view setting_name) {
  std::string var = leadflow::StrCat(kEnvPrefix, leadflow::AsciiStrToUpper(setting_name));
  std::replace(var.begin(), var.end(), '.', '_');
  std::replace(var.begin(), var.end(), '-', '_');
  return var;
}

absl::StatusOr<std::chrono::milliseconds> ParseDuration(std::string_view text) {
  size_t split = 0;
  while (split < text.size() && std::isdigit(static_cast<unsigned char>(text[split]))) ++split;
  if (split == 0) {
    return absl::InvalidArgumentError("expected a duration such as 250ms, 5s, 2m, 1h");
  }
  LF_ASSIGN_OR_RETURN(const int64_t count, ParseInt(text.substr(0, split)));
  const std::string_view unit = text.substr(split);
  int64_t factor = 0;
  if (unit.empty() || unit == "ms") {
    factor = 1;
  } else if (unit == "s") {
    factor = 1000;
  } else if (unit == "m") {
    factor = 60 * 1000;
  } else if (unit == "h") {
    factor = 3600 * 1000;
  } else if (unit == "d") {
    factor = 24 * 3600 * 1000;
  } else {
    return absl::InvalidArgumentError(
        leadflow::StrCat("unknown duration unit '", unit, "' (use ms, s, m, h or d)"));
  }
  if (count > INT64_MAX / factor) return absl::InvalidArgumentError("duration too large");
  return std::chrono::milliseconds(count * factor);
}

SettingsInputs InputsFromProcess(int argc, const char* const* argv) {
  SettingsInputs inputs;
  for (int i = 1; i < argc; ++i) inputs.args.emplace_back(argv[i]);
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    std::string_view entry(*e);
    const size_t eq = entry.find('=');
    if (eq == std::string_view::npos || !leadflow::StartsWith(entry, kEnvPrefix)) continue;
    inputs.env.emplace(std::string(entry.substr(0, eq)), std::string(entry.substr(eq + 1)));
  }
  return inputs;
}

bool WantsHelp(const std::vector<std::string>& args) {
  return std::any_of(args.begin(), args.end(),
                     [](const std::string& a) { return a == "--help" || a == "-h"; });
}

absl::StatusOr<Settings> Settings::Load(const SettingsSchema& schema,
                                        const SettingsInputs& inputs) {
  // 1. Flags are parsed first only to learn --config; they are applied last (highest precedence).
  std::vector<std::pair<std::string, RawValue>> flags;
  std::optional<std::string> config_path;
  for (size_t i = 0; i < inputs.args.size(); ++i) {
    const std::string& arg = inputs.args[i];
    if (!leadflow::StartsWith(arg, "--") || arg.size() == 2) {
      return absl::InvalidArgumentError(
          leadflow::StrCat("argument '", arg, "': expected --setting=value (see --help)"));
    }
    std::string name = arg.substr(2);
    std::optional<std::string> value;
    if (const size_t eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name.resize(eq);
    }
    const SettingSpec* spec = FindSpec(name, schema);
    if (!value.has_value()) {
      if (spec != nullptr && spec->type == SettingType::kBool) {
        value = "true";  // a bare boolean flag switches it on
      } else if (i + 1 < inputs.args.size()) {
        value = inputs.args[++i];
      } else {
        return absl::InvalidArgumentError(leadflow::StrCat("flag --", name, ": missing value"));
      }
    }
    if (name == kConfigFlag) {
      config_path = *value;
      continue;
    }
    flags.emplace_back(name, RawValue{*value, Origin{Origin::Kind::kFlag, "--" + name}});
  }
  if (!config_path.has_value()) {
    if (auto it = inputs.env.find(std::string(kConfigEnv)); it != inputs.env.end()) {
      config_path = it->second;
    }
  }

  // 2. Collect the layers in rising precedence.
  std::vector<std::pair<std::string, RawValue>> layers;
  std::vector<std::string> unknown_env;
  for (const SettingSpec& spec : schema.settings) {
    layers.emplace_back(spec.name, RawValue{spec.default_value, Origin{}});
  }
  if (config_path.has_value() && !config_path->empty()) {
    LF_ASSIGN_OR_RETURN(YAML::Node root, LoadYamlFile(*config_path));
    if (!root.IsNull()) {
      LF_RETURN_IF_ERROR(FlattenYaml(root, "", *config_path, &layers));
    }
  }
  for (const auto& [var, text] : inputs.env) {
    if (auto name = SettingForEnv(var, schema); name.has_value()) {
      layers.emplace_back(*name, RawValue{text, Origin{Origin::Kind::kEnv, var}});
    } else if (leadflow::StartsWith(var, kEnvPrefix) && var != kConfigEnv) {
      // Not an error: scripts and tests export LEADFLOW_* variables meant for other programs. A
      // typo still shows, as a warning the binary logs at startup.
      unknown_env.push_back(var);
    }
  }
  for (auto& flag : flags) layers.push_back(std::move(flag));

  // 3. Validate each value where it came from, so the error points at the right place.
  Settings settings;
  for (const std::string& var : unknown_env) {
    settings.warnings_.push_back(
        leadflow::StrCat("environment variable ", var, " names no setting of ", schema.program));
  }
  for (auto& [name, raw] : layers) {
    const SettingSpec* spec = FindSpec(name, schema);
    if (spec == nullptr && !IsPassthrough(name, schema)) {
      return UnknownSetting(name, raw.origin, schema);
    }
    Entry entry;
    entry.type = spec == nullptr ? SettingType::kString : spec->type;
    entry.text = raw.text;
    entry.origin = raw.origin;
    // (By pointer: clang 14, the fuzz build's compiler, cannot capture structured bindings.)
    auto fail = [&, setting = &name, value = &raw](std::string_view why) {
      return absl::InvalidArgumentError(leadflow::StrCat(OriginText(value->origin), ": setting '",
                                                         *setting, "': ", why, ", got '",
                                                         value->text, "'"));
    };
    if (spec != nullptr && !raw.text.empty()) {
      switch (spec->type) {
        case SettingType::kString:
          break;
        case SettingType::kInt: {
          auto v = ParseInt(raw.text);
          if (!v.ok()) return fail(std::string(v.status().message()));
          if (*v < spec->min || *v > spec->max) {
            return fail(leadflow::StrCat("must be in [", spec->min, ", ", spec->max, "]"));
          }
          entry.int_value = *v;
          break;
        }
        case SettingType::kBool: {
          auto v = ParseBool(raw.text);
          if (!v.ok()) return fail(std::string(v.status().message()));
          entry.bool_value = *v;
          break;
        }
        case SettingType::kDuration: {
          auto v = ParseDuration(raw.text);
          if (!v.ok()) return fail(std::string(v.status().message()));
          entry.duration_value = *v;
          break;
        }
      }
    }
    settings.entries_.insert_or_assign(name, std::move(entry));
  }
  for (const SettingSpec& spec : schema.settings) {
    const Entry& entry = settings.entries_.find(spec.name)->second;
    if (spec.required && entry.text.empty()) {
      return absl::InvalidArgumentError(leadflow::StrCat(
          "setting '", spec.name, "' is required: set it in the config file, with ",
          EnvVarFor(spec.name), " or with --", spec.name));
    }
    if (entry.text.empty() && spec.type != SettingType::kString) {
      return absl::InvalidArgumentError(
          leadflow::StrCat("setting '", spec.name, "' (", TypeName(spec.type), ") has no value"));
    }
  }
  return settings;
}

const Settings::Entry& Settings::Find(std::string_view name, SettingType type) const {
  auto it = entries_.find(name);
  LF_CHECK(it != entries_.end(), "read of an undeclared setting");
  LF_CHECK(it->second.type == type, "setting read with the wrong type");
  return it->second;
}

const std::string& Settings::GetString(std::string_view name) const {
  return Find(name, SettingType::kString).text;
}
int64_t Settings::GetInt(std::string_view name) const {
  return Find(name, SettingType::kInt).int_value;
}
bool Settings::GetBool(std::string_view name) const {
  return Find(name, SettingType::kBool).bool_value;
}
std::chrono::milliseconds Settings::GetDuration(std::string_view name) const {
  return Find(name, SettingType::kDuration).duration_value;
}

std::map<std::string, std::string> Settings::WithPrefix(std::string_view prefix) const {
  std::map<std::string, std::string> out;
  for (const auto& [name, entry] : entries_) {
    if (leadflow::StartsWith(name, prefix) && name.size() > prefix.size()) {
      out.emplace(name.substr(prefix.size()), entry.text);
    }
  }
  return out;
}

const Origin& Settings::OriginOf(std::string_view name) const {
  auto it = entries_.find(name);
  LF_CHECK(it != entries_.end(), "origin of an undeclared setting");
  return it->second.origin;
}

std::string Settings::Describe() const {
  std::string out;
  for (const auto& [name, entry] : entries_) {
    // Secrets pass through kafka.* (sasl.password, ssl.key.password): never print their values.
    const bool secret = leadflow::StrContains(name, "password") ||
                        leadflow::StrContains(name, "secret") ||
                        leadflow::StrContains(name, "token");
    leadflow::StrAppend(&out, name, " = ", secret ? "<redacted>" : entry.text, "  (",
                        OriginText(entry.origin), ")\n");
  }
  return out;
}

std::string Settings::Help(const SettingsSchema& schema) {
  std::string out = leadflow::StrCat(
      "usage: ", schema.program, " [--config=FILE.yaml] [--setting=value ...]\n\n",
      "Each setting can also be given in the YAML file (nested by its dots) or as an environment\n"
      "variable (LEADFLOW_ + name in upper case, '.' as '_'). Flags win over the environment,\n"
      "which wins over the file, which wins over the default.\n\nsettings:\n");
  for (const SettingSpec& spec : schema.settings) {
    leadflow::StrAppend(
        &out, "  --", spec.name, " (", TypeName(spec.type), ", ", EnvVarFor(spec.name),
        spec.default_value.empty() ? "" : leadflow::StrCat(", default ", spec.default_value),
        spec.required ? ", required" : "", ")\n      ", spec.help, "\n");
  }
  for (const std::string& prefix : schema.passthrough_prefixes) {
    leadflow::StrAppend(&out, "  --", prefix, "*  passed through verbatim (e.g. --", prefix,
                        "linger.ms=5 or ", EnvVarFor(prefix + "linger.ms"), "=5)\n");
  }
  return out;
}

}  // namespace leadflow::config
