// Internal to deploy/: a trained network read into plain tensors, one entry per quantizable
// operator with what both exporters need (weights already on their quantisation grid, batch
// norm, the input quantizer's calibrated clip). The ONNX and TorchScript writers share it.
#pragma once

#include <ATen/core/Tensor.h>

#include <string>
#include <vector>

#include "core/netspec.h"

namespace hwnas::deploy {

struct LoweredOp {
  std::string name;  // "<layer>.<op>", op from QuantOpNames
  OpBits bits;
  at::Tensor weight;        // FakeQuantWeight(weight, bits.weight): exactly what LibTorch uses
  at::Tensor weight_scale;  // per output channel grid step, when 2 <= bits.weight <= 8
  at::Tensor bias;          // the classifier's; undefined for convolutions
  // Eval-mode batch norm of a convolution: (x - mean) / sqrt(var + eps) * gamma + beta.
  at::Tensor bn_gamma, bn_beta, bn_mean, bn_var;
  double bn_eps = 1e-5;
  // The input quantizer (bits.activation < 32): grid step clip / levels on [0, clip] or
  // [-clip, clip].
  double clip = 0;
  bool is_signed = false;
  int64_t stride = 1, padding = 0, groups = 1;
  bool relu6 = false;  // hardtanh(0, 6) after batch norm

  // Quantizer levels: 2^bits - 1 unsigned, 2^(bits-1) - 1 (at least 1) signed.
  int64_t levels() const;
  // Batch norm as x * scale + shift per output channel, in double precision.
  at::Tensor bn_scale() const;
  at::Tensor bn_shift() const;
  // The weights times bn_scale() per output channel (double): a folded convolution's weights.
  at::Tensor folded_weight() const;
  // Both writers fold batch norm into float weights (as hwnas times networks: measure/), but not
  // into quantized ones: scaling would move them off their grid.
  bool folds_batch_norm() const { return bits.weight >= 32; }
};

struct LoweredLayer {
  LayerKind kind = LayerKind::kConv;
  std::string name;
  bool skip = false;  // MBConv identity shortcut
  std::vector<LoweredOp> ops;
};

// Loads `weights_path` into a Network built from `net` and reads it out. DataError when the
// weights do not match the NetSpec (naming the tensor and both shapes) or a quantizer was never
// calibrated; IoError when the file cannot be read.
std::vector<LoweredLayer> LowerNetwork(const NetSpec& net, const std::string& weights_path);

}  // namespace hwnas::deploy
