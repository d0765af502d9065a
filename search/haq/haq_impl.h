// The state of one HAQ problem (haq.h), shared by its loop and its tests. Private to search/.
#pragma once

#include <torch/types.h>

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "core/dataset.h"
#include "search/haq/haq.h"
#include "supernet/network.h"

namespace hwnas::search {

struct HaqProblem::Impl {
  Impl(const NetSpec& net, const std::string& weights, const Config& config, const DataSplits& data,
       CostModel cost);

  std::vector<OpBits> Uniform(int bits) const;  // pinned operators at 8
  double CostOf(const std::vector<OpBits>& bits) const {
    return cost.cost(ApplyBitPolicy(net, bits));
  }
  std::vector<float> State(size_t step, double previous) const;
  int ActionBits(double action) const;
  supernet::Network Quantized(const std::vector<OpBits>& bits) const;
  void FineTuneBriefly(supernet::Network& q) const;
  void CheckBudget();

  Config config;
  const DataSplits& data;
  NetSpec net;
  CostModel cost;
  std::vector<QuantOp> ops;
  std::vector<bool> pinned;
  std::vector<std::pair<size_t, bool>> steps;    // (operator, weight step?)
  std::vector<std::vector<float>> static_state;  // per operator
  std::map<std::string, torch::Tensor> trained;  // full-precision parameters and buffers
  torch::Tensor calibration;
  std::vector<std::pair<torch::Tensor, torch::Tensor>> eval_batches, finetune_batches;
  double full_precision_accuracy = 0;
  double reference = 0, cheapest = 0, budget = 0;
};

}  // namespace hwnas::search
