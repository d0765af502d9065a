// Synchronised batch norm equals batch norm over the whole batch: one "rank" whose sum is the
// identity gives LibTorch's batch norm (outputs, every gradient, running statistics), and two
// halves whose sums are added by hand give the whole batch's gradients.
#include "supernet/sync_batch_norm.h"

#include <gtest/gtest.h>

#include <torch/torch.h>

namespace hwnas::supernet {
namespace {

struct Pass {
  torch::Tensor y, dx, dw, db, running_mean, running_var;
};

// Forward and backward of `bn` on x with a fixed upstream gradient g.
Pass ForwardBackward(torch::nn::BatchNorm2d& bn, torch::Tensor x, const torch::Tensor& g) {
  x = x.clone().requires_grad_(true);
  bn->zero_grad();
  torch::Tensor y = BatchNorm(*bn, x);
  (y * g).sum().backward();
  return {y.detach(),
          x.grad(),
          bn->weight.grad().clone(),
          bn->bias.grad().clone(),
          bn->running_mean.clone(),
          bn->running_var.clone()};
}

torch::nn::BatchNorm2d MakeNorm() {
  torch::nn::BatchNorm2d bn(torch::nn::BatchNorm2dOptions(3).momentum(0.3));
  torch::NoGradGuard no_grad;
  bn->weight.copy_(torch::tensor({0.5, 1.5, -2.0}));
  bn->bias.copy_(torch::tensor({0.1, -0.2, 0.3}));
  return bn;
}

TEST(SyncBatchNormTest, OneRankIsLibTorchsBatchNorm) {
  torch::manual_seed(1);
  const torch::Tensor x = torch::randn({6, 3, 4, 5}) * 3 + 1;
  const torch::Tensor g = torch::randn({6, 3, 4, 5});
  auto plain = MakeNorm(), synced = MakeNorm();
  const Pass expected = ForwardBackward(plain, x, g);
  const BatchNormSync sync([](torch::Tensor&) {});
  const Pass got = ForwardBackward(synced, x, g);
  for (auto [a, b] : {std::pair{expected.y, got.y},
                      {expected.dx, got.dx},
                      {expected.dw, got.dw},
                      {expected.db, got.db},
                      {expected.running_mean, got.running_mean},
                      {expected.running_var, got.running_var}})
    EXPECT_TRUE(torch::allclose(a, b, 1e-4, 1e-5)) << a << b;
  EXPECT_EQ(synced->num_batches_tracked.item<int64_t>(), 1);
}

TEST(SyncBatchNormTest, TwoHalvesWithSharedSumsGiveTheWholeBatchsGradients) {
  torch::manual_seed(2);
  const torch::Tensor x = torch::randn({8, 3, 2, 2}) * 2 - 1;
  const torch::Tensor g = torch::randn({8, 3, 2, 2});
  auto whole = MakeNorm();
  const Pass expected = ForwardBackward(whole, x, g);
  // The two halves' sums, taken from a first pass of each half, are what an all-reduce returns.
  std::vector<torch::Tensor> first, second;
  auto half = MakeNorm();
  {
    int call = 0;
    const BatchNormSync record(
        [&](torch::Tensor& t) { (call++ == 0 ? first : second).push_back(t.clone()); });
    ForwardBackward(half, x.narrow(0, 0, 4), g.narrow(0, 0, 4));
    call = 0;
    ForwardBackward(half, x.narrow(0, 4, 4), g.narrow(0, 4, 4));
  }
  // first = [forward stats of half 0, of half 1], second = [backward sums of half 0, of half 1].
  ASSERT_EQ(first.size(), 2u);
  const torch::Tensor stats = first[0] + first[1];
  // Backward sums depend on the shared forward statistics: run once more with them.
  std::vector<torch::Tensor> backward;
  auto shared_half = [&](int part) {
    int call = 0;
    const BatchNormSync share([&](torch::Tensor& t) {
      if (call++ == 0)
        t.copy_(stats);
      else
        backward.push_back(t.clone());
    });
    return ForwardBackward(half, x.narrow(0, 4 * part, 4), g.narrow(0, 4 * part, 4));
  };
  shared_half(0), shared_half(1);
  const torch::Tensor sums = backward[0] + backward[1];
  Pass parts[2];
  for (int part = 0; part < 2; ++part) {
    int call = 0;
    const BatchNormSync share([&](torch::Tensor& t) { t.copy_(call++ == 0 ? stats : sums); });
    parts[part] = ForwardBackward(half, x.narrow(0, 4 * part, 4), g.narrow(0, 4 * part, 4));
  }
  EXPECT_TRUE(torch::allclose(torch::cat({parts[0].y, parts[1].y}), expected.y, 1e-4, 1e-5));
  EXPECT_TRUE(torch::allclose(torch::cat({parts[0].dx, parts[1].dx}), expected.dx, 1e-4, 1e-5));
  EXPECT_TRUE(torch::allclose(parts[0].dw + parts[1].dw, expected.dw, 1e-4, 1e-5));
  EXPECT_TRUE(torch::allclose(parts[0].db + parts[1].db, expected.db, 1e-4, 1e-5));
}

}  // namespace
}  // namespace hwnas::supernet
