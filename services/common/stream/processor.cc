// Rejections: a status payload marks "bad input" apart from infrastructure failures.
#include "services/common/stream/processor.h"

#include <charconv>

#include "absl/strings/cord.h"

namespace leadflow::stream {
namespace {
constexpr char kRejectUrl[] = "type.leadflow.dev/reject";
}  // namespace

absl::Status Reject(v1::DeadLetterReason reason, std::string_view detail) {
  absl::Status status(absl::StatusCode::kInvalidArgument, std::string(detail));
  status.SetPayload(kRejectUrl, absl::Cord(std::to_string(static_cast<int>(reason))));
  return status;
}

std::optional<v1::DeadLetterReason> RejectionReason(const absl::Status& status) {
  if (status.ok()) return std::nullopt;
  auto payload = status.GetPayload(kRejectUrl);
  if (!payload.has_value()) return std::nullopt;
  const std::string text(*payload);
  int value = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || !v1::DeadLetterReason_IsValid(value)) {
    return v1::DEAD_LETTER_REASON_PROCESSING_FAILED;
  }
  return static_cast<v1::DeadLetterReason>(value);
}

}  // namespace leadflow::stream
