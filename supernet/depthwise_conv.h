// Depthwise convolution for training on the CPU. oneDNN 2.6 (behind Debian's LibTorch 1.13)
// computes the weight gradient of a channels-last depthwise convolution with its generic kernel,
// 2-3x slower than the one here; forward and input gradient stay with oneDNN.
#pragma once

#include <torch/types.h>

#include <cstdint>

namespace hwnas::supernet {

// conv2d(x, weight, stride, padding, groups = channels) without bias. Where gradients flow on a
// CPU with AVX2 and FMA, to a float32 channels-last input and a kernel of 3, 5 or 7, the weight
// gradient comes from DepthwiseWeightGradient; elsewhere this is plain torch::conv2d.
torch::Tensor DepthwiseConv2d(const torch::Tensor& x, const torch::Tensor& weight, int64_t stride,
                              int64_t padding);

// d(loss)/d(weight) of a depthwise convolution: weight[c][kh][kw] gets the sum over images and
// output positions of x[n][c][oh*stride - padding + kh][ow*stride - padding + kw] *
// grad[n][c][oh][ow]. The result, [channels, 1, kernel, kernel], does not depend on the thread
// count.
torch::Tensor DepthwiseWeightGradient(const torch::Tensor& x, const torch::Tensor& grad_output,
                                      int64_t kernel, int64_t stride, int64_t padding);

// Whether DepthwiseConv2d uses DepthwiseWeightGradient on this machine and process. Turning it off
// lets a benchmark time both paths in one run (bench/train_step_bench.cpp).
bool OwnDepthwiseGradient();
void SetOwnDepthwiseGradient(bool on);

}  // namespace hwnas::supernet
