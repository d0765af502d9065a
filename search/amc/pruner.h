// Physically smaller copies of a trained network, one per choice of channel counts: channels
// kept by the L1 magnitude of the weights that read them, and each layer that reads a pruned
// group reconstructed by least squares on feature-map points of the unpruned network sampled
// from calibration images (im2col for k x k convolutions), as in AMC. Private to search/.
#pragma once

#include <torch/types.h>

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "search/amc/channel_groups.h"
#include "supernet/network.h"

namespace hwnas::amc {

class ChannelPruner {
 public:
  // Samples `points_per_image` output positions per calibration image (N x C x H x W, normalised
  // like the training data) for every layer that reads a prunable group, seeded by `seed`.
  ChannelPruner(const NetSpec& net, supernet::Network trained, const ChannelGroups& groups,
                const torch::Tensor& calibration, int64_t points_per_image, uint64_t seed);

  // The network with counts[g] channels in group g and its weights (eval mode).
  supernet::Network Prune(const std::vector<int64_t>& counts);

  // The channels group g keeps at `count`, ascending (the `count` of largest L1 importance).
  std::vector<int64_t> KeptChannels(int g, int64_t count) const;
  int64_t solves() const { return solves_; }  // least-squares solves so far (cache misses)

  // One weight layer of the network: a convolution (with its batch norm) or the classifier.
  struct WeightLayer {
    std::string module;     // parameter prefix, e.g. "layers.stage1_block1.expand"
    int in = -1, out = -1;  // channel groups it reads and writes
    int64_t kernel = 1, stride = 1;
    bool depthwise = false, linear = false;
  };

 private:
  // Normal equations of one reading layer: X^T X and X^T Y over the sampled points, where X
  // holds the layer's inputs (im2col rows) and Y its outputs before batch norm.
  struct Statistics {
    torch::Tensor xtx, xty;  // double
    int64_t rows = 0;
  };
  void Calibrate(const torch::Tensor& calibration, int64_t points_per_image, uint64_t seed);
  torch::Tensor Reconstructed(size_t layer, int64_t count);
  torch::Tensor PrunedWeight(size_t layer, const std::vector<int64_t>& counts);
  void RankChannels();

  NetSpec net_;
  ChannelGroups groups_;
  supernet::Network trained_;
  std::map<std::string, torch::Tensor> weights_;  // parameters and buffers by name
  std::vector<WeightLayer> layers_;
  std::map<size_t, Statistics> statistics_;                     // by index into layers_
  std::vector<std::vector<int64_t>> ranking_;                   // per group, most important first
  std::map<std::pair<size_t, int64_t>, torch::Tensor> solved_;  // (layer, kept count) -> weight
  int64_t solves_ = 0;
};

// The weight layers of a NetSpec in forward order, with the groups they read and write.
std::vector<ChannelPruner::WeightLayer> WeightLayers(const NetSpec& net,
                                                     const ChannelGroups& groups);

}  // namespace hwnas::amc
