// HAQ mixed precision (Wang et al., 2019): a DDPG agent picks, for every quantizable operator in
// forward order, a weight and then an activation bit width; after the episode the bits are
// lowered from the last operator backwards until the policy fits a latency, energy or size
// budget (the agent keeps its own actions), and the fake-quantized network is scored on held-out
// data against full precision. The best policy is fine-tuned (straight-through estimator) and
// tested. Reports through Reporter only.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/netspec.h"
#include "core/options.h"
#include "search/compression/compression.h"
#include "search/trainer.h"

namespace hwnas {
struct DataSplits;

namespace search {

// One quantizable operator of a NetSpec (QuantOpNames of each layer, in forward order).
struct QuantOp {
  size_t layer = 0;
  size_t op = 0;     // index into QuantOpNames(layer)
  std::string name;  // "<layer>.<operator>", e.g. "stage1.block1.expand"
  int64_t in_channels = 0, out_channels = 0, kernel = 1, stride = 1;
  int64_t feature_size = 0;  // input height x width
  double weights = 0;
  bool depthwise = false;
};
std::vector<QuantOp> QuantOps(const NetSpec& net);

// HAQ's constraint: from the last operator backwards, activation bits and then weight bits are
// lowered by one (never below min_bits, never for pinned operators), round after round, until
// cost <= budget or nothing can be lowered.
std::vector<OpBits> FitToBudget(const NetSpec& net, std::vector<OpBits> bits, const CostModel& cost,
                                double budget, int min_bits, const std::vector<bool>& pinned);

// A quantized network as stored, with its bits; cost_ratio is relative to all 8 bits.
struct QuantizedNetwork : CompressedNetwork {
  std::vector<OpBits> bits;  // per quantizable operator
};

struct HaqResult : EpisodeSummary {
  QuantizedNetwork best;
  double full_precision_accuracy = 0;       // on the episodes' held-out images
  std::optional<QuantizedNetwork> uniform;  // with haq.compare_uniform
};

// One quantization problem, checked before anything is stored.
class HaqProblem {
 public:
  // Throws DataError (weights that do not fit) or ConfigError (bit range, a budget below the
  // all-minimum-bits cost).
  HaqProblem(const NetSpec& net, const std::string& weights, const Config& config,
             const DataSplits& data, CostModel cost);
  ~HaqProblem();

  int64_t steps() const;          // two per operator that is not pinned
  double budget() const;          // in cost units
  double reference_cost() const;  // every operator at 8 bits
  double cheapest_cost() const;   // every free operator at min_bits
  const std::vector<QuantOp>& ops() const;

  struct Impl;
  Impl& impl() { return *impl_; }

 private:
  std::unique_ptr<Impl> impl_;
};

HaqResult RunHaq(HaqProblem& problem, const CompressionContext& context);

}  // namespace search
}  // namespace hwnas
