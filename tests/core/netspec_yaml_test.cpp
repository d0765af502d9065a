#include "core/netspec_yaml.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>

#include "core/errors.h"

namespace hwnas {
namespace {

std::string ErrorOf(const std::string& text) {
  try {
    NetSpecFromYamlString(text, "net.yaml");
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "no error";
}

TEST(NetSpecYamlTest, InfersShapesFromLayerToLayer) {
  NetSpec net = NetSpecFromYamlString(
      "name: n\ninput: {channels: 1, size: 28}\nclasses: 10\nlayers:\n"
      "  - {kind: conv, out: 16, stride: 2}\n"
      "  - {kind: mbconv, out: 16, expand: 3, kernel: 5, skip: true}\n"
      "  - {kind: mbconv, out: 24, mid: 40, stride: 2}\n"
      "  - {kind: logits}\n",
      "net.yaml");
  ASSERT_EQ(net.layers.size(), 4u);
  EXPECT_EQ(net.layers[0].name, "layer0");
  EXPECT_EQ(net.layers[1].input_size, 14);
  EXPECT_EQ(net.layers[1].mid_channels, 48);
  EXPECT_EQ(net.layers[2].mid_channels, 40);
  EXPECT_EQ(net.layers[3].input_size, 7);
  EXPECT_EQ(net.layers[3].in_channels, 24);
  EXPECT_EQ(net.layers[3].out_channels, 10);
  EXPECT_EQ(ArchString(net), "conv3s2x16 k5e3x16 k3m40s2x24 logits10");
}

TEST(NetSpecYamlTest, ShippedNetsLoad) {
  for (const auto& entry :
       std::filesystem::directory_iterator(std::string(HWNAS_SOURCE_DIR) + "/configs/nets")) {
    if (entry.path().extension() != ".yaml") continue;
    EXPECT_NO_THROW(LoadNetSpecFile(entry.path().string())) << entry.path();
  }
}

TEST(NetSpecYamlTest, SkipAcrossStrideIsLocated) {
  EXPECT_EQ(ErrorOf("input: {channels: 1, size: 8}\nclasses: 2\nlayers:\n"
                    "  - {kind: mbconv, out: 8, stride: 2, skip: true}\n  - {kind: logits}\n"),
            "net.yaml:4:45: error: layers[0].skip: an identity shortcut needs a conv or mbconv "
            "layer with stride 1 and equal widths (got mbconv, stride 2, 1 -> 8 channels)");
}

// A residual conv layer (the ResNet-style baseline) keeps its shortcut through YAML and JSON.
TEST(NetSpecYamlTest, ConvLayersMayCarryAShortcut) {
  const NetSpec net =
      LoadNetSpecFile(std::string(HWNAS_SOURCE_DIR) + "/configs/nets/fmnist-resnet.yaml");
  ASSERT_EQ(net.layers.size(), 9u);
  EXPECT_TRUE(net.layers[1].skip);
  EXPECT_EQ(net.layers[1].kind, LayerKind::kConv);
  EXPECT_FALSE(net.layers[2].skip);
  EXPECT_TRUE(NetSpecFromJson(NetSpecToJson(net), "json").layers[1].skip);
  EXPECT_EQ(ErrorOf("input: {channels: 1, size: 8}\nclasses: 2\nlayers:\n"
                    "  - {kind: conv, out: 8, skip: true}\n  - {kind: logits}\n"),
            "net.yaml:4:32: error: layers[0].skip: an identity shortcut needs a conv or mbconv "
            "layer with stride 1 and equal widths (got conv, stride 1, 1 -> 8 channels)");
}

TEST(NetSpecYamlTest, LastLayerMustBeLogits) {
  EXPECT_EQ(ErrorOf("input: {channels: 1, size: 8}\nclasses: 2\nlayers:\n"
                    "  - {kind: conv, out: 8}\n"),
            "net.yaml:4:12: error: layers[0].kind: the last layer must be of kind logits (got "
            "conv)");
}

TEST(NetSpecYamlTest, MissingKeysAndBadValuesAreAllReported) {
  const std::string error = ErrorOf("classes: 1\nlayers:\n  - {kind: pool}\n");
  EXPECT_NE(error.find("input: missing required key"), std::string::npos) << error;
  EXPECT_NE(error.find("classes: out of range"), std::string::npos) << error;
  EXPECT_NE(error.find("layers[0].kind"), std::string::npos) << error;
}

// Written and read back, a network is the same: every shipped NetSpec file, and a pruned and
// quantized one (mid channels that no expand ratio gives, per-operator bits).
TEST(NetSpecYamlTest, WrittenNetSpecsLoadBackEqual) {
  std::vector<NetSpec> nets;
  for (const auto& entry :
       std::filesystem::directory_iterator(std::string(HWNAS_SOURCE_DIR) + "/configs/nets"))
    if (entry.path().extension() == ".yaml") nets.push_back(LoadNetSpecFile(entry.path().string()));
  NetSpec pruned = NetSpecFromYamlString(
      "input: {channels: 3, size: 32}\nclasses: 7\nlayers:\n"
      "  - {kind: conv, name: stem, out: 8, kernel: 3, stride: 2}\n"
      "  - {kind: mbconv, name: b1, out: 8, mid: 20, kernel: 5, skip: true, "
      "op_bits: w4a6 w3a8 w8a2}\n"
      "  - {kind: conv, name: mix, out: 16, kernel: 1, weight_bits: 6, activation_bits: 5}\n"
      "  - {kind: logits, name: fc}\n",
      "pruned.yaml");
  nets.push_back(pruned);
  ASSERT_GE(nets.size(), 5u);
  for (const NetSpec& net : nets) {
    const NetSpec again = NetSpecFromYamlString(NetSpecToYaml(net), net.name + ".yaml");
    EXPECT_EQ(NetSpecToJson(again), NetSpecToJson(net)) << NetSpecToYaml(net);
  }
  EXPECT_THAT(NetSpecToYaml(pruned),
              ::testing::HasSubstr("{kind: mbconv, name: b1, out: 8, mid: 20, kernel: 5, stride: "
                                   "1, skip: true, op_bits: w4a6 w3a8 w8a2}"));
}

}  // namespace
}  // namespace hwnas
