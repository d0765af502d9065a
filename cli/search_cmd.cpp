// `hwnas search CONFIG [key=value ...]`: runs the config's search strategy (proxyless) on its
// space and dataset against the device's latency table (built first where the device can be
// measured), retrains the derived network, and stores the run with every derived architecture
// and the final network, estimated and measured latency side by side.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <memory>

#include "cli/commands.h"
#include "cli/latency_common.h"
#include "cli/run_common.h"
#include "core/config.h"
#include "core/dataset.h"
#include "core/errors.h"
#include "latency/builder.h"
#include "latency/estimator.h"
#include "results/store.h"
#include "search/proxyless.h"
#include "search/trainer.h"

namespace hwnas::cli {
namespace {

using SearchArgs = ConfigArgs;

// Retraining reports its epochs after the search's, so metric steps never collide.
class OffsetReporter : public Reporter {
 public:
  OffsetReporter(Reporter& inner, int64_t offset) : inner_(inner), offset_(offset) {}
  void OnMetrics(int64_t step, const MetricValues& values) override {
    inner_.OnMetrics(step + offset_, values);
  }
  void OnArchitecture(const ArchitectureRecord& record) override { final_ = record; }
  void OnEpisode(const EpisodeRecord& record) override { inner_.OnEpisode(record); }
  void OnArtifact(const std::string& kind, const std::string& path) override {
    inner_.OnArtifact(kind, path);
  }
  ArchitectureRecord final_;  // the trainer's final record, completed before it is stored

