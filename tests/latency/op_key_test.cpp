#include "latency/op_key.h"

#include <gtest/gtest.h>

#include <fstream>

#include "core/errors.h"
#include "core/netspec_yaml.h"
#include "tests/latency/shared_data.h"

namespace hwnas::latency {
namespace {

LayerSpec Conv(int64_t in, int64_t out, int64_t kernel, int64_t stride, int64_t size) {
  LayerSpec l;
  l.kind = LayerKind::kConv;
  l.in_channels = in;
  l.out_channels = out;
  l.kernel = kernel;
  l.stride = stride;
  l.input_size = size;
  return l;
}

LayerSpec MBConv(int64_t in, int64_t mid, int64_t out, int64_t kernel, int64_t stride, int64_t size,
                 bool skip = false) {
  LayerSpec l = Conv(in, out, kernel, stride, size);
  l.kind = LayerKind::kMBConv;
  l.mid_channels = mid;
  l.skip = skip;
  return l;
}

LayerSpec Logits(int64_t in, int64_t classes, int64_t size) {
  LayerSpec l = Conv(in, classes, 1, 1, size);
  l.kind = LayerKind::kLogits;
  return l;
}

std::string ParseError(const std::string& key) {
  ParsedKey parsed;
  std::string error;
  if (TryParseOpKey(key, &parsed, &error)) return "parsed";
  return error;
}

// Keys of a table file in the shipped layout: every line that does not start with a space.
std::vector<std::string> KeysOfFile(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::string> keys;
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line[0] != ' ') keys.push_back(line.substr(0, line.size() - 1));
  }
  return keys;
}

TEST(OpKeyTest, ConvKeysFollowProxylessNas) {
  EXPECT_EQ(OpKey(Conv(3, 32, 3, 2, 224)), "Conv-input:224x224x3-output:112x112x32");
  EXPECT_EQ(OpKey(Conv(320, 1280, 1, 1, 7)), "Conv_1-input:7x7x320-output:7x7x1280");
  EXPECT_EQ(OpKey(Conv(3, 16, 5, 2, 28)), "Conv-input:28x28x3-output:14x14x16-kernel:5");
}

// A conv layer with an identity shortcut (the ResNet-style NetSpec) is timed apart from one
// without: its key carries idskip:1, and only that spelling parses.
TEST(OpKeyTest, ResidualConvKeysCarryIdskip) {
  LayerSpec residual = Conv(32, 32, 3, 1, 28);
  residual.skip = true;
  EXPECT_EQ(OpKey(residual), "Conv-input:28x28x32-output:28x28x32-idskip:1");
  residual.kernel = 5;
  EXPECT_EQ(OpKey(residual), "Conv-input:28x28x32-output:28x28x32-kernel:5-idskip:1");
  residual.kernel = 1;
  EXPECT_EQ(OpKey(residual), "Conv_1-input:28x28x32-output:28x28x32-idskip:1");
  EXPECT_EQ(FormatOpKey(ParseOpKey(OpKey(residual))), OpKey(residual));
  EXPECT_EQ(ParseOpKey("Conv-input:28x28x32-output:28x28x32-idskip:1").idskip, true);
  ParsedKey parsed;
  std::string error;
  EXPECT_FALSE(TryParseOpKey("Conv-input:28x28x32-output:28x28x32-idskip:0", &parsed, &error));
  EXPECT_EQ(error, "a conv without shortcut leaves idskip out");
  EXPECT_FALSE(TryParseOpKey("Conv-input:28x28x16-output:14x14x32-idskip:1", &parsed, &error));
  EXPECT_EQ(error, "idskip:1 needs equal input and output shapes");
}

TEST(OpKeyTest, MBConvKeysUseTheExpandRatio) {
  EXPECT_EQ(OpKey(MBConv(16, 48, 24, 3, 2, 112)),
            "expanded_conv-input:112x112x16-output:56x56x24-expand:3-kernel:3-stride:2-idskip:0");
  // mid == in: no expand convolution, written expand:1 as in the ProxylessNAS table.
  EXPECT_EQ(OpKey(MBConv(32, 32, 16, 7, 1, 112)),
            "expanded_conv-input:112x112x32-output:112x112x16-expand:1-kernel:7-stride:1-idskip:0");
  EXPECT_EQ(OpKey(MBConv(24, 144, 24, 5, 1, 56, true)),
            "expanded_conv-input:56x56x24-output:56x56x24-expand:6-kernel:5-stride:1-idskip:1");
}

