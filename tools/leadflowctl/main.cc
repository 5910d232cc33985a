// leadflowctl: the operator's and the user's command line: is the cluster reachable, provision
// the topic catalog, import a CSV of leads, submit leads and activities, answer handoffs as a
// sales tool, recycle, and read the funnel, lead quality and win-loss reports.
// Exit codes (scripts rely on them; tools/leadflowctl/exit_code.h maps gRPC statuses to them):
//   0 done
//   1 failed (an RPC failed: the gRPC status code and message are printed)
//   2 bad usage (command-line errors, an unknown enum value: the allowed values are listed)
//   3 done, but some rows were rejected (import)
//   4 not found (NOT_FOUND)
//   5 unavailable (UNAVAILABLE or DEADLINE_EXCEEDED: the service is down or too slow)
#include <chrono>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/time_util.h>
#include "CLI/CLI.hpp"
#include "services/common/base/strings.h"
#include "services/common/config/settings.h"
#include "services/common/kafka/admin.h"

#include "tools/leadflowctl/command_support.h"
#include "tools/leadflowctl/config_cmd.h"
#include "tools/leadflowctl/csv_import.h"
#include "tools/leadflowctl/dlq_cmd.h"
#include "tools/leadflowctl/exit_code.h"
#include "tools/leadflowctl/kafka_connection.h"
#include "tools/leadflowctl/lead_cmds.h"
#include "tools/leadflowctl/report_cmds.h"
#include "tools/leadflowctl/sales_cmds.h"
#include "tools/leadflowctl/topics_file.h"

namespace {

int Fail(const absl::Status& status) {
  std::fprintf(stderr, "leadflowctl: %s\n", std::string(status.message()).c_str());
  return 1;
}

// A service address: the flag's default, overridden by LEADFLOW_<NAME>_ADDRESS.
void AddAddressOption(CLI::App* app, const char* flag, const char* env, std::string* address) {
  if (const char* value = std::getenv(env); value != nullptr) *address = value;
  app->add_option(flag, *address, leadflow::StrCat("gRPC address (env ", env, ")"))
      ->capture_default_str();
}

// Every command's --help ends with the exit codes.
void SetFooters(CLI::App* app) {
  app->footer(leadflow::ctl::ExitCodesHelp());
  for (CLI::App* sub : app->get_subcommands({})) SetFooters(sub);
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"leadflowctl — operate and use a leadflow installation"};
  app.require_subcommand(1);
  // Global options (addresses, --deadline, --json) may also follow the command.
  app.fallthrough();
  leadflow::ctl::CallOptions call_options;
  AddAddressOption(&app, "--intake", "LEADFLOW_INTAKE_ADDRESS", &call_options.intake_address);
  AddAddressOption(&app, "--qualification", "LEADFLOW_QUALIFICATION_ADDRESS",
                   &call_options.qualification_address);
  AddAddressOption(&app, "--handoff", "LEADFLOW_HANDOFF_ADDRESS", &call_options.handoff_address);
  AddAddressOption(&app, "--recycle", "LEADFLOW_RECYCLE_ADDRESS", &call_options.recycle_address);
  AddAddressOption(&app, "--reporting", "LEADFLOW_REPORTING_ADDRESS",
                   &call_options.reporting_address);
  // How to reach the services: plaintext unless a CA is given (env as local::ClientSecurity).
  std::string ca_file, cert_file, key_file, token_file;
  app.add_option("--ca-file", ca_file,
                 "CA that signed the services' certificates: use TLS (env LEADFLOW_CA_FILE)");
  app.add_option("--cert-file", cert_file,
                 "client certificate for mutual TLS (env LEADFLOW_CLIENT_CERT_FILE)");
  app.add_option("--key-file", key_file, "its key (env LEADFLOW_CLIENT_KEY_FILE)");
  app.add_option("--token-file", token_file,
                 "file holding the bearer token (env LEADFLOW_TOKEN_FILE, or LEADFLOW_TOKEN)");
  std::string deadline_text = "10s";
  app.add_option("--deadline", deadline_text, "deadline of each RPC (e.g. 500ms, 10s, 1m)")
      ->capture_default_str();
  app.add_flag("--json", call_options.json,
               "output for scripts: the response in the protobuf JSON mapping, one object per "
               "line for streams");
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
  std::vector<std::string> kafka_property_args;
  app.add_option("--kafka-property", kafka_property_args,
                 "KEY=VALUE: a librdkafka property for every Kafka connection (security, e.g. "
                 "security.protocol=SASL_SSL); LEADFLOW_KAFKA_<KEY> variables set them too "
                 "(LEADFLOW_KAFKA_SASL_PASSWORD -> sasl.password)");

