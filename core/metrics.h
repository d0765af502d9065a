// How well estimates agree with true values: percentage errors (mean, largest, share within
// 5% and 10%), RMSE and Kendall's tau-b. The one definition of these figures for latency tables,
// learned predictors and the commands that report them. Torch-free.
//
// One rule for every function here:
//  - the two series must have the same length, else DataError (never truncated);
//  - every value must be finite, else DataError naming the series and the index;
//  - percentage errors are relative to the true value, |estimate - truth| / truth; a true value
//    <= 0 has none, so CompareToTruth throws DataError for it (CompareScaleFree does not use it);
//  - comparing nothing (no pairs) is a DataError; Kendall tau alone is NaN when undefined
//    (fewer than two pairs, or one series entirely tied), never 0.
#pragma once

#include <cstddef>
#include <vector>

namespace hwnas {

// Agreement of estimates with true values, pair by pair. Errors are fractions (0.05 = 5%).
struct Agreement {
  size_t count = 0;
  double mape = 0;         // mean absolute percentage error, as a fraction
  double max_ape = 0;      // largest absolute percentage error, as a fraction
  double within_5 = 0;     // share of pairs with an error <= 5%, in [0, 1]
  double within_10 = 0;    // share of pairs with an error <= 10%
  double rmse = 0;         // root mean squared error, in the values' unit
  double kendall_tau = 0;  // tau-b; NaN when undefined
};

// Every figure of Agreement. Throws DataError when the lengths differ, there are no pairs, a
// value is not finite, or a true value is <= 0.
Agreement CompareToTruth(const std::vector<double>& estimated, const std::vector<double>& truth);

// Count, RMSE and Kendall tau only, for true values that may be <= 0 (accuracies, log
// latencies); the percentage figures are NaN. Throws DataError like CompareToTruth but accepts
// any finite true value.
Agreement CompareScaleFree(const std::vector<double>& estimated, const std::vector<double>& truth);

// Kendall's tau-b (ties in either series handled, as scipy.stats.kendalltau; O(n^2)). NaN with
// fewer than two values or when one series is entirely tied. Throws DataError when the lengths
// differ or a value is not finite.
double KendallTauB(const std::vector<double>& x, const std::vector<double>& y);

// Throws DataError "<what> at index I is not finite (got V)" for the first value that is not;
// the check every figure here makes, shared with other summaries of series (latency samples).
void RequireFinite(const std::vector<double>& values, const char* what);

}  // namespace hwnas