TEST(OpKeyTest, PrunedMidChannelsAreWrittenAsMid) {
  EXPECT_EQ(OpKey(MBConv(16, 40, 24, 3, 2, 28)),
            "expanded_conv-input:28x28x16-output:14x14x24-mid:40-kernel:3-stride:2-idskip:0");
  // Odd spatial sizes round up at stride 2 ("same" padding).
  EXPECT_EQ(OpKey(MBConv(16, 20, 16, 3, 2, 7)),
            "expanded_conv-input:7x7x16-output:4x4x16-mid:20-kernel:3-stride:2-idskip:0");
}

TEST(OpKeyTest, LogitsKeyHasTheFeatureMapAndTheClassCount) {
  EXPECT_EQ(OpKey(Logits(1280, 1000, 7)), "Logits-input:7x7x1280-output:1000");
}

TEST(OpKeyTest, QuantizedLayersCarryBothBitWidths) {
  LayerSpec conv = Conv(3, 32, 3, 2, 224);
  conv.weight_bits = 4;
  EXPECT_EQ(OpKey(conv), "Conv-input:224x224x3-output:112x112x32-wbits:4-abits:32");
  LayerSpec block = MBConv(16, 40, 24, 3, 2, 28);
  block.weight_bits = 2;
  block.activation_bits = 6;
  EXPECT_EQ(OpKey(block),
            "expanded_conv-input:28x28x16-output:14x14x24-mid:40-kernel:3-stride:2-idskip:0"
            "-wbits:2-abits:6");
  LayerSpec logits = Logits(160, 10, 7);
  logits.weight_bits = logits.activation_bits = 8;
  EXPECT_EQ(OpKey(logits), "Logits-input:7x7x160-output:10-wbits:8-abits:8");
}

// HAQ: bits per operator inside a block get their own key, equal bits the ordinary wbits/abits.
TEST(OpKeyTest, PerOperatorBitsAreWrittenOnePairPerOperator) {
  LayerSpec block = MBConv(16, 40, 24, 3, 2, 28);
  block.op_bits = {{8, 8}, {4, 6}, {2, 4}};
  const std::string key = OpKey(block);
  EXPECT_EQ(key,
            "expanded_conv-input:28x28x16-output:14x14x24-mid:40-kernel:3-stride:2-idskip:0"
            "-bits:w8a8.w4a6.w2a4");
  EXPECT_EQ(FormatOpKey(ParseOpKey(key)), key);
  EXPECT_EQ(ParseOpKey(key).op_bits, block.op_bits);
  block.op_bits = {{4, 4}, {4, 4}, {4, 4}};
  EXPECT_EQ(OpKey(block),
            "expanded_conv-input:28x28x16-output:14x14x24-mid:40-kernel:3-stride:2-idskip:0"
            "-wbits:4-abits:4");
  EXPECT_EQ(ParseError("Conv_1-input:7x7x8-output:7x7x8-bits:w8a8"),
            "equal bits for every operator are written as wbits/abits");
  EXPECT_EQ(ParseError("Conv_1-input:7x7x8-output:7x7x8-bits:w8a8.w40a8"),
            "field 'bits' has value 'w8a8.w40a8' (expected wWaA per operator, joined by '.')");
}

TEST(OpKeyTest, NetOpKeysGivesOneKeyPerLayerInOrder) {
  NetSpec net = NetSpecFromYamlString(
      "name: n\ninput: {channels: 1, size: 28}\nclasses: 10\nlayers:\n"
      "  - {kind: conv, out: 16, stride: 2}\n"
      "  - {kind: mbconv, out: 16, expand: 3, kernel: 5, skip: true}\n"
      "  - {kind: mbconv, out: 16, expand: 3, kernel: 5, skip: true}\n"
      "  - {kind: mbconv, out: 24, mid: 40, stride: 2}\n"
      "  - {kind: conv, out: 64, kernel: 1}\n"
      "  - {kind: logits}\n",
      "net.yaml");
  EXPECT_EQ(NetOpKeys(net),
            (std::vector<std::string>{
                "Conv-input:28x28x1-output:14x14x16",
                "expanded_conv-input:14x14x16-output:14x14x16-expand:3-kernel:5-stride:1-idskip:1",
                "expanded_conv-input:14x14x16-output:14x14x16-expand:3-kernel:5-stride:1-idskip:1",
                "expanded_conv-input:14x14x16-output:7x7x24-mid:40-kernel:3-stride:2-idskip:0",
                "Conv_1-input:7x7x24-output:7x7x64",
                "Logits-input:7x7x64-output:10",
            }));
}

