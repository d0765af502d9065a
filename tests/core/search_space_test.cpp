#include "core/search_space.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <iostream>
#include <set>

#include "core/errors.h"
#include "core/netspec_yaml.h"
#include "tests/support/run_command.h"

namespace hwnas {
namespace {

const std::string kConfigs = std::string(HWNAS_SOURCE_DIR) + "/configs";

SearchSpace Shipped(const std::string& name) {
  return LoadSearchSpaceFile(kConfigs + "/spaces/" + name + ".yaml");
}

// 8x8x1 input, stem 4, first block 4 -> 4, one stage of 2 blocks of width 8.
constexpr char kTinySpace[] =
    "name: tiny\ninput: {channels: 1, size: 8}\nclasses: 2\n"
    "stem: {out: 4, kernel: 3, stride: 1}\nfirst_block: {out: 4, expand: 1, kernel: 3}\n"
    "stages:\n  - {width: 8, depth: 2, stride: 2}\ncandidates: [k3e3, k5e6]\n";

std::string LoadError(const std::string& text) {
  try {
    SearchSpaceFromYamlString(text, "space.yaml");
  } catch (const ConfigError& e) {
    EXPECT_EQ(e.code(), ExitCode::kConfigError);
    return e.what();
  }
  return "no error";
}

std::string ArchError(const SearchSpace& space, const std::string& text) {
  try {
    ParseArch(space, text);
  } catch (const DataError& e) {
    return e.what();
  }
  return "no error";
}

std::string Shape(const BlockPosition& b) {
  return b.name + " " + std::to_string(b.input_size) + "x" + std::to_string(b.in_channels) + "->" +
         std::to_string(b.out_channels) + " s" + std::to_string(b.stride) +
         (b.identity_shortcut ? " shortcut" : "") + (b.skip_allowed ? " skip" : "");
}

std::vector<std::string> Names(const NetSpec& net) {
  std::vector<std::string> names;
  for (const LayerSpec& l : net.layers) names.push_back(l.name);
  return names;
}

// ---- Loading ------------------------------------------------------------------------------

TEST(SearchSpaceTest, ShippedSpacesLoad) {
  for (const auto& entry : std::filesystem::directory_iterator(kConfigs + "/spaces")) {
    if (entry.path().extension() != ".yaml") continue;
    SearchSpace space = LoadSearchSpaceFile(entry.path().string());
    EXPECT_EQ(space.name, entry.path().stem().string());
    EXPECT_NO_THROW(ToNetSpec(space, UniformArch(space, space.candidates.front().name)));
  }
}

TEST(SearchSpaceTest, ProxylessMobileFields) {
  SearchSpace space = Shipped("proxyless-mobile");
  EXPECT_EQ(space.input_channels, 3);
  EXPECT_EQ(space.input_size, 224);
  EXPECT_EQ(space.num_classes, 1000);
  EXPECT_EQ(space.stem.out_channels, 32);
  EXPECT_EQ(space.stem.stride, 2);
  EXPECT_EQ(space.first_block.out_channels, 16);
  EXPECT_EQ(space.first_block.expand, 1);
  ASSERT_EQ(space.stages.size(), 6u);
  EXPECT_EQ(space.stages[3].width, 96);
  EXPECT_EQ(space.stages[3].stride, 1);
  ASSERT_EQ(space.candidates.size(), 6u);
  EXPECT_EQ(space.candidates[5].name, "k7e6");
  EXPECT_EQ(space.candidates[5].kernel, 7);
  EXPECT_EQ(space.candidates[5].expand, 6);
  EXPECT_TRUE(space.allow_skip);
  EXPECT_EQ(space.mix_channels, 1280);
}

TEST(SearchSpaceTest, NameDefaultsToFileStem) {
  EXPECT_EQ(SearchSpaceFromYamlString(std::string(kTinySpace).substr(11), "dir/my-space.yaml").name,
            "my-space");
}

// ---- Enumeration ------------------------------------------------------------------------------

TEST(SearchSpaceTest, ProxylessBlocks) {
  const std::vector<BlockPosition> blocks = Blocks(Shipped("proxyless-mobile"));
  ASSERT_EQ(blocks.size(), 21u);
  EXPECT_EQ(Shape(blocks[0]), "stage1.block1 112x16->24 s2");
  EXPECT_EQ(Shape(blocks[1]), "stage1.block2 56x24->24 s1 shortcut skip");
  EXPECT_EQ(Shape(blocks[3]), "stage1.block4 56x24->24 s1 shortcut skip");
  EXPECT_EQ(Shape(blocks[4]), "stage2.block1 56x24->40 s2");
  EXPECT_EQ(Shape(blocks[8]), "stage3.block1 28x40->80 s2");
  EXPECT_EQ(Shape(blocks[12]), "stage4.block1 14x80->96 s1");
  EXPECT_EQ(Shape(blocks[15]), "stage4.block4 14x96->96 s1 shortcut skip");
  EXPECT_EQ(Shape(blocks[16]), "stage5.block1 14x96->192 s2");
  EXPECT_EQ(Shape(blocks[19]), "stage5.block4 7x192->192 s1 shortcut skip");
  EXPECT_EQ(Shape(blocks[20]), "stage6.block1 7x192->320 s1");
  int skippable = 0;
  for (const BlockPosition& b : blocks) skippable += b.skip_allowed ? 1 : 0;
  EXPECT_EQ(skippable, 15);
}

TEST(SearchSpaceTest, FmnistBlocks) {
  std::vector<std::string> shapes;
  for (const BlockPosition& b : Blocks(Shipped("fmnist-mbconv"))) shapes.push_back(Shape(b));
  EXPECT_EQ(shapes, (std::vector<std::string>{
                        "stage1.block1 28x16->24 s2",
                        "stage1.block2 14x24->24 s1 shortcut skip",
                        "stage2.block1 14x24->40 s2",
                        "stage2.block2 7x40->40 s1 shortcut skip",
                        "stage2.block3 7x40->40 s1 shortcut skip",
                        "stage3.block1 7x40->80 s1",
                        "stage3.block2 7x80->80 s1 shortcut skip",
                    }));
}

TEST(SearchSpaceTest, CandidateNamesAddSkipWhereAllowed) {
  const SearchSpace space = Shipped("fmnist-mbconv");
  const std::vector<BlockPosition> blocks = Blocks(space);
  const std::vector<std::string> ops = {"k3e3", "k3e6", "k5e3", "k5e6", "k7e3", "k7e6"};
  EXPECT_EQ(CandidateNames(space, blocks[0]), ops);
  std::vector<std::string> with_skip = ops;
  with_skip.push_back("skip");
  EXPECT_EQ(CandidateNames(space, blocks[1]), with_skip);
}

TEST(SearchSpaceTest, SkipFalseKeepsShortcutsButRemovesSkip) {
  SearchSpace space = SearchSpaceFromYamlString(std::string(kTinySpace) + "skip: false\n", "s");
  const std::vector<BlockPosition> blocks = Blocks(space);
  ASSERT_EQ(blocks.size(), 2u);
  EXPECT_TRUE(blocks[1].identity_shortcut);
  EXPECT_FALSE(blocks[1].skip_allowed);
  EXPECT_EQ(CandidateNames(space, blocks[1]), (std::vector<std::string>{"k3e3", "k5e6"}));
  EXPECT_EQ(ArchError(space, "k3e3 skip"),
            "arch choice 2 (stage1.block2): 'skip' is not allowed here: space 'tiny' does not "
            "allow skip (expected one of k3e3, k5e6)");
  EXPECT_TRUE(ToNetSpec(space, ParseArch(space, "k3e3 k5e6")).layers[3].skip);
}

// ---- Arch -----------------------------------------------------------------------------------

TEST(SearchSpaceTest, ArchRoundTrip) {
  const SearchSpace space = Shipped("fmnist-mbconv");
  const std::string text = "k3e6 skip k5e3 k7e6 skip k3e3 k5e6";
  const Arch arch = ParseArch(space, text);
  EXPECT_EQ(arch.choices.size(), 7u);
  EXPECT_EQ(arch.choices[1], "skip");
  EXPECT_EQ(FormatArch(arch), text);
  EXPECT_EQ(FormatArch(ParseArch(space, "  k3e6 skip\tk5e3 k7e6\nskip k3e3 k5e6 ")), text);
}

TEST(SearchSpaceTest, ArchErrors) {
  const SearchSpace space = Shipped("fmnist-mbconv");
  EXPECT_EQ(ArchError(space, "k3e6 skip k5e3 k7e6 skip k3e3"),
            "arch has 6 choices but space 'fmnist-mbconv' has 7 searchable blocks");
  EXPECT_EQ(ArchError(space, ""),
            "arch has 0 choices but space 'fmnist-mbconv' has 7 searchable "
            "blocks");
  EXPECT_EQ(ArchError(space, "k3e6 skip k9e3 k7e6 skip k3e3 k5e6"),
            "arch choice 3 (stage2.block1): unknown op 'k9e3' (expected one of k3e3, k3e6, k5e3, "
            "k5e6, k7e3, k7e6)");
  EXPECT_EQ(ArchError(space, "skip skip k5e3 k7e6 skip k3e3 k5e6"),
            "arch choice 1 (stage1.block1): 'skip' is not allowed here: the block has stride 2 "
            "(expected one of k3e3, k3e6, k5e3, k5e6, k7e3, k7e6)");
  EXPECT_EQ(ArchError(space, "k3e6 skip k5e3 k7e6 skip skip k5e6"),
            "arch choice 6 (stage3.block1): 'skip' is not allowed here: the block changes width "
            "40 -> 80 (expected one of k3e3, k3e6, k5e3, k5e6, k7e3, k7e6)");
  EXPECT_EQ(ArchError(space, "k3e6 Skip k5e3 k7e6 skip k3e3 k5e6"),
            "arch choice 2 (stage1.block2): unknown op 'Skip' (expected one of k3e3, k3e6, k5e3, "
            "k5e6, k7e3, k7e6, skip)");
}

TEST(SearchSpaceTest, ToNetSpecChecksHandMadeArchs) {
  const SearchSpace space = Shipped("fmnist-mbconv");
  Arch arch = UniformArch(space, "k3e3");
  arch.choices[0] = "k4e3";
  EXPECT_THROW(ToNetSpec(space, arch), DataError);
  arch.choices.pop_back();
  EXPECT_THROW(ToNetSpec(space, arch), DataError);
}

TEST(SearchSpaceTest, RandomArchIsDeterministicAndValid) {
  const SearchSpace space = Shipped("proxyless-mobile");
  Rng a(42), b(42), c(43);
  const Arch first = RandomArch(space, a);
  EXPECT_EQ(first, RandomArch(space, b));
  EXPECT_NE(first, RandomArch(space, c));
  EXPECT_EQ(ParseArch(space, FormatArch(first)), first);
  std::set<std::string> seen;
  Rng rng(7);
  for (int i = 0; i < 50; ++i) {
    const Arch arch = RandomArch(space, rng);
    EXPECT_NO_THROW(ToNetSpec(space, arch));
    seen.insert(arch.choices.begin(), arch.choices.end());
  }
  EXPECT_EQ(seen.size(), 7u);  // every op and skip
}

TEST(SearchSpaceTest, UniformArch) {
  const SearchSpace space = Shipped("fmnist-mbconv");
  EXPECT_EQ(FormatArch(UniformArch(space, "k5e3")), "k5e3 k5e3 k5e3 k5e3 k5e3 k5e3 k5e3");
  try {
    UniformArch(space, "skip");
    FAIL() << "no error";
  } catch (const DataError& e) {
    EXPECT_STREQ(e.what(),
                 "'skip' is not a candidate op of space 'fmnist-mbconv' (expected one of k3e3, "
                 "k3e6, k5e3, k5e6, k7e3, k7e6)");
  }
}

// ---- Networks ---------------------------------------------------------------------------------

TEST(SearchSpaceTest, TinyNetFlopsByHand) {
  const SearchSpace space = SearchSpaceFromYamlString(kTinySpace, "tiny.yaml");
  const NetSpec net = ToNetSpec(space, ParseArch(space, "k3e3 skip"));
  EXPECT_EQ(ArchString(net), "conv3x4 k3e1x4 k3e3s2x8 logits2");
  // stem 8*8*9*1*4 = 2304; first (no expand) 64*9*4 + 64*4*4 = 3328;
  // stage1.block1 64*4*12 + 16*9*12 + 16*12*8 = 6336; classifier 8*2 = 16.
  EXPECT_EQ(NetFlops(net), 2304 + 3328 + 6336 + 16);
  // stage1.block2 k5e6 (8 -> 48 -> 8 at 4x4): 16*8*48 + 16*25*48 + 16*48*8 = 31488.
  EXPECT_EQ(NetFlops(ToNetSpec(space, ParseArch(space, "k3e3 k5e6"))), 11984 + 31488);
}

TEST(SearchSpaceTest, FmnistUniformNet) {
  const SearchSpace space = Shipped("fmnist-mbconv");
  const NetSpec net = ToNetSpec(space, UniformArch(space, "k3e6"));
  EXPECT_EQ(Names(net),
            (std::vector<std::string>{"stem", "first", "stage1.block1", "stage1.block2",
                                      "stage2.block1", "stage2.block2", "stage2.block3",
                                      "stage3.block1", "stage3.block2", "mix", "classifier"}));
  EXPECT_EQ(ArchString(net),
            "conv3x16 k3e1x16 k3e6s2x24 k3e6x24 k3e6s2x40 k3e6x40 k3e6x40 k3e6x80 k3e6x80 "
            "conv1x160 logits10");
  const LayerSpec& block = net.layers[3];  // stage1.block2
  EXPECT_EQ(block.input_size, 14);
  EXPECT_EQ(block.mid_channels, 144);
  EXPECT_TRUE(block.skip);
  EXPECT_FALSE(net.layers[1].skip);  // the first block never has a shortcut
  EXPECT_FALSE(net.layers[7].skip);  // 40 -> 80
  EXPECT_EQ(net.layers[9].input_size, 7);
  EXPECT_EQ(NetFlops(net), 13097536);
}

// A dense candidate is a plain k x k convolution (conv, batch norm, ReLU6) that keeps the block's
// identity shortcut: the layer kind of the ResNet-style baseline.
TEST(SearchSpaceTest, DenseConvCandidates) {
  std::string text(kTinySpace);
  text.replace(text.find("[k3e3, k5e6]"), 12, "[k3e3, conv3, conv5]");
  const SearchSpace space = SearchSpaceFromYamlString(text, "tiny.yaml");
  EXPECT_EQ(CandidateNames(space, Blocks(space)[1]),
            (std::vector<std::string>{"k3e3", "conv3", "conv5", "skip"}));
  const NetSpec net = ToNetSpec(space, ParseArch(space, "conv3 conv5"));
  EXPECT_EQ(ArchString(net), "conv3x4 k3e1x4 conv3s2x8 conv5x8 logits2");
  EXPECT_EQ(net.layers[2].kind, LayerKind::kConv);
  EXPECT_FALSE(net.layers[2].skip);  // 4 -> 8, stride 2
  EXPECT_TRUE(net.layers[3].skip);   // stride 1, 8 -> 8
  EXPECT_EQ(net.layers[3].mid_channels, 0);
  // stem 2304 + first 3328 + classifier 16; conv3 16*9*4*8 = 4608; conv5 16*25*8*8 = 25600.
  EXPECT_EQ(NetFlops(net), 2304 + 3328 + 16 + 4608 + 25600);
  ValidateNetSpec(net, "tiny");
  EXPECT_EQ(AllCandidateLayers(space).size(), 2u + 2 * 3 + 1);  // stem, first, 2 x 3 ops, logits
  const SearchSpace wide = Shipped("fmnist-wide-conv");
  EXPECT_EQ(NetFlops(ToNetSpec(wide, UniformArch(wide, "conv3"))), 17965568);
}

// fmnist-dense is built around the fmnist-resnet baseline: one of its networks is that ResNet with
// the space's fixed depthwise first block (32 -> 32 at 28x28: 32*9*784 + 32*32*784 = 1,028,608).
TEST(SearchSpaceTest, DenseSpaceHoldsTheResNetBaseline) {
  const SearchSpace space = Shipped("fmnist-dense");
  EXPECT_EQ(space.candidates.size(), 2u);
  const NetSpec net =
      ToNetSpec(space, ParseArch(space, "conv3 conv3 conv3 skip conv3 conv3 conv3 skip"));
  const NetSpec resnet = LoadNetSpecFile(kConfigs + "/nets/fmnist-resnet.yaml");
  EXPECT_EQ(ArchString(resnet),
            "conv3x32 conv3x32 conv3s2x64 conv3x64 conv3s2x128 conv3x128 conv3x128 conv1x256 "
            "logits10");
  EXPECT_EQ(ArchString(net),
            "conv3x32 k3e1x32 conv3x32 conv3s2x64 conv3x64 conv3s2x128 conv3x128 conv3x128 "
            "conv1x256 logits10");
  EXPECT_EQ(NetFlops(resnet), 37960704);
  EXPECT_EQ(NetFlops(net), 37960704 + 1028608);
  for (size_t i = 2; i < net.layers.size() - 2; ++i)
    EXPECT_EQ(net.layers[i].skip, resnet.layers[i - 1].skip) << net.layers[i].name;
  // Networks: 3 choices in the one 28-pixel block, 2 x 3 x 3 at 14 pixels, 2 x 3^3 at 7.
  int64_t networks = 1;
  for (const BlockPosition& block : Blocks(space))
    networks *= static_cast<int64_t>(CandidateNames(space, block).size());
  EXPECT_EQ(networks, 2916);
}

TEST(SearchSpaceTest, NetWithSkips) {
  const SearchSpace space = Shipped("fmnist-mbconv");
  const NetSpec net = ToNetSpec(space, ParseArch(space, "k3e3 skip k3e3 skip skip k3e3 skip"));
  EXPECT_EQ(Names(net), (std::vector<std::string>{"stem", "first", "stage1.block1", "stage2.block1",
                                                  "stage3.block1", "mix", "classifier"}));
  EXPECT_EQ(net.layers[3].in_channels, 24);
  EXPECT_EQ(net.layers[3].input_size, 14);
  EXPECT_EQ(NetFlops(net), 3237952);
}

TEST(SearchSpaceTest, ProxylessAllK3e6Flops) {
  const SearchSpace space = Shipped("proxyless-mobile");
  const NetSpec net = ToNetSpec(space, UniformArch(space, "k3e6"));
  ASSERT_EQ(net.layers.size(), 25u);  // stem, first, 21 blocks, mix, classifier
  std::cout << "proxyless-mobile all-k3e6: " << NetFlops(net) / 1e6 << " M MACs, "
            << NetParams(net) / 1e6 << " M params\n";
  EXPECT_EQ(NetFlops(net), 472620800);  // MobileNetV2-like nets: 300-600 M MACs
  EXPECT_EQ(NetFlops(ToNetSpec(space, UniformArch(space, "k3e3"))), 257422208);
  EXPECT_EQ(NetFlops(ToNetSpec(space, UniformArch(space, "k7e6"))), 606590720);
}

// ---- Candidate layers -------------------------------------------------------------------------

TEST(SearchSpaceTest, ProxylessCandidateLayers) {
  const std::vector<LayerSpec> layers = AllCandidateLayers(Shipped("proxyless-mobile"));
  // stem, first block, 11 distinct block shapes x 6 ops, mix, classifier.
  ASSERT_EQ(layers.size(), 70u);
  EXPECT_EQ(layers[0].name, "stem");
  EXPECT_EQ(layers[1].name, "first");
  EXPECT_EQ(layers[2].name, "stage1.block1.k3e3");
  EXPECT_EQ(layers[8].name, "stage1.block2.k3e3");
  EXPECT_TRUE(layers[8].skip);
  EXPECT_EQ(layers[14].name, "stage2.block1.k3e3");  // stage1.block3/4 equal stage1.block2
  EXPECT_EQ(layers[67].name, "stage6.block1.k7e6");
  EXPECT_EQ(layers[67].input_size, 7);
  EXPECT_EQ(layers[67].mid_channels, 192 * 6);
  EXPECT_EQ(layers[68].name, "mix");
  EXPECT_EQ(layers[69].kind, LayerKind::kLogits);
  EXPECT_EQ(layers[69].in_channels, 1280);
}

TEST(SearchSpaceTest, CandidateLayersAreDistinctAndCoverEveryArch) {
  const SearchSpace space = Shipped("fmnist-mbconv");
  const std::vector<LayerSpec> layers = AllCandidateLayers(space);
  // stem, first, 6 distinct block shapes (stage2.block3 equals block2) x 6 ops, mix, classifier.
  EXPECT_EQ(layers.size(), 40u);
  auto same = [](const LayerSpec& a, const LayerSpec& b) {
    return a.kind == b.kind && a.in_channels == b.in_channels && a.out_channels == b.out_channels &&
           a.mid_channels == b.mid_channels && a.kernel == b.kernel && a.stride == b.stride &&
           a.input_size == b.input_size && a.skip == b.skip;
  };
  for (size_t i = 0; i < layers.size(); ++i) {
    for (size_t j = i + 1; j < layers.size(); ++j) EXPECT_FALSE(same(layers[i], layers[j])) << i;
  }
  Rng rng(1);
  for (int n = 0; n < 20; ++n) {
    for (const LayerSpec& l : ToNetSpec(space, RandomArch(space, rng)).layers) {
      bool found = false;
      for (const LayerSpec& c : layers) found = found || same(l, c);
      EXPECT_TRUE(found) << l.name;
    }
  }
}

// ---- Width multiplier -------------------------------------------------------------------------

TEST(SearchSpaceTest, WidthMultiplierRoundsLikeMakeDivisible) {
  SearchSpace space = Shipped("proxyless-mobile");
  space.width_multiplier = 1.4;
  EXPECT_EQ(ScaledChannels(space, 32), 48);    // 44.8
  EXPECT_EQ(ScaledChannels(space, 16), 24);    // 22.4
  EXPECT_EQ(ScaledChannels(space, 24), 32);    // 33.6
  EXPECT_EQ(ScaledChannels(space, 96), 136);   // 134.4
  EXPECT_EQ(ScaledChannels(space, 192), 272);  // 268.8
  EXPECT_EQ(ScaledChannels(space, 1280), 1792);
  space.width_multiplier = 0.35;
  EXPECT_EQ(ScaledChannels(space, 32), 16);  // 11.2 -> 8 is < 90% of it -> 16
  EXPECT_EQ(ScaledChannels(space, 16), 8);   // 5.6 -> at least 8
  const NetSpec net = ToNetSpec(space, UniformArch(space, "k3e6"));
  EXPECT_EQ(ArchString(net).substr(0, 36), "conv3s2x16 k3e1x8 k3e6s2x8 k3e6x8 k3");
  EXPECT_EQ(net.layers[23].out_channels, 448);  // mix: 1280 x 0.35
}

TEST(SearchSpaceTest, WidthMultiplierFromYamlAndExactAtOne) {
  const std::string text = std::string(kTinySpace) + "head: {mix: 12}\n";
  const NetSpec exact = ToNetSpec(SearchSpaceFromYamlString(text, "s"), Arch{{"k3e3", "k3e3"}});
  EXPECT_EQ(ArchString(exact), "conv3x4 k3e1x4 k3e3s2x8 k3e3x8 conv1x12 logits2");
  const SearchSpace wide = SearchSpaceFromYamlString(text + "width_multiplier: 2\n", "s");
  EXPECT_EQ(wide.width_multiplier, 2.0);
  EXPECT_EQ(ArchString(ToNetSpec(wide, Arch{{"k3e3", "k3e3"}})),
            "conv3x8 k3e1x8 k3e3s2x16 k3e3x16 conv1x24 logits2");
}

// ---- YAML errors ------------------------------------------------------------------------------

TEST(SearchSpaceTest, UnknownKeyGetsSuggestion) {
  EXPECT_EQ(LoadError(std::string(kTinySpace) + "with_multiplier: 1.0\n"),
            "space.yaml:9:1: error: with_multiplier: unknown key; did you mean "
            "'width_multiplier'?");
  EXPECT_EQ(LoadError(std::string(kTinySpace) + "head: {mixx: 10}\n"),
            "space.yaml:9:8: error: head.mixx: unknown key; did you mean 'head.mix'?");
}

TEST(SearchSpaceTest, BadCandidateNames) {
  const std::string base = std::string(kTinySpace).substr(0, std::string(kTinySpace).find("cand"));
  EXPECT_EQ(LoadError(base + "candidates: [k3e3, k4e3]\n"),
            "space.yaml:8:13: error: candidates: bad op name (got \"k4e3\"; expected "
            "k<kernel>e<expansion ratio> with an odd kernel in [1, 15] and a ratio in [1, 16], "
            "e.g. k3e6, or conv<kernel> for a dense convolution, e.g. conv3)");
  EXPECT_EQ(LoadError(base + "candidates: [k3e3, k3e3, skip]\n"),
            "space.yaml:8:13: error: candidates: duplicate op name (got \"k3e3\" twice)\n"
            "space.yaml:8:13: error: candidates: 'skip' is not an op name here (set skip: true "
            "or false)");
  EXPECT_EQ(LoadError(base + "candidates: []\n"),
            "space.yaml:8:13: error: candidates: no candidate ops (expected at least one, e.g. "
            "[k3e3, k3e6])");
  for (const char* bad : {"k3", "k3e0", "k03e3", "K3e3", "k3e6x", "k17e3", "k3e17", "e3k3", "conv",
                          "conv4", "conv03", "conv17", "conv3x", "Conv3", "c3"}) {
    EXPECT_NE(LoadError(base + "candidates: [" + bad + "]\n").find("bad op name"),
              std::string::npos)
        << bad;
  }
}

TEST(SearchSpaceTest, StageErrors) {
  const std::string text(kTinySpace);
  const size_t stages = text.find("stages:");
  const size_t candidates = text.find("candidates:");
  const std::string before = text.substr(0, stages);
  const std::string after = text.substr(candidates);
  EXPECT_EQ(LoadError(before + "stages:\n  - {width: 8, depth: 0}\n" + after),
            "space.yaml:7:23: error: stages[0].depth: out of range (got 0; expected an integer in "
            "[1, 64])");
  EXPECT_EQ(LoadError(before + "stages: []\n" + after),
            "space.yaml:6:9: error: stages: no stages (expected a list of at least one {width, "
            "depth, stride})");
  EXPECT_EQ(LoadError(before + after),
            "space.yaml:1:1: error: stages: missing required key (expected a list of {width, "
            "depth, stride})");
}

TEST(SearchSpaceTest, AllErrorsAtOnce) {
  EXPECT_EQ(LoadError("input: {channels: 1, size: 8}\nclasses: 2\nstem: {out: 4, kernel: 4}\n"
                      "first_block: {expand: 1}\nstages:\n  - {width: 8, depth: 1}\n"
                      "candidates: [k3e3]\n"),
            "space.yaml:3:24: error: stem.kernel: must be odd (got 4)\n"
            "space.yaml:4:1: error: first_block.out: missing required key (expected an integer "
            "in [1, 65536])");
}

// ---- Resolving names ----------------------------------------------------------------------------

TEST(SearchSpaceTest, ResolveSpacePath) {
  const std::string path = kConfigs + "/spaces/fmnist-mbconv.yaml";
  EXPECT_EQ(ResolveSpacePath(path, "/nonexistent"), path);
  EXPECT_EQ(ResolveSpacePath("fmnist-mbconv", kConfigs), path);
  try {
    ResolveSpacePath("mobile", kConfigs);
    FAIL() << "no error";
  } catch (const UsageError& e) {
    EXPECT_EQ(e.code(), ExitCode::kUsage);
    const std::string message = e.what();
    EXPECT_EQ(message.rfind("unknown search space 'mobile' (known: ", 0), 0u) << message;
    EXPECT_NE(message.find("fmnist-mbconv"), std::string::npos);
    EXPECT_NE(message.find("proxyless-mobile"), std::string::npos);
  }
}

TEST(SearchSpaceTest, ResolveSpacePathListsKnownNames) {
  const std::string dir = testing::MakeTempDir("spaces");
  std::filesystem::create_directories(dir + "/spaces");
  testing::WriteFile(dir + "/spaces/b.yaml", "");
  testing::WriteFile(dir + "/spaces/a.yaml", "");
  testing::WriteFile(dir + "/spaces/notes.txt", "");
  try {
    ResolveSpacePath("x", dir);
    FAIL() << "no error";
  } catch (const UsageError& e) {
    EXPECT_STREQ(e.what(), "unknown search space 'x' (known: a, b)");
  }
  try {
    ResolveSpacePath("x", dir + "/missing");
    FAIL() << "no error";
  } catch (const UsageError& e) {
    EXPECT_STREQ(e.what(),
                 ("unknown search space 'x' (no spaces in " + dir + "/missing/spaces)").c_str());
  }
}

}  // namespace
}  // namespace hwnas
