// What the compression strategies (AMC channel pruning, HAQ mixed precision) share: the cost a
// budget counts, the context a run gets from the CLI, and where an episode's time goes. The
// CLI builds latency models from devices and tables; strategies only call them.
#pragma once

#include <atomic>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/netspec.h"
#include "core/reporter.h"

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

struct CompressionContext {
  Reporter* reporter = nullptr;  // required
  bool show_progress = true;
  std::string artifact_dir;  // required: where compressed and fine-tuned weights go
  // Set by a signal handler; checked between episodes and batches, then Interrupted is thrown.
  const std::atomic<bool>* stop_requested = nullptr;
};

// Seconds per episode on average, by part.
struct EpisodeTimes {
  double agent = 0;     // choosing actions and updating the actor and critic
  double budget = 0;    // fitting the policy to the budget (cost evaluations)
  double prepare = 0;   // building the episode's network: pruning and reconstruction (AMC),
                        // quantization, calibration and optional fine-tuning (HAQ)
  double evaluate = 0;  // held-out accuracy of that network
  double total = 0;
};

// The static part of an agent's state: every column of `rows` (one row per step) scaled to [0, 1]
// across the rows, as AMC and HAQ embed layers; a constant column stays as it is.
std::vector<std::vector<float>> MinMaxScaled(std::vector<std::vector<double>> rows);

// "per episode 1.0s: agent 89ms, budget 0ms, <prepare> 8ms, evaluate 906ms".
std::string FormatEpisodeTimes(const EpisodeTimes& times, const std::string& prepare);
// Turns the times summed over `episodes` episodes into averages, `total` from the wall time.
void AverageEpisodeTimes(EpisodeTimes& times, int64_t episodes, double wall_seconds);
// The averages as metrics at `step`: episode_seconds, agent_seconds, budget_seconds,
// <prepare_metric>, evaluate_seconds.
void ReportEpisodeTimes(Reporter& reporter, int64_t step, const EpisodeTimes& times,
                        const std::string& prepare_metric);

// How the last step of a compression run (FineTuneAndStore in search/finetune.h) treats the
// compressed network.
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
