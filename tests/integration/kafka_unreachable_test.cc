// With no broker at the address, clients fail within a bounded time and say which address they
// tried — instead of hanging or retrying silently forever.
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "services/common/base/strings.h"
#include "services/common/kafka/admin.h"
#include "services/common/kafka/producer.h"

namespace leadflow {
namespace {

using ::testing::HasSubstr;

// A loopback port with nothing listening: bind one, read its number, close it.
int DeadPort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  EXPECT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  socklen_t len = sizeof(addr);
  EXPECT_EQ(getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  close(fd);
  return ntohs(addr.sin_port);
}

TEST(KafkaUnreachableTest, CheckBrokersFailsFastNamingTheAddress) {
  const std::string address = StrCat("127.0.0.1:", DeadPort());
  const auto start = std::chrono::steady_clock::now();
  const absl::Status s =
      kafka::CheckBrokers({{"bootstrap.servers", address}}, std::chrono::seconds(3));
  const auto elapsed = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(std::string(s.message()), HasSubstr(address));
  // Bounded: the 3 s budget plus generous slack for a loaded machine, never an endless retry.
  EXPECT_LT(elapsed, std::chrono::seconds(60));
}

TEST(KafkaUnreachableTest, ProducerReportsTimeoutWithTheAddress) {
  const std::string address = StrCat("127.0.0.1:", DeadPort());
  auto producer =
      kafka::Producer::Create({{"bootstrap.servers", address}, {"message.timeout.ms", "2000"}});
  ASSERT_TRUE(producer.ok()) << producer.status();
  std::optional<kafka::DeliveryReport> report;
  ASSERT_TRUE((*producer)
                  ->Produce({"any-topic", std::nullopt, "k", "v", {}},
                            [&](const kafka::DeliveryReport& r) { report = r; })
                  .ok());
  // The record's own timeout (2 s) ends it; Flush returns once its report is served.
  ASSERT_TRUE((*producer)->Flush(std::chrono::seconds(60)).ok());
  ASSERT_TRUE(report.has_value());
  EXPECT_FALSE(report->status.ok());
  EXPECT_EQ(report->status.code(), absl::StatusCode::kDeadlineExceeded);
}

TEST(KafkaUnreachableTest, FlushDeadlineNamesOutstandingRecordsAndTheAddress) {
  const std::string address = StrCat("127.0.0.1:", DeadPort());
  auto producer =
      kafka::Producer::Create({{"bootstrap.servers", address}, {"message.timeout.ms", "300000"}});
  ASSERT_TRUE(producer.ok());
  ASSERT_TRUE((*producer)->Produce({"t", std::nullopt, "k", "v", {}}, nullptr).ok());
  const absl::Status s = (*producer)->Flush(std::chrono::seconds(2));
  EXPECT_EQ(s.code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_THAT(std::string(s.message()), HasSubstr("1 records still outstanding"));
  EXPECT_THAT(std::string(s.message()), HasSubstr(address));
}

}  // namespace
}  // namespace leadflow
