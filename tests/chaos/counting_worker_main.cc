// A real process running the stream runtime with the CountingProcessor, for chaos tests that kill
// it with SIGKILL. Stops cleanly on SIGTERM/SIGINT; exits 1 on a fatal runtime error.
//   counting_worker --bootstrap=H:P --app=ID --instance=N --input=T --output=T --changelog=T
//                   --dlq=T --state-dir=DIR
#include <atomic>
#include <cstdio>
#include <thread>

#include "services/common/config/settings.h"
#include "services/common/log/log.h"
#include "services/common/metrics/metrics.h"
#include "services/common/process/shutdown.h"
#include "services/common/stream/stream_app.h"
#include "tests/support/counting_processor.h"

int main(int argc, char** argv) {
  leadflow::process::ShutdownSignal shutdown;  // first: blocks the signals before threads start
  using leadflow::config::SettingType;
  const leadflow::config::SettingsSchema schema{
      "counting_worker",
      {
          {"bootstrap", SettingType::kString, "", "Kafka bootstrap", INT64_MIN, INT64_MAX, true},
          {"app", SettingType::kString, "", "application id", INT64_MIN, INT64_MAX, true},
          {"instance", SettingType::kString, "0", "instance id"},
          {"input", SettingType::kString, "", "input topic", INT64_MIN, INT64_MAX, true},
          {"output", SettingType::kString, "", "output topic", INT64_MIN, INT64_MAX, true},
          {"changelog", SettingType::kString, "", "changelog topic", INT64_MIN, INT64_MAX, true},
          {"dlq", SettingType::kString, "", "dead-letter topic", INT64_MIN, INT64_MAX, true},
          {"state-dir", SettingType::kString, "", "state dir", INT64_MIN, INT64_MAX, true},
          {"guarantee", SettingType::kString, "exactly-once", "exactly-once or at-least-once"},
      },
      {"kafka."}};
  auto settings =
      leadflow::config::Settings::Load(schema, leadflow::config::InputsFromProcess(argc, argv));
  if (!settings.ok()) {
    std::fprintf(stderr, "counting_worker: %s\n", std::string(settings.status().message()).c_str());
    return 2;
  }
  leadflow::log::Init("counting-worker-" + settings->GetString("instance"),
                      leadflow::log::Level::kInfo, leadflow::log::Format::kText);
  leadflow::stream::StreamOptions o;
  o.application_id = settings->GetString("app");
  o.instance_id = settings->GetString("instance");
  o.input_topics = {settings->GetString("input")};
  o.stores = {leadflow::testing::kCountsStore};
  o.changelog_topic = settings->GetString("changelog");
  o.dlq_topic = settings->GetString("dlq");
  o.state_dir = settings->GetString("state-dir");
  o.kafka = settings->WithPrefix("kafka.");
  o.guarantee = settings->GetString("guarantee") == "at-least-once"
                    ? leadflow::stream::Guarantee::kAtLeastOnce
                    : leadflow::stream::Guarantee::kExactlyOnce;
  o.kafka["bootstrap.servers"] = settings->GetString("bootstrap");
  // A killed member is noticed after the session timeout; keep it at the broker's minimum.
  o.kafka.emplace("session.timeout.ms", "6000");
  o.kafka.emplace("heartbeat.interval.ms", "1000");
  leadflow::metrics::Registry registry;
  auto app = leadflow::stream::StreamApp::Create(
      o, std::make_unique<leadflow::testing::CountingProcessor>(settings->GetString("output")),
      &registry);
  if (!app.ok()) {
    std::fprintf(stderr, "counting_worker: %s\n", std::string(app.status().message()).c_str());
    return 2;
  }
  std::atomic<bool> stop{false};
  std::thread stopper([&] {
    shutdown.Wait();
    stop.store(true);
  });
  const absl::Status result = (*app)->Run(stop);
  shutdown.Request();
  stopper.join();
  return result.ok() ? 0 : 1;
}
