#include "services/reporting/processor.h"

#include <google/protobuf/util/message_differencer.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <optional>
#include <random>

#include "leadflow/v1/reporting_state.pb.h"
#include "services/common/base/status_macros.h"
#include "services/common/base/strings.h"
#include "services/common/events/ids.h"
#include "services/reporting/facts.h"

namespace leadflow::reporting {
namespace {

template <typename M>
absl::StatusOr<std::optional<M>> Load(stream::Context& ctx, const char* store,
                                      const std::string& key) {
  LF_ASSIGN_OR_RETURN(std::optional<std::string> bytes, ctx.Get(store, key));
  if (!bytes.has_value()) return std::optional<M>();
  M m;
  if (!m.ParseFromString(*bytes)) {
    return absl::DataLossError(StrCat("stored ", store, " entry ", key, " does not parse"));
  }
  return std::optional<M>(std::move(m));
}

// A fresh random id for an erased lead's rows: nothing links it to the lead.
std::string AnonymousId() {
  std::random_device device;
  std::mt19937_64 bits(
      (static_cast<uint64_t>(device()) << 32) ^ device() ^
      static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count()));
  std::string raw(16, '\0');
  for (size_t i = 0; i < raw.size(); i += 8) {
    const uint64_t word = bits();
    std::memcpy(&raw[i], &word, 8);
  }
  return StrCat("erased-", events::UuidFromDigest(raw));
}

}  // namespace

struct ReportingProcessor::Metrics {
  explicit Metrics(metrics::Registry* r)
      : folded(r->GetCounter("leadflow_reporting_events_folded_total",
                             "Lead events folded into lead-cycle fact rows.")),
        cycles(r->GetCounter("leadflow_reporting_cycles_started_total",
                             "Lead-cycles reporting started a fact row for.")),
        merged(r->GetCounter("leadflow_reporting_out_of_order_starts_total",
                             "Releases into a new cycle folded after events of that cycle (the "
                             "topics are read in parallel); merged into the row.")),
        backfilled(r->GetCounter("leadflow_reporting_attribution_backfills_total",
                                 "Fact rows given the lead's attribution after they were written "
                                 "(its event was folded after theirs).")),
        erased(r->GetCounter("leadflow_reporting_leads_anonymized_total",
                             "Erased leads whose fact rows now live under an anonymous id.")) {}
  metrics::Counter& folded;
  metrics::Counter& cycles;
  metrics::Counter& merged;
  metrics::Counter& backfilled;
  metrics::Counter& erased;
};

ReportingProcessor::ReportingProcessor(metrics::Registry* registry)
    : gate_({v1::SERVICE_NAME_INTAKE, v1::SERVICE_NAME_QUALIFICATION, v1::SERVICE_NAME_HANDOFF,
             v1::SERVICE_NAME_RECYCLE},
            registry),
      metrics_(std::make_unique<Metrics>(registry)) {}

ReportingProcessor::~ReportingProcessor() = default;

