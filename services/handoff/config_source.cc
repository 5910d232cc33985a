#include "services/handoff/config_source.h"

#include "services/common/base/strings.h"
#include "services/common/lifecycle/comp.h"
#include "services/common/lifecycle/stage_model.h"

namespace leadflow::handoff {
namespace {
using lifecycle::LoadCompFile;
using lifecycle::ValidateComp;

std::string FirstViolation(const std::vector<config::ConfigViolation>& v) {
  return v.empty() ? std::string() : StrCat(v.front().path, ": ", v.front().why);
}

}  // namespace

namespace {

absl::StatusOr<std::shared_ptr<const HandoffConfig>> Build(const config::ConfigSet& set) {
  const v1::ConfigRecord* routing = set.Get("routing");
  const v1::ConfigRecord* sla = set.Get("sla");
  const v1::ConfigRecord* stages = set.Get("stage_model");
  const v1::ConfigRecord* comp = set.Get("comp_summary");
  absl::StatusOr<Router> router = Router::Create(routing->routing());
  if (!router.ok()) return router.status();
  absl::StatusOr<Sla> s = Sla::Create(sla->sla());
  if (!s.ok()) return s.status();
  auto out = std::make_shared<HandoffConfig>();
  out->version = set.version();
  out->router = std::move(*router);
  out->routing_version = routing->version().version();
  out->sla = std::move(*s);
  out->sla_config = sla->sla();
  out->stages = stages->stage_model();
  if (comp != nullptr) {
    out->comp = comp->comp_summary();
    out->comp_version = comp->version().version();
  }
  return std::shared_ptr<const HandoffConfig>(std::move(out));
}

}  // namespace

absl::StatusOr<std::unique_ptr<HandoffConfigSource>> LoadHandoffConfig(const HandoffFiles& files) {
  absl::StatusOr<v1::RoutingConfig> routing = LoadRoutingFile(files.routing);
  if (!routing.ok()) return routing.status();
  absl::StatusOr<v1::SlaConfig> sla = LoadSlaFile(files.sla);
  if (!sla.ok()) return sla.status();
  absl::StatusOr<v1::StageModel> stages = lifecycle::LoadStageModelFile(files.stages);
  if (!stages.ok()) return stages.status();
  std::optional<v1::ConfigRecord> comp;
  if (!files.comp.empty()) {
    absl::StatusOr<v1::CompSummary> c = LoadCompFile(files.comp);
    if (!c.ok()) return c.status();
    comp.emplace();
    *comp->mutable_comp_summary() = std::move(*c);
  }
  v1::ConfigRecord r, s, m;
  *r.mutable_routing() = std::move(*routing);
  *s.mutable_sla() = std::move(*sla);
  *m.mutable_stage_model() = std::move(*stages);
  std::vector<config::ConfigSet::Kind> kinds = {
      {"routing", r,
       [](const v1::ConfigRecord& c) { return FirstViolation(ValidateRouting(c.routing())); }},
      {"sla", s, [](const v1::ConfigRecord& c) { return FirstViolation(ValidateSla(c.sla())); }},
      {"stage_model", m,
       [](const v1::ConfigRecord& c) {
         return FirstViolation(lifecycle::ValidateStageModel(c.stage_model()));
       }},
      {"comp_summary", comp,
       [](const v1::ConfigRecord& c) { return FirstViolation(ValidateComp(c.comp_summary())); }},
  };
  return HandoffConfigSource::Create(config::ConfigSet(std::move(kinds)), Build);
}

}  // namespace leadflow::handoff
