// librdkafka configuration from plain key/value properties (the `kafka.*` settings pass straight
// through), with errors that name the property, and librdkafka error codes mapped to absl::Status.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace RdKafka {
class Conf;
}  // namespace RdKafka

namespace leadflow::kafka {

using Properties = std::map<std::string, std::string>;

// Returns `base` with `overrides` applied on top (overrides win).
Properties Merge(Properties base, const Properties& overrides);

// Builds a global librdkafka config. An unknown property or invalid value fails with
// InvalidArgument "kafka property 'linger.ms'='x': <librdkafka's reason>".
absl::StatusOr<std::unique_ptr<RdKafka::Conf>> MakeConf(const Properties& properties);

// Maps a librdkafka error code (RdKafka::ErrorCode as int) to a status with `context` in front.
absl::Status FromKafkaError(int code, std::string_view context, std::string_view detail = {});

// True for properties whose values are secrets (never logged).
bool IsSecretProperty(std::string_view name);

// A known problem of this librdkafka with these properties, for a warning at start, or "" when
// there is none. Today: SASL SCRAM with librdkafka older than 2.6.1 fails against Kafka 4.x
// brokers ("invalid credentials"; librdkafka #4895) — Debian bookworm ships 2.0.2.
std::string KnownClientIssue(const Properties& properties, int librdkafka_version);

}  // namespace leadflow::kafka
