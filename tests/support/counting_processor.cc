// CountingProcessor: the runtime's reference workload in tests and the chaos harness.
#include "tests/support/counting_processor.h"

#include <charconv>

#include "services/common/base/strings.h"

namespace leadflow::testing {

absl::Status CountingProcessor::Process(const stream::InputRecord& record, stream::Context& ctx) {
  if (record.value == "poison") {
    return stream::Reject(v1::DEAD_LETTER_REASON_MALFORMED,
                          "field 'value': 'poison' is not a valid test record");
  }
  auto current = ctx.Get(kCountsStore, record.key);
  if (!current.ok()) return current.status();
  int64_t count = 0;
  if (current->has_value()) {
    const std::string& text = **current;
    std::from_chars(text.data(), text.data() + text.size(), count);
  }
  ++count;
  ctx.Put(kCountsStore, record.key, std::to_string(count));
  if (record.value.starts_with("timer:")) {
    int64_t delay = 0;
    const std::string_view ms = record.value.substr(6);
    std::from_chars(ms.data(), ms.data() + ms.size(), delay);
    ctx.ScheduleTimer(record.key, ctx.now_ms() + delay, "payload");
  }
  ctx.Emit({output_topic_,
            std::nullopt,
            std::string(record.key),
            StrCat(record.topic, "/", record.partition, "/", record.offset, "=", count),
            {}});
  return absl::OkStatus();
}

absl::Status CountingProcessor::OnTimer(const stream::Timer& timer, stream::Context& ctx) {
  // "fired:<key>:<due>@<now>": the verifier checks now >= due (never early).
  ctx.Emit({output_topic_,
            std::nullopt,
            timer.key,
            StrCat("fired:", timer.key, ":", timer.due_ms, "@", ctx.now_ms()),
            {}});
  return absl::OkStatus();
}

}  // namespace leadflow::testing