TEST(OpKeyTest, GeneratedKeysParseBackToTheLayer) {
  LayerSpec block = MBConv(16, 40, 24, 5, 2, 28);
  block.weight_bits = 3;
  block.activation_bits = 5;
  const ParsedKey k = ParseOpKey(OpKey(block));
  EXPECT_EQ(k.op, "expanded_conv");
  EXPECT_EQ(k.input, (KeyShape{28, 28, 16}));
  EXPECT_EQ(k.output, (KeyShape{14, 14, 24}));
  EXPECT_EQ(k.mid, 40);
  EXPECT_FALSE(k.expand.has_value());
  EXPECT_EQ(k.MidChannels(), 40);
  EXPECT_EQ(k.kernel, 5);
  EXPECT_EQ(k.stride, 2);
  EXPECT_EQ(k.idskip, false);
  EXPECT_EQ(k.weight_bits, 3);
  EXPECT_EQ(k.activation_bits, 5);
  EXPECT_FALSE(k.ofa_dialect());
}

TEST(OpKeyTest, ExpandMeansRatioInProxylessNasAndMidChannelsInOfa) {
  const ParsedKey proxyless = ParseOpKey(
      "expanded_conv-input:112x112x16-output:56x56x24-expand:3-kernel:3-stride:2-idskip:0");
  EXPECT_EQ(proxyless.expand, 3);
  EXPECT_EQ(proxyless.MidChannels(), 48);
  const ParsedKey ofa = ParseOpKey(
      "expanded_conv-input:112x112x24-output:56x56x32-expand:144-kernel:3-stride:2-idskip:0-se:0-"
      "hs:1");
  EXPECT_TRUE(ofa.ofa_dialect());
  EXPECT_EQ(ofa.MidChannels(), 144);
  EXPECT_EQ(ofa.se, false);
  EXPECT_EQ(ofa.hs, true);
  const ParsedKey logits = ParseOpKey("Logits-input:1x1x1536-output:1000");
  EXPECT_EQ(logits.classes, 1000);
  EXPECT_EQ(logits.input, (KeyShape{1, 1, 1536}));
  EXPECT_EQ(ParseOpKey("AvgPool2D-input:7x7x1152-output:1x1x1152").output, (KeyShape{1, 1, 1152}));
}

TEST(OpKeyTest, EveryShippedKeyParsesAndFormatsBackUnchanged) {
  HWNAS_REQUIRE_SHARED_DATA();
  const char* files[] = {"proxylessnas-mobile-pixel1.yaml",
                         "ofa-note10-160.yaml",
                         "ofa-note10-176.yaml",
                         "ofa-note10-192.yaml",
                         "ofa-note10-208.yaml",
                         "ofa-note10-224.yaml"};
  size_t total = 0;
  for (const char* file : files) {
    for (const std::string& key : KeysOfFile(testing::SharedData(std::string("luts/") + file))) {
      std::string error;
      ParsedKey parsed;
      ASSERT_TRUE(TryParseOpKey(key, &parsed, &error)) << file << ": " << key << ": " << error;
      EXPECT_EQ(FormatOpKey(parsed), key);
      ++total;
    }
  }
  EXPECT_EQ(total, 72u + 5 * 96u);
}

