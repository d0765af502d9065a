// A standalone LibTorch network built from a NetSpec: conv-bn-ReLU6 layers, MBConv inverted
// residual blocks and the pooled classifier, exactly as the NetSpec spells them out.
// Used for baselines, retraining, AMC and HAQ. The supernet itself lives in supernet.h (later).
#pragma once

#include <torch/nn/module.h>
#include <torch/nn/modules/container/any.h>
#include <torch/nn/modules/container/sequential.h>
#include <torch/nn/pimpl.h>

#include <functional>

#include "core/netspec.h"

namespace hwnas::supernet {

class NetworkImpl : public torch::nn::Module {
 public:
  explicit NetworkImpl(const NetSpec& spec);
  // x: N x C x H x W (any memory format); returns N x classes logits.
  torch::Tensor forward(torch::Tensor x);
  const NetSpec& spec() const { return spec_; }

 private:
  NetSpec spec_;
  torch::nn::Sequential layers_;
};
TORCH_MODULE(Network);

// One layer (conv-bn-ReLU6, MBConv block or pooled classifier) as a standalone module; used to
// time operators at their exact shapes.
torch::nn::AnyModule MakeLayerModule(const LayerSpec& layer);

// The LibTorch module name of a NetSpec layer: module names may not contain dots, layer names
// do ("stage1.block2" -> "stage1_block2"). Weight inheritance relies on this one rule.
std::string ModuleName(std::string layer_name);

// Calibrates the activation clip of every fake-quantized operator (NetSpec bits below 32) on
// `images`: the clip is threshold(|inputs|, bits), and inputs that were never negative use the
// unsigned grid. Layers at 32 bits are untouched.
void CalibrateActivations(Network& net, const torch::Tensor& images,
                          const std::function<double(const torch::Tensor&, int)>& threshold);

// Folds the eval-mode batch norm of every float convolution into its weights and a bias, as
// exported networks run them (deploy/onnx_writer.h); quantized convolutions keep theirs. Outputs
// stay the same up to float rounding; the module must be in eval mode, and stays for inference.
void FoldBatchNorm(torch::nn::Module& module);

// Converts every 4-d parameter and buffer to channels-last, the fast layout for CPU convolution.
void ToChannelsLast(torch::nn::Module& module);

}  // namespace hwnas::supernet
