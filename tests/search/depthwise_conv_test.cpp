#include "supernet/depthwise_conv.h"

#include <ATen/Parallel.h>
#include <gtest/gtest.h>
#include <torch/types.h>
#include <torch/utils.h>

#include <stdexcept>
#include <string>
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
// strides, kernels and sizes (non-square, smaller than the kernel, one image) cover output
// columns clipped on both sides and kernel taps that miss every column.
TEST(DepthwiseConvTest, WeightGradientMatchesLibTorch) {
  struct Case {
    int64_t images, channels, height, width, kernel, stride;
  };
  for (const Case& c : {Case{5, 27, 7, 7, 7, 1}, Case{5, 27, 9, 5, 5, 2}, Case{3, 16, 6, 11, 3, 1},
                        Case{1, 8, 5, 9, 7, 2}, Case{2, 3, 4, 3, 3, 1}, Case{4, 48, 14, 14, 5, 2},
                        Case{2, 24, 1, 2, 7, 1}, Case{2, 24, 2, 1, 7, 2}}) {
    SCOPED_TRACE(std::to_string(c.images) + " images, " + std::to_string(c.channels) +
                 " channels, " + std::to_string(c.height) + "x" + std::to_string(c.width) +
                 ", kernel " + std::to_string(c.kernel) + ", stride " + std::to_string(c.stride));
    torch::manual_seed(c.channels + c.height + c.kernel + c.stride);
    const int64_t padding = c.kernel / 2;
    const torch::Tensor x = ChannelsLast(torch::randn({c.images, c.channels, c.height, c.width}));
    const torch::Tensor weight = torch::randn({c.channels, 1, c.kernel, c.kernel});
    const torch::Tensor y = torch::conv2d(x, weight, {}, c.stride, padding, 1, c.channels);
    const torch::Tensor grad = ChannelsLast(torch::randn_like(y));
    const torch::Tensor ours = DepthwiseWeightGradient(x, grad, c.kernel, c.stride, padding);
    ASSERT_EQ(ours.sizes(), weight.sizes());
    const torch::Tensor reference = ReferenceGradient(x, grad, weight, c.stride, padding);
    EXPECT_LT(RelativeError(ours, reference), 1e-5);
    // Tensors in the default layout give the same result.
    EXPECT_TRUE(torch::equal(
        DepthwiseWeightGradient(x.contiguous(), grad.contiguous(), c.kernel, c.stride, padding),
        ours));
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

// Through autograd, where this machine has AVX2: the function is the one in the graph, and both
// gradients are LibTorch's, also for an output gradient in the default layout.
TEST(DepthwiseConvTest, ConvolutionGradientsMatchLibTorch) {
  if (!OwnDepthwiseGradient()) GTEST_SKIP() << "no AVX2 and FMA on this CPU";
  torch::manual_seed(4);
  const torch::Tensor x0 = ChannelsLast(torch::randn({4, 24, 9, 7}));
  const torch::Tensor w0 = torch::randn({24, 1, 5, 5});
  const torch::Tensor target = torch::randn({4, 24, 5, 4});  // contiguous: so is the gradient
  auto gradients = [&](bool own) {
    SetOwnDepthwiseGradient(own);
    torch::Tensor x = x0.clone().requires_grad_(true);
    torch::Tensor w = w0.clone().requires_grad_(true);
    torch::Tensor y = DepthwiseConv2d(x, w, 2, 2);
    EXPECT_EQ(y.grad_fn()->name().find("DepthwiseConvFunction") != std::string::npos, own);
    ((y - target) * (y - target)).sum().backward();
    SetOwnDepthwiseGradient(true);
    return std::make_tuple(y.detach(), x.grad(), w.grad());
  };
  const auto [y_own, x_grad_own, w_grad_own] = gradients(true);
  const auto [y_ref, x_grad_ref, w_grad_ref] = gradients(false);
  EXPECT_TRUE(torch::equal(y_own, y_ref));
  EXPECT_LT(RelativeError(x_grad_own, x_grad_ref), 1e-5);
  EXPECT_LT(RelativeError(w_grad_own, w_grad_ref), 1e-5);

  // An input that needs no gradient (a network's first layer) gets none.
  torch::Tensor w = w0.clone().requires_grad_(true);
  DepthwiseConv2d(x0, w, 1, 2).sum().backward();
  EXPECT_LT(RelativeError(w.grad(), ReferenceGradient(x0, ChannelsLast(torch::ones({4, 24, 9, 7})),
                                                      w0, 1, 2)),
            1e-5);
}

TEST(DepthwiseConvTest, RejectsMismatchedTensors) {
  const torch::Tensor x = torch::randn({2, 8, 5, 5});
  EXPECT_THROW(DepthwiseWeightGradient(x, torch::randn({2, 4, 5, 5}), 3, 1, 1),
               std::invalid_argument);
  EXPECT_THROW(DepthwiseWeightGradient(x, torch::randn({2, 8, 5, 5}).to(torch::kDouble), 3, 1, 1),
               std::invalid_argument);
  try {  // a 5x5 input convolved with stride 2 gives 3x3
    DepthwiseWeightGradient(x, torch::randn({2, 8, 5, 5}), 3, 2, 1);
    FAIL() << "expected std::invalid_argument";
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(),
                 "DepthwiseWeightGradient: grad_output is 5x5, not the convolution's output size");
  }
}

}  // namespace
}  // namespace hwnas::supernet
