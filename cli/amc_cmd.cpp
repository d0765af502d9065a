// `hwnas search CONFIG` for strategy amc: prunes the channels of a trained network (a NetSpec
// file with its weights, or a finished run's final network) with AMC under a FLOPs or latency
// budget, fine-tunes the best policy's network, and stores the run with every episode.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <limits>
#include <memory>

#include "cli/amc_cmd.h"
#include "cli/compression_common.h"
#include "cli/interrupt.h"
#include "cli/latency_common.h"
#include "cli/run_common.h"
#include "core/config.h"
#include "core/dataset.h"
#include "core/errors.h"
#include "core/netspec_yaml.h"
#include "latency/estimator.h"
#include "results/store.h"
#include "search/amc/amc.h"
#include "search/amc/channel_groups.h"

namespace hwnas::cli {
namespace {

// Latency on the config's device: the sum of its table's entries for single networks (space ""),
// measuring or computing what the table lacks, mapped to end-to-end latency by a line fitted on
// uniformly pruned copies of the network. One factor fitted on the unpruned network alone
// under-estimates pruned ones, whose fixed per-network costs weigh more (measured on
// fmnist-quickstart: end to end / sum 1.0 unpruned, 1.13 at half the FLOPs). Imported tables
// hold only the shapes they were measured at, so they cannot cost pruned channel counts.
struct LatencyCost {
  DeviceTable table;
  double slope = 1, intercept = 0;
  double Sum(const NetSpec& net) {
    return latency::LatencyEstimator(table.table, table.device.get()).Run(net).layers_sum_ms;
  }
};

constexpr double kCalibrationRatios[] = {1.0, 0.7, 0.45, 0.0};  // 0: every group at its minimum
constexpr int kCalibrationRounds = 3;

// End to end, each network in `rounds` interleaved rounds, keeping its fastest: on a shared or
// virtual machine slow periods only add time (the rule latency tables are measured by).
std::vector<double> MeasureFastest(latency::Device& device, const std::vector<NetSpec>& nets) {
  std::vector<double> fastest(nets.size(), std::numeric_limits<double>::infinity());
  for (int round = 0; round < kCalibrationRounds; ++round)
    for (size_t i = 0; i < nets.size(); ++i)
      fastest[i] = std::min(fastest[i], latency::EntryMs(device.MeasureNetwork(nets[i])));
  return fastest;
}

void FitLatencyLine(LatencyCost& cost, const Config& config, const NetSpec& net, bool verbose) {
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
  const double n = static_cast<double>(nets.size());
  double ms = 0, mm = 0, sxx = 0, sxy = 0;
  for (size_t i = 0; i < nets.size(); ++i) ms += sums[i] / n, mm += measured[i] / n;
  for (size_t i = 0; i < nets.size(); ++i)
    sxx += (sums[i] - ms) * (sums[i] - ms), sxy += (sums[i] - ms) * (measured[i] - mm);
  cost.slope = sxx > 1e-12 && sxy > 0 ? sxy / sxx : mm / ms;
  cost.intercept = sxx > 1e-12 && sxy > 0 ? mm - cost.slope * ms : 0;
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

std::shared_ptr<LatencyCost> OpenLatencyCost(results::Store& store, const Config& config,
                                             const NetSpec& net, bool verbose) {
  auto cost = std::make_shared<LatencyCost>();
  cost->table = OpenDeviceTable(store, config.device.name, latency::MeasureOptionsOf(config), "");
  if (!cost->table.device)
    throw UsageError("device '" + config.device.name +
                     "' has only an imported latency table, which holds the shapes it was "
                     "measured at, not pruned channel counts; an AMC latency budget needs a "
                     "device that measures (cpu, cuda) or computes (configs/devices/) latency");
  FitLatencyLine(*cost, config, net, verbose);
  SaveDeviceTable(store, cost->table);
  return cost;
}

search::CostModel LatencyCostModel(const std::shared_ptr<LatencyCost>& cost) {
  search::CostModel model{
      "ms",
      [cost](const NetSpec& net) { return cost->slope * cost->Sum(net) + cost->intercept; },
      {}};
  if (cost->table.device->kind() == latency::DeviceKind::kMeasurable)
    model.measure = [cost](const NetSpec& net) {
      return MeasureFastest(*cost->table.device, {net}).front();
    };
  return model;
}

void PrintSummary(int64_t run_id, const Config& config, const NetSpec& original,
                  const search::AmcResult& r, const search::CostModel& cost) {
  const auto cost_text = [&](double value) {
    char text[64];
    if (cost.unit == "ms")
      std::snprintf(text, sizeof text, "%.3f ms", value);
    else
      std::snprintf(text, sizeof text, "%.4g M MACs", value / 1e6);
    return std::string(text);
  };
  const search::PrunedNetwork& b = r.best;
  std::printf("run %lld finished: %s\n", static_cast<long long>(run_id), config.name.c_str());
  std::printf("  pruned         %s\n  from           %s\n", ArchString(b.net).c_str(),
              ArchString(original).c_str());
  std::printf("  cost           %s = %.1f%% of the original (budget %s)\n",
              cost_text(b.cost).c_str(), 100 * b.cost_ratio,
              cost_text(config.amc.target_kind == AmcTarget::kLatency
                            ? config.amc.target_ms
                            : config.amc.flops_ratio * NetFlops(original))
                  .c_str());
  std::printf("  FLOPs          %.4g M MACs of %.4g M (%.1f%%)\n", NetFlops(b.net) / 1e6,
              NetFlops(original) / 1e6, 100 * NetFlops(b.net) / NetFlops(original));
  std::printf(
      "  accuracy       %.2f%% held-out before fine-tuning, %.2f%% test after %lld "
      "epoch(s)\n",
      100 * b.holdout_accuracy, 100 * b.finetuned.test_accuracy,
      static_cast<long long>(config.amc.finetune_epochs));
  if (r.measured_ms)
    std::printf(
        "  latency        %.3f ms measured end to end on %s (fastest of %d rounds; %lld "
        "of the best networks timed)\n",
        *r.measured_ms, config.device.name.c_str(), kCalibrationRounds,
        static_cast<long long>(r.measured_candidates));
  else
    std::printf("  latency        %.3f ms measured on this cpu\n", b.finetuned.latency_ms);
  if (r.uniform)
    std::printf("  uniform %.2f    %s, %.2f%% held-out before, %.2f%% test after fine-tuning\n",
                r.uniform_ratio, cost_text(r.uniform->cost).c_str(),
                100 * r.uniform->holdout_accuracy, 100 * r.uniform->finetuned.test_accuracy);
  std::printf("query it with:   hwnas results show %lld\n", static_cast<long long>(run_id));
}

}  // namespace

void RunAmcSearch(const Config& config, const GlobalOptions& global) {
  // Everything that can fail on bad input is checked before the run is stored.
  const TrainedNetwork source =
      ResolveTrainedNetwork(config, global, config.amc.source_run, config.amc.weights, "amc");
  const DataSplits data = LoadDataSplits(config.data, config.seed);
  auto store = results::Store::Open(global.db_path);
  std::shared_ptr<LatencyCost> latency;
  search::CostModel cost = search::FlopsCost();
  if (config.amc.target_kind == AmcTarget::kLatency) {
    latency = OpenLatencyCost(*store, config, source.net, !global.quiet);
    cost = LatencyCostModel(latency);
  }
  search::AmcProblem problem(source.net, source.weights, config, data, cost);

  search::AmcResult result;
  const int64_t run_id = RunCompression(
      *store, config, global,
      [&](int64_t, const search::CompressionContext& context) {
        result = search::RunAmc(problem, context);
      },
      [&] {
        if (latency) SaveDeviceTable(*store, latency->table);
      });
  PrintSummary(run_id, config, source.net, result, cost);
}

}  // namespace hwnas::cli
