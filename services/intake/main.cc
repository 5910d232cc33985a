// leadflow-intake: the two stream steps (admission of the raw topic, identity of the admitted
// topic) and the gRPC and HTTP APIs, on the common service host. Wiring only.
#include <chrono>
#include <sstream>

#include "services/common/kafka/sender.h"
#include "services/common/log/log.h"
#include "services/common/service/service_host.h"
#include "services/intake/api.h"
#include "services/intake/processors.h"

namespace {

using leadflow::config::SettingType;
namespace stream = leadflow::stream;

constexpr char kDevSecret[] = "leadflow-local-development-only";

std::vector<leadflow::config::SettingSpec> IntakeSettings() {
  return {
      {"intake.lead_id_secret", SettingType::kString, kDevSecret,
       "key of the lead id HMAC; set it once per installation and never change it"},
      {"intake.idempotency_ttl", SettingType::kDuration, "7d",
       "how long a (source_system, idempotency_key) is remembered"},
      {"intake.source_precedence", SettingType::kString, "",
       "comma-separated source systems, highest precedence first (e.g. salesforce,marketo)"},
      {"intake.free_mail_domains", SettingType::kString, "",
       "comma-separated extra free-mail domains"},
      {"intake.ack_timeout", SettingType::kDuration, "15s",
       "how long an API call waits for Kafka to acknowledge before answering UNAVAILABLE"},
      {"intake.rate_limit", SettingType::kInt, "20000",
       "submissions per second per caller (bearer token) through the API; over it unary calls "
       "are RESOURCE_EXHAUSTED / 429 and streams are slowed; 0: no limit",
       0, 100000000},
      {"intake.rate_burst", SettingType::kInt, "40000",
       "submissions a caller may send at once (a batch larger than this is refused; raised to "
       "intake.rate_limit when lower)",
       1, 100000000},
      {"intake.suppress_erased", SettingType::kBool, "false",
       "after an erasure, refuse the person's later submissions (dead-lettered as "
       "ERASED_LEAD) instead of capturing them afresh; keeps the erased lead ids (keyed "
       "hashes) for that"},
      {"topics.raw", SettingType::kString, "leadflow.intake.raw.v1", "raw submissions topic"},
      {"topics.admitted", SettingType::kString, "leadflow.intake.admitted.v1", "admitted topic"},
      {"topics.leads", SettingType::kString, "leadflow.leads.v1", "lead events topic"},
      {"topics.dlq", SettingType::kString, "leadflow.dlq.v1", "dead-letter topic"},
  };
}

std::vector<std::string> SplitList(const std::string& text) {
  std::vector<std::string> out;
  std::stringstream in(text);
  std::string item;
  while (std::getline(in, item, ',')) {
    const size_t b = item.find_first_not_of(" \t");
    const size_t e = item.find_last_not_of(" \t");
    if (b != std::string::npos) out.push_back(item.substr(b, e - b + 1));
  }
  return out;
}

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

int main(int argc, char** argv) {
  int exit_code = 0;
  auto host = leadflow::service::ServiceHost::Create(
      argc, argv, {"intake", 50051, 8081, leadflow::v1::SERVICE_NAME_INTAKE}, IntakeSettings(),
      &exit_code);
  if (host == nullptr) return exit_code;
  const leadflow::config::Settings& settings = host->settings();
  if (settings.GetString("intake.lead_id_secret") == kDevSecret) {
    leadflow::log::Warn(
        "intake.lead_id_secret is the development default; set a secret for real data");
  }

  leadflow::intake::AdmissionOptions admission;
  admission.lead_id_secret = settings.GetString("intake.lead_id_secret");
  for (const std::string& d : SplitList(settings.GetString("intake.free_mail_domains"))) {
    admission.extra_free_mail_domains.insert(d);
  }
  leadflow::intake::MergePolicy policy;
  policy.source_precedence = SplitList(settings.GetString("intake.source_precedence"));

  // Step 1: admission of the raw topic (stateless). Step 2: identity (stateful).
  stream::StreamOptions admit = host->StreamDefaults("admission");
  admit.input_topics = {settings.GetString("topics.raw")};
  admit.dlq_topic = settings.GetString("topics.dlq");
  stream::StreamOptions identify = host->StreamDefaults("identity");
  identify.input_topics = {settings.GetString("topics.admitted")};
  identify.dlq_topic = settings.GetString("topics.dlq");
  identify.stores = {leadflow::intake::kLeadsStore, leadflow::intake::kSubmissionsStore,
                     leadflow::intake::kSuppressedStore};

  auto admission_app = stream::StreamApp::Create(
      admit,
      std::make_unique<leadflow::intake::AdmissionProcessor>(settings.GetString("topics.admitted"),
                                                             admission, &host->registry()),
      &host->registry());
  auto identity_app =
      stream::StreamApp::Create(identify,
                                std::make_unique<leadflow::intake::IdentityProcessor>(
                                    settings.GetString("topics.leads"), policy,
                                    settings.GetDuration("intake.idempotency_ttl").count(),
                                    settings.GetBool("intake.suppress_erased"), &host->registry()),
                                &host->registry());
  auto sender = leadflow::kafka::Sender::Create(host->kafka());
  for (const absl::Status& s : {admission_app.status(), identity_app.status(), sender.status()}) {
    if (!s.ok()) {
      leadflow::log::Error("startup failed", {{"error", std::string(s.message())}});
      return 1;
    }
  }
  host->AddStream(std::move(*admission_app));
  const stream::StreamApp* identity = host->AddStream(std::move(*identity_app));

  leadflow::intake::IntakeCoreOptions core_options;
  core_options.admitted_topic = settings.GetString("topics.admitted");
  core_options.leads_topic = settings.GetString("topics.leads");
  core_options.admission = admission;
  core_options.ack_timeout = settings.GetDuration("intake.ack_timeout");
  core_options.idempotency_ttl_ms = settings.GetDuration("intake.idempotency_ttl").count();
  core_options.rate_per_second = static_cast<double>(settings.GetInt("intake.rate_limit"));
  core_options.rate_burst = static_cast<double>(settings.GetInt("intake.rate_burst"));
  core_options.guard = &host->guard();
  leadflow::intake::IntakeCore core(core_options, sender->get(), identity, &host->registry(),
                                    NowMs);
  leadflow::intake::IntakeGrpcService grpc_service(&core);
  host->grpc().AddService(&grpc_service);
  leadflow::intake::AddHttpRoutes(&core, &host->http());
  return host->Run();
}
