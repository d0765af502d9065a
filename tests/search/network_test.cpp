#include "supernet/network.h"

#include <gtest/gtest.h>
#include <torch/types.h>
#include <torch/utils.h>

namespace hwnas::supernet {
namespace {

NetSpec TinyNet() {
  NetSpec net;
  net.name = "tiny";
  net.input_channels = 1;
  net.input_size = 16;
  net.num_classes = 4;
  LayerSpec stem{LayerKind::kConv, "stem", 1, 8, 0, 3, 2, 16};
  LayerSpec expand{LayerKind::kMBConv, "stage.block1", 8, 12, 24, 5, 2, 8};
  LayerSpec residual{LayerKind::kMBConv, "stage.block2", 12, 12, 12, 3, 1, 4};
  residual.skip = true;
  LayerSpec logits{LayerKind::kLogits, "classifier", 12, 4, 0, 1, 1, 4};
  net.layers = {stem, expand, residual, logits};
  ValidateNetSpec(net, "tiny");
  return net;
}

// A conv layer with an identity shortcut adds its input to relu6(bn(conv(x))): with its
// convolution zeroed (so the batch norm sees zeros and ReLU6 gives zeros) it passes x through.
TEST(NetworkTest, ResidualConvAddsItsInput) {
  NetSpec plain = TinyNet();
  LayerSpec residual{LayerKind::kConv, "stage.conv", 8, 8, 0, 3, 1, 8};
  residual.skip = true;
  NetSpec with = plain;
  with.layers.insert(with.layers.begin() + 1, residual);
  ValidateNetSpec(with, "with");
  torch::manual_seed(0);
  Network a(plain);
  Network b(with);
  a->eval();
  b->eval();
  torch::NoGradGuard no_grad;
  auto pb = b->named_parameters();
  for (const auto& p : a->named_parameters()) pb[p.key()].copy_(p.value());
  pb["layers.stage_conv.conv.weight"].zero_();
  pb["layers.stage_conv.bn.bias"].zero_();
  const auto x = torch::randn({2, 1, 16, 16});
  EXPECT_TRUE(torch::allclose(a->forward(x), b->forward(x)));
  pb["layers.stage_conv.bn.bias"].fill_(1.0);  // now relu6(1) = 1 is added to every value
  EXPECT_FALSE(torch::allclose(a->forward(x), b->forward(x)));
}

int64_t CountParameters(torch::nn::Module& module) {
  int64_t count = 0;
  for (const auto& p : module.parameters()) count += p.numel();
  return count;
}

TEST(NetworkTest, OutputsOneLogitPerClass) {
  torch::manual_seed(0);
  Network net(TinyNet());
  auto logits = net->forward(torch::randn({3, 1, 16, 16}));
  EXPECT_EQ(logits.sizes(), (std::vector<int64_t>{3, 4}));
}

TEST(NetworkTest, ParameterCountMatchesNetSpec) {
  NetSpec spec = TinyNet();
  Network net(spec);
  EXPECT_EQ(CountParameters(*net), static_cast<int64_t>(NetParams(spec)));
}

TEST(NetworkTest, ChannelsLastGivesTheSameOutputs) {
  torch::manual_seed(0);
  Network net(TinyNet());
  net->eval();
  auto x = torch::randn({2, 1, 16, 16});
  auto expected = net->forward(x);
  ToChannelsLast(*net);
  auto actual = net->forward(x.contiguous(at::MemoryFormat::ChannelsLast));
  EXPECT_TRUE(torch::allclose(expected, actual, 1e-4, 1e-5));
}

// 1x1, depthwise and single-channel weights count as contiguous in both formats; the conversion
// must still give them channels-last strides, or convolutions stay on the NCHW path.
TEST(NetworkTest, ChannelsLastConvertsAmbiguousWeightsToo) {
  Network net(TinyNet());
  ToChannelsLast(*net);
  int64_t converted = 0;
  for (const auto& p : net->parameters()) {
    if (p.dim() != 4) continue;
    EXPECT_EQ(p.suggest_memory_format(), at::MemoryFormat::ChannelsLast) << p.sizes();
    ++converted;
  }
  EXPECT_EQ(converted, 6);  // stem, expand, depthwise x2, project x2
}

}  // namespace
}  // namespace hwnas::supernet
