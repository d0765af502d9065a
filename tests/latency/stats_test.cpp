#include "latency/stats.h"

#include <gtest/gtest.h>

#include <cmath>

#include "core/errors.h"

namespace hwnas::latency {
namespace {

TEST(SummarizeSamplesTest, HandComputedSummary) {
  // Sorted 1 2 3 4 10: mean 4; squared deviations 9 4 1 0 36 -> sample variance 50 / 4.
  // p10 at position 0.4: 1 + 0.4 * (2 - 1); p90 at position 3.6: 4 + 0.6 * (10 - 4).
  const LatencyStats s = SummarizeSamples({4, 1, 3, 10, 2});
  EXPECT_EQ(s.count, 5);
  EXPECT_DOUBLE_EQ(s.mean, 4);
  EXPECT_DOUBLE_EQ(s.median, 3);
  EXPECT_DOUBLE_EQ(s.stddev, std::sqrt(12.5));
  EXPECT_DOUBLE_EQ(s.p10, 1.4);
  EXPECT_DOUBLE_EQ(s.p90, 7.6);
  EXPECT_FALSE(s.unstable);
  EXPECT_FALSE(s.predicted);
}

TEST(SummarizeSamplesTest, EvenCountMedianInterpolates) {
  const LatencyStats s = SummarizeSamples({2, 1, 4, 3});
  EXPECT_DOUBLE_EQ(s.median, 2.5);
  EXPECT_DOUBLE_EQ(s.p10, 1.3);
  EXPECT_DOUBLE_EQ(s.p90, 3.7);
}

TEST(SummarizeSamplesTest, OneSampleHasNoSpread) {
  const LatencyStats s = SummarizeSamples({0.25});
  EXPECT_EQ(s.count, 1);
  EXPECT_EQ(s.mean, 0.25);
  EXPECT_EQ(s.median, 0.25);
  EXPECT_EQ(s.p10, 0.25);
  EXPECT_EQ(s.p90, 0.25);
  EXPECT_EQ(s.stddev, 0);
}

TEST(SummarizeSamplesTest, EmptyOrNonFiniteSamplesAreErrors) {
  EXPECT_THROW(SummarizeSamples({}), DataError);
  try {
    SummarizeSamples({1, NAN, 2});
    FAIL() << "no error";
  } catch (const DataError& e) {
    EXPECT_EQ(std::string(e.what()), "latency sample at index 1 is not finite (got nan)");
  }
}

}  // namespace
}  // namespace hwnas::latency
