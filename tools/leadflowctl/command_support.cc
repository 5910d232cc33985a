#include "tools/leadflowctl/command_support.h"

#include <cstdio>
#include <random>

#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/time_util.h>

#include "services/common/base/strings.h"
#include "services/common/config/proto_yaml.h"
#include "services/common/config/settings.h"
#include "tools/leadflowctl/exit_code.h"

namespace leadflow::ctl {

std::shared_ptr<grpc::Channel> ChannelTo(const CallOptions& options, const std::string& address) {
  return options.security.Channel(address);
}

std::unique_ptr<grpc::ClientContext> UnaryContext(const CallOptions& options) {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->set_deadline(std::chrono::system_clock::now() + options.deadline);
  return ctx;
}

int FailRpc(const grpc::Status& status) {
  std::fprintf(stderr, "leadflowctl: %s\n", DescribeRpcError(status).c_str());
  return static_cast<int>(ExitCodeOf(status.error_code()));
}

int FailUsage(const absl::Status& status) {
  std::fprintf(stderr, "leadflowctl: %s\n", std::string(status.message()).c_str());
  return static_cast<int>(ExitCode::kBadUsage);
}

std::string ToJsonLine(const google::protobuf::Message& message) {
  std::string json;
  if (auto s = google::protobuf::util::MessageToJsonString(message, &json); !s.ok()) {
    // Never a silent empty line: say why, and print the record in protobuf text instead.
    std::fprintf(stderr, "leadflowctl: a %s is not printable as JSON (%s); as text:\n",
                 std::string(message.GetDescriptor()->full_name()).c_str(),
                 std::string(s.message()).c_str());
    return message.ShortDebugString();
  }
  return json;
}

std::string AllowedValues(const google::protobuf::EnumDescriptor* e) {
  const google::protobuf::EnumValueDescriptor* unspecified = e->FindValueByNumber(0);
  std::string prefix;
  if (unspecified != nullptr && unspecified->name().size() > 11) {
    prefix = std::string(unspecified->name().substr(0, unspecified->name().size() - 11));
  }
  std::string out;
  for (int i = 0; i < e->value_count(); ++i) {
    const google::protobuf::EnumValueDescriptor* v = e->value(i);
    if (v->number() == 0) continue;
    std::string name(v->name());
    if (!prefix.empty() && StartsWith(name, prefix)) name = name.substr(prefix.size());
    if (!out.empty()) out += ", ";
    out += AsciiStrToLower(name);
  }
  return out;
}

absl::StatusOr<int> ParseEnumValue(const google::protobuf::EnumDescriptor* e, std::string_view text,
                                   std::string_view flag) {
  const google::protobuf::EnumValueDescriptor* v = config::FindEnumValueByShortName(e, text);
  if (v == nullptr) {
    return absl::InvalidArgumentError(
        StrCat(flag, ": unknown value \"", text, "\"; one of: ", AllowedValues(e)));
  }
  return v->number();
}

absl::StatusOr<google::protobuf::Timestamp> ParseTimeArg(
    std::string_view text, std::string_view flag, std::chrono::system_clock::time_point now) {
  std::string s(text);
  google::protobuf::Timestamp t;
  if (s.size() == 10 && s[4] == '-' && s[7] == '-') s += "T00:00:00Z";
  if (google::protobuf::util::TimeUtil::FromString(s, &t)) return t;
  if (!s.empty() && s[0] != '-') {
    absl::StatusOr<std::chrono::milliseconds> ago = config::ParseDuration(s);
    if (ago.ok() && ago->count() >= 0) {
      const auto ms =
          std::chrono::duration_cast<std::chrono::milliseconds>((now - *ago).time_since_epoch())
              .count();
      return google::protobuf::util::TimeUtil::MillisecondsToTimestamp(ms);
    }
  }
  return absl::InvalidArgumentError(
      StrCat(flag, ": \"", text,
             "\" is not an RFC 3339 time (2026-03-01T09:30:00Z), a date (2026-03-01) or a "
             "duration ago (30d, 12h)"));
}

absl::StatusOr<int64_t> ParseAmountMicros(std::string_view text, std::string_view flag) {
  auto bad = [&] {
    return absl::InvalidArgumentError(
        StrCat(flag, ": \"", text, "\" is not an amount (e.g. 12000 or 12000.50)"));
  };
  bool negative = false;
  size_t i = 0;
  if (i < text.size() && text[i] == '-') {
    negative = true;
    ++i;
  }
  int64_t units = 0;
  int64_t micros = 0;
  int digits = 0;
  int decimals = -1;  // -1: before the decimal point
  for (; i < text.size(); ++i) {
    const char c = text[i];
    if (c == ',' && decimals < 0) continue;
    if (c == '.' && decimals < 0) {
      decimals = 0;
      continue;
    }
    if (c < '0' || c > '9') return bad();
    ++digits;
    if (decimals < 0) {
      if (units > 900'000'000'000LL) return bad();  // keeps micros within int64
      units = units * 10 + (c - '0');
    } else {
      if (++decimals > 6) return bad();
      micros = micros * 10 + (c - '0');
    }
  }
  if (digits == 0) return bad();
  for (int d = decimals < 0 ? 0 : decimals; d < 6; ++d) micros *= 10;
  const int64_t total = units * 1'000'000 + micros;
  return negative ? -total : total;
}

absl::StatusOr<std::string> ParseCurrency(std::string_view text, std::string_view flag) {
  std::string code = AsciiStrToUpper(text);
  bool ok = code.size() == 3;
  for (char c : code) ok = ok && c >= 'A' && c <= 'Z';
  if (!ok) {
    return absl::InvalidArgumentError(
        StrCat(flag, ": \"", text, "\" is not an ISO 4217 currency code (e.g. EUR)"));
  }
  return code;
}

std::string NewIdempotencyKey() {
  std::random_device device;
  std::mt19937_64 gen((static_cast<uint64_t>(device()) << 32) ^ device());
  char buf[40];
  std::snprintf(buf, sizeof(buf), "leadflowctl-%016llx", static_cast<unsigned long long>(gen()));
  return buf;
}

}  // namespace leadflow::ctl
