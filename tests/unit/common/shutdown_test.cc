// Graceful shutdown: a real SIGTERM to this process becomes a shutdown request, not a death.
#include "services/common/process/shutdown.h"

#include <signal.h>
#include <unistd.h>

#include "gtest/gtest.h"

namespace leadflow::process {
namespace {

TEST(ShutdownSignalTest, SigtermIsObservedAndNamed) {
  ShutdownSignal shutdown;
  EXPECT_FALSE(shutdown.requested());
  ASSERT_EQ(kill(getpid(), SIGTERM), 0);
  ASSERT_TRUE(shutdown.WaitFor(std::chrono::seconds(60)));
  EXPECT_EQ(shutdown.signal(), SIGTERM);
}

TEST(ShutdownSignalTest, SigintToo) {
  ShutdownSignal shutdown;
  ASSERT_EQ(kill(getpid(), SIGINT), 0);
  ASSERT_TRUE(shutdown.WaitFor(std::chrono::seconds(60)));
  EXPECT_EQ(shutdown.signal(), SIGINT);
}

TEST(ShutdownSignalTest, InternalRequestWakesWaiters) {
  ShutdownSignal shutdown;
  EXPECT_FALSE(shutdown.WaitFor(std::chrono::milliseconds(1)));
  std::thread requester([&] { shutdown.Request(); });
  shutdown.Wait();
  requester.join();
  EXPECT_TRUE(shutdown.requested());
  EXPECT_EQ(shutdown.signal(), 0);
}

}  // namespace
}  // namespace leadflow::process
