#include "supernet/network.h"

#include <gtest/gtest.h>
#include <torch/types.h>
#include <torch/utils.h>

#include <stdexcept>

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

// Batch norm with running statistics far from (0, 1), so that folding it wrongly shows.
void RandomizeBatchNorm(torch::nn::Module& net) {
  torch::NoGradGuard no_grad;
  for (auto& b : net.named_buffers()) {
    if (b.key().find("running_mean") != std::string::npos) b.value().uniform_(-1, 1);
    if (b.key().find("running_var") != std::string::npos) b.value().uniform_(0.2, 3);
  }
  for (auto& p : net.named_parameters())
    if (p.key().find(".bn.") != std::string::npos) p.value().uniform_(-2, 2);
}

TEST(NetworkTest, FoldingBatchNormKeepsTheOutputs) {
  torch::manual_seed(0);
  NetSpec spec = TinyNet();
  spec.layers[0].weight_bits = 8;  // the quantized stem keeps its batch norm
  LayerSpec residual{LayerKind::kConv, "stage.conv", 8, 8, 0, 3, 1, 8};
  residual.skip = true;  // a float k x k convolution with a shortcut
  spec.layers.insert(spec.layers.begin() + 1, residual);
  ValidateNetSpec(spec, "fold");
  Network net(spec);
  RandomizeBatchNorm(*net);
  EXPECT_THROW(FoldBatchNorm(*net), std::logic_error);  // still in training mode
  net->eval();
  torch::NoGradGuard no_grad;
  const auto x = torch::randn({2, 1, 16, 16});
  const auto expected = net->forward(x);
  auto params = net->named_parameters();
  const auto stem = params["layers.stem.conv.weight"].clone();
  const auto conv = params["layers.stage_conv.conv.weight"].clone();
  const auto depthwise = params["layers.stage_block1.depthwise.conv.weight"].clone();
  FoldBatchNorm(*net);
  EXPECT_TRUE(torch::equal(params["layers.stem.conv.weight"], stem));
  EXPECT_FALSE(torch::allclose(params["layers.stage_conv.conv.weight"], conv));
  EXPECT_FALSE(torch::allclose(params["layers.stage_block1.depthwise.conv.weight"], depthwise));
  EXPECT_TRUE(torch::allclose(net->forward(x), expected, 1e-4, 1e-5));
  const auto folded = params["layers.stage_conv.conv.weight"].clone();
  FoldBatchNorm(*net);  // a second fold changes nothing
  EXPECT_TRUE(torch::equal(params["layers.stage_conv.conv.weight"], folded));
  // As the latency device times them: fold, then channels-last, then to the device.
  ToChannelsLast(*net);
  net->to(torch::kCPU);
  EXPECT_TRUE(torch::allclose(net->forward(x.contiguous(at::MemoryFormat::ChannelsLast)), expected,
                              1e-4, 1e-5));
}

// One layer on its own, as latency tables time it: the module itself is the conv-bn-ReLU6.
TEST(NetworkTest, FoldingBatchNormOfALayerModule) {
  torch::manual_seed(0);
  torch::nn::AnyModule layer = MakeLayerModule(TinyNet().layers[0]);
  RandomizeBatchNorm(*layer.ptr());
  layer.ptr()->eval();
  torch::NoGradGuard no_grad;
  const auto x = torch::randn({2, 1, 16, 16});
  const auto expected = layer.forward(x);
  FoldBatchNorm(*layer.ptr());
  EXPECT_EQ(layer.ptr()->named_buffers().contains("folded_bias"), true);
  EXPECT_TRUE(torch::allclose(layer.forward(x), expected, 1e-4, 1e-5));
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