 private:
  Reporter& inner_;
  int64_t offset_;
};

void CheckSpaceMatchesData(const SearchSpace& space, const Dataset& data, const Config& config) {
  if (space.input_channels == data.channels && space.input_size == data.height &&
      space.input_size == data.width && space.num_classes == data.num_classes)
    return;
  throw ConfigError(
      {{config.source_path, 0, 0, "", "space",
        "search space '" + space.name + "' does not fit the dataset (got " +
            std::to_string(space.input_size) + "x" + std::to_string(space.input_size) + "x" +
            std::to_string(space.input_channels) + " images, " + std::to_string(space.num_classes) +
            " classes; expected " + std::to_string(data.height) + "x" + std::to_string(data.width) +
            "x" + std::to_string(data.channels) + " images, " + std::to_string(data.num_classes) +
            " classes)"}});
}

latency::MeasureOptions MeasureOptionsOf(const Config& config) {
  latency::MeasureOptions measure;
  measure.threads = config.device.threads;
  measure.batch = config.device.batch;
  measure.channels_last = config.train.channels_last;
  return measure;
}

// The device's table for the space, completed by measuring (or computing) what it lacks where
// the device allows; a table-only device must already hold every entry.
DeviceTable CompleteDeviceTable(results::Store& store, const SearchSpace& space,
                                const Config& config, bool show_progress) {
  DeviceTable target =
      OpenDeviceTable(store, config.device.name, MeasureOptionsOf(config), space.name);
  if (!target.device) return target;
  latency::BuildOptions options;
  options.seed = config.seed;
  options.show_progress = show_progress;
  const auto report =
      latency::FillTable(*target.device, AllCandidateLayers(space), target.table, options);
  if (report.measured > 0) SaveDeviceTable(store, target);
  return target;
}

void PrintSummary(int64_t run_id, const Config& config, const search::ProxylessResult& search,
                  const search::TrainResult& r, double estimated_ms) {
  std::printf("run %lld finished: %s\n", static_cast<long long>(run_id), config.name.c_str());
  std::printf("  architecture   %s\n", FormatArch(search.arch).c_str());
  std::printf("  test accuracy  %.2f%%  (holdout %.2f%%)\n", 100.0 * r.test_accuracy,
              100.0 * r.holdout_accuracy);
  const bool by_latency = config.proxyless.target_kind == ProxylessTarget::kLatency;
  // The trainer measures end to end on this CPU, whatever device the table belongs to.
  if (by_latency) {
    std::printf(
        "  latency        %.3f ms estimated on %s (target %g ms), %.3f ms measured on "
        "this cpu\n",
        estimated_ms, config.device.name.c_str(), config.proxyless.target_ms, r.latency_ms);
  } else {
    std::printf("  cost           target %g M MACs; %.3f ms measured on this cpu\n",
                config.proxyless.target_mflops, r.latency_ms);
  }
  std::printf("  FLOPs          %.2f M MACs   params %.3f M\n", NetFlops(search.net) / 1e6,
              NetParams(search.net) / 1e6);
  std::printf("query it with:   hwnas results show %lld\n", static_cast<long long>(run_id));
}

// Retrains the derived network and stores it as the final architecture, with its latency
// estimated from the table next to the one the trainer measured.
search::TrainResult Retrain(const search::ProxylessResult& found, const Config& config,
                            const DataSplits& data, Reporter& reporter,
                            const search::TrainContext& base, double estimated_ms) {
  Config retrain = config;
  if (config.proxyless.retrain_epochs > 0) retrain.train.epochs = config.proxyless.retrain_epochs;
  const int64_t search_epochs = config.proxyless.warmup_epochs + config.proxyless.epochs;
  OffsetReporter offset(reporter, search_epochs);
  search::TrainContext context = base;
  context.reporter = &offset;
  const search::TrainResult result = search::TrainNetwork(found.net, retrain, data, context);
  offset.final_.step = search_epochs + retrain.train.epochs - 1;
  if (estimated_ms > 0) offset.final_.estimated_latency_ms = estimated_ms;
  reporter.OnArchitecture(offset.final_);
  return result;
}

void RunSearch(const SearchArgs& args, const GlobalOptions& global) {
  const Config config = LoadConfig(args.config_path, args.overrides);
  if (config.strategy != "proxyless")
    throw UsageError("'hwnas search' runs configs with strategy 'proxyless' (got '" +
                     config.strategy + "')");
  if (config.proxyless.fine_tune)
    throw ConfigError({{config.source_path, 0, 0, "", "proxyless.fine_tune",
                        "not supported yet (expected false: the derived network is retrained "
                        "from scratch)"}});
  const SearchSpace space = LoadSpace(config.space);
  const DataSplits data = LoadDataSplits(config.data, config.seed);
  CheckSpaceMatchesData(space, data.train, config);
  const bool by_latency = config.proxyless.target_kind == ProxylessTarget::kLatency;
  // A FLOPs target is checked before the store is even opened; a latency target needs the table.
  if (!by_latency) search::CheckProxylessSearch(space, config, data, nullptr);

  auto store = results::Store::Open(global.db_path);
  DeviceTable table;
  if (by_latency) {
    table = CompleteDeviceTable(*store, space, config, !global.quiet);
    search::CheckProxylessSearch(space, config, data, &table.table);
  }
  const int64_t run_id = store->BeginRun(MakeRunInfo(config));
  auto reporter = store->MakeReporter(run_id);
  search::TrainContext train_context;
  train_context.show_progress = !global.quiet;
  train_context.artifact_dir = ArtifactDir(global.db_path, run_id);
  search::SearchContext context{reporter.get(), !global.quiet, train_context.artifact_dir};
  try {
    const search::ProxylessResult found = search::RunProxylessSearch(
        space, config, data, by_latency ? &table.table : nullptr, context);
    double estimated_ms = 0;
    if (by_latency)
      estimated_ms = latency::LatencyEstimator(table.table, nullptr).Run(found.net).total_ms;
    const search::TrainResult result =
        Retrain(found, config, data, *reporter, train_context, estimated_ms);
    store->FinishRun(run_id, results::RunStatus::kFinished);
    PrintSummary(run_id, config, found, result, estimated_ms);
  } catch (const std::exception& e) {
    store->FinishRun(run_id, results::RunStatus::kFailed, e.what());
    throw;
  }
}

}  // namespace

void AddSearchCommand(CLI::App& app, const GlobalOptions& global) {
  auto args = std::make_shared<SearchArgs>();
  auto* cmd = app.add_subcommand(
      "search",
      "Search the config's space (strategy: proxyless) for a network that meets its latency\n"
      "or FLOPs target on the configured device, retrain it, and store the run. Example:\n"
      "  hwnas search configs/search-fmnist.yaml proxyless.epochs=2");
  AddConfigArguments(*cmd, args.get(), "proxyless.epochs=1");
  cmd->callback([args, &global] { RunSearch(*args, global); });
}

}  // namespace hwnas::cli
