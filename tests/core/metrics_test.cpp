#include "core/metrics.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "core/errors.h"

namespace hwnas {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// The DataError text `call` throws ("" when it does not throw one).
template <typename F>
std::string DataErrorOf(F call) {
  try {
    call();
  } catch (const DataError& e) {
    return e.what();
  }
  return "";
}

TEST(KendallTauBTest, PermutationsWithoutTies) {
  EXPECT_DOUBLE_EQ(KendallTauB({1, 2, 3, 4, 5}, {10, 20, 30, 40, 50}), 1);
  EXPECT_DOUBLE_EQ(KendallTauB({1, 2, 3, 4, 5}, {5, 4, 3, 2, 1}), -1);
  // Two discordant pairs, (2,3) and (4,5), of ten: (8 - 2) / 10.
  EXPECT_DOUBLE_EQ(KendallTauB({1, 2, 3, 4, 5}, {1, 3, 2, 5, 4}), 0.6);
  // 3 1 4 2 against 1 2 3 4: concordant (1,3) (2,3) (2,4); discordant (1,2) (1,4) (3,4).
  EXPECT_DOUBLE_EQ(KendallTauB({3, 1, 4, 2}, {1, 2, 3, 4}), 0);
  EXPECT_NEAR(KendallTauB({1, 2, 3}, {1, 3, 2}), 1.0 / 3, 1e-15);
}

TEST(KendallTauBTest, TiesShrinkTheDenominator) {
  // One pair tied in x: 5 concordant of 6 pairs -> 5 / sqrt(5 * 6) (scipy: 0.9128709291752769).
  EXPECT_DOUBLE_EQ(KendallTauB({1, 2, 2, 3}, {1, 2, 3, 4}), 5 / std::sqrt(30.0));
  // Ties in both, on different pairs: 4 concordant -> 4 / sqrt(5 * 5).
  EXPECT_DOUBLE_EQ(KendallTauB({1, 2, 2, 3}, {1, 1, 2, 3}), 0.8);
  // The same pair tied in both, which counts in neither: C 3, D 2 -> 1 / sqrt(5 * 5).
  EXPECT_DOUBLE_EQ(KendallTauB({1, 1, 2, 3}, {2, 2, 1, 3}), 0.2);
  // y in two tied groups of 3 and 2 (4 tied pairs of 10): 6 / sqrt(10 * 6) (scipy: 0.7745966...).
  EXPECT_DOUBLE_EQ(KendallTauB({1, 2, 3, 4, 5}, {1, 1, 1, 2, 2}), 6 / std::sqrt(60.0));
}

TEST(KendallTauBTest, NaNWhenUndefined) {
  EXPECT_TRUE(std::isnan(KendallTauB({}, {})));
  EXPECT_TRUE(std::isnan(KendallTauB({1}, {1})));
  EXPECT_TRUE(std::isnan(KendallTauB({1, 1, 1}, {1, 2, 3})));  // x entirely tied
  EXPECT_TRUE(std::isnan(KendallTauB({1, 2, 3}, {4, 4, 4})));  // y entirely tied
}

TEST(KendallTauBTest, BadInputIsADataError) {
  EXPECT_EQ(DataErrorOf([] {
              KendallTauB({1, 2}, {1});
            }),
            "Kendall tau needs series of equal length (got 2 and 1)");
  EXPECT_EQ(DataErrorOf([] {
              KendallTauB({1, kNaN}, {1, 2});
            }),
            "Kendall tau value at index 1 is not finite (got nan)");
  EXPECT_EQ(DataErrorOf([] {
              KendallTauB({1, 2}, {-kInf, 2});
            }),
            "Kendall tau value at index 0 is not finite (got -inf)");
}

TEST(CompareToTruthTest, HandComputedAgreement) {
  // Errors 5%, 10%, 0%, 10%; estimates 0.9 < 1.05 against a tie in the truth.
  const Agreement a = CompareToTruth({1.05, 0.9, 2.0, 4.4}, {1.0, 1.0, 2.0, 4.0});
  EXPECT_EQ(a.count, 4u);
  EXPECT_NEAR(a.mape, 0.0625, 1e-15);
  EXPECT_NEAR(a.max_ape, 0.1, 1e-15);
  EXPECT_DOUBLE_EQ(a.within_5, 0.5);  // 1.05 against 1.0 counts as within 5%
  EXPECT_DOUBLE_EQ(a.within_10, 1.0);
  // Differences 0.05 -0.1 0 0.4: squares sum to 0.1725.
  EXPECT_NEAR(a.rmse, std::sqrt(0.1725 / 4), 1e-15);
  EXPECT_DOUBLE_EQ(a.kendall_tau, 5 / std::sqrt(30.0));
}

TEST(CompareToTruthTest, PredictorCase) {
  const Agreement a = CompareToTruth({1.05, 2.5, 3.0, 3.6}, {1.0, 2.0, 3.0, 4.0});
  EXPECT_DOUBLE_EQ(a.within_10, 0.75);  // 5%, 25%, 0%, 10% off
  EXPECT_DOUBLE_EQ(a.within_5, 0.5);
  EXPECT_NEAR(a.mape, (0.05 + 0.25 + 0 + 0.1) / 4, 1e-15);
  EXPECT_NEAR(a.max_ape, 0.25, 1e-15);
  EXPECT_NEAR(a.rmse, std::sqrt((0.0025 + 0.25 + 0 + 0.16) / 4), 1e-15);
  EXPECT_DOUBLE_EQ(a.kendall_tau, 1.0);
}

TEST(CompareToTruthTest, ErrorsAreRelativeToTheTruth) {
  // 2 against 1 is 100% off, 1 against 2 is 50% off: the truth is the denominator.
  EXPECT_DOUBLE_EQ(CompareToTruth({2}, {1}).mape, 1.0);
  EXPECT_DOUBLE_EQ(CompareToTruth({1}, {2}).mape, 0.5);
  EXPECT_DOUBLE_EQ(CompareToTruth({-1}, {1}).max_ape, 2.0);  // a negative estimate is allowed
}

TEST(CompareToTruthTest, BandEdges) {
  EXPECT_DOUBLE_EQ(CompareToTruth({1.10}, {1.0}).within_10, 1.0);
  EXPECT_DOUBLE_EQ(CompareToTruth({0.95}, {1.0}).within_5, 1.0);
  EXPECT_DOUBLE_EQ(CompareToTruth({1.0501}, {1.0}).within_5, 0.0);
  EXPECT_DOUBLE_EQ(CompareToTruth({1.1001}, {1.0}).within_10, 0.0);
}

TEST(CompareToTruthTest, OnePairHasErrorsButNoTau) {
  const Agreement a = CompareToTruth({3}, {2});
  EXPECT_EQ(a.count, 1u);
  EXPECT_DOUBLE_EQ(a.mape, 0.5);
  EXPECT_DOUBLE_EQ(a.rmse, 1.0);
  EXPECT_TRUE(std::isnan(a.kendall_tau));
}

TEST(CompareToTruthTest, BadInputIsADataError) {
  EXPECT_EQ(DataErrorOf([] { CompareToTruth({}, {}); }), "no values to compare");
  EXPECT_EQ(DataErrorOf([] {
              CompareToTruth({1, 2}, {1});
            }),
            "cannot compare 2 estimates with 1 true values");
  EXPECT_EQ(DataErrorOf([] {
              CompareToTruth({1, kInf}, {1, 2});
            }),
            "estimate at index 1 is not finite (got inf)");
  EXPECT_EQ(DataErrorOf([] {
              CompareToTruth({1, 2}, {kNaN, 2});
            }),
            "true value at index 0 is not finite (got nan)");
  EXPECT_EQ(DataErrorOf([] {
              CompareToTruth({1, 2}, {1, 0});
            }),
            "true value at index 1 is 0 (percentage errors need values > 0)");
  EXPECT_EQ(DataErrorOf([] {
              CompareToTruth({1, 2}, {-2, 1});
            }),
            "true value at index 0 is -2 (percentage errors need values > 0)");
}

TEST(CompareScaleFreeTest, AcceptsZeroAndNegativeTruth) {
  // Differences 0.1 -0.2 0.5; pairs (1,2) discordant, (1,3) (2,3) concordant.
  const Agreement a = CompareScaleFree({0.1, 0.0, -0.5}, {0.0, 0.2, -1.0});
  EXPECT_EQ(a.count, 3u);
  EXPECT_NEAR(a.rmse, std::sqrt(0.1), 1e-15);
  EXPECT_NEAR(a.kendall_tau, 1.0 / 3, 1e-15);
  EXPECT_TRUE(std::isnan(a.mape));
  EXPECT_TRUE(std::isnan(a.max_ape));
  EXPECT_TRUE(std::isnan(a.within_5));
  EXPECT_TRUE(std::isnan(a.within_10));
}

TEST(CompareScaleFreeTest, SameFiguresAsCompareToTruth) {
  const std::vector<double> estimated{1.2, 0.7, 3.3, 2.0}, truth{1.0, 1.0, 3.0, 2.5};
  const Agreement full = CompareToTruth(estimated, truth);
  const Agreement free = CompareScaleFree(estimated, truth);
  EXPECT_EQ(free.count, full.count);
  EXPECT_EQ(free.rmse, full.rmse);
  EXPECT_EQ(free.kendall_tau, full.kendall_tau);
}

TEST(CompareScaleFreeTest, BadInputIsADataError) {
  EXPECT_EQ(DataErrorOf([] { CompareScaleFree({}, {}); }), "no values to compare");
  EXPECT_EQ(DataErrorOf([] {
              CompareScaleFree({1}, {1, 2});
            }),
            "cannot compare 1 estimates with 2 true values");
  EXPECT_EQ(DataErrorOf([] { CompareScaleFree({kNaN}, {1}); }),
            "estimate at index 0 is not finite (got nan)");
}

TEST(RequireFiniteTest, NamesTheFirstBadValue) {
  EXPECT_EQ(DataErrorOf([] { RequireFinite({1, 2, 3}, "x"); }), "");
  EXPECT_EQ(DataErrorOf([] {
              RequireFinite({1, kInf, kNaN}, "sample");
            }),
            "sample at index 1 is not finite (got inf)");
}

}  // namespace
}  // namespace hwnas
