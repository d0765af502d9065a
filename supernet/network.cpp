#include "supernet/network.h"

#include <torch/nn/functional/pooling.h>
#include <torch/nn/modules/activation.h>
#include <torch/nn/modules/batchnorm.h>
#include <torch/nn/modules/conv.h>
#include <torch/nn/modules/linear.h>

#include "supernet/depthwise_conv.h"
#include "supernet/fake_quant.h"
#include "supernet/sync_batch_norm.h"

namespace hwnas::supernet {
namespace {

namespace nn = torch::nn;

nn::Conv2d MakeConv(int64_t in, int64_t out, int64_t kernel, int64_t stride, int64_t groups) {
  return nn::Conv2d(nn::Conv2dOptions(in, out, kernel)
                        .stride(stride)
                        .padding(kernel / 2)
                        .groups(groups)
                        .bias(false));
}

// k x k convolution, batch norm, ReLU6; below 32 bits its input and weights are fake-quantized.
class ConvBnActImpl : public nn::Module {
 public:
  ConvBnActImpl(int64_t in, int64_t out, int64_t kernel, int64_t stride, int64_t groups,
                bool activation, OpBits bits = {}, bool shortcut = false)
      : conv_(register_module("conv", MakeConv(in, out, kernel, stride, groups))),
        bn_(register_module("bn", nn::BatchNorm2d(out))),
        activation_(activation),
        stride_(stride),
        padding_(kernel / 2),
        groups_(groups),
        weight_bits_(bits.weight),
        shortcut_(shortcut) {
    if (bits.activation < 32)
      quantizer_ = register_module("quant", ActivationQuantizer(bits.activation));
  }

  torch::Tensor forward(torch::Tensor input) {
    torch::Tensor x = quantizer_ ? quantizer_(input) : input;
    if (folded_bias_.defined()) {
      x = torch::conv2d(x, conv_->weight, folded_bias_, stride_, padding_, 1, groups_);
    } else if (weight_bits_ < 32) {
      x = torch::conv2d(x, FakeQuantWeight(conv_->weight, weight_bits_), {}, stride_, padding_, 1,
                        groups_);
      x = BatchNorm(*bn_, x);
    } else if (groups_ > 1 && groups_ == conv_->options.out_channels()) {
      x = BatchNorm(*bn_, DepthwiseConv2d(x, conv_->weight, stride_, padding_));
    } else {
      x = BatchNorm(*bn_, conv_(x));
    }
    if (activation_) x = torch::hardtanh(x, 0.0, 6.0);
    return shortcut_ ? x + input : x;  // the residual conv layer of a ResNet-style NetSpec
  }

  // Scales the weights by gamma / sqrt(var + eps) and keeps beta - mean * that as a bias, as the
  // ONNX export does. Quantized weights keep their batch norm: scaling moves them off the grid.
  void FoldBatchNorm() {
    if (is_training())
      throw std::logic_error("FoldBatchNorm folds running statistics: eval() first");
    if (weight_bits_ < 32 || folded_bias_.defined()) return;
    torch::NoGradGuard no_grad;
    const torch::Tensor scale = bn_->weight / torch::sqrt(bn_->running_var + bn_->options.eps());
    conv_->weight.mul_(scale.view({-1, 1, 1, 1}));
    // A buffer, so that a later to(device) moves it with the weights.
    folded_bias_ = register_buffer("folded_bias", bn_->bias - bn_->running_mean * scale);
  }

 private:
  nn::Conv2d conv_;
  nn::BatchNorm2d bn_;
  bool activation_;
  int64_t stride_, padding_, groups_;
  int weight_bits_;
  bool shortcut_;
  ActivationQuantizer quantizer_{nullptr};
  torch::Tensor folded_bias_;  // defined once batch norm is folded into conv_ (eval mode only)
};
TORCH_MODULE(ConvBnAct);

// Inverted residual block (MobileNetV2 / ProxylessNAS MBConv).
class MBConvImpl : public nn::Module {
 public:
  explicit MBConvImpl(const LayerSpec& l) : skip_(l.skip) {
    size_t op = 0;  // QuantOpNames order: expand (if any), depthwise, project
    if (l.mid_channels != l.in_channels)
      expand_ = register_module(
          "expand", ConvBnAct(l.in_channels, l.mid_channels, 1, 1, 1, true, l.bits(op++)));
    depthwise_ =
        register_module("depthwise", ConvBnAct(l.mid_channels, l.mid_channels, l.kernel, l.stride,
                                               l.mid_channels, true, l.bits(op++)));
    project_ = register_module(
        "project", ConvBnAct(l.mid_channels, l.out_channels, 1, 1, 1, false, l.bits(op)));
  }

