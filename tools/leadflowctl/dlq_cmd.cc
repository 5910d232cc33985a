#include "tools/leadflowctl/dlq_cmd.h"

#include <google/protobuf/util/time_util.h>

#include <algorithm>

#include "services/common/base/strings.h"
#include "services/common/base/words.h"
#include "services/common/kafka/consumer.h"
#include "tools/leadflowctl/command_support.h"
#include "tools/leadflowctl/table.h"
#include "tools/leadflowctl/topic_reader.h"

namespace leadflow::ctl {

absl::StatusOr<std::vector<v1::DeadLetter>> ReadDeadLetters(const kafka::Properties& connection,
                                                            const std::string& topic,
                                                            int partitions, int last,
                                                            std::chrono::milliseconds timeout) {
  auto consumer = ReaderConsumer(connection);
  if (!consumer.ok()) return consumer.status();
  std::vector<kafka::TopicPartitionOffset> start;
  for (int32_t p = 0; p < partitions; ++p) {
    auto marks = (*consumer)->QueryWatermarks(topic, p, timeout);
    if (!marks.ok()) return marks.status();
    // Read from `last` records before the end (transaction markers take offsets too, so this may
    // yield fewer than `last`; never more).
    start.push_back({topic, p, std::max(marks->low, marks->high - last)});
  }
  std::vector<v1::DeadLetter> out;
  absl::Status read = ReadToEnd(**consumer, start, timeout, [&](const kafka::ConsumedRecord& r) {
    v1::DeadLetter letter;
    if (!letter.ParseFromArray(r.value().data(), static_cast<int>(r.value().size()))) {
      letter.Clear();
      letter.set_source_topic(topic);
      letter.set_source_partition(r.partition());
      letter.set_source_offset(r.offset());
      letter.set_detail("not a leadflow.v1.DeadLetter");
    }
    out.push_back(std::move(letter));
  });
  if (!read.ok()) return read;
  std::stable_sort(out.begin(), out.end(), [](const v1::DeadLetter& a, const v1::DeadLetter& b) {
    return google::protobuf::util::TimeUtil::TimestampToMilliseconds(a.occurred_at()) <
           google::protobuf::util::TimeUtil::TimestampToMilliseconds(b.occurred_at());
  });
  return out;
}

std::string DeadLetterTable(const std::vector<v1::DeadLetter>& letters) {
  if (letters.empty()) return "no dead letters\n";
  Table table({{"TIME"}, {"SERVICE"}, {"REASON"}, {"SOURCE"}, {"DETAIL"}});
  for (const v1::DeadLetter& d : letters) {
    table.AddRow(
        {d.has_occurred_at()
             ? StrCat(google::protobuf::util::TimeUtil::ToString(d.occurred_at()).substr(0, 19),
                      "Z")
             : "-",
         EnumWords(v1::ServiceName_Name(d.failing_service()), "SERVICE_NAME_"),
         EnumWords(v1::DeadLetterReason_Name(d.reason_code()), "DEAD_LETTER_REASON_"),
         StrCat(d.source_topic(), "[", d.source_partition(), "]@", d.source_offset()), d.detail()});
  }
  return table.Render();
}

std::string DeadLetterJsonLines(std::vector<v1::DeadLetter> letters, bool with_payload) {
  std::string out;
  for (v1::DeadLetter& d : letters) {
    if (!with_payload) {
      d.clear_original_key();
      d.clear_original_value();
    }
    out += ToJsonLine(d);
    out += "\n";
  }
  return out;
}

}  // namespace leadflow::ctl
