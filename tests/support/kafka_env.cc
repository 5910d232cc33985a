// Integration-test access to the real broker.
#include "tests/support/kafka_env.h"

#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <random>
#include <thread>

#include "gtest/gtest.h"
#include "services/common/base/status_macros.h"
#include "services/common/base/strings.h"

namespace leadflow::testing {

namespace {
std::string& BootstrapOverride() {
  static std::string value;
  return value;
}
kafka::Properties& SecurityOverride() {
  static kafka::Properties value;
  return value;
}
}  // namespace

void UseKafkaBootstrap(const std::string& bootstrap) { BootstrapOverride() = bootstrap; }
void UseKafkaSecurity(kafka::Properties security) { SecurityOverride() = std::move(security); }
const kafka::Properties& KafkaSecurity() { return SecurityOverride(); }

std::string KafkaBootstrap() {
  if (!BootstrapOverride().empty()) return BootstrapOverride();
  const char* bootstrap = std::getenv("LEADFLOW_TEST_KAFKA_BOOTSTRAP");
  if (bootstrap == nullptr || *bootstrap == '\0') {
    ADD_FAILURE() << "LEADFLOW_TEST_KAFKA_BOOTSTRAP is not set: run integration tests through "
                     "scripts/test.sh, which starts the local broker (see docs/development.md)";
    return "127.0.0.1:1";
  }
  return bootstrap;
}

kafka::Properties KafkaProperties() {
  kafka::Properties p = SecurityOverride();
  p["bootstrap.servers"] = KafkaBootstrap();
  p["client.id"] = "leadflow-test";
  return p;
}

std::string UniqueName(const std::string& prefix) {
  static std::atomic<int> counter{0};
  static const uint32_t salt = std::random_device{}();
  return StrCat("lf-test-", prefix, "-", getpid(), "-", counter.fetch_add(1), "-", salt % 100000);
}

absl::Status CreateTopics(const std::vector<std::string>& names, int partitions) {
  LF_ASSIGN_OR_RETURN(auto admin, kafka::Admin::Create(KafkaProperties()));
  std::vector<kafka::TopicSpec> specs;
  for (const std::string& name : names) specs.push_back({name, partitions, 1, {}});
  LF_RETURN_IF_ERROR(admin->CreateTopics(specs, std::chrono::seconds(60)));
  // Creation returns when the controller accepted it; wait until the broker serves metadata.
  absl::Status last = absl::OkStatus();
  const bool visible = WaitUntil(
      [&] {
        auto info = admin->Describe(std::chrono::seconds(10));
        if (!info.ok()) {
          last = info.status();
          return false;
        }
        for (const std::string& name : names) {
          auto it = info->topics.find(name);
          if (it == info->topics.end() || it->second != partitions) return false;
        }
        return true;
      },
      kKafkaDeadline);
  if (!visible) {
    return absl::DeadlineExceededError(StrCat(
        "topics not visible in metadata in time; last error: ", std::string(last.message())));
  }
  return absl::OkStatus();
}

bool WaitUntil(const std::function<bool()>& condition, std::chrono::milliseconds timeout,
               const std::function<void()>& step) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (true) {
    if (condition()) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    if (step) {
      step();
    } else {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }
}

}  // namespace leadflow::testing
