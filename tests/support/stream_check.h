// Shared by the stream runtime's integration and chaos tests: topics for one counting app, a bulk
// producer, an independent read_committed verifier, and the exactly-once check of the
// CountingProcessor's outputs.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "services/common/kafka/consumer.h"
#include "tests/support/pipeline_verifier.h"

namespace leadflow::testing {

struct CountingTopics {
  std::string input;
  std::string output;
  std::string changelog;
  std::string dlq;
  std::string app;
};

// Creates input/output/changelog with `partitions` partitions and a 1-partition DLQ.
CountingTopics MakeCountingTopics(int partitions);

using KeyValues = std::vector<std::pair<std::string, std::string>>;

// Produces every record (idempotent producer), waiting out a full queue; asserts all delivered.
void ProduceAll(const std::string& topic, const KeyValues& records);

// Reads a topic from the beginning with read_committed, as any downstream subscriber would.
class Verifier {
 public:
  explicit Verifier(const std::string& topic);
  // Waits until at least `n` records were read (deadline `seconds`), then drains a little longer so
  // that duplicates would show up too.
  bool WaitFor(size_t n, int seconds = 90);
  void PollOnce(int ms);
  KeyValues records;

 private:
  std::unique_ptr<kafka::Consumer> consumer_;
};

// Checks CountingProcessor outputs ("topic/partition/offset=count"): every input exactly once and,
// per key, the counts 1..n exactly once. Returns the final count per key.
std::map<std::string, int64_t> CheckExactlyOnce(const KeyValues& outputs);

// Every record of every partition of `topic`, from the beginning to the end it had when read.
// `uncommitted`: read_uncommitted, so records of aborted transactions (still in the log until the
// cleaner or retention removes them) are included.
KeyValues ReadWholeTopic(const std::string& topic, bool uncommitted = false);
// The same with each record's topic, partition and offset.
std::vector<ReadRecord> ReadTopicRecords(const std::string& topic, bool uncommitted = false);

// The final value per key of a counting changelog (read_committed, last write wins), i.e. the
// state a fresh restore would produce.
std::map<std::string, int64_t> ChangelogCounts(const std::string& changelog_topic);

}  // namespace leadflow::testing
