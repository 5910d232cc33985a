#include "services/common/lifecycle/scoring_model.h"

#include <cmath>

#include "services/common/base/strings.h"
#include "services/common/base/words.h"

namespace leadflow::lifecycle {

absl::StatusOr<CompiledScoringModel> CompiledScoringModel::Compile(const v1::ScoringModel& model) {
  CompiledScoringModel out;
  out.version_ = model.model_version();
  out.intercept_ = model.intercept();
  if (!std::isfinite(out.intercept_)) {
    return absl::InvalidArgumentError("scoring_model.intercept: is not a finite number");
  }
  for (int i = 0; i < model.features_size(); ++i) {
    const v1::FeatureWeight& fw = model.features(i);
    Feature f;
    f.name = fw.feature();
    f.weight = fw.weight();
    const std::string where = StrCat("scoring_model.features[", i, "] '", fw.feature(), "'");
    if (!std::isfinite(f.weight)) {
      return absl::InvalidArgumentError(StrCat(where, ": weight is not a finite number"));
    }
    const std::string_view name = fw.feature();
    const size_t eq = name.find('=');
    if (name == "fit_score") {
      f.kind = Feature::Kind::kFitScore;
    } else if (name == "engagement_score") {
      f.kind = Feature::Kind::kEngagementScore;
    } else if (eq == std::string_view::npos) {
      f.attr = LeadAttribute::Parse(name);
      if (!f.attr.has_value() || !f.attr->numeric()) {
        return absl::InvalidArgumentError(
            StrCat(where,
                   ": not fit_score, engagement_score, a numeric attribute or "
                   "<attribute>=<value>"));
      }
      f.kind = Feature::Kind::kNumber;
    } else if (name.substr(0, eq) == "fit_grade") {
      const std::string grade = AsciiStrToUpper(name.substr(eq + 1));
      v1::FitGrade g = v1::FIT_GRADE_UNSPECIFIED;
      if (grade.size() != 1 || !v1::FitGrade_Parse(StrCat("FIT_GRADE_", grade), &g)) {
        return absl::InvalidArgumentError(StrCat(where, ": fit_grade must be A, B, C or D"));
      }
      f.kind = Feature::Kind::kGrade;
      f.grade = g;
    } else {
      f.attr = LeadAttribute::Parse(name.substr(0, eq));
      if (!f.attr.has_value() || f.attr->numeric()) {
        return absl::InvalidArgumentError(StrCat(where, ": unknown text attribute"));
      }
      f.kind = Feature::Kind::kEquals;
      f.value = AsciiStrToLower(name.substr(eq + 1));
      if (name.substr(0, eq) == "source.channel" && StartsWith(f.value, "channel_")) {
        f.value = f.value.substr(8);
      }
    }
    out.features_.push_back(std::move(f));
  }
  return out;
}

double CompiledScoringModel::Sum(const v1::Lead& lead, double fit_score, v1::FitGrade fit_grade,
                                 double engagement_score,
                                 std::vector<v1::ScoreContribution>* explained) const {
  double logit = intercept_;
  for (const Feature& f : features_) {
    double value = 0;
    switch (f.kind) {
      case Feature::Kind::kFitScore:
        value = fit_score;
        break;
      case Feature::Kind::kEngagementScore:
        value = engagement_score;
        break;
      case Feature::Kind::kNumber: {
        const AttributeValue v = f.attr->Of(lead);
        value = v.is_number ? v.number : 0;
        break;
      }
      case Feature::Kind::kEquals:
        value = EqualsLower(f.attr->Of(lead).text, f.value) ? 1 : 0;
        break;
      case Feature::Kind::kGrade:
        value = fit_grade == f.grade ? 1 : 0;
        break;
    }
    if (value == 0) continue;
    const double points = f.weight * value;
    logit += points;
    if (explained == nullptr) continue;
    v1::ScoreContribution c;
    c.set_component(v1::SCORE_COMPONENT_PREDICTIVE);
    c.set_rule_id(f.name);
    c.set_points(points);
    c.mutable_reason()->set_code(StrCat("model.", f.name));
    c.mutable_reason()->set_text(
        f.kind == Feature::Kind::kEquals || f.kind == Feature::Kind::kGrade
            ? StrCat(f.name, " (", points >= 0 ? "+" : "", FormatNumber(points, 2), " log-odds)")
            : StrCat(f.name, " ", FormatNumber(value, 2), " x ", FormatNumber(f.weight, 2), " = ",
                     FormatNumber(points, 2), " log-odds"));
    explained->push_back(std::move(c));
  }
  return logit;
}

PredictiveResult CompiledScoringModel::Predict(const v1::Lead& lead, double fit_score,
                                               v1::FitGrade fit_grade, double engagement_score,
                                               bool explain) const {
  PredictiveResult out;
  const double logit =
      Sum(lead, fit_score, fit_grade, engagement_score, explain ? &out.contributions : nullptr);
  out.score = 100.0 / (1.0 + std::exp(-logit));
  return out;
}

double CompiledScoringModel::Logit(const v1::Lead& lead, double fit_score, v1::FitGrade fit_grade,
                                   double engagement_score) const {
  return Sum(lead, fit_score, fit_grade, engagement_score, nullptr);
}

std::vector<std::string> CompiledScoringModel::feature_names() const {
  std::vector<std::string> out;
  for (const Feature& f : features_) out.push_back(f.name);
  return out;
}

}  // namespace leadflow::lifecycle
