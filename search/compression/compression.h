// What the compression strategies (AMC channel pruning, HAQ mixed precision) share: the cost a
// budget counts, the context a run gets from the CLI, and where an episode's time goes. The
// CLI builds latency models from devices and tables; strategies only call them. The episode
// loop both run is search/compression/episode_loop.h.
#pragma once

#include <atomic>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/netspec.h"
#include "core/reporter.h"
#include "search/trainer.h"

namespace hwnas::search {

// A function of a NetSpec in one unit, e.g. FLOPs, latency estimated on a device, model size.
struct CostModel {
  std::string unit;  // "MACs", "ms", "bits", or a table's cost unit
  std::function<double(const NetSpec&)> cost;
  // For latency on a measurable device: the network timed end to end, which decides whether the
  // exported network meets the budget (the estimate only steers the search). Empty otherwise.
  std::function<double(const NetSpec&)> measure = {};
};

inline CostModel FlopsCost() {
  return {"MACs", [](const NetSpec& net) { return NetFlops(net); }};
}
inline CostModel SizeCost() {
  return {"bits", [](const NetSpec& net) { return NetSizeBits(net); }};
}

// What a compression run gets is what training gets (reporter, progress, artifact_dir where
// compressed and fine-tuned weights go, the stop flag checked between episodes and batches).
using CompressionContext = TrainContext;

// Seconds per episode on average, by part.
struct EpisodeTimes {
  double agent = 0;     // choosing actions and updating the actor and critic
  double budget = 0;    // fitting the policy to the budget (cost evaluations)
  double prepare = 0;   // building the episode's network: pruning and reconstruction (AMC),
                        // quantization, calibration and optional fine-tuning (HAQ)
  double evaluate = 0;  // held-out accuracy of that network
  double total = 0;
};

// What a compression search reports of its episodes.
struct EpisodeSummary {
  double best_reward = 0;
  int64_t best_episode = 0;  // the first with the best reward
  EpisodeTimes times;
};

// A compressed network as stored: held-out accuracy before fine-tuning, cost, and what
// fine-tuning gave. PrunedNetwork (AMC) and QuantizedNetwork (HAQ) add their policies.
struct CompressedNetwork {
  NetSpec net;
  double holdout_accuracy = 0;  // whole held-out split, before fine-tuning
  double cost = 0;
  double cost_ratio = 0;  // cost / cost of the reference (unpruned, all-8-bit) network
  TrainResult finetuned;
};

// How the last step of a compression run (FineTuneAndStore in search/compression/finetune.h)
// treats the compressed network.
struct FineTuneRequest {
  std::string dir;           // where the weights go
  std::string weights_kind;  // artifact kind of the weights before fine-tuning
  int64_t epochs = 1;
  double learning_rate = 0.01;
  int64_t step_offset = 0;
  std::string prefix;
  std::string role = "final";
  std::optional<double> estimated_latency_ms;
  std::optional<double> measured_latency_ms;  // known already: stored instead of timing again
  bool measure_latency = true;  // end to end on this CPU (meaningless for fake-quantized nets)
};

}  // namespace hwnas::search
