#include "tools/leadflowctl/kafka_connection.h"

#include "services/common/base/strings.h"
#include "services/common/config/settings.h"

namespace leadflow::ctl {

absl::Status AddKeyValue(const std::string& flag, const std::string& arg,
                         std::map<std::string, std::string>* out) {
  const size_t eq = arg.find('=');
  if (eq == std::string::npos || eq == 0) {
    return absl::InvalidArgumentError(StrCat(flag, " '", arg, "': expected KEY=VALUE"));
  }
  (*out)[arg.substr(0, eq)] = arg.substr(eq + 1);
  return absl::OkStatus();
}

absl::StatusOr<kafka::Properties> KafkaConnection(const std::string& bootstrap,
                                                  const std::vector<std::string>& property_args,
                                                  const std::map<std::string, std::string>& env) {
  // The services' settings loader does the mapping (one rule for both): a schema with no settings
  // of its own and the kafka.* pass-through, fed only the Kafka variables.
  config::SettingsInputs inputs;
  for (const auto& [name, value] : env) {
    if (StartsWith(name, "LEADFLOW_KAFKA_") && name != "LEADFLOW_KAFKA_BOOTSTRAP_SERVERS") {
      inputs.env.emplace(name, value);
    }
  }
  auto settings = config::Settings::Load({"leadflowctl", {}, {"kafka."}}, inputs);
  if (!settings.ok()) return settings.status();
  kafka::Properties properties = settings->WithPrefix("kafka.");
  properties["bootstrap.servers"] = bootstrap;
  for (const std::string& arg : property_args) {
    if (absl::Status s = AddKeyValue("--kafka-property", arg, &properties); !s.ok()) return s;
  }
  return properties;
}

}  // namespace leadflow::ctl
