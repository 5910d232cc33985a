// The Kafka connection of leadflowctl's commands that talk to Kafka (check, topics, config): the
// same LEADFLOW_KAFKA_* variables the services pass through to librdkafka, so a Kubernetes Job
// reaches a secured cluster with the services' settings, plus --bootstrap and --kafka-property.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "services/common/kafka/properties.h"

namespace leadflow::ctl {

// Adds "KEY=VALUE", the value of option `flag`, to `out`; InvalidArgument naming the flag when
// the text is not KEY=VALUE.
absl::Status AddKeyValue(const std::string& flag, const std::string& arg,
                         std::map<std::string, std::string>* out);

// librdkafka properties from, in rising precedence: the LEADFLOW_KAFKA_<PROPERTY> entries of
// `env` (LEADFLOW_KAFKA_SASL_PASSWORD -> sasl.password; LEADFLOW_KAFKA_BOOTSTRAP_SERVERS is
// --bootstrap's default and not read here), `bootstrap`, and every KEY=VALUE of `property_args`.
absl::StatusOr<kafka::Properties> KafkaConnection(const std::string& bootstrap,
                                                  const std::vector<std::string>& property_args,
                                                  const std::map<std::string, std::string>& env);

}  // namespace leadflow::ctl
