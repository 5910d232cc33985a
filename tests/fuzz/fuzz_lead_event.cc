// Fuzz target: what a stream step does with a record from its input topic, on hostile bytes. The
// input is a serialized LeadEvent (any event kind, any field values, from any producer that can
// write to the topic); qualification's decision (pure: qualification::Apply with the shipped
// config/) runs on it from no state and again from the state it produced (a redelivery), and a
// re-score of that state. Nothing may crash or trip an invariant; a refusal is a Status.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>

#include "leadflow/v1/lead.pb.h"
#include "services/common/lifecycle/nurture_config.h"
#include "services/common/lifecycle/stage_model.h"
#include "services/qualification/icp_config.h"
#include "services/qualification/qualifier.h"

namespace {

std::shared_ptr<const leadflow::qualification::QualificationConfig> LoadConfig() {
  const std::string dir = std::string(LEADFLOW_SOURCE_DIR) + "/config/";
  auto icp = leadflow::qualification::LoadIcpFile(dir + "icp.yaml");
  auto stages = leadflow::lifecycle::LoadStageModelFile(dir + "stages.yaml");
  auto nurture = leadflow::lifecycle::LoadNurtureFile(dir + "nurture.yaml");
  if (!icp.ok() || !stages.ok() || !nurture.ok()) std::abort();
  auto config = leadflow::qualification::BuildConfig(*icp, 1, *stages, 1, nullptr, 0, &*nurture, 1);
  if (!config.ok()) std::abort();
  return *config;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::shared_ptr<const leadflow::qualification::QualificationConfig> config =
      LoadConfig();
  leadflow::v1::LeadEvent event;
  if (!event.ParseFromArray(data, static_cast<int>(size))) return 0;
  const int64_t now_ms = 1'800'000'000'000;
  auto first = leadflow::qualification::Apply(std::nullopt, event, *config, now_ms);
  if (!first.ok() || first->outcome == leadflow::qualification::Outcome::kErased) return 0;
  auto again = leadflow::qualification::Apply(first->state, event, *config, now_ms + 1);
  (void)again;
  (void)leadflow::qualification::Rescore(first->state, "fuzz", now_ms + 2, *config, now_ms + 2);
  return 0;
}
