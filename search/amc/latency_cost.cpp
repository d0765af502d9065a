#include "search/amc/latency_cost.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <optional>

#include "latency/probe.h"

namespace hwnas::search {
namespace {

constexpr double kCalibrationRatios[] = {1.0, 0.7, 0.45, 0.0};  // 0: every group at its minimum
constexpr int kRandomPrunings = 8;

// End to end, each network in kAmcLatencyRounds interleaved rounds, keeping its fastest: on a
// shared or virtual machine slow periods only add time (the rule latency tables are measured by).
std::vector<double> MeasureFastest(latency::Device& device, const std::vector<NetSpec>& nets) {
  std::vector<double> fastest(nets.size(), std::numeric_limits<double>::infinity());
  for (int round = 0; round < kAmcLatencyRounds; ++round)
    for (size_t i = 0; i < nets.size(); ++i)
      fastest[i] = std::min(fastest[i], latency::EntryMs(device.MeasureNetwork(nets[i])));
  return fastest;
}

// The same at the speed the table was measured at, for a table with a probe: every sample is
// divided by the probe sample timed right after it and multiplied by the table's probe, so a
// slow period during the fit (seen to last seconds here, 1.6x slower) cancels instead of
// tilting the line.
std::vector<double> MeasureAtTableSpeed(latency::Device& device, const std::vector<NetSpec>& nets,
                                        const latency::ProbeSummary& table_probe) {
  std::vector<double> fastest(nets.size(), std::numeric_limits<double>::infinity());
  for (int round = 0; round < kAmcLatencyRounds; ++round)
    for (size_t i = 0; i < nets.size(); ++i) {
      const latency::LatencyStats paired = device.MeasureNetworkPaired(nets[i]);
      const double ms = paired.probe_ratio > 0 ? paired.probe_ratio * table_probe.median_ms
                                               : latency::EntryMs(paired);
      fastest[i] = std::min(fastest[i], ms);
    }
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

// The networks the line is fitted on: `net` pruned uniformly across the range, and unevenly at
// random as the agent prunes (uneven prunings time above the uniform line: on fmnist-mbconv's
// searched network, AMC's chosen networks measured 8-9% over a line fitted on uniform ones).
std::vector<NetSpec> CalibrationNets(const Config& config, const NetSpec& net) {
  const amc::ChannelGroups groups = amc::FindChannelGroups(net);
  const AmcOptions& o = config.amc;
  std::vector<NetSpec> nets;
  for (double ratio : kCalibrationRatios)
    nets.push_back(
        amc::ApplyChannelCounts(net, groups,
                                amc::UniformCounts(net, groups, std::max(ratio, o.min_preserve),
                                                   o.min_preserve, o.channel_multiple)));
  // Index 0 of the calibration stream samples feature-map points for reconstruction.
  Rng rng(DeriveSeed(config.seed, rng_stream::kCalibration, /*index=*/1));
  for (int i = 0; i < kRandomPrunings; ++i)
    nets.push_back(amc::ApplyChannelCounts(
        net, groups, amc::RandomCounts(net, groups, o.min_preserve, o.channel_multiple, rng)));
  return nets;
}

}  // namespace

double AmcLatencyCost::Sum(const NetSpec& net) {
  if (!estimator_)
    estimator_ = std::make_unique<latency::LatencyEstimator>(table.table, table.device.get());
  return estimator_->Run(net).layers_sum_ms;
}

void FitAmcLatencyLine(AmcLatencyCost& cost, const Config& config, const NetSpec& net,
                       bool verbose) {
  const std::vector<NetSpec> nets = CalibrationNets(config, net);
  if (verbose)
    std::fprintf(stderr, "amc: fitting the latency model on %zu prunings of %s\n", nets.size(),
                 net.name.c_str());
  const std::optional<latency::ProbeSummary> table_probe = latency::TableProbe(cost.table.table);
  const std::vector<double> measured =
      table_probe ? MeasureAtTableSpeed(*cost.table.device, nets, *table_probe)
                  : MeasureFastest(*cost.table.device, nets);
  std::vector<double> sums;
  for (const NetSpec& n : nets) sums.push_back(cost.Sum(n));
  FitLine(cost, sums, measured);
  double worst = 0;
  for (size_t i = 0; i < nets.size(); ++i)
    worst = std::max(worst,
                     std::abs(cost.slope * sums[i] + cost.intercept - measured[i]) / measured[i]);
  if (verbose)
    std::fprintf(stderr,
                 "amc: latency on %s = %.4f x table sum %+.4f ms (%.3f-%.3f ms measured%s, "
                 "largest error %.1f%%)\n",
                 config.device.name.c_str(), cost.slope, cost.intercept,
                 *std::min_element(measured.begin(), measured.end()),
                 *std::max_element(measured.begin(), measured.end()),
                 table_probe ? " at the table's speed" : "", 100 * worst);
}

CostModel AmcLatencyCostModel(const std::shared_ptr<AmcLatencyCost>& cost) {
  CostModel model{
      "ms",
      [cost](const NetSpec& net) { return cost->slope * cost->Sum(net) + cost->intercept; },
      {}};
  // Timed as the line was fitted, so that a slow period at the end cannot reject every network.
  if (cost->table.device->kind() == latency::DeviceKind::kMeasurable)
    model.measure = [cost](const NetSpec& net) {
      const std::optional<latency::ProbeSummary> probe = latency::TableProbe(cost->table.table);
      return (probe ? MeasureAtTableSpeed(*cost->table.device, {net}, *probe)
                    : MeasureFastest(*cost->table.device, {net}))
          .front();
    };
  return model;
}

}  // namespace hwnas::search
