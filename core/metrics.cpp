#include "core/metrics.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <string>

#include "core/errors.h"
#include "core/text.h"

namespace hwnas {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// Relative slack for the 5% / 10% bands, so that 1.05 against 1.0 counts as within 5% although
// its computed error is 5.000000000000004%.
constexpr double kBandSlack = 1e-9;

void RequireSameLength(const std::vector<double>& estimated, const std::vector<double>& truth) {
  if (estimated.size() != truth.size())
    throw DataError("cannot compare " + std::to_string(estimated.size()) + " estimates with " +
                    std::to_string(truth.size()) + " true values");
}

// The checks every comparison makes: equal lengths, at least one pair, finite values.
void RequireComparable(const std::vector<double>& estimated, const std::vector<double>& truth) {
  RequireSameLength(estimated, truth);
  if (truth.empty()) throw DataError("no values to compare");
  RequireFinite(estimated, "estimate");
  RequireFinite(truth, "true value");
}

int Sign(double value) { return (value > 0) - (value < 0); }

}  // namespace

void RequireFinite(const std::vector<double>& values, const char* what) {
  for (size_t i = 0; i < values.size(); ++i)
    if (!std::isfinite(values[i]))
      throw DataError(std::string(what) + " at index " + std::to_string(i) +
                      " is not finite (got " + FormatExact(values[i]) + ")");
}

double KendallTauB(const std::vector<double>& x, const std::vector<double>& y) {
  if (x.size() != y.size())
    throw DataError("Kendall tau needs series of equal length (got " + std::to_string(x.size()) +
                    " and " + std::to_string(y.size()) + ")");
  RequireFinite(x, "Kendall tau value");
  RequireFinite(y, "Kendall tau value");
  // Pairs tied in x (or y) shrink the denominator; pairs tied in both count in both.
  double concordant_minus_discordant = 0;
  double untied_x = 0;
  double untied_y = 0;
  for (size_t i = 0; i < x.size(); ++i)
    for (size_t j = i + 1; j < x.size(); ++j) {
      const int sx = Sign(x[i] - x[j]);
      const int sy = Sign(y[i] - y[j]);
      concordant_minus_discordant += sx * sy;
      untied_x += sx != 0;
      untied_y += sy != 0;
    }
  if (untied_x == 0 || untied_y == 0) return kNaN;
  return concordant_minus_discordant / std::sqrt(untied_x * untied_y);
}

Agreement CompareScaleFree(const std::vector<double>& estimated, const std::vector<double>& truth) {
  RequireComparable(estimated, truth);
  Agreement a;
  a.count = truth.size();
  double squared = 0;
  for (size_t i = 0; i < truth.size(); ++i)
    squared += (estimated[i] - truth[i]) * (estimated[i] - truth[i]);
  a.rmse = std::sqrt(squared / static_cast<double>(a.count));
  a.kendall_tau = KendallTauB(estimated, truth);
  a.mape = a.max_ape = a.within_5 = a.within_10 = kNaN;
  return a;
}

Agreement CompareToTruth(const std::vector<double>& estimated, const std::vector<double>& truth) {
  Agreement a = CompareScaleFree(estimated, truth);
  double sum = 0;
  size_t within_5 = 0;
  size_t within_10 = 0;
  a.max_ape = 0;
  for (size_t i = 0; i < truth.size(); ++i) {
    if (truth[i] <= 0)
      throw DataError("true value at index " + std::to_string(i) + " is " + FormatExact(truth[i]) +
                      " (percentage errors need values > 0)");
    const double error = std::fabs(estimated[i] - truth[i]) / truth[i];
    sum += error;
    a.max_ape = std::max(a.max_ape, error);
    within_5 += error <= 0.05 + kBandSlack;
    within_10 += error <= 0.10 + kBandSlack;
  }
  const double n = static_cast<double>(a.count);
  a.mape = sum / n;
  a.within_5 = static_cast<double>(within_5) / n;
  a.within_10 = static_cast<double>(within_10) / n;
  return a;
}

}  // namespace hwnas
