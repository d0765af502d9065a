#include "latency/stats.h"

#include <algorithm>
#include <cmath>

#include "core/errors.h"
#include "core/metrics.h"

namespace hwnas::latency {

double Percentile(const std::vector<double>& sorted, double p) {
  const double position = p * static_cast<double>(sorted.size() - 1);
  const size_t below = static_cast<size_t>(std::floor(position));
  const size_t above = std::min(below + 1, sorted.size() - 1);
  const double fraction = position - static_cast<double>(below);
  return sorted[below] + (sorted[above] - sorted[below]) * fraction;
}

LatencyStats SummarizeSamples(std::vector<double> samples_ms) {
  if (samples_ms.empty()) throw DataError("no latency samples to summarize");
  RequireFinite(samples_ms, "latency sample");
  std::sort(samples_ms.begin(), samples_ms.end());
  const double n = static_cast<double>(samples_ms.size());
  double sum = 0;
  for (double s : samples_ms) sum += s;
  LatencyStats stats;
  stats.count = static_cast<int64_t>(samples_ms.size());
  stats.mean = sum / n;
  double squares = 0;
  for (double s : samples_ms) squares += (s - stats.mean) * (s - stats.mean);
  stats.stddev = samples_ms.size() > 1 ? std::sqrt(squares / (n - 1)) : 0.0;
  stats.median = Percentile(samples_ms, 0.5);
  stats.p10 = Percentile(samples_ms, 0.1);
  stats.p90 = Percentile(samples_ms, 0.9);
  return stats;
}

}  // namespace hwnas::latency
