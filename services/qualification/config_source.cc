#include "services/qualification/config_source.h"

#include "services/common/base/strings.h"
#include "services/common/lifecycle/stage_model.h"
#include "services/qualification/icp_config.h"

namespace leadflow::qualification {

absl::StatusOr<std::unique_ptr<ConfigSource>> ConfigSource::Create(const std::string& icp_file,
                                                                   const std::string& stages_file) {
  absl::StatusOr<v1::IcpConfig> icp = LoadIcpFile(icp_file);
  if (!icp.ok()) return icp.status();
  absl::StatusOr<v1::StageModel> stages = lifecycle::LoadStageModelFile(stages_file);
  if (!stages.ok()) return stages.status();
  auto initial = BuildConfig(*icp, 0, *stages, 0, nullptr, 0, nullptr, 0);
  if (!initial.ok()) return initial.status();
  return std::unique_ptr<ConfigSource>(
      new ConfigSource(std::move(*icp), std::move(*stages), std::move(*initial)));
}

absl::StatusOr<ConfigSource::Update> ConfigSource::Refresh(
    uint64_t generation, const config::ConfigRecords::Getter& get) {
  Update out;
  absl::StatusOr<config::ConfigRecords::Refreshed> refreshed = records_.Refresh(generation, get);
  if (!refreshed.ok()) return refreshed.status();
  out.errors = std::move(refreshed->errors);
  if (refreshed->changed.empty()) return out;

  const v1::ConfigRecord* icp = records_.Find("icp");
  const v1::ConfigRecord* stages = records_.Find("stage_model");
  const v1::ConfigRecord* model = records_.Find("scoring_model");
  const v1::ConfigRecord* nurture = records_.Find("nurture");
  // Each published kind is checked as the publisher checked it: a record that fails here is not
  // used (the kind falls back to what was in force before).
  const v1::IcpConfig& icp_config = icp != nullptr ? icp->icp() : local_icp_;
  const v1::StageModel& stage_config = stages != nullptr ? stages->stage_model() : local_stages_;
  if (icp != nullptr) {
    if (std::vector<ConfigViolation> v = ValidateIcp(icp_config); !v.empty()) {
      out.errors.push_back(StrCat("icp version ", icp->version().version(), ": ", v.front().path,
                                  ": ", v.front().why));
      return out;
    }
  }
  if (stages != nullptr) {
    if (std::vector<ConfigViolation> v = lifecycle::ValidateStageModel(stage_config); !v.empty()) {
      out.errors.push_back(StrCat("stage_model version ", stages->version().version(), ": ",
                                  v.front().path, ": ", v.front().why));
      return out;
    }
  }
  if (model != nullptr && model->scoring_model().active()) {
    if (absl::StatusOr<CompiledModel> m = CompiledModel::Compile(model->scoring_model()); !m.ok()) {
      out.errors.push_back(StrCat("scoring_model version ", model->version().version(), ": ",
                                  m.status().message(), "; scoring without a model"));
      model = nullptr;
    }
  }
  auto built = BuildConfig(icp_config, icp != nullptr ? icp->version().version() : 0, stage_config,
                           stages != nullptr ? stages->version().version() : 0,
                           model != nullptr ? &model->scoring_model() : nullptr,
                           model != nullptr ? model->version().version() : 0,
                           nurture != nullptr ? &nurture->nurture() : nullptr,
                           nurture != nullptr ? nurture->version().version() : 0);
  if (!built.ok()) {
    out.errors.push_back(std::string(built.status().message()));
    return out;
  }
  current_ = std::move(*built);
  out.changed = true;
  return out;
}

}  // namespace leadflow::qualification
