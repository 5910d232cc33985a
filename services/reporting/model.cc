#include "services/reporting/model.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <map>
#include <set>
#include <string_view>

#include "absl/strings/str_format.h"
#include "services/common/base/strings.h"
#include "services/common/events/lead_events.h"

namespace leadflow::reporting {
namespace {

using events::TimestampFromMillis;

// Fit and engagement scores are 0–100; the trainer works on them scaled to 0–1 so that the L2
// penalty and the Hessian treat them like the one-hot features.
constexpr double kScoreScale = 100.0;

// The first touch's channel as qualification reads "source.channel": the enum name without
// "CHANNEL_"; empty when unset or a number this build does not know.
std::string_view ChannelText(v1::Channel channel) {
  if (channel == v1::CHANNEL_UNSPECIFIED || !v1::Channel_IsValid(channel)) return {};
  const std::string& name = v1::Channel_Name(channel);
  constexpr std::string_view kPrefix = "CHANNEL_";
  return std::string_view(name).substr(std::min(kPrefix.size(), name.size()));
}

// "A" … "D" as qualification reads "score.fit_grade"; empty when not graded.
std::string_view GradeText(v1::FitGrade grade) {
  static constexpr std::string_view kGrades[] = {"", "A", "B", "C", "D"};
  const int g = static_cast<int>(grade);
  return g > 0 && g < 5 ? kGrades[g] : std::string_view();
}

double Sigmoid(double z) {
  if (z >= 0) return 1.0 / (1.0 + std::exp(-z));
  const double e = std::exp(z);
  return e / (1.0 + e);
}

// log(1 + e^z) without overflow: the log loss of a lost example at logit z (won: Softplus(-z)).
double Softplus(double z) { return z > 0 ? z + std::log1p(std::exp(-z)) : std::log1p(std::exp(z)); }

// FNV-1a then the splitmix64 finalizer: stable across builds and platforms (std::hash is not).
uint64_t StableHash(std::string_view text) {
  uint64_t h = 14695981039346656037ull;
  for (const char c : text) {
    h ^= static_cast<unsigned char>(c);
    h *= 1099511628211ull;
  }
  h ^= h >> 30;
  h *= 0xbf58476d1ce4e5b9ull;
  h ^= h >> 27;
  h *= 0x94d049bb133111ebull;
  h ^= h >> 31;
  return h;
}

// A closed lead-cycle usable as an example.
struct Closed {
  const v1::LeadCycleFacts* row = nullptr;
  bool won = false;
};

// The closed lead-cycles of `rows` with finite scores, by lead id and cycle (so that neither the
// model nor its metrics depend on the order the store was scanned in).
std::vector<Closed> ClosedExamples(const std::vector<v1::LeadCycleFacts>& rows) {
  std::vector<Closed> out;
  for (const v1::LeadCycleFacts& row : rows) {
    const std::optional<bool> won = Won(row);
    if (!won.has_value()) continue;
    if (!std::isfinite(row.fit_score()) || !std::isfinite(row.engagement_score())) continue;
    out.push_back({&row, *won});
  }
  std::stable_sort(out.begin(), out.end(), [](const Closed& a, const Closed& b) {
    if (a.row->lead_id() != b.row->lead_id()) return a.row->lead_id() < b.row->lead_id();
    return a.row->cycle() < b.row->cycle();
  });
  return out;
}

// When the outcome was recorded: the entry into STAGE_WON or STAGE_LOST (0 = not recorded).
int64_t ClosedAtMs(const Closed& e) {
  const auto& entered = e.row->entered_at_ms();
  const auto it = entered.find(e.won ? v1::STAGE_WON : v1::STAGE_LOST);
  return it == entered.end() ? 0 : it->second;
}

std::string Counts(int64_t won, int64_t lost) {
  return absl::StrFormat("%d won, %d lost", won, lost);
}

absl::StatusOr<v1::ModelMetrics> HeldOutMetrics(const FactRowModel& model,
                                                const std::vector<Closed>& held) {
  int64_t won = 0;
  for (const Closed& e : held) won += e.won ? 1 : 0;
  const int64_t lost = static_cast<int64_t>(held.size()) - won;
  if (won == 0 || lost == 0) {
    return absl::FailedPreconditionError(
        StrCat("the held-out part has ", Counts(won, lost), ": need both to measure a model"));
  }
  std::vector<std::pair<double, bool>> logits;
  std::vector<std::pair<double, bool>> probabilities;
  logits.reserve(held.size());
  probabilities.reserve(held.size());
  double loss = 0;
  for (const Closed& e : held) {
    const double z = model.Logit(*e.row);
    if (std::isnan(z)) {
      return absl::FailedPreconditionError(StrCat("the model's log-odds of lead ", e.row->lead_id(),
                                                  " cycle ", e.row->cycle(), " are not a number"));
    }
    loss += e.won ? Softplus(-z) : Softplus(z);
    logits.emplace_back(z, e.won);  // ranks by log-odds: no ties from probabilities rounding to 1
    probabilities.emplace_back(1.0 / (1.0 + std::exp(-z)), e.won);
  }
  v1::ModelMetrics m;
  m.set_auc(Auc(logits));
  m.set_log_loss(loss / static_cast<double>(held.size()));
  m.set_calibration_error(CalibrationError(probabilities));
  m.set_validation_examples(static_cast<int64_t>(held.size()));
  return m;
}

// Solves a·x = b for a symmetric positive definite d×d `a` (row-major) by Cholesky; false when `a`
// is not positive definite.
bool CholeskySolve(std::vector<double> a, std::vector<double> b, size_t d, std::vector<double>* x) {
  for (size_t j = 0; j < d; ++j) {
    double diag = a[j * d + j];
    for (size_t k = 0; k < j; ++k) diag -= a[j * d + k] * a[j * d + k];
    if (!(diag > 0)) return false;
    const double l = std::sqrt(diag);
    a[j * d + j] = l;
    for (size_t i = j + 1; i < d; ++i) {
      double v = a[i * d + j];
      for (size_t k = 0; k < j; ++k) v -= a[i * d + k] * a[j * d + k];
      a[i * d + j] = v / l;
    }
  }
  for (size_t i = 0; i < d; ++i) {  // L·y = b
    for (size_t k = 0; k < i; ++k) b[i] -= a[i * d + k] * b[k];
    b[i] /= a[i * d + i];
  }
  for (size_t i = d; i-- > 0;) {  // Lᵀ·x = y
    for (size_t k = i + 1; k < d; ++k) b[i] -= a[k * d + i] * b[k];
    b[i] /= a[i * d + i];
  }
  *x = std::move(b);
  return true;
}

// One training example: (index, scaled value) of its non-zero features, index 0 the intercept's.
struct Example {
  std::vector<std::pair<size_t, double>> x;
  double y = 0;
};

double LogitOf(const std::vector<double>& beta, const Example& e) {
  double z = beta[0];
  for (const auto& [j, v] : e.x) z += beta[j] * v;
  return z;
}

// Σ log loss + l2/2 · Σ_{j≥1} βj².
double Objective(const std::vector<double>& beta, const std::vector<Example>& examples, double l2) {
  double f = 0;
  for (const Example& e : examples) {
    const double z = LogitOf(beta, e);
    f += e.y > 0 ? Softplus(-z) : Softplus(z);
  }
  for (size_t j = 1; j < beta.size(); ++j) f += 0.5 * l2 * beta[j] * beta[j];
  return f;
}

struct Fit {
  std::vector<double> beta;
  int iterations = 0;
};

// L2-regularised logistic regression by Newton's method with a backtracking line search. The
// objective is strictly convex (l2 > 0 on the weights, and the intercept's curvature is positive
// while both classes are present), so Newton converges, quadratically near the optimum.
absl::StatusOr<Fit> FitLogistic(const std::vector<Example>& examples, size_t d, double prior_logit,
                                const TrainOptions& options) {
  Fit fit;
  fit.beta.assign(d, 0.0);
  fit.beta[0] = prior_logit;  // the base rate: the best intercept-only model
  double f0 = Objective(fit.beta, examples, options.l2);
  for (;;) {
    if (fit.iterations >= options.max_iterations) {
      return absl::FailedPreconditionError(
          StrCat("the fit did not converge in ", options.max_iterations, " Newton steps"));
    }
    std::vector<double> g(d, 0.0);
    std::vector<double> h(d * d, 0.0);
    for (const Example& e : examples) {
      const double p = Sigmoid(LogitOf(fit.beta, e));
      const double r = p - e.y;
      const double w = p * (1 - p);
      g[0] += r;
      h[0] += w;
      for (size_t a = 0; a < e.x.size(); ++a) {
        const auto [j, v] = e.x[a];
        g[j] += r * v;
        h[j] += w * v;  // row 0
        for (size_t b = a; b < e.x.size(); ++b) h[j * d + e.x[b].first] += w * v * e.x[b].second;
      }
    }
    for (size_t j = 1; j < d; ++j) {
      g[j] += options.l2 * fit.beta[j];
      h[j * d + j] += options.l2;
    }
    for (size_t i = 0; i < d; ++i) {  // e.x is in index order: the upper triangle is filled
      for (size_t j = i + 1; j < d; ++j) h[j * d + i] = h[i * d + j];
    }
    std::vector<double> minus_g(d);
    for (size_t j = 0; j < d; ++j) minus_g[j] = -g[j];
    std::vector<double> step;
    if (!CholeskySolve(h, minus_g, d, &step)) {
      return absl::FailedPreconditionError(
          "the fit's Hessian is not positive definite (are all examples one outcome?)");
    }
    // The Newton decrement: half of it estimates how far the objective is above its minimum.
    double decrement = 0;
    for (size_t j = 0; j < d; ++j) decrement -= g[j] * step[j];
    if (!std::isfinite(decrement)) {
      return absl::FailedPreconditionError("the fit diverged (a non-finite Newton step)");
    }
    if (decrement / 2 <= options.tolerance * std::max(1.0, std::fabs(f0))) return fit;
    double t = 1;
    std::vector<double> next(d);
    double f1 = 0;
    for (;;) {
      for (size_t j = 0; j < d; ++j) next[j] = fit.beta[j] + t * step[j];
      f1 = Objective(next, examples, options.l2);
      if (f1 <= f0 - 1e-4 * t * decrement) break;
      t /= 2;
      if (t < 1e-12) return fit;  // no further progress in double precision
    }
    fit.beta = next;
    f0 = f1;
    ++fit.iterations;
  }
}

absl::Status ValidateOptions(const TrainOptions& o) {
  if (!(o.holdout_fraction > 0 && o.holdout_fraction < 1)) {
    return absl::InvalidArgumentError("holdout_fraction must be between 0 and 1");
  }
  if (!(o.l2 > 0) || !std::isfinite(o.l2)) {
    return absl::InvalidArgumentError("l2 must be a positive number");
  }
  if (o.max_iterations < 1) return absl::InvalidArgumentError("max_iterations must be positive");
  if (!(o.tolerance > 0)) return absl::InvalidArgumentError("tolerance must be positive");
  if (o.min_feature_count < 1) {
    return absl::InvalidArgumentError("min_feature_count must be positive");
  }
  if (o.min_class_examples < 1) {
    return absl::InvalidArgumentError("min_class_examples must be positive");
  }
  return absl::OkStatus();
}

}  // namespace

std::optional<bool> Won(const v1::LeadCycleFacts& row) {
  switch (row.outcome()) {
    case v1::OPPORTUNITY_OUTCOME_WON:
      return true;
    case v1::OPPORTUNITY_OUTCOME_LOST:
      return false;
    default:
      return std::nullopt;
  }
}

std::vector<std::pair<std::string, double>> Features(const v1::LeadCycleFacts& row) {
  std::vector<std::pair<std::string, double>> out;
  out.emplace_back("fit_score", row.fit_score());
  out.emplace_back("engagement_score", row.engagement_score());
  if (const std::string_view g = GradeText(row.fit_grade()); !g.empty()) {
    out.emplace_back(StrCat("fit_grade=", g), 1.0);
  }
  if (!ChannelText(row.first_touch().channel()).empty()) {
    out.emplace_back(StrCat("source.channel=", v1::Channel_Name(row.first_touch().channel())), 1.0);
  }
  const auto text = [&out](std::string_view attribute, const std::string& value) {
    if (!value.empty()) out.emplace_back(StrCat(attribute, "=", AsciiStrToLower(value)), 1.0);
  };
  text("company.industry", row.industry());
  text("company.country_code", row.country_code());
  text("person.seniority", row.seniority());
  text("person.department", row.department());
  return out;
}

bool IsHeldOut(const v1::LeadCycleFacts& row, double holdout_fraction) {
  const uint64_t h = StableHash(StrCat(row.lead_id(), "/", row.cycle()));
  return static_cast<double>(h >> 11) * 0x1.0p-53 < holdout_fraction;
}

absl::StatusOr<FactRowModel> FactRowModel::Compile(const v1::ScoringModel& model) {
  // What fact rows record of a lead; a model using anything else (company.annual_revenue,
  // person.job_title, custom.*) cannot be evaluated on them.
  static const std::set<std::string, std::less<>> kRecorded = {"fit_score",
                                                               "engagement_score",
                                                               "fit_grade",
                                                               "company.employee_count",
                                                               "company.industry",
                                                               "company.country_code",
                                                               "person.seniority",
                                                               "person.department",
                                                               "source.channel",
                                                               "source.campaign_id",
                                                               "source.source_system",
                                                               "score.fit_grade"};
  absl::StatusOr<lifecycle::CompiledScoringModel> compiled =
      lifecycle::CompiledScoringModel::Compile(model);
  if (!compiled.ok()) return compiled.status();
  for (int i = 0; i < model.features_size(); ++i) {
    const std::string_view name = model.features(i).feature();
    if (!kRecorded.contains(name.substr(0, name.find('=')))) {
      return absl::InvalidArgumentError(
          StrCat("scoring_model.features[", i, "] '", name,
                 "': not an attribute fact rows record (fit_score, engagement_score, fit_grade, "
                 "company.employee_count, company.industry, company.country_code, "
                 "person.seniority, person.department, source.channel, source.campaign_id, "
                 "source.source_system, score.fit_grade)"));
    }
  }
  FactRowModel out;
  out.model_ = std::move(*compiled);
  return out;
}

double FactRowModel::Logit(const v1::LeadCycleFacts& row) const {
  // The lead as qualification saw it at qualification, from what the row recorded.
  v1::Lead lead;
  v1::Company& company = *lead.mutable_company();
  company.set_industry(row.industry());
  company.set_country_code(row.country_code());
  company.set_employee_count(row.employee_count());
  lead.mutable_person()->set_seniority(row.seniority());
  lead.mutable_person()->set_department(row.department());
  *lead.mutable_first_touch() = row.first_touch();
  lead.mutable_score()->set_fit_grade(row.fit_grade());
  return model_->Logit(lead, row.fit_score(), row.fit_grade(), row.engagement_score());
}

double FactRowModel::Probability(const v1::LeadCycleFacts& row) const {
  return 1.0 / (1.0 + std::exp(-Logit(row)));
}

absl::StatusOr<TrainResult> Train(const std::vector<v1::LeadCycleFacts>& rows,
                                  const TrainOptions& options, std::string model_version,
                                  int64_t trained_at_ms) {
  if (absl::Status s = ValidateOptions(options); !s.ok()) return s;
  const std::vector<Closed> closed = ClosedExamples(rows);
  int64_t won = 0;
  for (const Closed& e : closed) won += e.won ? 1 : 0;
  const int64_t lost = static_cast<int64_t>(closed.size()) - won;
  if (static_cast<int64_t>(closed.size()) < options.min_examples ||
      won < options.min_class_examples || lost < options.min_class_examples) {
    return absl::FailedPreconditionError(absl::StrFormat(
        "too few closed lead-cycles to train on: %d (%s); need at least %d, and %d won and %d "
        "lost",
        closed.size(), Counts(won, lost), options.min_examples, options.min_class_examples,
        options.min_class_examples));
  }
  std::vector<Closed> training;
  std::vector<Closed> held;
  for (const Closed& e : closed) {
    (IsHeldOut(*e.row, options.holdout_fraction) ? held : training).push_back(e);
  }
  int64_t training_won = 0;
  for (const Closed& e : training) training_won += e.won ? 1 : 0;
  const int64_t training_lost = static_cast<int64_t>(training.size()) - training_won;
  if (training_won == 0 || training_lost == 0) {
    return absl::FailedPreconditionError(StrCat("the training part has ",
                                                Counts(training_won, training_lost),
                                                ": need both to fit a model"));
  }

  // The vocabulary: the scores, and the one-hots seen often enough in the training part (a rare
  // value's weight would be noise). Ordered by name, so the model is the same on every run.
  std::vector<std::vector<std::pair<std::string, double>>> features;
  features.reserve(training.size());
  std::map<std::string, int> seen;
  for (const Closed& e : training) {
    features.push_back(Features(*e.row));
    for (const auto& [name, value] : features.back()) {
      if (name != "fit_score" && name != "engagement_score") ++seen[name];
    }
  }
  std::vector<std::string> names = {"fit_score", "engagement_score"};
  std::vector<double> scale = {kScoreScale, kScoreScale};
  for (const auto& [name, count] : seen) {
    if (count < options.min_feature_count) continue;
    names.push_back(name);
    scale.push_back(1.0);
  }
  std::map<std::string, size_t, std::less<>> index;
  for (size_t j = 0; j < names.size(); ++j) index[names[j]] = j + 1;  // 0 is the intercept

  std::vector<Example> examples(training.size());
  for (size_t i = 0; i < training.size(); ++i) {
    examples[i].y = training[i].won ? 1 : 0;
    for (const auto& [name, value] : features[i]) {
      const auto it = index.find(name);
      if (it == index.end() || value == 0) continue;
      examples[i].x.emplace_back(it->second, value / scale[it->second - 1]);
    }
    std::sort(examples[i].x.begin(), examples[i].x.end());
  }
  const double prior_logit =
      std::log(static_cast<double>(training_won) / static_cast<double>(training_lost));
  absl::StatusOr<Fit> fit = FitLogistic(examples, names.size() + 1, prior_logit, options);
  if (!fit.ok()) return fit.status();

  TrainResult out;
  out.iterations = fit->iterations;
  v1::ScoringModel& model = out.model;
  model.set_model_version(std::move(model_version));
  model.set_intercept(fit->beta[0]);
  for (size_t j = 0; j < names.size(); ++j) {
    v1::FeatureWeight* fw = model.add_features();
    fw->set_feature(names[j]);
    fw->set_weight(fit->beta[j + 1] / scale[j]);  // per unit of the feature as Predict reads it
  }
  *model.mutable_trained_at() = TimestampFromMillis(trained_at_ms);
  int64_t first = std::numeric_limits<int64_t>::max();
  int64_t last = 0;
  for (const Closed& e : closed) {
    const int64_t at = ClosedAtMs(e);
    if (at == 0) continue;
    first = std::min(first, at);
    last = std::max(last, at);
  }
  if (last > 0) {
    *model.mutable_training_window_start() = TimestampFromMillis(first);
    *model.mutable_training_window_end() = TimestampFromMillis(last);
  }
  // Measured through FactRowModel, the published weights as qualification will apply them: the
  // candidate is measured exactly as Evaluate measures the current model.
  absl::StatusOr<FactRowModel> compiled = FactRowModel::Compile(model);
  if (!compiled.ok()) return compiled.status();
  absl::StatusOr<v1::ModelMetrics> metrics = HeldOutMetrics(*compiled, held);
  if (!metrics.ok()) return metrics.status();
  metrics->set_won(won);
  metrics->set_lost(lost);
  metrics->set_training_examples(static_cast<int64_t>(training.size()));
  *model.mutable_metrics() = *std::move(metrics);
  model.set_active(true);
  return out;
}

absl::StatusOr<v1::ModelMetrics> Evaluate(const v1::ScoringModel& model,
                                          const std::vector<v1::LeadCycleFacts>& rows,
                                          const TrainOptions& options) {
  if (!(options.holdout_fraction > 0 && options.holdout_fraction < 1)) {
    return absl::InvalidArgumentError("holdout_fraction must be between 0 and 1");
  }
  absl::StatusOr<FactRowModel> compiled = FactRowModel::Compile(model);
  if (!compiled.ok()) return compiled.status();
  std::vector<Closed> held;
  for (const Closed& e : ClosedExamples(rows)) {
    if (IsHeldOut(*e.row, options.holdout_fraction)) held.push_back(e);
  }
  return HeldOutMetrics(*compiled, held);
}

PublishDecision Decide(const v1::ScoringModel& candidate,
                       const std::optional<v1::ModelMetrics>& current,
                       const DecideOptions& options) {
  const v1::ModelMetrics& m = candidate.metrics();
  const int64_t n = m.validation_examples();
  if (n == 0) return {false, "the candidate was not measured on any held-out deals"};
  if (!(m.auc() >= options.min_auc)) {
    return {false, absl::StrFormat("AUC %.3f is below the minimum %.3f on %d held-out deals",
                                   m.auc(), options.min_auc, n)};
  }
  if (!(m.calibration_error() <= options.max_calibration_error)) {
    return {false,
            absl::StrFormat("calibration error %.3f is above the bound %.3f on %d held-out deals "
                            "(its scores do not mean the win rates they say)",
                            m.calibration_error(), options.max_calibration_error, n)};
  }
  if (!current.has_value()) {
    return {true, absl::StrFormat("AUC %.3f on %d held-out deals, and there is no current model",
                                  m.auc(), n)};
  }
  if (current->validation_examples() != n) {
    return {false, absl::StrFormat("not comparable: the candidate was measured on %d held-out "
                                   "deals, the current model on %d",
                                   n, current->validation_examples())};
  }
  if (!(m.auc() > current->auc() + options.min_improvement)) {
    return {false, absl::StrFormat("AUC %.3f does not beat the current model's %.3f by %.3f on %d "
                                   "held-out deals",
                                   m.auc(), current->auc(), options.min_improvement, n)};
  }
  return {true, absl::StrFormat("AUC %.3f beats the current model's %.3f on %d held-out deals",
                                m.auc(), current->auc(), n)};
}

double Auc(const std::vector<std::pair<double, bool>>& scored) {
  std::vector<std::pair<double, bool>> sorted = scored;
  std::sort(sorted.begin(), sorted.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  double won_rank_sum = 0;  // ranks 1…n, tied scores sharing their mean rank
  double won = 0;
  for (size_t i = 0; i < sorted.size();) {
    size_t j = i;
    while (j < sorted.size() && sorted[j].first == sorted[i].first) ++j;
    const double mean_rank = (static_cast<double>(i + 1) + static_cast<double>(j)) / 2;
    for (size_t k = i; k < j; ++k) {
      if (!sorted[k].second) continue;
      won_rank_sum += mean_rank;
      won += 1;
    }
    i = j;
  }
  const double lost = static_cast<double>(sorted.size()) - won;
  if (won == 0 || lost == 0) return std::numeric_limits<double>::quiet_NaN();
  return (won_rank_sum - won * (won + 1) / 2) / (won * lost);
}

double CalibrationError(const std::vector<std::pair<double, bool>>& predicted) {
  if (predicted.empty()) return 0;
  std::array<double, 10> probability_sum{};
  std::array<double, 10> won_sum{};
  for (const auto& [p, won] : predicted) {
    // fmax/fmin: a NaN falls in bin 0 (and makes the sum NaN) instead of indexing out of range.
    const size_t bin = static_cast<size_t>(std::fmin(std::fmax(std::floor(p * 10), 0.0), 9.0));
    probability_sum[bin] += p;
    won_sum[bin] += won ? 1 : 0;
  }
  // Σ_bins (n_b / n) · |Σp/n_b − Σwon/n_b| = Σ_bins |Σp − Σwon| / n.
  double gap = 0;
  for (size_t b = 0; b < 10; ++b) gap += std::fabs(probability_sum[b] - won_sum[b]);
  return gap / static_cast<double>(predicted.size());
}

}  // namespace leadflow::reporting
