#include "deploy/lowered_net.h"

#include <fstream>
#include <map>

#include "core/errors.h"
#include "supernet/fake_quant.h"
#include "supernet/network.h"
#include "supernet/weights.h"

namespace hwnas::deploy {
namespace {

using TensorMap = std::map<std::string, torch::Tensor>;

TensorMap LoadChecked(supernet::Network& model, const std::string& path) {
  supernet::LoadCheckedWeights(
      model, path, path + " does not hold weights for network " + ArchString(model->spec()));
  TensorMap tensors;
  for (const auto& item : model->named_parameters()) tensors[item.key()] = item.value().detach();
  for (const auto& item : model->named_buffers()) tensors[item.key()] = item.value().detach();
  return tensors;
}

const torch::Tensor& Get(const TensorMap& tensors, const std::string& key) {
  const auto it = tensors.find(key);
  if (it == tensors.end()) throw std::logic_error("network has no tensor " + key);
  return it->second;
}

// The grid step FakeQuantWeight uses, recomputed by the same operations so it is bitwise equal.
torch::Tensor WeightScale(const torch::Tensor& weight, int bits) {
  const int64_t levels = (int64_t{1} << (bits - 1)) - 1;
  return (weight.flatten(1).abs().amax(1).clamp_min(1e-12) / levels).to(torch::kFloat);
}

void LowerWeights(const TensorMap& tensors, const std::string& key, LoweredOp& op) {
  const torch::Tensor& weight = Get(tensors, key);
  op.weight = supernet::FakeQuantWeight(weight, op.bits.weight).contiguous();
  if (op.bits.weight >= 2 && op.bits.weight <= 8)
    op.weight_scale = WeightScale(weight, op.bits.weight);
}

void LowerQuantizer(const TensorMap& tensors, const std::string& prefix, LoweredOp& op) {
  if (op.bits.activation >= 32) return;
  op.clip = Get(tensors, prefix + "quant.clip").item<double>();
  op.is_signed = Get(tensors, prefix + "quant.signed").item<double>() > 0.5;
  if (op.clip <= 0)
    throw DataError("operator " + op.name + " quantizes its input to " +
                    std::to_string(op.bits.activation) +
                    " bits but its clip was never calibrated (supernet::CalibrateActivations); "
                    "an uncalibrated quantizer depends on each batch and cannot be exported");
}

// `prefix`: "layers.<module>." plus the ConvBnAct's own name, ending in '.'.
LoweredOp LowerConv(const TensorMap& tensors, const std::string& prefix, const std::string& name,
                    OpBits bits, int64_t kernel, int64_t stride, int64_t groups, bool relu6) {
  LoweredOp op;
  op.name = name;
  op.bits = bits;
  LowerWeights(tensors, prefix + "conv.weight", op);
  op.bn_gamma = Get(tensors, prefix + "bn.weight");
  op.bn_beta = Get(tensors, prefix + "bn.bias");
  op.bn_mean = Get(tensors, prefix + "bn.running_mean");
  op.bn_var = Get(tensors, prefix + "bn.running_var");
  op.stride = stride;
  op.padding = kernel / 2;  // "same" padding, as supernet::Network builds it
  op.groups = groups;
  op.relu6 = relu6;
  LowerQuantizer(tensors, prefix, op);
  return op;
}

LoweredLayer LowerLayer(const TensorMap& tensors, const LayerSpec& l) {
  LoweredLayer out{l.kind, l.name, l.skip, {}};
  const std::string prefix = "layers." + supernet::ModuleName(l.name) + ".";
  const std::vector<std::string> ops = QuantOpNames(l);
  for (size_t i = 0; i < ops.size(); ++i) {
    const std::string& op = ops[i];
    const std::string name = l.name + "." + op;
    if (l.kind == LayerKind::kLogits) {
      LoweredOp logits;
      logits.name = name;
      logits.bits = l.bits(i);
      LowerWeights(tensors, prefix + "linear.weight", logits);
      logits.bias = Get(tensors, prefix + "linear.bias");
      LowerQuantizer(tensors, prefix, logits);
      out.ops.push_back(logits);
    } else if (l.kind == LayerKind::kConv) {
      out.ops.push_back(LowerConv(tensors, prefix, name, l.bits(i), l.kernel, l.stride, 1, true));
    } else if (op == "expand") {
      out.ops.push_back(LowerConv(tensors, prefix + "expand.", name, l.bits(i), 1, 1, 1, true));
    } else if (op == "depthwise") {
      out.ops.push_back(LowerConv(tensors, prefix + "depthwise.", name, l.bits(i), l.kernel,
                                  l.stride, l.mid_channels, true));
    } else {
      out.ops.push_back(LowerConv(tensors, prefix + "project.", name, l.bits(i), 1, 1, 1, false));
    }
  }
  return out;
}

}  // namespace

int64_t LoweredOp::levels() const {
  if (!is_signed) return (int64_t{1} << bits.activation) - 1;
  return std::max<int64_t>(1, (int64_t{1} << (bits.activation - 1)) - 1);
}

at::Tensor LoweredOp::bn_scale() const {
  return bn_gamma.to(torch::kDouble) / torch::sqrt(bn_var.to(torch::kDouble) + bn_eps);
}

at::Tensor LoweredOp::bn_shift() const {
  return bn_beta.to(torch::kDouble) - bn_mean.to(torch::kDouble) * bn_scale();
}

at::Tensor LoweredOp::folded_weight() const {
  std::vector<int64_t> shape(weight.dim(), 1);
  shape[0] = weight.size(0);
  return weight.to(torch::kDouble) * bn_scale().reshape(shape);
}

std::vector<LoweredLayer> LowerNetwork(const NetSpec& net, const std::string& weights_path) {
  if (!std::ifstream(weights_path, std::ios::binary))
    throw IoError("cannot read weights " + weights_path + " (missing or unreadable)");
  supernet::Network model(net);
  model->eval();
  torch::NoGradGuard no_grad;
  const TensorMap tensors = LoadChecked(model, weights_path);
  std::vector<LoweredLayer> layers;
  for (const LayerSpec& l : net.layers) layers.push_back(LowerLayer(tensors, l));
  return layers;
}

}  // namespace hwnas::deploy
