#include "latency/builder.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <map>

#include "core/progress.h"
#include "core/rng.h"
#include "latency/estimator.h"
#include "latency/op_key.h"

namespace hwnas::latency {
namespace {

// One layer per key the table lacks.
std::vector<std::pair<std::string, LayerSpec>> LayersToMeasure(const std::vector<LayerSpec>& layers,
                                                               const LatencyTable& table,
                                                               int64_t* reused) {
  std::vector<std::pair<std::string, LayerSpec>> todo;
  std::vector<std::string> seen;
  for (const LayerSpec& layer : layers) {
    std::string key = OpKey(layer);
    if (std::find(seen.begin(), seen.end(), key) != seen.end()) continue;
    seen.push_back(key);
    if (table.Contains(key)) {
      ++*reused;
    } else {
      todo.emplace_back(std::move(key), layer);
    }
  }
  return todo;
}

// Calls measure(i) for every item in `rounds` rounds, each in a new seeded random order, and
// keeps per item the result with the lowest median.
template <typename Measure>
std::vector<LatencyStats> FastestOfRounds(size_t items, const BuildOptions& options,
                                          const std::string& label, Measure measure) {
  std::vector<LatencyStats> best(items);
  std::vector<size_t> order(items);
  for (size_t i = 0; i < items; ++i) order[i] = i;
  ProgressBar bar(label, static_cast<int64_t>(items) * options.rounds, options.show_progress);
  int64_t done = 0;
  for (int64_t round = 0; round < options.rounds; ++round) {
    Rng rng(DeriveSeed(options.seed, rng_stream::kMeasureOrder, static_cast<uint64_t>(round)));
    Shuffle(order, rng);
    for (size_t i : order) {
      const LatencyStats stats = measure(i);
      if (round == 0 || stats.median < best[i].median) best[i] = stats;
      bar.Update(++done,
                 "round " + std::to_string(round + 1) + "/" + std::to_string(options.rounds));
    }
  }
  bar.Finish("");
  return best;
}

double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

BuildReport FillTable(Device& device, const std::vector<LayerSpec>& layers, LatencyTable& table,
                      const BuildOptions& options) {
  BuildReport report;
  const auto start = std::chrono::steady_clock::now();
  const auto todo = LayersToMeasure(layers, table, &report.reused);
  const auto stats = FastestOfRounds(todo.size(), options, "measuring " + device.name(),
                                     [&](size_t i) { return device.Measure(todo[i].second); });
  for (size_t i = 0; i < todo.size(); ++i) {
    table.Set(todo[i].first, stats[i]);
    report.max_cv = std::max(report.max_cv, stats[i].cv());
    if (stats[i].unstable) report.unstable_keys.push_back(todo[i].first);
  }
  report.measured = static_cast<int64_t>(todo.size());
  report.seconds = SecondsSince(start);
  return report;
}

std::vector<double> MeasureNetworks(Device& device, const std::vector<NetSpec>& nets,
                                    const BuildOptions& options, const std::string& label) {
  const auto stats = FastestOfRounds(nets.size(), options, label,
                                     [&](size_t i) { return device.MeasureNetwork(nets[i]); });
  std::vector<double> ms;
  for (const auto& s : stats) ms.push_back(EntryMs(s));
  return ms;
}

double CalibrateNetworkScale(Device& device, const std::vector<NetSpec>& nets,
                             const LatencyTable& table, const BuildOptions& options) {
  const std::vector<double> measured = MeasureNetworks(device, nets, options, "calibrating");
  std::vector<double> ratios;
  for (size_t i = 0; i < nets.size(); ++i) {
    double sum = 0;
    for (const auto& key : NetOpKeys(nets[i])) sum += EntryMs(table.At(key));
    ratios.push_back(measured[i] / sum);
  }
  std::nth_element(ratios.begin(), ratios.begin() + ratios.size() / 2, ratios.end());
  return ratios[ratios.size() / 2];
}

}  // namespace hwnas::latency
