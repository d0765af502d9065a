#include "supernet/depthwise_conv.h"

#include <ATen/Parallel.h>
#include <gtest/gtest.h>
#include <torch/types.h>
#include <torch/utils.h>

#include <stdexcept>
#include <tuple>

namespace hwnas::supernet {
namespace {

torch::Tensor ChannelsLast(const torch::Tensor& t) {
  return t.contiguous(at::MemoryFormat::ChannelsLast);
}

// LibTorch's own weight gradient of the same depthwise convolution.
torch::Tensor ReferenceGradient(const torch::Tensor& x, const torch::Tensor& grad,
                                const torch::Tensor& weight, int64_t stride, int64_t padding) {
  return std::get<1>(at::convolution_backward(grad, x, weight, c10::nullopt, {stride, stride},
                                              {padding, padding}, {1, 1}, false, {0, 0},
                                              weight.size(0), {false, true, false}));
}

double RelativeError(const torch::Tensor& a, const torch::Tensor& b) {
  return (a - b).abs().max().item<double>() / b.abs().max().item<double>();
}

// Channel counts cover the 16-wide and 8-wide blocks and the one-at-a-time rest (16 + 8 + 3);
// strides, kernels and sizes cover output columns clipped on both sides.
TEST(DepthwiseConvTest, WeightGradientMatchesLibTorch) {
  for (const auto& [channels, size, kernel, stride] :
       {std::tuple<int64_t, int64_t, int64_t, int64_t>{27, 7, 7, 1},
        {27, 9, 5, 2},
        {16, 6, 3, 1},
        {8, 5, 7, 2},
        {3, 4, 3, 1},
        {48, 14, 5, 2}}) {
    SCOPED_TRACE("channels " + std::to_string(channels) + ", size " + std::to_string(size) +
                 ", kernel " + std::to_string(kernel) + ", stride " + std::to_string(stride));
    torch::manual_seed(channels + size + kernel + stride);
    const int64_t padding = kernel / 2;
    const torch::Tensor x = ChannelsLast(torch::randn({5, channels, size, size}));
    const torch::Tensor weight = torch::randn({channels, 1, kernel, kernel});
    const torch::Tensor y = torch::conv2d(x, weight, {}, stride, padding, 1, channels);
    const torch::Tensor grad = ChannelsLast(torch::randn_like(y));
    const torch::Tensor ours = DepthwiseWeightGradient(x, grad, kernel, stride, padding);
    ASSERT_EQ(ours.sizes(), weight.sizes());
    EXPECT_LT(RelativeError(ours, ReferenceGradient(x, grad, weight, stride, padding)), 1e-5);
  }
}

// The result is summed in the same order whatever the thread count: bit for bit the same.
TEST(DepthwiseConvTest, WeightGradientDoesNotDependOnThreads) {
  torch::manual_seed(3);
  const torch::Tensor x = ChannelsLast(torch::randn({8, 56, 7, 7}));
  const torch::Tensor grad = ChannelsLast(torch::randn({8, 56, 7, 7}));
  const int before = at::get_num_threads();
  at::set_num_threads(1);
  const torch::Tensor one = DepthwiseWeightGradient(x, grad, 5, 1, 2);
  at::set_num_threads(2);
  const torch::Tensor two = DepthwiseWeightGradient(x, grad, 5, 1, 2);
  at::set_num_threads(before);
  EXPECT_TRUE(torch::equal(one, two));
}

// Through autograd: both gradients as LibTorch computes them, with the switch on and off.
TEST(DepthwiseConvTest, ConvolutionGradientsMatchLibTorch) {
  torch::manual_seed(4);
  const torch::Tensor x0 = ChannelsLast(torch::randn({4, 24, 9, 9}));
  const torch::Tensor w0 = torch::randn({24, 1, 5, 5});
  auto gradients = [&](bool own) {
    const bool before = OwnDepthwiseGradient();
    SetOwnDepthwiseGradient(own);
    torch::Tensor x = x0.clone().requires_grad_(true);
    torch::Tensor w = w0.clone().requires_grad_(true);
    torch::Tensor y = DepthwiseConv2d(x, w, 2, 2);
    (y * y).sum().backward();
    SetOwnDepthwiseGradient(before);
    return std::make_tuple(y.detach(), x.grad(), w.grad());
  };
  const auto [y_own, x_grad_own, w_grad_own] = gradients(true);
  const auto [y_ref, x_grad_ref, w_grad_ref] = gradients(false);
  EXPECT_TRUE(torch::equal(y_own, y_ref));
  EXPECT_LT(RelativeError(x_grad_own, x_grad_ref), 1e-5);
  EXPECT_LT(RelativeError(w_grad_own, w_grad_ref), 1e-5);
}

TEST(DepthwiseConvTest, RejectsMismatchedTensors) {
  const torch::Tensor x = torch::randn({2, 8, 5, 5});
  EXPECT_THROW(DepthwiseWeightGradient(x, torch::randn({2, 4, 5, 5}), 3, 1, 1),
               std::invalid_argument);
  EXPECT_THROW(DepthwiseWeightGradient(x, torch::randn({2, 8, 5, 5}).to(torch::kDouble), 3, 1, 1),
               std::invalid_argument);
}

}  // namespace
}  // namespace hwnas::supernet
