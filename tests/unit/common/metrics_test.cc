#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "common/metrics/registry.h"

namespace raven::metrics {
namespace {

using ::testing::HasSubstr;

TEST(RegistryTest, RendersCountersAndGaugesWithHelpAndType) {
  Registry r;
  CounterFamily& writes =
      r.AddCounter("app_writes_total", "Writes.\nSecond line \\ here.", {"result"});
  writes.WithLabels({"ok"}).Inc();
  writes.WithLabels({"ok"}).Inc(2);
  writes.WithLabels({"error"}).Inc();
  writes.WithLabels({"error"}).Inc(-5);  // ignored: counters only go up
  r.AddGauge("app_leader", "Leading.").Get().Set(1);
  EXPECT_EQ(r.Render(),
            "# HELP app_writes_total Writes.\\nSecond line \\\\ here.\n"
            "# TYPE app_writes_total counter\n"
            "app_writes_total{result=\"error\"} 1\n"
            "app_writes_total{result=\"ok\"} 3\n"
            "# HELP app_leader Leading.\n"
            "# TYPE app_leader gauge\n"
            "app_leader 1\n");
}

TEST(RegistryTest, EscapesLabelValues) {
  Registry r;
  r.AddGauge("g", "h", {"a", "b"}).WithLabels({"x\"y", "back\\slash\nnl"}).Set(0.5);
  EXPECT_THAT(r.Render(), HasSubstr("g{a=\"x\\\"y\",b=\"back\\\\slash\\nnl\"} 0.5\n"));
}

TEST(RegistryTest, HistogramBucketsAreCumulativeWithInf) {
  Registry r;
  Histogram& h = r.AddHistogram("lat_seconds", "Latency.", {0.1, 1, 2.5}).Get();
  h.Observe(0.05);
  h.Observe(0.1);  // upper bounds are inclusive
  h.Observe(2);
  h.Observe(7);
  EXPECT_EQ(r.Render(),
            "# HELP lat_seconds Latency.\n"
            "# TYPE lat_seconds histogram\n"
            "lat_seconds_bucket{le=\"0.1\"} 2\n"
            "lat_seconds_bucket{le=\"1\"} 2\n"
            "lat_seconds_bucket{le=\"2.5\"} 3\n"
            "lat_seconds_bucket{le=\"+Inf\"} 4\n"
            "lat_seconds_sum 9.15\n"
            "lat_seconds_count 4\n");
}

TEST(RegistryTest, LabelledHistogramPutsLeLast) {
  Registry r;
  r.AddHistogram("h", "x", {1}, {"op"}).WithLabels({"put"}).Observe(3);
  std::string text = r.Render();
  EXPECT_THAT(text, HasSubstr("h_bucket{op=\"put\",le=\"1\"} 0\n"));
  EXPECT_THAT(text, HasSubstr("h_bucket{op=\"put\",le=\"+Inf\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("h_sum{op=\"put\"} 3\n"));
}

TEST(RegistryTest, CollectorsRunAtScrapeTime) {
  Registry r;
  int calls = 0;
  r.AddCounter("dup_total", "registered");
  r.AddCollector([&] {
    ++calls;
    CollectedFamily f{"peer_bytes_total", "Bytes per peer.", Type::kCounter, {}};
    f.samples.push_back({{{"peer", "gw-b"}}, 1234});
    f.samples.push_back({{{"bad-label", "x"}}, 1});  // invalid label name: skipped
    CollectedFamily dup{"dup_total", "clash", Type::kCounter, {{{}, 9}}};  // name taken: skipped
    return std::vector<CollectedFamily>{f, dup};
  });
  std::string text = r.Render();
  EXPECT_EQ(calls, 1);
  EXPECT_THAT(text,
              HasSubstr("# TYPE peer_bytes_total counter\npeer_bytes_total{peer=\"gw-b\"} 1234\n"));
  EXPECT_THAT(text, ::testing::Not(HasSubstr("bad-label")));
  EXPECT_THAT(text, ::testing::Not(HasSubstr("clash")));
}

TEST(RegistryTest, FormatsSpecialValues) {
  EXPECT_EQ(FormatValue(std::numeric_limits<double>::infinity()), "+Inf");
  EXPECT_EQ(FormatValue(-std::numeric_limits<double>::infinity()), "-Inf");
  EXPECT_EQ(FormatValue(std::nan("")), "NaN");
  EXPECT_EQ(FormatValue(0.1), "0.1");
  EXPECT_EQ(FormatValue(1e21), "1e+21");
  EXPECT_TRUE(IsValidMetricName("a:b_c1"));
  EXPECT_FALSE(IsValidMetricName("1abc"));
  EXPECT_FALSE(IsValidLabelName("__reserved"));
}

TEST(RegistryDeathTest, NamingMistakesAbort) {
  Registry r;
  r.AddCounter("x_total", "x");
  EXPECT_DEATH(r.AddCounter("x_total", "again"), "registered twice");
  EXPECT_DEATH(r.AddHistogram("h", "h", {1}, {"le"}), "reserved");
  EXPECT_DEATH(r.AddHistogram("h2", "h", {2, 1}), "increase");
  EXPECT_DEATH(r.AddGauge("g", "g", {"a"}).WithLabels({}), "wrong number");
}

}  // namespace
}  // namespace raven::metrics
