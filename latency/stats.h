// Latency statistics: summaries of timed samples (mean, median, spread, percentiles), and how
// well estimated latencies agree with measured ones (percentage errors and rank correlation),
// the numbers a latency table or predictor is validated by.
#pragma once

#include <cstdint>
#include <vector>

#include "latency/device.h"

namespace hwnas::latency {

// Mean, median, sample standard deviation (n - 1; 0 for one sample), p10, p90 and count of
// `samples_ms`. Percentiles interpolate linearly between order statistics at p * (n - 1), as
// numpy.percentile does by default. Throws DataError when empty or a sample is not finite.
LatencyStats SummarizeSamples(std::vector<double> samples_ms);

// The value at fraction `p` in [0, 1] of sorted, non-empty `sorted` (linear interpolation).
double Percentile(const std::vector<double>& sorted, double p);

// Agreement of estimates with measurements, pair by pair. Percentage errors are relative to the
// measured value: |estimated - measured| / measured * 100.
struct Agreement {
  int64_t count = 0;
  double mape_percent = 0;        // mean absolute percentage error
  double max_ape_percent = 0;     // largest absolute percentage error
  double kendall_tau = 0;         // tau-b; NaN with fewer than 2 pairs or no untied pair
  double share_within_5pct = 0;   // fraction of pairs with error <= 5% (in [0, 1])
  double share_within_10pct = 0;  // fraction of pairs with error <= 10%
};

// Throws DataError when the sizes differ, there are no pairs, a value is not finite, or a
// measured value is not > 0.
Agreement CompareLatencies(const std::vector<double>& estimated,
                           const std::vector<double>& measured);

// Kendall's tau-b of two equally long series (ties in either handled; O(n^2)). NaN when fewer
// than two values or when one series is entirely tied. Throws DataError when the sizes differ.
double KendallTauB(const std::vector<double>& x, const std::vector<double>& y);

}  // namespace hwnas::latency