TEST(OpKeyTest, MalformedKeysSayWhatIsWrong) {
  const std::string conv = "Conv-input:224x224x3-output:112x112x32";
  const std::string block = "expanded_conv-input:56x56x24-output:28x28x40";
  const std::pair<std::string, std::string> cases[] = {
      {"",
       "unknown op '' (expected one of Conv, Conv_1, Conv_2, AvgPool2D, Logits, "
       "expanded_conv)"},
      {"conv-input:1x1x1-output:1x1x1",
       "unknown op 'conv' (expected one of Conv, Conv_1, Conv_2, AvgPool2D, Logits, "
       "expanded_conv)"},
      {"Conv-input:224x224x3", "missing field 'output'"},
      {"Conv-output:1x1x1-input:1x1x1",
       "missing field 'input' before 'output' (expected input, output, [kernel], [idskip], "
       "[wbits], [abits], [bits])"},
      {"Conv-input:224x224-output:112x112x32",
       "field 'input' has value '224x224' (expected a shape HxWxC of integers >= 1)"},
      {"Conv-input:224x224x03-output:112x112x32",
       "field 'input' has value '224x224x03' (expected a shape HxWxC of integers >= 1)"},
      {"Conv-input:0x224x3-output:112x112x32",
       "field 'input' has value '0x224x3' (expected a shape HxWxC of integers >= 1)"},
      {conv + "-stride:2",
       "unknown field 'stride' for Conv (expected input, output, [kernel], [idskip], [wbits], "
       "[abits], [bits])"},
      {conv + "-kernel:3", "kernel 3 is written as plain 'Conv' without a kernel field"},
      {conv + "-kernel:1", "kernel 1 is written as 'Conv_1' without a kernel field"},
      {conv + "-wbits:4", "wbits and abits are written together"},
      {conv + "-wbits:32-abits:32", "32-bit layers carry no wbits/abits"},
      {conv + "-wbits:33-abits:8", "field 'wbits' has value '33' (expected an integer in [1, 32])"},
      {conv + "-abits:8-wbits:4",
       "field 'wbits' is repeated or out of order (expected input, output, [kernel], [idskip], "
       "[wbits], [abits], [bits])"},
      {"Conv--input:1x1x1-output:1x1x1", "empty field (two '-' in a row, or a '-' at the end)"},
      {conv + "-", "empty field (two '-' in a row, or a '-' at the end)"},
      {"Conv-input", "field 'input' is not NAME:VALUE"},
      {"Logits-input:7x7x1280-output:1x1x1000",
       "field 'output' has value '1x1x1000' (expected a class count >= 1)"},
      {block + "-kernel:3-expand:6-stride:2-idskip:0",
       "missing field 'expand' before 'kernel' (expected input, output, expand|mid, kernel, "
       "stride, idskip, [se], [hs], [wbits], [abits], [bits])"},
      {block + "-expand:6-kernel:3-stride:2-idskip:0-hs:0-se:0",
       "field 'se' is repeated or out of order (expected input, output, expand|mid, kernel, "
       "stride, idskip, [se], [hs], [wbits], [abits], [bits])"},
      {block + "-expand:6-kernel:3-stride:2-idskip:0-idskip:0",
       "field 'idskip' is repeated or out of order (expected input, output, expand|mid, kernel, "
       "stride, idskip, [se], [hs], [wbits], [abits], [bits])"},
      {block + "-expand:6-kernel:3-stride:2", "missing field 'idskip'"},
      {block + "-expand:6-kernel:3-stride:2-idskip:2",
       "field 'idskip' has value '2' (expected 0 or 1)"},
      {block + "-expand:6-kernel:3-stride:1-idskip:0",
       "output 28x28x40 does not follow from input 56x56x24 at stride 1"},
      {"expanded_conv-input:28x28x40-output:28x28x48-expand:6-kernel:3-stride:1-idskip:1",
       "idskip:1 needs equal input and output shapes"},
      {block + "-mid:48-kernel:3-stride:2-idskip:0",
       "mid:48 is a multiple of the input channels; write expand:2"},
      {block + "-expand:-kernel:3-stride:2-idskip:0",
       "field 'expand' has value '' (expected an integer >= 1)"},
  };
  for (const auto& [key, error] : cases) EXPECT_EQ(ParseError(key), error) << key;
}

TEST(OpKeyTest, ParseOpKeyThrowsADataErrorNamingTheKey) {
  try {
    ParseOpKey("Conv-input:224x224x3");
    FAIL() << "no error";
  } catch (const DataError& e) {
    EXPECT_EQ(std::string(e.what()),
              "malformed op key 'Conv-input:224x224x3': missing field 'output'");
    EXPECT_EQ(e.code(), ExitCode::kDataError);
  }
}

}  // namespace
}  // namespace hwnas::latency
