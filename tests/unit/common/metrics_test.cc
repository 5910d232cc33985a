// Prometheus text format: exact exposition of counters, gauges and histograms with labels.
#include "services/common/metrics/metrics.h"

#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace leadflow::metrics {
namespace {

TEST(MetricsTest, RendersCountersAndGaugesWithSortedEscapedLabels) {
  Registry registry;
  registry
      .GetCounter("leadflow_records_in_total", "Records consumed.",
                  {{"topic", "leads"}, {"service", "intake"}})
      .Increment(3);
  registry.GetGauge("leadflow_consumer_lag", "Records behind the log end.", {{"partition", "0"}})
      .Set(-1.5);
  registry.GetCounter("leadflow_dlq_total", "Records sent to the DLQ.", {{"reason", "a\"b\\c\nd"}});
  EXPECT_EQ(registry.Render(),
            "# HELP leadflow_consumer_lag Records behind the log end.\n"
            "# TYPE leadflow_consumer_lag gauge\n"
            "leadflow_consumer_lag{partition=\"0\"} -1.5\n"
            "# HELP leadflow_dlq_total Records sent to the DLQ.\n"
            "# TYPE leadflow_dlq_total counter\n"
            "leadflow_dlq_total{reason=\"a\\\"b\\\\c\\nd\"} 0\n"
            "# HELP leadflow_records_in_total Records consumed.\n"
            "# TYPE leadflow_records_in_total counter\n"
            "leadflow_records_in_total{service=\"intake\",topic=\"leads\"} 3\n");
}

TEST(MetricsTest, SameNameAndLabelsIsTheSameSeriesWhateverTheLabelOrder) {
  Registry registry;
  Counter& a = registry.GetCounter("c_total", "h", {{"x", "1"}, {"y", "2"}});
  Counter& b = registry.GetCounter("c_total", "h", {{"y", "2"}, {"x", "1"}});
  EXPECT_EQ(&a, &b);
  Counter& other = registry.GetCounter("c_total", "h", {{"x", "2"}, {"y", "2"}});
  EXPECT_NE(&a, &other);
}

TEST(MetricsTest, HistogramBucketsAreCumulativeWithInfSumAndCount) {
  Registry registry;
  Histogram& h =
      registry.GetHistogram("latency_seconds", "Latency.", {0.1, 1.0}, {{"op", "commit"}});
  h.Observe(0.05);
  h.Observe(0.1);  // on the bound: "less than or equal" puts it in le=0.1
  h.Observe(0.5);
  h.Observe(7);
  EXPECT_EQ(registry.Render(),
            "# HELP latency_seconds Latency.\n"
            "# TYPE latency_seconds histogram\n"
            "latency_seconds_bucket{op=\"commit\",le=\"0.1\"} 2\n"
            "latency_seconds_bucket{op=\"commit\",le=\"1\"} 3\n"
            "latency_seconds_bucket{op=\"commit\",le=\"+Inf\"} 4\n"
            "latency_seconds_sum{op=\"commit\"} 7.65\n"
            "latency_seconds_count{op=\"commit\"} 4\n");
}

TEST(MetricsTest, HelpTextIsEscaped) {
  Registry registry;
  registry.GetGauge("g", "line one\nback\\slash");
  EXPECT_THAT(registry.Render(), ::testing::HasSubstr("# HELP g line one\\nback\\\\slash\n"));
}

TEST(MetricsTest, ValuesFormatLikePrometheus) {
  EXPECT_EQ(FormatValue(1.0 / 0.0), "+Inf");
  EXPECT_EQ(FormatValue(-1.0 / 0.0), "-Inf");
  EXPECT_EQ(FormatValue(0.0 / 0.0), "NaN");
  EXPECT_EQ(FormatValue(12345678), "12345678");
  EXPECT_EQ(FormatValue(0.1), "0.1");
}

TEST(MetricsTest, ConcurrentIncrementsAreNotLost) {
  Registry registry;
  Counter& c = registry.GetCounter("n_total", "n");
  Histogram& h = registry.GetHistogram("h_seconds", "h", LatencyBuckets());
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 10000; ++i) {
        c.Increment();
        h.Observe(0.001);
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(c.Value(), 40000);
  EXPECT_EQ(h.Take().count, 40000u);
}

TEST(MetricsDeathTest, TypeClashAndBadNamesAreProgrammingErrors) {
  Registry registry;
  registry.GetCounter("x_total", "x");
  EXPECT_DEATH(registry.GetGauge("x_total", "x"), "different types");
  EXPECT_DEATH(registry.GetCounter("9bad", "x"), "invalid metric name");
  EXPECT_DEATH(registry.GetCounter("ok_total", "x").Increment(-1), "only goes up");
}

}  // namespace
}  // namespace leadflow::metrics
