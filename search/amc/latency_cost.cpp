#include "search/amc/latency_cost.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <optional>
#include <string>
#include <utility>

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

// End to end at the speed of the reference probe: every sample is divided by the probe sample
// timed right after it and multiplied by the reference, so a slow period (seen here to last
// seconds at 1.6x) neither tilts the line nor rejects every candidate. Without a reference
// (a device without a probe), the plain fastest timings.
std::vector<double> MeasureAtReference(latency::Device& device, const std::vector<NetSpec>& nets,
                                       double reference_probe_ms) {
  if (reference_probe_ms <= 0) return MeasureFastest(device, nets);
  std::vector<double> fastest(nets.size(), std::numeric_limits<double>::infinity());
  for (int round = 0; round < kAmcLatencyRounds; ++round)
    for (size_t i = 0; i < nets.size(); ++i) {
      const latency::LatencyStats paired = device.MeasureNetworkPaired(nets[i]);
      const double ms = paired.probe_ratio > 0 ? paired.probe_ratio * reference_probe_ms
                                               : latency::EntryMs(paired);
      fastest[i] = std::min(fastest[i], ms);
    }
  return fastest;
}

// The table's probe (its build's speed), else the median of a few probes timed now (a table
// grown by AMC gets its probe only when it is first saved), else 0.
double ReferenceProbeMs(latency::DeviceTable& table) {
  if (const auto probe = latency::TableProbe(table.table)) return probe->median_ms;
  std::vector<double> now;
  for (int i = 0; i < 5; ++i)
    if (const std::optional<double> ms = table.device->TimeProbe()) now.push_back(*ms);
  if (now.empty()) return 0;
  std::nth_element(now.begin(), now.begin() + now.size() / 2, now.end());
  return now[now.size() / 2];
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
  cost.reference_probe_ms = ReferenceProbeMs(cost.table);
  const std::vector<double> measured =
      MeasureAtReference(*cost.table.device, nets, cost.reference_probe_ms);
  std::vector<double> sums;
  for (const NetSpec& n : nets) sums.push_back(cost.Sum(n));
  FitLine(cost, sums, measured);
  double worst = 0;
  for (size_t i = 0; i < nets.size(); ++i)
    worst = std::max(worst,
                     std::abs(cost.slope * sums[i] + cost.intercept - measured[i]) / measured[i]);
  cost.margin = std::min(worst, kMaxAmcLatencyMargin);
  if (verbose)
    std::fprintf(stderr,
                 "amc: latency on %s = %.4f x table sum %+.4f ms (%.3f-%.3f ms measured%s, "
                 "largest error %.1f%%: the search keeps that margin)\n",
                 config.device.name.c_str(), cost.slope, cost.intercept,
                 *std::min_element(measured.begin(), measured.end()),
                 *std::max_element(measured.begin(), measured.end()),
                 cost.reference_probe_ms > 0 ? " at the probe's reference speed" : "", 100 * worst);
}

std::vector<std::pair<std::string, double>> AmcLatencyLineMetrics(const AmcLatencyCost& cost) {
  return {{"amc_latency_slope", cost.slope},
          {"amc_latency_intercept_ms", cost.intercept},
          {"amc_latency_reference_probe_ms", cost.reference_probe_ms},
          {"amc_latency_margin", cost.margin}};
}

bool RestoreAmcLatencyLine(AmcLatencyCost& cost,
                           const std::function<std::optional<double>(const std::string&)>& stored) {
  const auto slope = stored("amc_latency_slope");
  const auto intercept = stored("amc_latency_intercept_ms");
  const auto reference = stored("amc_latency_reference_probe_ms");
  const auto margin = stored("amc_latency_margin");
  if (!slope || !intercept || !reference || !margin) return false;
  cost.slope = *slope, cost.intercept = *intercept, cost.reference_probe_ms = *reference;
  cost.margin = *margin;
  return true;
}

CostModel AmcLatencyCostModel(const std::shared_ptr<AmcLatencyCost>& cost) {
  CostModel model{"ms",
                  [cost](const NetSpec& net) {
                    return (cost->slope * cost->Sum(net) + cost->intercept) * (1 + cost->margin);
                  },
                  {}};
  // Timed as the line was fitted, so that a slow period at the end cannot reject every network.
  if (cost->table.device->kind() == latency::DeviceKind::kMeasurable)
    model.measure = [cost](const NetSpec& net) {
      return MeasureAtReference(*cost->table.device, {net}, cost->reference_probe_ms).front();
    };
  return model;
}

}  // namespace hwnas::search
