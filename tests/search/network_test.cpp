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
