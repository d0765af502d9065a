#include "latency/builder.h"

#include <algorithm>
#include <chrono>
#include <cstdio>

#include "core/progress.h"
#include "core/rng.h"
#include "latency/op_key.h"

namespace hwnas::latency {
namespace {

// The layers to measure: one per key the table lacks, in a seeded random order.
std::vector<std::pair<std::string, LayerSpec>> LayersToMeasure(const std::vector<LayerSpec>& layers,
                                                               const LatencyTable& table,
                                                               uint64_t seed, int64_t* reused) {
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
  Rng rng(DeriveSeed(seed, rng_stream::kMeasureOrder));
  Shuffle(todo, rng);
  return todo;
}

}  // namespace

BuildReport FillTable(Device& device, const std::vector<LayerSpec>& layers, LatencyTable& table,
                      const BuildOptions& options) {
  BuildReport report;
  const auto todo = LayersToMeasure(layers, table, options.seed, &report.reused);
  ProgressBar bar("measuring " + device.name(), static_cast<int64_t>(todo.size()),
                  options.show_progress);
  const auto start = std::chrono::steady_clock::now();
  for (size_t i = 0; i < todo.size(); ++i) {
    const auto& [key, layer] = todo[i];
    const LatencyStats stats = device.Measure(layer);
    table.Set(key, stats);
    report.max_cv = std::max(report.max_cv, stats.cv());
    if (stats.unstable) report.unstable_keys.push_back(key);
    char status[64];
    std::snprintf(status, sizeof status, "%s %.3f ms", layer.name.c_str(), stats.median);
    bar.Update(static_cast<int64_t>(i + 1), status);
  }
  bar.Finish("");
  report.measured = static_cast<int64_t>(todo.size());
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return report;
}

}  // namespace hwnas::latency
