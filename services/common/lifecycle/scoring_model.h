// The predictive scoring model as qualification applies it and reporting's trainer evaluates it:
// one implementation, so a model is measured exactly as it will score leads. Pure.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "leadflow/v1/config.pb.h"
#include "leadflow/v1/lead.pb.h"
#include "services/common/lifecycle/conditions.h"

namespace leadflow::lifecycle {

// The predictive model (ScoringModel, trained by reporting, applied by qualification) compiled:
// features resolved once. A feature is "fit_score" or
// "engagement_score" (0–100), a numeric attribute ("company.employee_count"), "fit_grade=<A-D>", or
// "<attribute>=<value>" (1 when the lead's attribute equals the value, ignoring case; for
// source.channel both "CHANNEL_WEBINAR" and "webinar" name the webinar channel).
struct PredictiveResult {
  double score = 0;  // 100 × sigmoid(intercept + Σ weight × value)
  std::vector<v1::ScoreContribution> contributions;  // features with a non-zero value
};

class CompiledScoringModel {
 public:
  // Fails on an unknown feature name or a non-finite weight.
  static absl::StatusOr<CompiledScoringModel> Compile(const v1::ScoringModel& model);
  // The lead with its fit score and grade and its engagement score. `explain`: also fill the
  // contributions (texts are built only then).
  PredictiveResult Predict(const v1::Lead& lead, double fit_score, v1::FitGrade fit_grade,
                           double engagement_score, bool explain) const;
  // intercept + Σ weight × value, summed in the model's feature order (Predict's log-odds).
  double Logit(const v1::Lead& lead, double fit_score, v1::FitGrade fit_grade,
               double engagement_score) const;
  // The feature names, in order.
  std::vector<std::string> feature_names() const;
  const std::string& version() const { return version_; }

 private:
  struct Feature {
    enum class Kind : uint8_t { kFitScore, kEngagementScore, kNumber, kEquals, kGrade } kind;
    std::optional<LeadAttribute> attr;
    std::string value;  // lower-cased operand of kEquals
    v1::FitGrade grade = v1::FIT_GRADE_UNSPECIFIED;
    double weight = 0;
    std::string name;
  };
  double Sum(const v1::Lead& lead, double fit_score, v1::FitGrade fit_grade,
             double engagement_score, std::vector<v1::ScoreContribution>* explained) const;

  std::string version_;
  double intercept_ = 0;
  std::vector<Feature> features_;
};

}  // namespace leadflow::lifecycle
