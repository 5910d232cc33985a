#include "services/common/stream/erasure_gate.h"

#include <charconv>
#include <optional>

#include "services/common/base/status_macros.h"
#include "services/common/base/strings.h"
#include "services/common/stream/task_state.h"

namespace leadflow::stream {
namespace {

// The marker: "<copies seen, a bit per producer>\n<request id>\n<kept>". A request id has no
// control characters (intake validates it).
struct Marker {
  uint32_t seen = 0;
  std::string request_id;
  std::string kept;
};

std::string Encode(const Marker& m) { return StrCat(m.seen, "\n", m.request_id, "\n", m.kept); }

std::optional<Marker> Decode(std::string_view text) {
  const size_t first = text.find('\n');
  if (first == std::string_view::npos) return std::nullopt;
  const size_t second = text.find('\n', first + 1);
  if (second == std::string_view::npos) return std::nullopt;
  Marker m;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + first, m.seen);
  if (ec != std::errc() || ptr != text.data() + first) return std::nullopt;
  m.request_id = std::string(text.substr(first + 1, second - first - 1));
  m.kept = std::string(text.substr(second + 1));
  return m;
}

}  // namespace

ErasureGate::ErasureGate(std::vector<v1::ServiceName> producers, metrics::Registry* registry)
    : producers_(std::move(producers)),
      stragglers_(registry->GetCounter(
          "leadflow_erasure_stragglers_total",
          "Inputs from before an erasure that arrived after its first copy; not applied.")),
      first_copies_(registry->GetCounter("leadflow_erasure_copies_total",
                                         "LeadErased copies read, first (erases) or later.",
                                         {{"copy", "first"}})),
      later_copies_(registry->GetCounter("leadflow_erasure_copies_total",
                                         "LeadErased copies read, first (erases) or later.",
                                         {{"copy", "later"}})) {
  for (v1::ServiceName p : producers_) all_ |= Bit(p);
}

uint32_t ErasureGate::Bit(v1::ServiceName producer) const {
  for (size_t i = 0; i < producers_.size(); ++i) {
    if (producers_[i] == producer) return 1u << i;
  }
  return 0;
}

absl::StatusOr<ErasureGate::Decision> ErasureGate::Admit(std::string_view lead_id,
                                                         const v1::LeadEvent& event, Context& ctx,
                                                         std::string_view keep) const {
  LF_ASSIGN_OR_RETURN(std::optional<std::string> stored, ctx.Get(kErasuresStore, lead_id));
  std::optional<Marker> marker;
  if (stored.has_value()) {
    marker = Decode(*stored);
    if (!marker.has_value()) {
      return absl::DataLossError(StrCat("erasure marker of lead ", lead_id, " does not parse"));
    }
  }
  const uint32_t bit = Bit(event.envelope().producer_service());
  Decision d;
  if (!event.has_erased()) {
    if (!marker.has_value() || bit == 0 || (marker->seen & bit) != 0) return d;  // kProcess
    d.verdict = Verdict::kStraggler;
    d.kept = marker->kept;
    stragglers_.Increment();
    return d;
  }
  const std::string& request_id = event.erased().request_id();
  if (!marker.has_value() || marker->request_id != request_id) {
    // The first copy of this request (a new request replaces an unfinished older one).
    marker = Marker{0, request_id, std::string(keep)};
    d.verdict = Verdict::kFirstCopy;
    first_copies_.Increment();
  } else {
    d.verdict = Verdict::kLaterCopy;
    d.kept = marker->kept;
    later_copies_.Increment();
  }
  marker->seen |= bit;
  if ((marker->seen & all_) == all_) {
    ctx.Erase(kErasuresStore, lead_id);  // the last copy: nothing from before can come now
  } else {
    ctx.Put(kErasuresStore, lead_id, Encode(*marker));
  }
  return d;
}

}  // namespace leadflow::stream