absl::Status ReportingProcessor::Process(const stream::InputRecord& record, stream::Context& ctx) {
  v1::LeadEvent event;
  if (!event.ParseFromArray(record.value.data(), static_cast<int>(record.value.size()))) {
    return stream::Reject(v1::DEAD_LETTER_REASON_MALFORMED, "not a leadflow.v1.LeadEvent");
  }
  const std::string lead_id(record.key);
  if (lead_id.empty() || event.envelope().lead_id() != lead_id) {
    return stream::Reject(v1::DEAD_LETTER_REASON_INVALID,
                          "envelope.lead_id: empty or not the record key");
  }
  if (!event.envelope().has_occurred_at()) {
    return stream::Reject(v1::DEAD_LETTER_REASON_INVALID, "envelope.occurred_at: is required");
  }
  // An erasure (stream::ErasureGate): its first copy moves the lead's rows and cursor under a
  // random id, events from before it that arrive later fold into those, the later copies change
  // nothing, and events from after it (the person came back) start afresh under the lead id.
  const std::string anonymous_id = event.has_erased() ? AnonymousId() : "";
  LF_ASSIGN_OR_RETURN(stream::ErasureGate::Decision gate,
                      gate_.Admit(lead_id, event, ctx, anonymous_id));
  std::string row_id = lead_id;
  switch (gate.verdict) {
    case stream::ErasureGate::Verdict::kFirstCopy:
      return Anonymize(lead_id, anonymous_id, ctx);
    case stream::ErasureGate::Verdict::kLaterCopy:
      return absl::OkStatus();
    case stream::ErasureGate::Verdict::kStraggler:
      row_id = gate.kept;
      break;
    case stream::ErasureGate::Verdict::kProcess:
      break;
  }
  LF_ASSIGN_OR_RETURN(std::optional<v1::LeadCycleCursor> cursor,
                      Load<v1::LeadCycleCursor>(ctx, kCursorsStore, row_id));
  const int current = cursor.has_value() ? cursor->cycle() : 0;
  const int cycle = CycleOf(event, current);
  LF_ASSIGN_OR_RETURN(std::optional<v1::LeadCycleFacts> row,
                      Load<v1::LeadCycleFacts>(ctx, kCyclesStore, CycleKey(row_id, cycle)));
  if (!row.has_value()) metrics_->cycles.Increment();
  std::vector<v1::LeadCycleFacts> rows = Fold(std::move(row), event);
  if (row_id != lead_id) {
    for (v1::LeadCycleFacts& f : rows) f.set_lead_id(row_id);
  }
  v1::LeadCycleCursor next = cursor.value_or(v1::LeadCycleCursor());
  const bool had_touch = next.has_first_touch();
  bool cursor_changed = !cursor.has_value();
  for (size_t i = 0; i < rows.size(); ++i) {
    v1::LeadCycleFacts& f = rows[i];
    if (i > 0) {  // the first row of the next cycle (a release)
      LF_ASSIGN_OR_RETURN(std::optional<v1::LeadCycleFacts> existing,
                          Load<v1::LeadCycleFacts>(ctx, kCyclesStore, CycleKey(row_id, f.cycle())));
      if (existing.has_value()) {
        metrics_->merged.Increment();
        f = MergeStart(std::move(*existing), f);
      } else {
        metrics_->cycles.Increment();
      }
    }
    if (f.cycle() > next.cycle()) {
      next.set_cycle(f.cycle());
      cursor_changed = true;
    }
    if (!next.has_first_touch() && f.has_first_touch()) {
      *next.mutable_first_touch() = f.first_touch();
      cursor_changed = true;
    }
    if (f.has_last_touch() &&
        !google::protobuf::util::MessageDifferencer::Equals(next.last_touch(), f.last_touch())) {
      *next.mutable_last_touch() = f.last_touch();
      cursor_changed = true;
    }
  }
  // The lead's attribution on every row of it; learnt now, it goes to the rows written before.
  for (v1::LeadCycleFacts& f : rows) {
    if (!f.has_first_touch() && next.has_first_touch())
      *f.mutable_first_touch() = next.first_touch();
    if (!f.has_last_touch() && next.has_last_touch()) *f.mutable_last_touch() = next.last_touch();
    ctx.Put(kCyclesStore, CycleKey(row_id, f.cycle()), f.SerializeAsString());
  }
  if (!had_touch && next.has_first_touch()) {
    for (int c = 1; c <= next.cycle(); ++c) {
      if (std::any_of(rows.begin(), rows.end(),
                      [c](const v1::LeadCycleFacts& f) { return f.cycle() == c; })) {
        continue;  // just written, with the touch
      }
      LF_ASSIGN_OR_RETURN(std::optional<v1::LeadCycleFacts> earlier,
                          Load<v1::LeadCycleFacts>(ctx, kCyclesStore, CycleKey(row_id, c)));
      if (!earlier.has_value() || earlier->has_first_touch()) continue;
      *earlier->mutable_first_touch() = next.first_touch();
      if (!earlier->has_last_touch()) *earlier->mutable_last_touch() = next.last_touch();
      metrics_->backfilled.Increment();
      ctx.Put(kCyclesStore, CycleKey(row_id, c), earlier->SerializeAsString());
    }
  }
  if (cursor_changed) {
    ctx.Put(kCursorsStore, row_id, next.SerializeAsString());
  }
  metrics_->folded.Increment();
  return absl::OkStatus();
}

absl::Status ReportingProcessor::Anonymize(const std::string& lead_id,
                                           const std::string& anonymous_id, stream::Context& ctx) {
  LF_ASSIGN_OR_RETURN(std::optional<v1::LeadCycleCursor> cursor,
                      Load<v1::LeadCycleCursor>(ctx, kCursorsStore, lead_id));
  if (!cursor.has_value()) return absl::OkStatus();  // nothing folded yet
  // Every row of the lead, and its cursor, move under the random id: the counts stay, nothing
  // ties them to the lead (the old keys are erased: they also leave the files and the changelog).
  for (int c = 1; c <= cursor->cycle(); ++c) {
    LF_ASSIGN_OR_RETURN(std::optional<v1::LeadCycleFacts> row,
                        Load<v1::LeadCycleFacts>(ctx, kCyclesStore, CycleKey(lead_id, c)));
    if (!row.has_value()) continue;
    ctx.Erase(kCyclesStore, CycleKey(lead_id, c));
    row->set_lead_id(anonymous_id);
    ctx.Put(kCyclesStore, CycleKey(anonymous_id, c), row->SerializeAsString());
  }
  ctx.Erase(kCursorsStore, lead_id);
  ctx.Put(kCursorsStore, anonymous_id, cursor->SerializeAsString());
  metrics_->erased.Increment();
  return absl::OkStatus();
}

}  // namespace leadflow::reporting
