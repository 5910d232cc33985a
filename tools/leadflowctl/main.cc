// leadflowctl: the operator's command line. For now: is the cluster reachable, and provision the
// topic catalog. (Lead submission, CSV import and reports arrive with their services.)
#include <chrono>
#include <cstdio>
#include <string>

#include "CLI/CLI.hpp"
#include "services/common/base/strings.h"
#include "services/common/config/settings.h"
#include "services/common/kafka/admin.h"
#include "tools/leadflowctl/topics_file.h"

namespace {

int Fail(const absl::Status& status) {
  std::fprintf(stderr, "leadflowctl: %s\n", std::string(status.message()).c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"leadflowctl — operate a leadflow installation"};
  app.require_subcommand(1);
  std::string bootstrap = "127.0.0.1:9092";
  if (const char* env = std::getenv("LEADFLOW_KAFKA_BOOTSTRAP_SERVERS"); env != nullptr) {
    bootstrap = env;
  }
  std::string timeout_text = "10s";
  app.add_option("--bootstrap", bootstrap,
                 "Kafka bootstrap servers (env LEADFLOW_KAFKA_BOOTSTRAP_SERVERS)")
      ->capture_default_str();
  app.add_option("--timeout", timeout_text, "how long to wait for the cluster (e.g. 10s)")
      ->capture_default_str();

  auto* check = app.add_subcommand("check", "fail fast unless a Kafka broker answers");
  auto* topics = app.add_subcommand("topics", "manage leadflow's topics");
  topics->require_subcommand(1);
  std::string topics_file = "config/topics.yaml";
  auto* ensure =
      topics->add_subcommand("ensure", "create the topics of the catalog that are missing");
  ensure->add_option("--file", topics_file, "topic catalog")->capture_default_str();
  auto* list = topics->add_subcommand("list", "list topics and partition counts");

  CLI11_PARSE(app, argc, argv);

  auto timeout = leadflow::config::ParseDuration(timeout_text);
  if (!timeout.ok())
    return Fail(
        absl::InvalidArgumentError("--timeout: " + std::string(timeout.status().message())));
  auto admin = leadflow::kafka::Admin::Create({{"bootstrap.servers", bootstrap}});
  if (!admin.ok()) return Fail(admin.status());
  auto info = (*admin)->Describe(*timeout);
  if (!info.ok()) return Fail(info.status());

  if (check->parsed()) {
    std::printf("kafka reachable at %s: cluster %s, %zu broker(s), %zu topic(s)\n",
                bootstrap.c_str(), info->cluster_id.c_str(), info->brokers.size(),
                info->topics.size());
    return 0;
  }
  if (list->parsed()) {
    for (const auto& [name, partitions] : info->topics)
      std::printf("%s\t%d\n", name.c_str(), partitions);
    return 0;
  }
  if (ensure->parsed()) {
    auto specs = leadflow::ctl::LoadTopicsFile(topics_file);
    if (!specs.ok()) return Fail(specs.status());
    std::vector<leadflow::kafka::TopicSpec> missing;
    int mismatched = 0;
    for (const auto& spec : *specs) {
      auto it = info->topics.find(spec.name);
      if (it == info->topics.end()) {
        missing.push_back(spec);
      } else if (it->second != spec.partitions) {
        // Never "fix" this automatically: adding partitions moves keys between partitions.
        std::fprintf(stderr, "leadflowctl: topic %s has %d partitions, the catalog says %d\n",
                     spec.name.c_str(), it->second, spec.partitions);
        ++mismatched;
      }
    }
    if (!missing.empty()) {
      if (absl::Status s = (*admin)->CreateTopics(missing, *timeout, /*ignore_existing=*/true);
          !s.ok()) {
        return Fail(s);
      }
    }
    std::printf("topics: %zu in catalog, %zu created, %d with a different partition count\n",
                specs->size(), missing.size(), mismatched);
    return mismatched == 0 ? 0 : 1;
  }
  return 0;
}
