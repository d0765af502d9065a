#include "search/amc/latency_cost.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

namespace hwnas::search {
namespace {

constexpr double kCalibrationRatios[] = {1.0, 0.7, 0.45, 0.0};  // 0: every group at its minimum

// End to end, each network in kAmcLatencyRounds interleaved rounds, keeping its fastest: on a
// shared or virtual machine slow periods only add time (the rule latency tables are measured by).
std::vector<double> MeasureFastest(latency::Device& device, const std::vector<NetSpec>& nets) {
  std::vector<double> fastest(nets.size(), std::numeric_limits<double>::infinity());
  for (int round = 0; round < kAmcLatencyRounds; ++round)
    for (size_t i = 0; i < nets.size(); ++i)
      fastest[i] = std::min(fastest[i], latency::EntryMs(device.MeasureNetwork(nets[i])));
  return fastest;
}

// Least squares of measured on sums; a single ratio when the sums do not spread or the slope
// would come out negative.
void FitLine(AmcLatencyCost& cost, const std::vector<double>& sums,
             const std::vector<double>& measured) {
  const double n = static_cast<double>(sums.size());
  double ms = 0, mm = 0, sxx = 0, sxy = 0;
  for (size_t i = 0; i < sums.size(); ++i) ms += sums[i] / n, mm += measured[i] / n;
  for (size_t i = 0; i < sums.size(); ++i)
    sxx += (sums[i] - ms) * (sums[i] - ms), sxy += (sums[i] - ms) * (measured[i] - mm);
  cost.slope = sxx > 1e-12 && sxy > 0 ? sxy / sxx : mm / ms;
  cost.intercept = sxx > 1e-12 && sxy > 0 ? mm - cost.slope * ms : 0;
}

}  // namespace

double AmcLatencyCost::Sum(const NetSpec& net) {
  if (!estimator_)
    estimator_ = std::make_unique<latency::LatencyEstimator>(table.table, table.device.get());
  return estimator_->Run(net).layers_sum_ms;
}

void FitAmcLatencyLine(AmcLatencyCost& cost, const Config& config, const NetSpec& net,
                       bool verbose) {
  const amc::ChannelGroups groups = amc::FindChannelGroups(net);
  std::vector<NetSpec> nets;
  for (double ratio : kCalibrationRatios)
    nets.push_back(amc::ApplyChannelCounts(
        net, groups,
        amc::UniformCounts(net, groups, std::max(ratio, config.amc.min_preserve),
                           config.amc.min_preserve, config.amc.channel_multiple)));
  if (verbose)
    std::fprintf(stderr, "amc: fitting the latency model on %zu prunings of %s\n", nets.size(),
                 net.name.c_str());
  const std::vector<double> measured = MeasureFastest(*cost.table.device, nets);
  std::vector<double> sums;
  for (const NetSpec& n : nets) sums.push_back(cost.Sum(n));
  FitLine(cost, sums, measured);
  double worst = 0;
  for (size_t i = 0; i < nets.size(); ++i)
    worst = std::max(worst,
                     std::abs(cost.slope * sums[i] + cost.intercept - measured[i]) / measured[i]);
  if (verbose)
    std::fprintf(stderr,
                 "amc: latency on %s = %.4f x table sum %+.4f ms (%.3f-%.3f ms measured, largest "
                 "error %.1f%%)\n",
                 config.device.name.c_str(), cost.slope, cost.intercept,
                 *std::min_element(measured.begin(), measured.end()),
                 *std::max_element(measured.begin(), measured.end()), 100 * worst);
}

CostModel AmcLatencyCostModel(const std::shared_ptr<AmcLatencyCost>& cost) {
  CostModel model{
      "ms",
      [cost](const NetSpec& net) { return cost->slope * cost->Sum(net) + cost->intercept; },
      {}};
  if (cost->table.device->kind() == latency::DeviceKind::kMeasurable)
    model.measure = [cost](const NetSpec& net) {
      return MeasureFastest(*cost->table.device, {net}).front();
    };
  return model;
}

}  // namespace hwnas::search
