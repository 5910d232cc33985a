// The real Kafka broker that scripts/test.sh starts for integration tests: its address, uniquely
// named topics, and condition waits with generous deadlines (never fixed sleeps).
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "services/common/kafka/admin.h"
#include "services/common/kafka/properties.h"

namespace leadflow::testing {

// The broker's bootstrap address from LEADFLOW_TEST_KAFKA_BOOTSTRAP. Integration tests fail (not
// skip) without it: scripts/test.sh always sets it, and a silently skipped test proves nothing.
std::string KafkaBootstrap();

// Points this test process at another broker (a test that runs a broker of its own).
void UseKafkaBootstrap(const std::string& bootstrap);
// The security properties every client of that broker needs (security.protocol, sasl.*, ssl.*),
// added to KafkaProperties() and passed to the services of a Pipeline.
void UseKafkaSecurity(kafka::Properties security);
const kafka::Properties& KafkaSecurity();

// Base client properties for the test broker.
kafka::Properties KafkaProperties();

// A topic name no other test or run uses: "lf-test-<prefix>-<pid>-<counter>-<random>".
std::string UniqueName(const std::string& prefix);

// Creates the topics (each with `partitions`) and waits until their metadata shows them.
absl::Status CreateTopics(const std::vector<std::string>& names, int partitions);

// Polls `condition` until true or `timeout` (returns false). `step` runs between checks (e.g. a
// poll of a client) so waiting also drives the system under test.
bool WaitUntil(const std::function<bool()>& condition, std::chrono::milliseconds timeout,
               const std::function<void()>& step = {});

// Generous default deadline for broker round trips on a slow shared 2-core machine.
inline constexpr std::chrono::seconds kKafkaDeadline{90};

}  // namespace leadflow::testing
