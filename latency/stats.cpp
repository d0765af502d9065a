#include "latency/stats.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <string>

#include "core/errors.h"

namespace hwnas::latency {
namespace {

// Relative slack for the +-5% / +-10% bands, so that 1.05 against 1.0 counts as within 5%
// although its computed error is 5.000000000000004%.
constexpr double kBandSlack = 1e-9;

std::string FormatNumber(double value) {
  char buffer[64];
  auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
  return std::string(buffer, result.ptr);
}

void RequireFinite(const std::vector<double>& values, const char* what) {
  for (size_t i = 0; i < values.size(); ++i) {
    if (!std::isfinite(values[i])) {
      throw DataError(std::string(what) + " at index " + std::to_string(i) +
                      " is not finite (got " + FormatNumber(values[i]) + ")");
    }
  }
}

int Sign(double value) { return (value > 0) - (value < 0); }

}  // namespace

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

double KendallTauB(const std::vector<double>& x, const std::vector<double>& y) {
  if (x.size() != y.size()) {
    throw DataError("Kendall tau needs series of equal length (got " + std::to_string(x.size()) +
                    " and " + std::to_string(y.size()) + ")");
  }
  // Pairs tied in x (or y) shrink the denominator; pairs tied in both count in both.
  double concordant_minus_discordant = 0;
  double untied_x = 0;
  double untied_y = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    for (size_t j = i + 1; j < x.size(); ++j) {
      const int sx = Sign(x[i] - x[j]);
      const int sy = Sign(y[i] - y[j]);
      concordant_minus_discordant += sx * sy;
      untied_x += sx != 0;
      untied_y += sy != 0;
    }
  }
  if (untied_x == 0 || untied_y == 0) return std::numeric_limits<double>::quiet_NaN();
  return concordant_minus_discordant / std::sqrt(untied_x * untied_y);
}

Agreement CompareLatencies(const std::vector<double>& estimated,
                           const std::vector<double>& measured) {
  if (estimated.size() != measured.size()) {
    throw DataError("cannot compare " + std::to_string(estimated.size()) + " estimates with " +
                    std::to_string(measured.size()) + " measurements");
  }
  if (measured.empty()) throw DataError("no latencies to compare");
  RequireFinite(estimated, "estimated latency");
  RequireFinite(measured, "measured latency");
  Agreement agreement;
  agreement.count = static_cast<int64_t>(measured.size());
  double sum = 0;
  int64_t within_5 = 0;
  int64_t within_10 = 0;
  for (size_t i = 0; i < measured.size(); ++i) {
    if (measured[i] <= 0) {
      throw DataError("measured latency at index " + std::to_string(i) + " is " +
                      FormatNumber(measured[i]) + " (percentage errors need values > 0)");
    }
    const double error = std::fabs(estimated[i] - measured[i]) / measured[i];
    sum += error;
    agreement.max_ape_percent = std::max(agreement.max_ape_percent, error * 100);
    within_5 += error <= 0.05 + kBandSlack;
    within_10 += error <= 0.10 + kBandSlack;
  }
  const double n = static_cast<double>(measured.size());
  agreement.mape_percent = sum / n * 100;
  agreement.share_within_5pct = static_cast<double>(within_5) / n;
  agreement.share_within_10pct = static_cast<double>(within_10) / n;
  agreement.kendall_tau = KendallTauB(estimated, measured);
  return agreement;
}

}  // namespace hwnas::latency