  torch::Tensor forward(torch::Tensor x) {
    torch::Tensor y = expand_ ? expand_(x) : x;
    y = project_(depthwise_(y));
    return skip_ ? y + x : y;
  }

 private:
  bool skip_;
  ConvBnAct expand_{nullptr};
  ConvBnAct depthwise_{nullptr};
  ConvBnAct project_{nullptr};
};
TORCH_MODULE(MBConv);

// Global average pooling and the classifier (fake-quantized below 32 bits).
class LogitsImpl : public nn::Module {
 public:
  LogitsImpl(int64_t in, int64_t classes, OpBits bits = {})
      : linear_(register_module("linear", nn::Linear(in, classes))), weight_bits_(bits.weight) {
    if (bits.activation < 32)
      quantizer_ = register_module("quant", ActivationQuantizer(bits.activation));
  }

  torch::Tensor forward(torch::Tensor x) {
    x = x.mean({2, 3});
    if (quantizer_) x = quantizer_(x);
    if (weight_bits_ >= 32) return linear_(x);
    return torch::linear(x, FakeQuantWeight(linear_->weight, weight_bits_), linear_->bias);
  }

 private:
  nn::Linear linear_;
  int weight_bits_;
  ActivationQuantizer quantizer_{nullptr};
};
TORCH_MODULE(Logits);

}  // namespace

std::string ModuleName(std::string layer_name) {
  for (char& c : layer_name)
    if (c == '.') c = '_';
  return layer_name;
}

torch::nn::AnyModule MakeLayerModule(const LayerSpec& l) {
  switch (l.kind) {
    case LayerKind::kConv:
      return nn::AnyModule(
          ConvBnAct(l.in_channels, l.out_channels, l.kernel, l.stride, 1, true, l.bits(0), l.skip));
    case LayerKind::kMBConv:
      return nn::AnyModule(MBConv(l));
    case LayerKind::kLogits:
      return nn::AnyModule(Logits(l.in_channels, l.out_channels, l.bits(0)));
  }
  throw std::logic_error("unknown layer kind");
}

NetworkImpl::NetworkImpl(const NetSpec& spec) : spec_(spec) {
  for (const LayerSpec& l : spec_.layers)
    layers_->push_back(ModuleName(l.name), MakeLayerModule(l));
  register_module("layers", layers_);
}

torch::Tensor NetworkImpl::forward(torch::Tensor x) { return layers_->forward(x); }

// A forced copy, not contiguous(): weights of 1x1, depthwise and single-channel convolutions
// already count as channels-last contiguous, so contiguous() would keep their NCHW strides and
// the convolutions would silently stay in the slower NCHW path (measured: 753 vs ~1000 img/s).
void ToChannelsLast(torch::nn::Module& module) {
  torch::NoGradGuard no_grad;
  for (auto& p : module.parameters()) {
    if (p.dim() != 4) continue;
    p.set_data(
        p.to(p.options(), /*non_blocking=*/false, /*copy=*/true, at::MemoryFormat::ChannelsLast));
  }
}

void FoldBatchNorm(torch::nn::Module& module) {
  for (const auto& child : module.modules(/*include_self=*/true))
    if (auto* conv = dynamic_cast<ConvBnActImpl*>(child.get())) conv->FoldBatchNorm();
}

void CalibrateActivations(Network& net, const torch::Tensor& images,
                          const std::function<double(const torch::Tensor&, int)>& threshold) {
  std::vector<ActivationQuantizerImpl*> quantizers;
  for (const auto& module : net->modules(/*include_self=*/false))
    if (auto* q = dynamic_cast<ActivationQuantizerImpl*>(module.get())) quantizers.push_back(q);
  if (quantizers.empty()) return;
  torch::NoGradGuard no_grad;
  const bool training = net->is_training();
  net->eval();
  for (auto* q : quantizers) q->Record(true);
  net->forward(images);
  for (auto* q : quantizers) {
    q->Record(false);
    q->Calibrate(threshold);
  }
  net->train(training);
}

}  // namespace hwnas::supernet
