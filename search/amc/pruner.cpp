#include "search/amc/pruner.h"

#include <torch/nn/functional/conv.h>
#include <torch/nn/functional/normalization.h>

#include <ATen/CPUGeneratorImpl.h>

#include <algorithm>
#include <numeric>

#include "core/errors.h"

namespace hwnas::amc {
namespace {

namespace F = torch::nn::functional;

// Ridge added to the normal equations, relative to their mean diagonal: keeps the solve defined
// when kept channels are dead (ReLU6 at zero) or collinear, far below the data's own scale.
constexpr double kRidge = 1e-6;

torch::Tensor Conv(const torch::Tensor& x, const torch::Tensor& weight,
                   const ChannelPruner::WeightLayer& l) {
  return torch::conv2d(x, weight, {}, l.stride, l.kernel / 2, 1, l.depthwise ? weight.size(0) : 1);
}

}  // namespace

std::vector<ChannelPruner::WeightLayer> WeightLayers(const NetSpec& net,
                                                     const ChannelGroups& groups) {
  std::vector<ChannelPruner::WeightLayer> out;
  for (size_t i = 0; i < net.layers.size(); ++i) {
    const LayerSpec& l = net.layers[i];
    const LayerGroups& g = groups.layers[i];
    const std::string prefix = "layers." + supernet::ModuleName(l.name);
    switch (l.kind) {
      case LayerKind::kConv:
        out.push_back({prefix, g.in, g.out, l.kernel, l.stride});
        break;
      case LayerKind::kMBConv:
        if (g.mid != g.in) out.push_back({prefix + ".expand", g.in, g.mid});
        out.push_back({prefix + ".depthwise", g.mid, g.mid, l.kernel, l.stride, true});
        out.push_back({prefix + ".project", g.mid, g.out});
        break;
      case LayerKind::kLogits:
        out.push_back({prefix + ".linear", g.in, g.out, 1, 1, false, true});
        break;
    }
  }
  return out;
}

ChannelPruner::ChannelPruner(const NetSpec& net, supernet::Network trained,
                             const ChannelGroups& groups, const torch::Tensor& calibration,
                             int64_t points_per_image, uint64_t seed)
    : net_(net), groups_(groups), trained_(std::move(trained)), layers_(WeightLayers(net, groups)) {
  trained_->eval();
  for (const auto& item : trained_->named_parameters()) weights_[item.key()] = item.value();
  for (const auto& item : trained_->named_buffers()) weights_[item.key()] = item.value();
  RankChannels();
  Calibrate(calibration, points_per_image, seed);
}

// AMC's max-response selection: a channel matters as much as the L1 norm of the weights that
// read it, summed over every layer that reads it (all readers of a residual group).
void ChannelPruner::RankChannels() {
  std::vector<torch::Tensor> importance(groups_.groups.size());
  for (const WeightLayer& l : layers_) {
    if (l.depthwise || !groups_.groups[l.in].prunable) continue;
    torch::Tensor w = weights_.at(l.module + (l.linear ? ".weight" : ".conv.weight")).abs();
    torch::Tensor per_input = l.linear ? w.sum(0) : w.sum({0, 2, 3});
    importance[l.in] = importance[l.in].defined() ? importance[l.in] + per_input : per_input;
  }
  ranking_.resize(groups_.groups.size());
  for (size_t g = 0; g < groups_.groups.size(); ++g) {
    const int64_t n = groups_.groups[g].channels;
    ranking_[g].resize(n);
    std::iota(ranking_[g].begin(), ranking_[g].end(), 0);
    if (!importance[g].defined()) continue;
    const torch::Tensor order = importance[g].argsort(0, /*descending=*/true);
    for (int64_t i = 0; i < n; ++i) ranking_[g][i] = order[i].item<int64_t>();
  }
}

std::vector<int64_t> ChannelPruner::KeptChannels(int g, int64_t count) const {
  std::vector<int64_t> kept(ranking_[g].begin(), ranking_[g].begin() + count);
  std::sort(kept.begin(), kept.end());
  return kept;
}

namespace {

// The rows of one batch: `points` random output positions per image, each as the im2col column
// of the layer's input (C x k x k values) and the layer's output there (before batch norm).
std::pair<torch::Tensor, torch::Tensor> SampleRows(const torch::Tensor& x, const torch::Tensor& y,
                                                   const ChannelPruner::WeightLayer& l,
                                                   int64_t points, at::Generator& generator) {
  const torch::Tensor cols =
      F::unfold(x, F::UnfoldFuncOptions(l.kernel).padding(l.kernel / 2).stride(l.stride));
  const torch::Tensor outputs = y.flatten(2);
  const int64_t n = x.size(0);
  const torch::Tensor where = torch::randint(cols.size(2), {n, 1, points}, generator, torch::kLong);
  const torch::Tensor xs = cols.gather(2, where.expand({n, cols.size(1), points}));
  const torch::Tensor ys = outputs.gather(2, where.expand({n, outputs.size(1), points}));
  return {xs.permute({0, 2, 1}).reshape({-1, cols.size(1)}),
          ys.permute({0, 2, 1}).reshape({-1, outputs.size(1)})};
}

}  // namespace

// One pass of the unpruned network over the calibration images, accumulating the normal
// equations of every layer that reads a prunable group; nothing else is kept.
void ChannelPruner::Calibrate(const torch::Tensor& calibration, int64_t points_per_image,
                              uint64_t seed) {
  at::Generator generator = at::make_generator<at::CPUGeneratorImpl>(seed);
  torch::NoGradGuard no_grad;
  auto accumulate = [&](size_t index, const torch::Tensor& x, const torch::Tensor& y) {
    const WeightLayer& l = layers_[index];
    if (l.depthwise || !groups_.groups[l.in].prunable) return;
    auto [xs, ys] = l.linear ? std::pair{x, y} : SampleRows(x, y, l, points_per_image, generator);
    xs = xs.to(torch::kDouble);
    Statistics& s = statistics_[index];
    const torch::Tensor xtx = xs.t().mm(xs), xty = xs.t().mm(ys.to(torch::kDouble));
    s.xtx = s.xtx.defined() ? s.xtx + xtx : xtx;
    s.xty = s.xty.defined() ? s.xty + xty : xty;
    s.rows += xs.size(0);
  };
  auto conv_bn_act = [&](size_t& index, const torch::Tensor& x, bool activation) {
    const WeightLayer& l = layers_[index];
    const torch::Tensor y = Conv(x, weights_.at(l.module + ".conv.weight"), l);
    accumulate(index++, x, y);
    const std::string bn = l.module + ".bn.";
    torch::Tensor z = torch::batch_norm(y, weights_.at(bn + "weight"), weights_.at(bn + "bias"),
                                        weights_.at(bn + "running_mean"),
                                        weights_.at(bn + "running_var"), false, 0.1, 1e-5, false);
    return activation ? torch::hardtanh(z, 0.0, 6.0) : z;
  };
  constexpr int64_t kBatch = 256;
  for (int64_t start = 0; start < calibration.size(0); start += kBatch) {
    torch::Tensor x = calibration.slice(0, start, start + kBatch).contiguous();
    size_t index = 0;
    for (const LayerSpec& layer : net_.layers) {
      if (layer.kind == LayerKind::kConv) {
        x = layer.skip ? conv_bn_act(index, x, true) + x : conv_bn_act(index, x, true);
      } else if (layer.kind == LayerKind::kMBConv) {
        torch::Tensor y = layer.mid_channels != layer.in_channels ? conv_bn_act(index, x, true) : x;
        y = conv_bn_act(index, conv_bn_act(index, y, true), false);
        x = layer.skip ? y + x : y;
      } else {
        const torch::Tensor pooled = x.mean({2, 3});
        accumulate(index, pooled, pooled.mm(weights_.at(layers_[index].module + ".weight").t()));
      }
    }
  }
}

// The reading layer's weights for the `count` kept input channels that best reproduce its
// unpruned outputs: (X_K^T X_K + ridge) W^T = X_K^T Y, cached per (layer, count).
torch::Tensor ChannelPruner::Reconstructed(size_t index, int64_t count) {
  auto cached = solved_.find({index, count});
  if (cached != solved_.end()) return cached->second;
  const WeightLayer& l = layers_[index];
  const Statistics& s = statistics_.at(index);
  const int64_t k2 = l.kernel * l.kernel;
  std::vector<int64_t> columns;
  for (int64_t c : KeptChannels(l.in, count))
    for (int64_t j = 0; j < k2; ++j) columns.push_back(c * k2 + j);
  const torch::Tensor cols = torch::tensor(columns, torch::kLong);
  torch::Tensor a = s.xtx.index_select(0, cols).index_select(1, cols);
  const double ridge = kRidge * std::max(a.diagonal().mean().item<double>(), 1e-12);
  a = a + ridge * torch::eye(a.size(0), a.options());
  const torch::Tensor solution = torch::linalg_solve(a, s.xty.index_select(0, cols)).t();
  const torch::Tensor weight =
      (l.linear ? solution : solution.reshape({-1, count, l.kernel, l.kernel})).to(torch::kFloat);
  ++solves_;
  return solved_[{index, count}] = weight.contiguous();
}

torch::Tensor ChannelPruner::PrunedWeight(size_t index, const std::vector<int64_t>& counts) {
  const WeightLayer& l = layers_[index];
  torch::Tensor w = weights_.at(l.module + (l.linear ? ".weight" : ".conv.weight"));
  if (!l.depthwise && counts[l.in] < groups_.groups[l.in].channels)
    w = Reconstructed(index, counts[l.in]);
  if (counts[l.out] < groups_.groups[l.out].channels)
    w = w.index_select(0, torch::tensor(KeptChannels(l.out, counts[l.out]), torch::kLong));
  return w;
}

supernet::Network ChannelPruner::Prune(const std::vector<int64_t>& counts) {
  supernet::Network pruned(ApplyChannelCounts(net_, groups_, counts));
  auto params = pruned->named_parameters();
  auto buffers = pruned->named_buffers();
  auto target = [&](const std::string& key) -> torch::Tensor {
    if (torch::Tensor* p = params.find(key)) return *p;
    if (torch::Tensor* b = buffers.find(key)) return *b;
    throw std::logic_error("ChannelPruner: the pruned network lacks " + key);
  };
  torch::NoGradGuard no_grad;
  for (size_t index = 0; index < layers_.size(); ++index) {
    const WeightLayer& l = layers_[index];
    if (l.linear) {
      target(l.module + ".weight").copy_(PrunedWeight(index, counts));
      target(l.module + ".bias").copy_(weights_.at(l.module + ".bias"));
      continue;
    }
    target(l.module + ".conv.weight").copy_(PrunedWeight(index, counts));
    const bool sliced = counts[l.out] < groups_.groups[l.out].channels;
    const torch::Tensor kept =
        sliced ? torch::tensor(KeptChannels(l.out, counts[l.out]), torch::kLong) : torch::Tensor();
    for (const char* name : {"weight", "bias", "running_mean", "running_var"}) {
      const torch::Tensor& original = weights_.at(l.module + ".bn." + name);
      target(l.module + ".bn." + name).copy_(sliced ? original.index_select(0, kept) : original);
    }
  }
  pruned->eval();
  return pruned;
}

}  // namespace hwnas::amc
