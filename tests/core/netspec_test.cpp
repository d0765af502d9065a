#include "core/netspec.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "core/errors.h"

namespace hwnas {
namespace {

using ::testing::HasSubstr;

// 16x16x1 input: conv k3 s2 -> 8x8x8, MBConv k3 e3 with skip -> 8x8x8, classifier -> 4.
NetSpec TinyNet() {
  NetSpec net;
  net.name = "tiny";
  net.input_channels = 1;
  net.input_size = 16;
  net.num_classes = 4;
  LayerSpec stem{LayerKind::kConv, "stem", 1, 8, 0, 3, 2, 16};
  LayerSpec block{LayerKind::kMBConv, "block", 8, 8, 24, 3, 1, 8};
  block.skip = true;
  LayerSpec logits{LayerKind::kLogits, "classifier", 8, 4, 0, 1, 1, 8};
  net.layers = {stem, block, logits};
  return net;
}

TEST(NetSpecTest, FlopsAreCountedPerLayerByHand) {
  NetSpec net = TinyNet();
  EXPECT_EQ(LayerFlops(net.layers[0]), 8 * 8 * 9 * 1 * 8);                        // 4608
  EXPECT_EQ(LayerFlops(net.layers[1]), 64 * 8 * 24 + 64 * 9 * 24 + 64 * 24 * 8);  // 38400
  EXPECT_EQ(LayerFlops(net.layers[2]), 8 * 4);
  EXPECT_EQ(NetFlops(net), 43040);
}

TEST(NetSpecTest, ParamsCountBatchNormAndBias) {
  NetSpec net = TinyNet();
  EXPECT_EQ(LayerParams(net.layers[0]), 9 * 8 + 2 * 8);
  EXPECT_EQ(LayerParams(net.layers[1]), (8 * 24 + 9 * 24 + 24 * 8) + 2 * (24 + 24 + 8));
  EXPECT_EQ(LayerParams(net.layers[2]), 8 * 4 + 4);
  EXPECT_EQ(NetParams(net), 836);
}

TEST(NetSpecTest, SizeInBitsUsesWeightBitsForWeightsOnly) {
  NetSpec net = TinyNet();
  EXPECT_EQ(NetSizeBits(net), 836 * 32);
  net.layers[1].weight_bits = 8;
  EXPECT_EQ(NetSizeBits(net), 600 * 8 + (836 - 600) * 32);
}

TEST(NetSpecTest, ExpansionWithoutExpandConvWhenMidEqualsIn) {
  LayerSpec l{LayerKind::kMBConv, "b", 16, 24, 16, 3, 2, 28};
  EXPECT_EQ(l.output_size(), 14);
  EXPECT_EQ(l.expand_ratio(), 1);
  EXPECT_EQ(LayerFlops(l), 14 * 14 * 9 * 16 + 14 * 14 * 16 * 24);
}

TEST(NetSpecTest, ArchStringIsStable) {
  NetSpec net = TinyNet();
  EXPECT_EQ(ArchString(net), "conv3s2x8 k3e3x8 logits4");
  net.layers[1].mid_channels = 20;
  EXPECT_EQ(ArchString(net), "conv3s2x8 k3m20x8 logits4");
}

TEST(NetSpecTest, JsonRoundTripKeepsEveryField) {
  NetSpec net = TinyNet();
  net.layers[1].weight_bits = 4;
  net.layers[1].activation_bits = 6;
  NetSpec back = NetSpecFromJson(NetSpecToJson(net), "test");
  EXPECT_EQ(NetSpecToJson(back), NetSpecToJson(net));
  EXPECT_EQ(back.layers[1].weight_bits, 4);
  EXPECT_TRUE(back.layers[1].skip);
}

TEST(NetSpecTest, ValidateNamesTheLayerWhoseShapeDoesNotChain) {
  NetSpec net = TinyNet();
  net.layers[1].in_channels = 9;
  net.layers[1].out_channels = 9;
  try {
    ValidateNetSpec(net, "tiny.yaml");
    FAIL() << "expected DataError";
  } catch (const DataError& e) {
    EXPECT_STREQ(e.what(),
                 "tiny.yaml: layer 'block': in_channels is 9 but the previous layer outputs 8");
  }
}

TEST(NetSpecTest, ValidateRejectsSkipAcrossStride) {
  NetSpec net = TinyNet();
  net.layers[1].stride = 2;
  EXPECT_THROW(
      {
        try {
          ValidateNetSpec(net, "n");
        } catch (const DataError& e) {
          EXPECT_THAT(e.what(), HasSubstr("identity shortcut needs"));
          throw;
        }
      },
      DataError);
}

TEST(NetSpecTest, MalformedJsonIsADataError) {
  EXPECT_THROW(NetSpecFromJson("{\"name\": 1}", "x"), DataError);
  EXPECT_THROW(NetSpecFromJson("not json", "x"), DataError);
}

}  // namespace
}  // namespace hwnas
