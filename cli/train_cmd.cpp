// `hwnas train CONFIG [key=value ...]`: trains the NetSpec named by the config on its dataset,
// measures its latency, and stores the run, its metrics and the final network.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <iostream>
#include <memory>

#include "cli/commands.h"
#include "cli/engine_commands.h"
#include "cli/interrupt.h"
#include "cli/run_common.h"
#include "core/config.h"
#include "core/dataset.h"
#include "core/errors.h"
#include "core/netspec_yaml.h"
#include "results/store.h"
#include "search/trainer.h"

namespace hwnas::cli {
namespace {

using TrainArgs = ConfigArgs;

// The network must accept the dataset's images and produce its classes.
void CheckNetMatchesData(const NetSpec& net, const Dataset& data, const Config& config) {
  if (net.input_channels == data.channels && net.input_size == data.height &&
      net.input_size == data.width && net.num_classes == data.num_classes)
    return;
  const auto shape = [](int64_t size, int64_t channels, int64_t classes) {
    return std::to_string(size) + "x" + std::to_string(size) + "x" + std::to_string(channels) +
           " images, " + std::to_string(classes) + " classes";
  };
  throw ConfigError(
      {{config.source_path, 0, 0, "", "net",
        "network '" + net.name + "' does not fit the dataset (got " +
            shape(net.input_size, net.input_channels, net.num_classes) + "; expected " +
            shape(data.height, data.channels, data.num_classes) + ")"}});
}

void PrintSummary(int64_t run_id, const Config& config, const NetSpec& net,
                  const search::TrainResult& r) {
  std::printf("run %lld finished: %s\n", static_cast<long long>(run_id), config.name.c_str());
  std::printf("  architecture   %s\n", ArchString(net).c_str());
  std::printf("  test accuracy  %.2f%%  (holdout %.2f%%)\n", 100.0 * r.test_accuracy,
              100.0 * r.holdout_accuracy);
  std::printf("  latency        %.3f ms measured on %s, batch %lld, %lld thread(s)\n", r.latency_ms,
              config.device.name.c_str(), static_cast<long long>(config.device.batch),
              static_cast<long long>(config.device.threads));
  std::printf("  FLOPs          %.2f M MACs   params %.3f M\n", NetFlops(net) / 1e6,
              NetParams(net) / 1e6);
  std::printf("  training       %.1f s, %.0f images/s, data wait %.1f%%\n", r.train_seconds,
              r.images_per_second, 100.0 * r.data_wait_fraction);
  if (!r.weights_path.empty()) std::printf("  weights        %s\n", r.weights_path.c_str());
  std::printf("query it with:   hwnas results show %lld\n", static_cast<long long>(run_id));
}

void RunTrain(const TrainArgs& args, const GlobalOptions& global) {
  const Config config = LoadConfig(args.config_path, args.overrides);
  if (config.strategy != "train")
    throw UsageError("'hwnas train' runs configs with strategy 'train' (got '" + config.strategy +
                     "')");
  // Everything that can fail on bad input is checked before the run is stored.
  const NetSpec net = LoadNetSpecFile(config.net);
  const DataSplits data = LoadDataSplits(config.data, config.seed);
  CheckNetMatchesData(net, data.train, config);

  auto store = results::Store::Open(global.db_path);
  const int64_t run_id = store->BeginRun(MakeRunInfo(config));
  auto reporter = store->MakeReporter(run_id);
  InterruptFlag interrupt;
  search::TrainContext context;
  context.reporter = reporter.get();
  context.show_progress = !global.quiet;
  context.artifact_dir = ArtifactDir(global.db_path, run_id);
  context.stop_requested = interrupt.flag();
  try {
    const search::TrainResult result = search::TrainNetwork(net, config, data, context);
    store->FinishRun(run_id, results::RunStatus::kFinished);
    PrintSummary(run_id, config, net, result);
  } catch (const Interrupted& e) {
    // Training runs have no checkpoints: the stored epochs stay, the run cannot be resumed.
    store->FinishRun(run_id, results::RunStatus::kInterrupted, e.what());
    throw;
  } catch (const std::exception& e) {
    store->FinishRun(run_id, results::RunStatus::kFailed, e.what());
    throw;
  }
}

}  // namespace

void AddTrainCommand(CLI::App& app, const GlobalOptions& global) {
  auto args = std::make_shared<TrainArgs>();
  auto* cmd = app.add_subcommand(kTrainCommand.name, kTrainCommand.description);
  AddConfigArguments(*cmd, args.get(), "train.epochs=1");
  cmd->callback([args, &global] { RunTrain(*args, global); });
}

}  // namespace hwnas::cli
