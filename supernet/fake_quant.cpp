#include "supernet/fake_quant.h"

#include <cmath>

namespace hwnas::supernet {
namespace {

// Forward: the quantized value; backward: the identity (straight-through estimator).
torch::Tensor StraightThrough(const torch::Tensor& x, const torch::Tensor& quantized) {
  return x + (quantized - x).detach();
}

}  // namespace

torch::Tensor FakeQuantWeight(const torch::Tensor& weight, int bits) {
  if (bits >= 32) return weight;
  const torch::Tensor flat = weight.detach().flatten(1).abs();
  std::vector<int64_t> shape(weight.dim(), 1);
  shape[0] = weight.size(0);
  if (bits == 1) {
    const torch::Tensor mean = flat.mean(1).reshape(shape);
    return StraightThrough(weight, weight.detach().sign() * mean);
  }
  const double levels = std::pow(2.0, bits - 1) - 1;
  const torch::Tensor scale = (flat.amax(1).clamp_min(1e-12) / levels).reshape(shape);
  return StraightThrough(weight, (weight.detach() / scale).round().clamp(-levels, levels) * scale);
}

torch::Tensor FakeQuantActivation(const torch::Tensor& x, int bits, double clip, bool is_signed) {
  if (bits >= 32 || clip <= 0) return x;
  const double levels =
      is_signed ? std::max(1.0, std::pow(2.0, bits - 1) - 1) : std::pow(2.0, bits) - 1;
  const double scale = clip / levels;
  const torch::Tensor q =
      (x.detach() / scale).round().clamp(is_signed ? -levels : 0.0, levels) * scale;
  return StraightThrough(x, q);
}

ActivationQuantizerImpl::ActivationQuantizerImpl(int bits)
    : bits_(bits),
      clip_(register_buffer("clip", torch::zeros({}))),
      signed_(register_buffer("signed", torch::ones({}))) {}

torch::Tensor ActivationQuantizerImpl::forward(const torch::Tensor& x) {
  if (recording_) recorded_.push_back(x.detach().flatten());
  double clip = clip_.item<double>();
  bool is_signed = signed_.item<double>() > 0.5;
  if (clip <= 0) {  // not calibrated yet
    clip = x.detach().abs().max().item<double>();
    is_signed = x.detach().min().item<double>() < 0;
  }
  return FakeQuantActivation(x, bits_, clip, is_signed);
}

void ActivationQuantizerImpl::Record(bool on) {
  recording_ = on;
  if (on) recorded_.clear();
}

void ActivationQuantizerImpl::Calibrate(
    const std::function<double(const torch::Tensor&, int)>& threshold) {
  if (recorded_.empty()) return;
  const torch::Tensor values = torch::cat(recorded_);
  recorded_.clear();
  torch::NoGradGuard no_grad;
  signed_.fill_(values.min().item<double>() < 0 ? 1.0 : 0.0);
  clip_.fill_(threshold(values.abs(), bits_));
}

}  // namespace hwnas::supernet
