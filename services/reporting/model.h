// The predictive scoring model's trainer, pure: fits a logistic regression of won against lost on
// the closed lead-cycles' fact rows, measures it on a held-out part, and decides whether it should
// replace the current model. No I/O, no clock, no randomness: the same rows give the same model.
//
// - Features(row): the feature values of a fact row, named as ScoringModel names them.
// - IsHeldOut(row, fraction): the deterministic split (a hash of lead id and cycle).
// - Train(rows, options, version, now): the candidate ScoringModel with its held-out metrics.
// - Evaluate(model, rows, options): any model's metrics on the same held-out examples.
// - Decide(candidate, current metrics): publish or not, and why, in plain words.
// - FactRowModel: a ScoringModel applied to fact rows, as qualification::CompiledModel applies it
//   to leads.
// - Auc, CalibrationError: the metrics, exposed for tests.
//
// Consistency with qualification is the contract here: every feature name Train emits is one that
// qualification::CompiledModel::Compile accepts, and FactRowModel evaluates a name on a fact row
// exactly as CompiledModel::Predict evaluates it on the lead the row was recorded from (text values
// compared ignoring ASCII case, the first touch's channel, the fit grade and scores at
// qualification). Published weights are per unit of the feature as Predict reads it (scores 0–100).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "leadflow/v1/config.pb.h"
#include "leadflow/v1/reporting_state.pb.h"
#include "services/common/lifecycle/scoring_model.h"

namespace leadflow::reporting {

// The outcome of a closed lead-cycle: true won, false lost, nullopt not closed (not an example).
std::optional<bool> Won(const v1::LeadCycleFacts& row);

// The features of a lead-cycle with their values: "fit_score" and "engagement_score" (always, 0–100
// as recorded at qualification), and 1 for each present one-hot: "fit_grade=<A-D>",
// "source.channel=CHANNEL_<NAME>" (first touch), "company.industry=<v>",
// "company.country_code=<v>", "person.seniority=<v>", "person.department=<v>" with <v> lower-cased
// (qualification compares ignoring case, so "Software" and "software" are one feature). Empty
// values are no feature. company.employee_count is left out on purpose: Predict can only weigh the
// raw count linearly, and a count spanning 1 to 100,000s is not a useful log-odds term.
std::vector<std::pair<std::string, double>> Features(const v1::LeadCycleFacts& row);

// Whether a lead-cycle is in the held-out part: a stable 64-bit hash of "<lead id>/<cycle>" mapped
// to [0, 1) below `holdout_fraction`. Not random, so reruns and other replicas agree, and a row
// stays on its side as more rows arrive.
bool IsHeldOut(const v1::LeadCycleFacts& row, double holdout_fraction);

struct TrainOptions {
  double holdout_fraction = 0.25;  // share of lead-cycles held out (IsHeldOut), in (0, 1)
  int min_examples = 200;          // closed lead-cycles, both parts together
  int min_class_examples = 20;     // of won and of lost each
  // L2 penalty on the weights (not the intercept), on the objective Σ log loss + l2/2 · |w|²; the
  // scores are scaled to 0–1 for it, so every feature is penalised on the same scale. Must be > 0:
  // it keeps the Hessian definite although the one-hot groups sum to the intercept.
  double l2 = 1.0;
  int max_iterations = 50;  // Newton steps
  // Converged when half the Newton decrement (the objective's estimated distance from its minimum)
  // is below tolerance × max(1, objective).
  double tolerance = 1e-10;
  int min_feature_count = 10;  // a one-hot needs this many training rows to become a feature
};

struct TrainResult {
  v1::ScoringModel model;  // active; metrics on the held-out part
  int iterations = 0;      // Newton steps taken
};

// Fits the model on the closed lead-cycles of `rows` not held out (rows with a non-finite score are
// skipped) and evaluates it on the held-out ones. FailedPrecondition when there are too few
// examples (the message names the counts), when the held-out part lacks won or lost, or when the
// fit does not converge; InvalidArgument for bad options. metrics.won and .lost count the closed
// lead-cycles of both parts, .training_examples the part trained on; the training window spans
// their entries into STAGE_WON / STAGE_LOST. Deterministic, and independent of the order of `rows`
// (examples are ordered by lead id and cycle first; the store keys rows uniquely by both).
absl::StatusOr<TrainResult> Train(const std::vector<v1::LeadCycleFacts>& rows,
                                  const TrainOptions& options, std::string model_version,
                                  int64_t trained_at_ms);

// A ScoringModel applied to fact rows: the probability of winning that qualification would give the
// lead the row was recorded from — qualification's own CompiledScoringModel, on the lead rebuilt
// from the row. Fails on a feature name CompiledModel::Compile rejects, a
// non-finite weight, and on an attribute fact rows do not record (e.g. company.annual_revenue).
class FactRowModel {
 public:
  static absl::StatusOr<FactRowModel> Compile(const v1::ScoringModel& model);
  // intercept + Σ weight × value, summed in the model's feature order like Predict.
  double Logit(const v1::LeadCycleFacts& row) const;
  // 1 / (1 + e^-logit), as Predict computes it (before its × 100).
  double Probability(const v1::LeadCycleFacts& row) const;

 private:
  std::optional<lifecycle::CompiledScoringModel> model_;  // set by Compile
};

// `model`'s metrics on the held-out closed lead-cycles of `rows` (the ones Train holds out with
// options.holdout_fraction): auc, log_loss, calibration_error, validation_examples. won, lost and
// training_examples describe training and stay 0. FailedPrecondition when the held-out part lacks
// won or lost; FactRowModel::Compile's errors otherwise.
absl::StatusOr<v1::ModelMetrics> Evaluate(const v1::ScoringModel& model,
                                          const std::vector<v1::LeadCycleFacts>& rows,
                                          const TrainOptions& options);

struct DecideOptions {
  double min_auc = 0.6;                 // a candidate below this is not useful at all
  double min_improvement = 0.005;       // AUC it must gain over the current model
  double max_calibration_error = 0.15;  // its scores must mean roughly what they say
};

struct PublishDecision {
  bool publish = false;
  std::string reason;  // e.g. "AUC 0.812 beats the current model's 0.774 on 412 held-out deals"
};

// Whether to publish `candidate` (its metrics from Train) in place of the current model, whose
// metrics `current` come from Evaluate on the same rows (nullopt: there is none). Not comparable
// (different held-out counts) is a no.
PublishDecision Decide(const v1::ScoringModel& candidate,
                       const std::optional<v1::ModelMetrics>& current,
                       const DecideOptions& options = {});

// Area under the ROC curve of (score, won) pairs: the probability that a won example scores above a
// lost one, ties counted half (exact, by ranks). NaN when either class is missing.
double Auc(const std::vector<std::pair<double, bool>>& scored);

// Expected calibration error of (probability, won) pairs: over ten equal-width bins of the
// probability ([0, 0.1), …, [0.9, 1]), the example-weighted mean of |mean probability − win rate|.
// 0 when empty; NaN when a probability is.
double CalibrationError(const std::vector<std::pair<double, bool>>& predicted);

}  // namespace leadflow::reporting
