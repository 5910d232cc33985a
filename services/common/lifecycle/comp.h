// The compensation summary (config/comp.yaml), pure, shared by handoff and reporting: what it says
// about a handoff or an opportunity — whether the lead counts as marketing-sourced and why, and
// which products carry an accelerator — in the words marketing and sales both read. Handoff puts
// the result on LeadHandedOff and the opportunity events (CompAnnotation); reporting applies the
// same rules to revenue.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "leadflow/v1/config.pb.h"
#include "leadflow/v1/events.pb.h"
#include "services/common/config/proto_yaml.h"

namespace leadflow::lifecycle {

// Everything wrong with a comp summary: a plan name, a period that ends after it starts, a touch
// and at least one channel for marketing-sourced (each once), a window not negative, unique
// product ids with an accelerator of at least 100 percent, a readable summary text.
std::vector<config::ConfigViolation> ValidateComp(const v1::CompSummary& comp);

// Loads and validates config/comp.yaml.
absl::StatusOr<v1::CompSummary> LoadCompFile(const std::string& path);

// What the comp summary of `version` says about a lead with these touches, at `at_ms`:
// at a handoff (`opening` false) whether it would count if an opportunity opened now, and until
// when; at an opportunity's opening (`opening` true) whether it counts, and which of
// `product_ids` carry an accelerator. `was_mql`: the lead passed the MQL gate before.
v1::CompAnnotation Annotate(const v1::CompSummary& comp, int64_t version,
                            const v1::Source& first_touch, const v1::Source& last_touch,
                            int64_t at_ms, bool opening, bool was_mql,
                            const std::vector<std::string>& product_ids);

// The plan's rules in plain words, generated from the rules themselves (so it cannot drift from
// them like summary_text can): the period, what counts as marketing-sourced, the accelerators.
std::string CompInWords(const v1::CompSummary& comp);

}  // namespace leadflow::lifecycle
