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

TEST(KendallTauTest, KnownPermutations) {
  EXPECT_DOUBLE_EQ(KendallTauB({1, 2, 3, 4, 5}, {10, 20, 30, 40, 50}), 1);
  EXPECT_DOUBLE_EQ(KendallTauB({1, 2, 3, 4, 5}, {5, 4, 3, 2, 1}), -1);
  // Two discordant pairs, (2,3) and (4,5), of ten: (8 - 2) / 10.
  EXPECT_DOUBLE_EQ(KendallTauB({1, 2, 3, 4, 5}, {1, 3, 2, 5, 4}), 0.6);
  // 3 1 4 2 against 1 2 3 4: concordant (1,3) (2,3) (2,4); discordant (1,2) (1,4) (3,4).
  EXPECT_DOUBLE_EQ(KendallTauB({3, 1, 4, 2}, {1, 2, 3, 4}), 0);
}

TEST(KendallTauTest, TiesUseTauB) {
  // One pair tied in x: 5 concordant of 6 pairs -> 5 / sqrt((6 - 1) * 6) (scipy: 0.91287...).
  EXPECT_DOUBLE_EQ(KendallTauB({1, 2, 2, 3}, {1, 2, 3, 4}), 5 / std::sqrt(30.0));
  // Ties in both, on different pairs: 4 concordant -> 4 / sqrt(5 * 5).
  EXPECT_DOUBLE_EQ(KendallTauB({1, 2, 2, 3}, {1, 1, 2, 3}), 0.8);
  EXPECT_TRUE(std::isnan(KendallTauB({1, 1, 1}, {1, 2, 3})));
  EXPECT_TRUE(std::isnan(KendallTauB({1}, {1})));
  EXPECT_THROW(KendallTauB({1, 2}, {1}), DataError);
}

TEST(CompareLatenciesTest, HandComputedAgreement) {
  // Errors 5%, 10%, 0%, 10%; estimates 0.9 < 1.05 against a measured tie.
  const Agreement a = CompareLatencies({1.05, 0.9, 2.0, 4.4}, {1.0, 1.0, 2.0, 4.0});
  EXPECT_EQ(a.count, 4);
  EXPECT_NEAR(a.mape_percent, 6.25, 1e-12);
  EXPECT_NEAR(a.max_ape_percent, 10, 1e-12);
  EXPECT_DOUBLE_EQ(a.share_within_5pct, 0.5);  // 1.05 against 1.0 counts as within 5%
  EXPECT_DOUBLE_EQ(a.share_within_10pct, 1.0);
  EXPECT_DOUBLE_EQ(a.kendall_tau, 5 / std::sqrt(30.0));
}

TEST(CompareLatenciesTest, InvalidInputsAreErrors) {
  EXPECT_THROW(CompareLatencies({}, {}), DataError);
  EXPECT_THROW(CompareLatencies({1, 2}, {1}), DataError);
  EXPECT_THROW(CompareLatencies({1, INFINITY}, {1, 2}), DataError);
  try {
    CompareLatencies({1, 2}, {1, 0});
    FAIL() << "no error";
  } catch (const DataError& e) {
    EXPECT_EQ(std::string(e.what()),
              "measured latency at index 1 is 0 (percentage errors need values > 0)");
  }
}

}  // namespace
}  // namespace hwnas::latency
