// ProxylessNAS search (Cai et al., 2019) over a SearchSpace: weight warm-up on uniformly sampled
// paths, then joint training (weights on the train split, architecture parameters on held-out
// batches with a cost regulariser), deriving argmax architectures after every epoch. Owns the
// target checks and the search loop; retraining the result is search::TrainNetwork's job.
#pragma once

#include <atomic>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/netspec.h"
#include "core/options.h"
#include "core/reporter.h"
#include "core/search_space.h"

namespace hwnas {
struct DataSplits;
namespace latency {
class LatencyTable;
}  // namespace latency
namespace supernet {
struct CandidateCosts;
}  // namespace supernet

namespace search {

struct SearchContext {
  Reporter* reporter = nullptr;  // required
  bool show_progress = true;
  // Rewritten atomically after every epoch (empty = no checkpoints): the supernet with its
  // alphas, both optimizers, and where the data streams stand.
  std::string checkpoint_path;
  // Continue from the checkpoint at checkpoint_path; the result equals an uninterrupted run's.
  bool resume = false;
  // Set by a signal handler; checked between batches, then the search throws Interrupted.
  const std::atomic<bool>* stop_requested = nullptr;
  // Where the derived network's weights, inherited from the supernet, are saved at the end (for
  // proxyless.fine_tune); empty = not saved.
  std::string inherited_weights_path;
};

// What a checkpoint says about itself, read without building the supernet.
struct CheckpointInfo {
  int64_t epochs_done = 0;  // warm-up and search epochs completed (metric steps 0..done-1)
  std::string config_hash;  // SHA-256 of the canonical config the search ran with
};
// nullopt when there is no file at `path`; DataError for a file that is not a checkpoint.
std::optional<CheckpointInfo> ReadCheckpointInfo(const std::string& path);

struct ProxylessResult {
  Arch arch;                       // derived after the last search epoch
  NetSpec net;                     // ToNetSpec(space, arch)
  std::vector<Arch> epoch_archs;   // derived after each search epoch
  double estimated_cost = 0;       // of `arch` under the candidate costs (ms or MACs)
  double final_expected_cost = 0;  // E[cost] under softmax(alpha) after the last epoch
  // softmax(alpha) per block after the last epoch, in CandidateNames order.
  std::vector<std::vector<double>> probabilities;
};

// The target in the unit of the candidate costs: latency in ms, or FLOPs in MACs.
double TargetValue(const Config& config);    // target_ms, or target_mflops in MACs
const char* CostUnit(const Config& config);  // "ms" or "MACs"

// Each block's costliest (largest) or cheapest candidate; ties to the first in CandidateNames
// order. The cheapest one costs CheapestCost.
Arch ExtremeArch(const SearchSpace& space, const supernet::CandidateCosts& costs, bool largest);

// The cost of the cheapest network of the space: the fixed layers plus every block's cheapest
// candidate.
double CheapestCost(const supernet::CandidateCosts& costs);

// Everything about the search that can be wrong before training: held-out data, a target below
// the cheapest network, a mul_log target whose logarithm is not positive. ConfigError at the key.
// `cheapest_measured_ms`: the cheapest network timed end to end, quoted when it is refused.
void CheckProxylessSearch(const Config& config, const DataSplits& data,
                          const supernet::CandidateCosts& costs,
                          std::optional<double> cheapest_measured_ms = std::nullopt);
// The same for the CLI, with the costs taken from `table` (target_kind latency; DataError naming
// the first op key it lacks) or computed as FLOPs (the table may then be null).
void CheckProxylessSearch(const SearchSpace& space, const Config& config, const DataSplits& data,
                          const latency::LatencyTable* table,
                          std::optional<double> cheapest_measured_ms = std::nullopt);

// Runs the search (after CheckProxylessSearch) and reports per-epoch metrics and every derived
// architecture (role "derived"). Seeded by config.seed; uses config.threads threads.
ProxylessResult RunProxylessSearch(const SearchSpace& space, const Config& config,
                                   const DataSplits& data, const supernet::CandidateCosts& costs,
                                   const SearchContext& context);
ProxylessResult RunProxylessSearch(const SearchSpace& space, const Config& config,
                                   const DataSplits& data, const latency::LatencyTable* table,
                                   const SearchContext& context);

}  // namespace search
}  // namespace hwnas