  auto* check = app.add_subcommand("check", "fail fast unless a Kafka broker answers");
  int dlq_last = 20;
  bool dlq_with_payload = false;
  std::string dlq_topic = "leadflow.dlq.v1";
  auto* dlq = app.add_subcommand(
      "dlq",
      "the last dead letters of every partition of the DLQ, oldest first: time, failing service,\n"
      "  reason, source record (topic[partition]@offset), detail (docs/operations.md#runbook)");
  dlq->add_option("--last", dlq_last, "records per partition")
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  dlq->add_option("--topic", dlq_topic, "the dead-letter topic")->capture_default_str();
  dlq->add_flag("--with-payload", dlq_with_payload,
                "with --json: include the original key and value (may hold personal data)");
  auto* topics = app.add_subcommand("topics", "manage leadflow's topics");
  topics->require_subcommand(1);
  std::string topics_file = "config/topics.yaml";
  auto* ensure =
      topics->add_subcommand("ensure", "create the topics of the catalog that are missing");
  ensure->add_option("--file", topics_file, "topic catalog")->capture_default_str();
  leadflow::ctl::TopicsOverrides topic_overrides;
  std::vector<std::string> topic_config_args;
  ensure
      ->add_option("--partitions", topic_overrides.partitions,
                   "partitions of every co-partitioned topic (default: the catalog's); topics "
                   "with a count of their own keep it")
      ->check(CLI::PositiveNumber);
  ensure
      ->add_option("--replication-factor", topic_overrides.replication_factor,
                   "replication factor of every topic (default: the catalog's)")
      ->check(CLI::PositiveNumber);
  ensure->add_option("--topic-config", topic_config_args,
                     "KEY=VALUE added to every topic's configs (e.g. min.insync.replicas=2)");
  auto* list = topics->add_subcommand("list", "list topics and partition counts");

  leadflow::ctl::ImportOptions import_options;
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

  leadflow::ctl::LeadCommands lead_commands;
  lead_commands.Add(&app);
  leadflow::ctl::SalesCommands sales_commands;
  sales_commands.Add(&app);
  leadflow::ctl::ReportCommands report_commands;
  report_commands.Add(&app);
  SetFooters(&app);

  // CLI11 reports parse errors by throwing; this is the only place they are caught.
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int rc = app.exit(e);  // prints the help or the error
    return rc == 0 ? 0 : static_cast<int>(leadflow::ctl::ExitCode::kBadUsage);
  }
  as_json = as_json || call_options.json;
  {
    absl::StatusOr<leadflow::local::ClientSecurity> security =
        leadflow::local::ClientSecurity::FromEnv();
    if (security.ok()) {
      if (!ca_file.empty()) security->ca_file = ca_file;
      if (!cert_file.empty()) security->cert_file = cert_file;
      if (!key_file.empty()) security->key_file = key_file;
      absl::Status s = token_file.empty() ? absl::OkStatus() : security->ReadTokenFile(token_file);
      if (s.ok()) s = security->Check();
      if (!s.ok()) security = s;
    }
    if (!security.ok()) {
      std::fprintf(stderr, "leadflowctl: %s\n", std::string(security.status().message()).c_str());
      return static_cast<int>(leadflow::ctl::ExitCode::kBadUsage);
    }
    call_options.security = *security;
  }
  import_options.intake_address = call_options.intake_address;
  import_options.security = call_options.security;

  if (auto deadline = leadflow::config::ParseDuration(deadline_text); deadline.ok()) {
    call_options.deadline = *deadline;
  } else {
    std::fprintf(stderr, "leadflowctl: --deadline: %s\n",
                 std::string(deadline.status().message()).c_str());
    return static_cast<int>(leadflow::ctl::ExitCode::kBadUsage);
  }
  if (auto rc = lead_commands.Run(call_options)) return *rc;
  if (auto rc = sales_commands.Run(call_options)) return *rc;
  if (auto rc = report_commands.Run(call_options)) return *rc;

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
  auto connection = leadflow::ctl::KafkaConnection(
      bootstrap, kafka_property_args, leadflow::config::InputsFromProcess(0, nullptr).env);
  if (!connection.ok()) return Fail(connection.status());
  auto admin = leadflow::kafka::Admin::Create(*connection);
  if (!admin.ok()) return Fail(admin.status());
  auto info = (*admin)->Describe(*timeout);
  if (!info.ok()) return Fail(info.status());

  if (config_apply->parsed()) {
    auto result =
        leadflow::ctl::ApplyConfig(*connection, config_topic, config_dir, comment, *timeout);
    if (!result.ok()) return Fail(result.status());
    for (const auto& p : result->published) std::printf("published %s\n", p.c_str());
    for (const auto& u : result->unchanged) std::printf("unchanged %s\n", u.c_str());
    return 0;
  }
  if (config_show->parsed()) {
    auto published = leadflow::ctl::ReadPublished(*connection, config_topic, *timeout);
    if (!published.ok()) return Fail(published.status());
    if (published->empty())
      std::printf("nothing published on %s (leadflowctl config apply config/)\n",
                  config_topic.c_str());
    for (const auto& [kind, record] : *published) {
      if (as_json) {
        std::printf("%s\n", leadflow::ctl::ToJsonLine(record).c_str());
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
  if (dlq->parsed()) {
    auto it = info->topics.find(dlq_topic);
    if (it == info->topics.end()) {
      return Fail(absl::NotFoundError(leadflow::StrCat("topic ", dlq_topic, " does not exist")));
    }
    auto letters =
        leadflow::ctl::ReadDeadLetters(*connection, dlq_topic, it->second, dlq_last, *timeout);
    if (!letters.ok()) return Fail(letters.status());
    const std::string text =
        as_json ? leadflow::ctl::DeadLetterJsonLines(*std::move(letters), dlq_with_payload)
                : leadflow::ctl::DeadLetterTable(*letters);
    std::fputs(text.c_str(), stdout);
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
    for (const std::string& arg : topic_config_args) {
      if (absl::Status s =
              leadflow::ctl::AddKeyValue("--topic-config", arg, &topic_overrides.configs);
          !s.ok())
        return Fail(s);
    }
    auto specs = leadflow::ctl::LoadTopicsFile(topics_file, topic_overrides);
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
