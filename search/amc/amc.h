// AMC channel pruning (He et al., 2018): a DDPG agent decides, channel group by channel group in
// forward order, how many channels a trained network keeps, under a FLOPs or latency budget that
// every action is clipped to; each episode's network is pruned and reconstructed (pruner.h) and
// scored on held-out data without fine-tuning. The best policy is exported as a physically
// smaller network, fine-tuned and evaluated. Reports through Reporter only.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/netspec.h"
#include "core/options.h"
#include "core/reporter.h"
#include "search/compression/compression.h"
#include "search/trainer.h"

namespace hwnas {
struct DataSplits;

namespace search {

using AmcContext = CompressionContext;

// A pruned network as stored, with the channels it keeps.
struct PrunedNetwork : CompressedNetwork {
  std::vector<int64_t> channels;  // per pruning step (channel group), in forward order
};

struct AmcResult : EpisodeSummary {
  PrunedNetwork best;                    // the best episode's policy
  std::optional<PrunedNetwork> uniform;  // with amc.compare_uniform
  double uniform_ratio = 0;              // the one preserve ratio of every group
  int64_t solves = 0;                    // least-squares solves (the rest came from the cache)
  // With CostModel::measure: the exported network's measured latency, and how many of the best
  // episodes were timed to find the best one that meets the budget when measured.
  std::optional<double> measured_ms;
  int64_t measured_candidates = 0;
};

// One pruning problem, checked before anything is stored: the trained network and its weights,
// its channel groups, the data, and a budget between the cheapest pruned network and 100%.
class AmcProblem {
 public:
  // Throws DataError (weights that do not fit, no prunable group, no held-out data) or
  // ConfigError (a budget the minimum preserve ratio cannot reach).
  AmcProblem(const NetSpec& net, const std::string& weights, const Config& config,
             const DataSplits& data, CostModel cost);
  ~AmcProblem();

  int64_t steps() const;         // channel groups the agent decides
  double budget() const;         // in cost units
  double full_cost() const;      // of the unpruned network
  double cheapest_cost() const;  // every group at its minimum
  const CostModel& cost_model() const;

  struct Impl;
  Impl& impl() { return *impl_; }

 private:
  std::unique_ptr<Impl> impl_;
};

AmcResult RunAmc(AmcProblem& problem, const AmcContext& context);

}  // namespace search
}  // namespace hwnas
