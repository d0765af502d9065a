// Fake quantization for mixed precision (HAQ): values are rounded to the grid of their bit width
// in the forward pass and the gradient passes straight through (STE), so a network trains and
// evaluates as it would run in low precision. Linear symmetric per-output-channel weights;
// activations on [0, clip] (non-negative inputs) or [-clip, clip], with a calibrated clip.
#pragma once

#include <torch/nn/module.h>
#include <torch/nn/pimpl.h>
#include <torch/types.h>

#include <functional>

namespace hwnas::supernet {

// Weights (output channels first) at `bits`: per output channel, scale max|w| / (2^(bits-1)-1);
// one bit is sign(w) x mean |w| per channel.
torch::Tensor FakeQuantWeight(const torch::Tensor& weight, int bits);
// Activations at `bits` with clip c: unsigned s = c / (2^bits - 1), signed s = c / (2^(bits-1)-1).
torch::Tensor FakeQuantActivation(const torch::Tensor& x, int bits, double clip, bool is_signed);

// The input quantizer of one operator: bits, and the calibrated clip and sign as buffers (saved
// with the weights). Until calibrated, each batch's own max |x| is the clip.
class ActivationQuantizerImpl : public torch::nn::Module {
 public:
  explicit ActivationQuantizerImpl(int bits);
  torch::Tensor forward(const torch::Tensor& x);
  int bits() const { return bits_; }
  // While recording, forward keeps its inputs for Calibrate.
  void Record(bool on);
  // Sets the clip to threshold(|inputs|, bits) and the sign from the recorded inputs.
  void Calibrate(const std::function<double(const torch::Tensor&, int)>& threshold);

 private:
  int bits_;
  torch::Tensor clip_, signed_;  // scalar buffers
  bool recording_ = false;
  std::vector<torch::Tensor> recorded_;
};
TORCH_MODULE(ActivationQuantizer);

}  // namespace hwnas::supernet
