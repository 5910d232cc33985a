// librdkafka configuration and error mapping.
#include "services/common/kafka/properties.h"

#include "librdkafka/rdkafkacpp.h"
#include "services/common/base/strings.h"

namespace leadflow::kafka {

Properties Merge(Properties base, const Properties& overrides) {
  for (const auto& [k, v] : overrides) base.insert_or_assign(k, v);
  return base;
}

bool IsSecretProperty(std::string_view name) {
  return leadflow::StrContains(name, "password") || leadflow::StrContains(name, "secret") ||
         leadflow::StrContains(name, "sasl.oauthbearer.config") ||
         leadflow::StrContains(name, "ssl.key.pem") || leadflow::StrContains(name, "ssl.keystore");
}

absl::StatusOr<std::unique_ptr<RdKafka::Conf>> MakeConf(const Properties& properties) {
  std::unique_ptr<RdKafka::Conf> conf(RdKafka::Conf::create(RdKafka::Conf::CONF_GLOBAL));
  for (const auto& [name, value] : properties) {
    std::string errstr;
    if (conf->set(name, value, errstr) != RdKafka::Conf::CONF_OK) {
      return absl::InvalidArgumentError(
          leadflow::StrCat("kafka property '", name, "'='",
                           IsSecretProperty(name) ? "<redacted>" : value, "': ", errstr));
    }
  }
  return conf;
}

absl::Status FromKafkaError(int code, std::string_view context, std::string_view detail) {
  const auto err = static_cast<RdKafka::ErrorCode>(code);
  if (err == RdKafka::ERR_NO_ERROR) return absl::OkStatus();
  const std::string msg =
      leadflow::StrCat(context, ": ", RdKafka::err2str(err), detail.empty() ? "" : " (", detail,
                       detail.empty() ? "" : ")");
  switch (err) {
    case RdKafka::ERR__QUEUE_FULL:
      return absl::ResourceExhaustedError(msg);
    case RdKafka::ERR__TIMED_OUT:
    case RdKafka::ERR__MSG_TIMED_OUT:
    case RdKafka::ERR_REQUEST_TIMED_OUT:
      return absl::DeadlineExceededError(msg);
    case RdKafka::ERR__TRANSPORT:
    case RdKafka::ERR__ALL_BROKERS_DOWN:
    case RdKafka::ERR__RESOLVE:
    case RdKafka::ERR_BROKER_NOT_AVAILABLE:
    case RdKafka::ERR_LEADER_NOT_AVAILABLE:
    case RdKafka::ERR_NOT_LEADER_FOR_PARTITION:
    case RdKafka::ERR_NOT_ENOUGH_REPLICAS:
    case RdKafka::ERR_NOT_ENOUGH_REPLICAS_AFTER_APPEND:
    case RdKafka::ERR_COORDINATOR_NOT_AVAILABLE:
    case RdKafka::ERR_NOT_COORDINATOR:
      return absl::UnavailableError(msg);
    case RdKafka::ERR__UNKNOWN_TOPIC:
    case RdKafka::ERR_UNKNOWN_TOPIC_OR_PART:
    case RdKafka::ERR__UNKNOWN_PARTITION:
      return absl::NotFoundError(msg);
    case RdKafka::ERR_TOPIC_ALREADY_EXISTS:
      return absl::AlreadyExistsError(msg);
    case RdKafka::ERR_MSG_SIZE_TOO_LARGE:
    case RdKafka::ERR__INVALID_ARG:
    case RdKafka::ERR_INVALID_CONFIG:
    case RdKafka::ERR_INVALID_PARTITIONS:
    case RdKafka::ERR_INVALID_REPLICATION_FACTOR:
    case RdKafka::ERR_TOPIC_EXCEPTION:
      return absl::InvalidArgumentError(msg);
    case RdKafka::ERR_TOPIC_AUTHORIZATION_FAILED:
    case RdKafka::ERR_GROUP_AUTHORIZATION_FAILED:
    case RdKafka::ERR_CLUSTER_AUTHORIZATION_FAILED:
    case RdKafka::ERR_TRANSACTIONAL_ID_AUTHORIZATION_FAILED:
    case RdKafka::ERR__AUTHENTICATION:
      return absl::PermissionDeniedError(msg);
    case RdKafka::ERR__FENCED:
    case RdKafka::ERR_PRODUCER_FENCED:
    case RdKafka::ERR_INVALID_PRODUCER_EPOCH:
      return absl::AbortedError(msg);
    default:
      return absl::InternalError(msg);
  }
}

std::string KnownClientIssue(const Properties& properties, int librdkafka_version) {
  auto it = properties.find("sasl.mechanisms");
  if (it == properties.end()) it = properties.find("sasl.mechanism");
  constexpr int kScramFixed = 0x020601ff;  // 2.6.1
  if (it != properties.end() && it->second.rfind("SCRAM-", 0) == 0 &&
      librdkafka_version < kScramFixed) {
    return leadflow::StrCat(
        "sasl.mechanisms=", it->second, " with librdkafka ", librdkafka_version >> 24, ".",
        (librdkafka_version >> 16) & 0xff, ".", (librdkafka_version >> 8) & 0xff,
        ": Kafka 4.x brokers reject this client's SCRAM proof (fixed in librdkafka "
        "2.6.1); use SASL PLAIN over TLS or mutual TLS (security.protocol=SSL with a "
        "client certificate) against a 4.x broker");
  }
  return "";
}

}  // namespace leadflow::kafka
