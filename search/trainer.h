// Trains one standalone network from a NetSpec on the configured data, the same way for
// hand-written baselines, searched networks and (later) fine-tuning after AMC/HAQ:
// SGD with momentum, cosine learning rate, label smoothing, channels-last on CPU.
// Reports per-epoch metrics and the final architecture through the Reporter interface.
#pragma once

#include <atomic>
#include <cstdint>
#include <optional>
#include <string>

#include "core/netspec.h"
#include "core/options.h"
#include "core/reporter.h"

namespace hwnas {
struct DataSplits;

namespace search {

struct TrainContext {
  Reporter* reporter = nullptr;  // required
  bool show_progress = true;
  std::string artifact_dir;  // where final weights go; empty = do not save
  // Weights to start from instead of a fresh initialisation (a file the trainer or the
  // supernet search saved for the same NetSpec), e.g. weights inherited from a supernet.
  std::string initial_weights;
  // Set by a signal handler; checked between batches, then training throws Interrupted.
  const std::atomic<bool>* stop_requested = nullptr;
  // Time the trained network end to end on this CPU (not for fake-quantized networks, whose
  // float simulation says nothing about low-precision hardware).
  bool measure_latency = true;
  // Continue from the run's checkpoint in artifact_dir (the compression episode loop reads it;
  // training itself always starts over).
  bool resume = false;
  // The seed `data` was split with, where it is not config.seed (evolution fine-tunes on its
  // supernet run's data): the other ranks of a job load the same splits.
  std::optional<uint64_t> data_seed;
};

struct TrainResult {
  double test_accuracy = 0;
  std::optional<double> holdout_accuracy;  // none when no images were held out
  double train_loss = 0;
  double train_seconds = 0;
  double images_per_second = 0;   // training throughput, data pipeline included
  double data_wait_fraction = 0;  // share of training time spent waiting for batches
  double latency_ms = 0;          // measured end to end on the CPU at batch 1
  std::string weights_path;
};

// "93.12%  (holdout 93.40%)", without the held-out part when there is none: summaries print it.
std::string AccuracyText(const TrainResult& result);

TrainResult TrainNetwork(const NetSpec& net, const Config& config, const DataSplits& data,
                         const TrainContext& context);

}  // namespace search
}  // namespace hwnas
