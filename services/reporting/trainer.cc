#include "services/reporting/trainer.h"

#include "absl/time/time.h"
#include "services/common/base/strings.h"
#include "services/common/events/lead_events.h"
#include "services/common/log/log.h"
#include "services/reporting/model.h"

namespace leadflow::reporting {

Trainer::Trainer(ReportingCore* core, kafka::Sender* sender, std::string config_topic,
                 std::function<int64_t()> now_ms)
    : core_(core),
      sender_(sender),
      config_topic_(std::move(config_topic)),
      now_ms_(std::move(now_ms)) {}

v1::ScoringModelRun Trainer::RunOnce() {
  const int64_t now = now_ms_();
  v1::ScoringModelRun run;
  *run.mutable_model()->mutable_trained_at() = events::TimestampFromMillis(now);
  auto finish = [&](std::string decision) {
    run.set_decision(std::move(decision));
    log::Info("scoring model training", {{"published", run.published() ? "yes" : "no"},
                                         {"model_version", run.model().model_version()},
                                         {"decision", run.decision()}});
    core_->RecordRun(run);
    return run;
  };
  absl::StatusOr<ReportingCore::RowSet> rows = core_->Rows();
  if (!rows.ok()) return finish(StrCat("the facts could not be read: ", rows.status().message()));
  absl::StatusOr<std::shared_ptr<const ReportingConfig>> config = core_->Config();
  if (!config.ok())
    return finish(StrCat("the config could not be read: ", config.status().message()));

  const TrainOptions options;
  const std::string version =
      StrCat(absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", absl::FromUnixMillis(now), absl::UTCTimeZone()),
             "-", (*rows)->size());
  absl::StatusOr<TrainResult> trained = Train(**rows, options, version, now);
  if (!trained.ok()) return finish(StrCat("not trained: ", trained.status().message()));
  *run.mutable_model() = trained->model;

  std::optional<v1::ModelMetrics> current;
  if ((*config)->model.has_value()) {
    absl::StatusOr<v1::ModelMetrics> m = Evaluate(*(*config)->model, **rows, options);
    if (!m.ok()) {
      // A current model the facts cannot score (it uses attributes reporting does not record) is
      // not replaced blindly: an operator decides.
      return finish(StrCat("not published: the current model ", (*config)->model->model_version(),
                           " cannot be evaluated on the same deals (", m.status().message(), ")"));
    }
    current = *m;
  }
  const PublishDecision decision = Decide(trained->model, current);
  if (!decision.publish) return finish(StrCat("not published: ", decision.reason));

  absl::StatusOr<int64_t> latest = core_->LatestConfigVersion();
  if (!latest.ok()) {
    return finish(StrCat("not published: the config versions could not be read (",
                         latest.status().message(), ")"));
  }
  v1::ConfigRecord record;
  *record.mutable_scoring_model() = trained->model;
  v1::ConfigVersion& v = *record.mutable_version();
  v.set_version(*latest + 1);
  *v.mutable_published_at() = events::TimestampFromMillis(now_ms_());
  v.set_published_by("reporting");
  v.set_origin("leadflow-reporting trainer");
  v.set_comment(decision.reason);
  const absl::Status sent =
      sender_->Send({config_topic_,
                     std::nullopt,
                     "scoring_model",
                     record.SerializeAsString(),
                     {{"leadflow-event-type", "scoring_model"},
                      {"content-type",
                       events::ProtobufContentType(v1::ConfigRecord::descriptor()->full_name())}}},
                    std::chrono::seconds(30));
  if (!sent.ok()) {
    return finish(StrCat("not published: Kafka did not acknowledge it (", sent.message(), ")"));
  }
  run.set_published(true);
  return finish(StrCat("published as config version ", *latest + 1, ": ", decision.reason));
}

}  // namespace leadflow::reporting
