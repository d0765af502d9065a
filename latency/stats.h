// Latency statistics: summaries of timed samples (mean, median, spread, percentiles). How well
// estimated latencies agree with measured ones is core/metrics.h.
#pragma once

#include <vector>

#include "latency/device.h"

namespace hwnas::latency {

// Mean, median, sample standard deviation (n - 1; 0 for one sample), p10, p90 and count of
// `samples_ms`. Percentiles interpolate linearly between order statistics at p * (n - 1), as
// numpy.percentile does by default. Throws DataError when empty or a sample is not finite.
LatencyStats SummarizeSamples(std::vector<double> samples_ms);

// The value at fraction `p` in [0, 1] of sorted, non-empty `sorted` (linear interpolation).
double Percentile(const std::vector<double>& sorted, double p);

}  // namespace hwnas::latency
