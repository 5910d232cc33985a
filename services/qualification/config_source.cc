#include "services/qualification/config_source.h"

#include "services/common/lifecycle/nurture_config.h"

#include "services/common/base/strings.h"
#include "services/common/lifecycle/stage_model.h"
#include "services/qualification/icp_config.h"

namespace leadflow::qualification {

absl::StatusOr<std::unique_ptr<ConfigSource>> ConfigSource::Create(
    const std::string& icp_file, const std::string& stages_file, const std::string& nurture_file) {
  absl::StatusOr<v1::IcpConfig> icp = LoadIcpFile(icp_file);
  if (!icp.ok()) return icp.status();
  absl::StatusOr<v1::StageModel> stages = lifecycle::LoadStageModelFile(stages_file);
  if (!stages.ok()) return stages.status();
  std::optional<v1::NurtureConfig> nurture;
  if (!nurture_file.empty()) {
    absl::StatusOr<v1::NurtureConfig> loaded = lifecycle::LoadNurtureFile(nurture_file);
    if (!loaded.ok()) return loaded.status();
    nurture = std::move(*loaded);
  }
  auto initial = BuildConfig(*icp, 0, *stages, 0, nullptr, 0, nurture ? &*nurture : nullptr, 0);
  if (!initial.ok()) return initial.status();
  return std::unique_ptr<ConfigSource>(new ConfigSource(std::move(*icp), std::move(*stages),
                                                        std::move(nurture), std::move(*initial)));
}

namespace {

// Why a published record of `kind` cannot be used; empty when it can.
std::string Unusable(const std::string& kind, const v1::ConfigRecord& record) {
  const int64_t version = record.version().version();
  if (kind == "icp") {
    if (std::vector<ConfigViolation> v = ValidateIcp(record.icp()); !v.empty()) {
      return StrCat("icp version ", version, ": ", v.front().path, ": ", v.front().why);
    }
  } else if (kind == "stage_model") {
    if (std::vector<ConfigViolation> v = lifecycle::ValidateStageModel(record.stage_model());
        !v.empty()) {
      return StrCat("stage_model version ", version, ": ", v.front().path, ": ", v.front().why);
    }
    if (lifecycle::FindStage(record.stage_model(), v1::STAGE_MQL) == nullptr) {
      return StrCat("stage_model version ", version, ": has no MQL stage");
    }
  } else if (kind == "scoring_model" && record.scoring_model().active()) {
    if (absl::StatusOr<CompiledModel> m = CompiledModel::Compile(record.scoring_model()); !m.ok()) {
      return StrCat("scoring_model version ", version, ": ", m.status().message());
    }
  }
  return "";
}

}  // namespace

absl::StatusOr<ConfigSource::Update> ConfigSource::Refresh(
    uint64_t generation, const config::ConfigRecords::Getter& get) {
  Update out;
  absl::StatusOr<config::ConfigRecords::Refreshed> refreshed = records_.Refresh(generation, get);
  if (!refreshed.ok()) return refreshed.status();
  out.errors = std::move(refreshed->errors);
  if (refreshed->changed.empty()) return out;
  // Each changed kind is checked as the publisher checks it. A record that fails is reported (once:
  // it is checked when it arrives) and the last good record of its kind stays in force; the other
  // kinds go ahead.
  bool any = false;
  for (const std::string& kind : refreshed->changed) {
    const v1::ConfigRecord* record = records_.Find(kind);
    if (record == nullptr) continue;
    if (std::string why = Unusable(kind, *record); !why.empty()) {
      out.errors.push_back(std::move(why));
      continue;
    }
    good_.insert_or_assign(kind, *record);
    any = true;
  }
  if (!any) return out;
  auto find = [&](const char* kind) -> const v1::ConfigRecord* {
    auto it = good_.find(kind);
    return it == good_.end() ? nullptr : &it->second;
  };
  const v1::ConfigRecord* icp = find("icp");
  const v1::ConfigRecord* stages = find("stage_model");
  const v1::ConfigRecord* model = find("scoring_model");
  const v1::ConfigRecord* nurture = find("nurture");
  auto built = BuildConfig(icp != nullptr ? icp->icp() : local_icp_,
                           icp != nullptr ? icp->version().version() : 0,
                           stages != nullptr ? stages->stage_model() : local_stages_,
                           stages != nullptr ? stages->version().version() : 0,
                           model != nullptr ? &model->scoring_model() : nullptr,
                           model != nullptr ? model->version().version() : 0,
                           nurture != nullptr ? &nurture->nurture()
                           : local_nurture_   ? &*local_nurture_
                                              : nullptr,
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
