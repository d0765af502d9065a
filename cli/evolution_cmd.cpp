// `hwnas search CONFIG` for strategy evolution: the supernet of a finished proxyless run, an
// accuracy predictor fitted on architectures scored with its weights, and per latency target an
// evolutionary search on the predictor and the target device's latency estimate. The run of
// the config holds the samples and the predictor; every target gets its own run (named
// NAME-DEVICE@MSms) with its specialized network as final architecture, so `hwnas results
// pareto` and `best` compare them with searched networks.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <map>
#include <memory>

#include "cli/compression_common.h"
#include "cli/evolution_cmd.h"
#include "cli/interrupt.h"
#include "cli/latency_common.h"
#include "cli/run_common.h"
#include "core/config.h"
#include "core/dataset.h"
#include "core/errors.h"
#include "latency/builder.h"
#include "latency/estimator.h"
#include "latency/op_key.h"
#include "latency/op_predictor.h"
#include "measure/devices.h"
#include "results/store.h"
#include "search/evolution/specialize.h"
#include "search/proxyless.h"
#include "supernet/supernet.h"

namespace hwnas::cli {
namespace {

struct TargetSpec {
  std::string device;
  double ms = 0;
};

std::vector<TargetSpec> ParseTargets(const Config& config) {
  std::vector<TargetSpec> out;
  for (const std::string& t : config.evolution.targets) {  // checked by LoadConfig
    const size_t colon = t.rfind(':');
    out.push_back({t.substr(0, colon), std::stod(t.substr(colon + 1))});
  }
  return out;
}

// The supernet run: finished, strategy proxyless, with its checkpoint; and its config.
struct SupernetSource {
  int64_t run = 0;
  Config config;
  std::string checkpoint;
};

SupernetSource ResolveSupernet(const results::Store& store, const Config& config,
                               const std::string& db_path) {
  SupernetSource s;
  s.run = store.ResolveRun(config.evolution.supernet_run);
  const results::RunRecord run = store.GetRun(s.run);
  const std::string name = "run " + std::to_string(s.run) + " (evolution.supernet_run)";
  if (run.strategy != "proxyless")
    throw UsageError(name + " has strategy " + run.strategy +
                     "; evolution specializes the supernet of a proxyless search");
  if (run.status != results::RunStatus::kFinished)
    throw UsageError(name + " is " + results::RunStatusName(run.status) +
                     "; evolution needs a finished search");
  for (const results::ArtifactRecord& a : store.Artifacts(s.run))
    if (a.kind == "checkpoint") s.checkpoint = a.path;
  if (s.checkpoint.empty()) throw DataError(name + " stored no search checkpoint");
  if (std::filesystem::path(s.checkpoint).is_relative())
    s.checkpoint =
        (std::filesystem::absolute(db_path).parent_path() / s.checkpoint).lexically_normal();
  if (!std::filesystem::exists(s.checkpoint))
    throw DataError(name + ": its search checkpoint " + s.checkpoint + " is missing");
  s.config = LoadConfigFromString(run.config_text, "run " + std::to_string(s.run) + "'s config");
  return s;
}

// One device's latency for architectures of the space: the candidate costs from its table
// (completed by measuring on cpu/cuda, computed on model devices, predicted by the op latency
// model on an imported table), summed per architecture as LatencyEstimator would.
struct DeviceLatency {
  std::string device;
  std::shared_ptr<supernet::CandidateCosts> costs;
  std::shared_ptr<latency::Device> measurer;  // null unless measurable
  int64_t predicted_keys = 0;
};

DeviceLatency OpenDeviceLatency(results::Store& store, const SearchSpace& space,
                                const Config& config, const std::string& device, bool show) {
  Config c = config;
  c.device.name = device;
  DeviceTable table = CompleteDeviceTable(store, space, c, show);
  DeviceLatency out;
  out.device = device;
  if (!table.device) {
    std::vector<std::string> keys;
    for (const LayerSpec& layer : AllCandidateLayers(space)) keys.push_back(latency::OpKey(layer));
    const auto missing = table.table.MissingKeys(keys);
    if (!missing.empty()) {
      const auto model = latency::OpLatencyModel::Fit(table.table);
      out.predicted_keys =
          static_cast<int64_t>(latency::AddPredictedEntries(table.table, keys, model).size());
      if (show)
        std::fprintf(stderr,
                     "%s: %lld of %zu op keys of %s are not in its table; predicted by the op "
                     "latency model (ridge+gbt on its %zu entries)\n",
                     device.c_str(), static_cast<long long>(out.predicted_keys), keys.size(),
                     space.name.c_str(), model.examples());
    }
  }
  out.costs =
      std::make_shared<supernet::CandidateCosts>(supernet::CandidateLatencies(space, table.table));
  if (table.device && table.device->kind() == latency::DeviceKind::kMeasurable)
    out.measurer = std::shared_ptr<latency::Device>(std::move(table.device));
  return out;
}

search::LatencyTarget MakeTarget(const DeviceLatency& d, double ms, const SearchSpace& space,
                                 bool measure) {
  search::LatencyTarget t;
  t.device = d.device;
  t.target_ms = ms;
  auto costs = d.costs;
  std::vector<std::vector<std::string>> names;
  for (const BlockPosition& b : Blocks(space)) names.push_back(CandidateNames(space, b));
  t.latency_ms = [costs, names](const Arch& a) {
    double total = costs->fixed;
    for (size_t b = 0; b < a.choices.size(); ++b) {
      const auto& n = names[b];
      total += costs->per_block[b][std::find(n.begin(), n.end(), a.choices[b]) - n.begin()];
    }
    return total;
  };
  if (measure && d.measurer) {
    auto device = d.measurer;
    t.measure_ms = [device](const NetSpec& net) {
      latency::BuildOptions options;
      options.show_progress = false;
      return latency::MeasureNetworks(*device, {net}, options, "").ms[0];
    };
  }
  return t;
}

std::string FormatMs(double ms) {
  char text[32];
  std::snprintf(text, sizeof text, "%.4g", ms);
  return text;
}

std::string TargetName(const Config& config, const TargetSpec& t) {
  char ms[32];
  std::snprintf(ms, sizeof ms, "%g", t.ms);
  return config.name + "-" + t.device + "@" + ms + "ms";
}

}  // namespace

void RunEvolutionSearch(const Config& config, const GlobalOptions& global) {
  auto store = results::Store::Open(global.db_path);
  const SupernetSource source = ResolveSupernet(*store, config, global.db_path);
  const SearchSpace space = LoadSpace(source.config.space);
  Config run_config = config;  // the supernet's data split, so held-out images stay unseen
  run_config.data = source.config.data;
  run_config.space = source.config.space;
  const std::vector<TargetSpec> targets = ParseTargets(config);
  std::map<std::string, DeviceLatency> devices;  // every device checked before any run starts
  for (const TargetSpec& t : targets)
    if (!devices.count(t.device))
      devices[t.device] = OpenDeviceLatency(*store, space, run_config, t.device, !global.quiet);
  for (const TargetSpec& t : targets) {
    const double cheapest = search::CheapestCost(*devices.at(t.device).costs);
    if (t.ms < cheapest)
      throw ConfigError({{config.source_path, 0, 0, "", "evolution.targets",
                          "target " + t.device + ":" + FormatMs(t.ms) +
                              " is below the fastest network of space '" + space.name + "' on " +
                              t.device + " (" + FormatMs(cheapest) + " ms)"}});
  }
  const DataSplits data = LoadDataSplits(run_config.data, source.config.seed);
  search::Specializer specializer(space, run_config, data, source.checkpoint);

  RunCompression(*store, run_config, global, [&](int64_t run, const search::CompressionContext& c) {
    specializer.FitPredictor(*c.reporter, c.show_progress, c.stop_requested);
    std::printf("run %lld: accuracy predictor of run %lld's supernet\n",
                static_cast<long long>(run), static_cast<long long>(source.run));
  });
  std::printf("%-28s %-8s %9s %9s %9s %9s %9s %8s\n", "run", "device", "target", "estimate",
              "measured", "predicted", "accuracy", "seconds");
  for (const TargetSpec& t : targets) {
    Config target_config = run_config;
    target_config.name = TargetName(config, t);
    target_config.device.name = t.device;
    char ms[32];
    std::snprintf(ms, sizeof ms, "%s:%g", t.device.c_str(), t.ms);
    target_config.evolution.targets = {ms};
    const search::LatencyTarget target =
        MakeTarget(devices.at(t.device), t.ms, space, config.evolution.measure);
    search::SpecializedNetwork found;
    const int64_t id = RunCompression(*store, target_config, global,
                                      [&](int64_t, const search::CompressionContext& c) {
                                        search::TrainContext train;
                                        train.reporter = c.reporter;
                                        train.show_progress = c.show_progress;
                                        train.artifact_dir = c.artifact_dir;
                                        train.stop_requested = c.stop_requested;
                                        found = specializer.Specialize(target, *c.reporter, train);
                                      });
    const double accuracy =
        found.finetuned ? found.finetuned->test_accuracy : found.inherited_test_accuracy;
    char measured[32] = "-";
    if (found.measured_ms) std::snprintf(measured, sizeof measured, "%.4f", *found.measured_ms);
    std::printf("%-28s %-8s %9.4f %9.4f %9s %8.2f%% %8.2f%% %8.2f\n",
                (std::to_string(id) + " " + target_config.name).c_str(), t.device.c_str(), t.ms,
                found.estimated_ms, measured, 100 * found.predicted_accuracy, 100 * accuracy,
                found.search_seconds);
    std::printf("  %s\n", FormatArch(found.arch).c_str());
  }
}

}  // namespace hwnas::cli
