// leadflowctl: the operator's command line: is the cluster reachable, provision the topic
// catalog, import a CSV of leads. (Submission, sales answers and reports arrive with their
// services.) Exit codes: 0 done, 1 failed, 2 bad usage, 3 done but some rows were rejected.
#include <chrono>
#include <cstdio>
#include <string>

#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/time_util.h>
#include "CLI/CLI.hpp"
#include "services/common/base/strings.h"
#include "services/common/config/settings.h"
#include "services/common/kafka/admin.h"

#include "tools/leadflowctl/config_cmd.h"
#include "tools/leadflowctl/csv_import.h"
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

  leadflow::ctl::ImportOptions import_options;
  if (const char* env = std::getenv("LEADFLOW_INTAKE_ADDRESS"); env != nullptr) {
    import_options.intake_address = env;
  }
  bool no_progress = false;
  auto* import_cmd = app.add_subcommand(
      "import",
      "import leads from a CSV file through the intake (StreamLeads)\n"
      "  Columns map to fields by their header (Email, First Name, Company, Title, Phone, "
      "Country,\n"
      "  Website, Employees, Campaign, Channel, Date, ...); --map overrides or adds one.\n"
      "  Rows the intake rejects go to FILE.rejected.csv with the line and the reason.\n"
      "  Importing the same file again is idempotent (row keys are the file digest + line).\n"
      "examples:\n"
      "  leadflowctl import badges.csv --source-system tradeshow-2026\n"
      "  leadflowctl import export.csv --map 'Mail=person.email' --map "
      "'Budget=custom_attributes.budget'");
  import_cmd->add_option("file", import_options.file, "the CSV file (first line: header)")
      ->required();
  import_cmd
      ->add_option("--intake", import_options.intake_address,
                   "intake gRPC address (env LEADFLOW_INTAKE_ADDRESS)")
      ->capture_default_str();
  import_cmd
      ->add_option("--source-system", import_options.source_system, "source_system of every row")
      ->capture_default_str();
  import_cmd->add_option("--map", import_options.mappings,
                         "COLUMN=field.path (or COLUMN=- to skip a column)");
  import_cmd->add_option("--rejected", import_options.rejected_file,
                         "where rejected rows go (default FILE.rejected.csv)");
  import_cmd->add_flag("--no-progress", no_progress, "no progress bar");

  auto* config_cmd =
      app.add_subcommand("config", "the business configuration in config/ (ICP, ...)");
  config_cmd->require_subcommand(1);
  std::string config_dir = "config";
  std::string config_topic = "leadflow.config.v1";
  std::string comment;
  bool as_json = false;
  auto* config_check =
      config_cmd->add_subcommand("check", "validate the files (errors name file:line and field)");
  config_check->add_option("dir", config_dir, "config directory")->capture_default_str();
  auto* config_apply = config_cmd->add_subcommand(
      "apply",
      "validate, then publish every changed kind to the config topic with the next version\n"
      "example: leadflowctl config apply config/ --comment 'raise mid-market weight'");
  config_apply->add_option("dir", config_dir, "config directory")->capture_default_str();
  config_apply->add_option("--comment", comment, "change note recorded with the version");
  config_apply->add_option("--topic", config_topic, "config topic")->capture_default_str();
  auto* config_show =
      config_cmd->add_subcommand("show", "the published config: kind, version, hash, origin");
  config_show->add_option("--topic", config_topic, "config topic")->capture_default_str();
  config_show->add_flag("--json", as_json, "every record in full, as JSON lines");

  CLI11_PARSE(app, argc, argv);

  if (config_check->parsed()) {
    auto files = leadflow::ctl::LoadConfigDir(config_dir);
    if (!files.ok()) {
      std::fprintf(stderr, "%s\n", std::string(files.status().message()).c_str());
      return 1;
    }
    for (const auto& [file, record] : *files) {
      std::printf("%s/%s: ok (%s)\n", config_dir.c_str(), file.c_str(),
                  leadflow::ctl::ContentHash(record).c_str());
    }
    return 0;
  }

  if (import_cmd->parsed()) {
    import_options.progress = !no_progress;
    absl::StatusOr<leadflow::ctl::ImportSummary> summary = leadflow::ctl::RunImport(import_options);
    if (!summary.ok()) return Fail(summary.status());
    std::printf(
        "imported %s: %lld rows — %lld accepted, %lld duplicates, %lld rejected%s in %.1f s (%.0f "
        "rows/s)\n",
        import_options.file.c_str(), static_cast<long long>(summary->rows),
        static_cast<long long>(summary->accepted), static_cast<long long>(summary->duplicates),
        static_cast<long long>(summary->rejected),
        summary->rejected > 0 ? leadflow::StrCat(" (see ",
                                                 import_options.rejected_file.empty()
                                                     ? import_options.file + ".rejected.csv"
                                                     : import_options.rejected_file,
                                                 ")")
                                    .c_str()
                              : "",
        summary->seconds,
        summary->seconds > 0 ? static_cast<double>(summary->rows) / summary->seconds : 0.0);
    return summary->rejected > 0 ? 3 : 0;
  }

  auto timeout = leadflow::config::ParseDuration(timeout_text);
  if (!timeout.ok())
    return Fail(
        absl::InvalidArgumentError("--timeout: " + std::string(timeout.status().message())));
  auto admin = leadflow::kafka::Admin::Create({{"bootstrap.servers", bootstrap}});
  if (!admin.ok()) return Fail(admin.status());
  auto info = (*admin)->Describe(*timeout);
  if (!info.ok()) return Fail(info.status());

  if (config_apply->parsed()) {
    auto result =
        leadflow::ctl::ApplyConfig(bootstrap, config_topic, config_dir, comment, *timeout);
    if (!result.ok()) return Fail(result.status());
    for (const auto& p : result->published) std::printf("published %s\n", p.c_str());
    for (const auto& u : result->unchanged) std::printf("unchanged %s\n", u.c_str());
    return 0;
  }
  if (config_show->parsed()) {
    auto published = leadflow::ctl::ReadPublished(bootstrap, config_topic, *timeout);
    if (!published.ok()) return Fail(published.status());
    if (published->empty())
      std::printf("nothing published on %s (leadflowctl config apply config/)\n",
                  config_topic.c_str());
    for (const auto& [kind, record] : *published) {
      if (as_json) {
        std::string json;
        (void)google::protobuf::util::MessageToJsonString(record, &json);
        std::printf("%s\n", json.c_str());
        continue;
      }
      const auto& v = record.version();
      std::printf("%-14s v%-4lld %s  %s  by %s  from %s%s%s\n", kind.c_str(),
                  static_cast<long long>(v.version()), v.content_hash().substr(0, 19).c_str(),
                  google::protobuf::util::TimeUtil::ToString(v.published_at()).c_str(),
                  v.published_by().c_str(), v.origin().c_str(), v.comment().empty() ? "" : "  — ",
                  v.comment().c_str());
    }
    return 0;
  }
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
