#include "latency/model_device.h"

#include <gtest/gtest.h>

#include "core/errors.h"
#include "core/netspec_yaml.h"

namespace hwnas::latency {
namespace {

// 3x3 convolution, 8x8x16 -> 8x8x32: 294,912 MACs, 4,608 weights, 1,024 inputs, 2,048 outputs.
LayerSpec SmallConv() {
  LayerSpec l;
  l.kind = LayerKind::kConv;
  l.name = "conv";
  l.in_channels = 16;
  l.out_channels = 32;
  l.kernel = 3;
  l.input_size = 8;
  return l;
}

LayerSpec Block(int64_t in, int64_t mid, int64_t out, int64_t stride, bool skip) {
  LayerSpec l;
  l.kind = LayerKind::kMBConv;
  l.name = "block";
  l.in_channels = in;
  l.mid_channels = mid;
  l.out_channels = out;
  l.kernel = 3;
  l.stride = stride;
  l.input_size = 8;
  l.skip = skip;
  return l;
}

RooflineParams Roofline(double bandwidth) {
  RooflineParams p;
  p.peak_gflops = 100;
  p.memory_bandwidth_gbs = bandwidth;
  p.per_op_overhead_ms = 0.001;
  return p;
}

BitSerialParams BitSerial() {
  BitSerialParams p;
  p.pe_rows = 4;
  p.pe_cols = 4;
  p.dot_product_bits = 64;
  p.clock_mhz = 100;
  p.memory_bandwidth_gbs = 1;
  p.per_op_overhead_ms = 0.01;
  p.batch = 2;
  return p;
}

std::string DeviceError(const std::string& text) {
  try {
    ModelDeviceFromYamlString(text, "d.yaml");
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "no error";
}

TEST(LayerWorkTest, MBConvSplitsIntoExpandDepthwiseAndProject) {
  const std::vector<OpWork> ops = LayerWork(Block(16, 48, 16, 1, true));
  ASSERT_EQ(ops.size(), 3u);
  EXPECT_EQ(ops[0].name, "expand");
  EXPECT_EQ(ops[0].macs, 64 * 16 * 48);
  EXPECT_EQ(ops[0].weights, 16 * 48);
  EXPECT_EQ(ops[0].inputs, 64 * 16);
  EXPECT_EQ(ops[0].outputs, 64 * 48);
  EXPECT_EQ(ops[1].name, "depthwise");
  EXPECT_EQ(ops[1].macs, 64 * 9 * 48);
  EXPECT_EQ(ops[1].weights, 9 * 48);
  EXPECT_EQ(ops[2].name, "project");
  EXPECT_EQ(ops[2].inputs, 64 * 48 + 64 * 16);  // the shortcut reads the block input again
  EXPECT_EQ(ops[2].outputs, 64 * 16);
  EXPECT_EQ(LayerWork(Block(16, 16, 24, 2, false)).size(), 2u);  // mid == in: no expand
}

TEST(LayerWorkTest, MacsAddUpToLayerFlops) {
  LayerSpec logits = SmallConv();
  logits.kind = LayerKind::kLogits;
  logits.out_channels = 10;
  for (const LayerSpec& layer : {SmallConv(), Block(16, 48, 24, 2, false),
                                 Block(16, 40, 16, 1, true), Block(16, 16, 8, 1, false), logits}) {
    double macs = 0;
    for (const OpWork& op : LayerWork(layer)) macs += op.macs;
    EXPECT_DOUBLE_EQ(macs, LayerFlops(layer)) << LayerKindName(layer.kind);
  }
}

TEST(RooflineDeviceTest, HandComputedLayerCosts) {
  // Compute: 2 * 294,912 FLOPs at 100 GFLOP/s = 0.00589824 ms.
  // Memory at 4 bytes: (4,608 + 1,024 + 2,048) * 4 = 30,720 B; 10 GB/s: 0.003072 ms, 1 GB/s:
  // 0.03072 ms. Plus 0.001 ms per operator.
  RooflineDevice compute_bound("fast-memory", Roofline(10));
  EXPECT_NEAR(compute_bound.LayerCostMs(SmallConv()), 0.00689824, 1e-15);
  RooflineDevice memory_bound("slow-memory", Roofline(1));
  EXPECT_NEAR(memory_bound.LayerCostMs(SmallConv()), 0.03172, 1e-15);
  // w8a8: 4,608 + 3,072 bytes = 0.00768 ms at 1 GB/s, still above compute.
  LayerSpec int8 = SmallConv();
  int8.weight_bits = int8.activation_bits = 8;
  EXPECT_NEAR(memory_bound.LayerCostMs(int8), 0.00868, 1e-15);
  // w4a8: 2,304 + 3,072 bytes = 0.005376 ms, now below compute.
  int8.weight_bits = 4;
  EXPECT_NEAR(memory_bound.LayerCostMs(int8), 0.00689824, 1e-15);
}

TEST(RooflineDeviceTest, MeasureReportsTheCostAsExactStatistics) {
  RooflineParams params = Roofline(10);
  params.per_network_overhead_ms = 0.5;
  RooflineDevice device("r", params);
  EXPECT_EQ(device.kind(), DeviceKind::kModel);
  EXPECT_EQ(device.name(), "r");
  const LatencyStats stats = device.Measure(SmallConv());
  EXPECT_DOUBLE_EQ(stats.mean, device.LayerCostMs(SmallConv()));
  EXPECT_DOUBLE_EQ(stats.median, stats.mean);
  EXPECT_DOUBLE_EQ(stats.p10, stats.mean);
  EXPECT_DOUBLE_EQ(stats.p90, stats.mean);
  EXPECT_EQ(stats.stddev, 0);
  EXPECT_EQ(stats.count, 1);
  const NetSpec net = NetSpecFromYamlString(
      "input: {channels: 3, size: 16}\nclasses: 10\nlayers:\n"
      "  - {kind: conv, out: 16, stride: 2}\n"
      "  - {kind: mbconv, out: 16, expand: 3, skip: true}\n"
      "  - {kind: logits}\n",
      "net.yaml");
  double sum = 0.5;
  for (const LayerSpec& layer : net.layers) sum += device.LayerCostMs(layer);
  EXPECT_DOUBLE_EQ(device.MeasureNetwork(net).mean, sum);
  EXPECT_EQ(device.MeasureNetwork(net).count, 1);
}

TEST(RooflineDeviceTest, FingerprintAndPropertiesHoldEveryParameter) {
  RooflineDevice device("r", Roofline(10));
  EXPECT_EQ(device.fingerprint(),
            "r|roofline|peak_gflops=100|memory_bandwidth_gbs=10|per_op_overhead_ms=0.001|"
            "bytes_per_element=4|per_network_overhead_ms=0");
  EXPECT_EQ(device.properties_json(),
            R"({"kind":"roofline","peak_gflops":100,"memory_bandwidth_gbs":10,)"
            R"("per_op_overhead_ms":0.001,"bytes_per_element":4,"per_network_overhead_ms":0})");
}

TEST(BitSerialDeviceTest, HandComputedLayerCost) {
  // Binary ops: 294,912 MACs * batch 2 * w4 * a2 = 4,718,592; / (4 * 4 * 64) = 4,608 cycles at
  // 100 MHz = 0.04608 ms. Memory: 4,608 * 4 + (1,024 + 2,048) * 2 * 2 = 30,720 bits = 3,840 B
  // at 1 GB/s = 0.00384 ms. Plus 0.01 ms overhead.
  BitSerialDevice device("b", BitSerial());
  LayerSpec layer = SmallConv();
  layer.weight_bits = 4;
  layer.activation_bits = 2;
  EXPECT_NEAR(device.LayerCostMs(layer), 0.05992, 1e-15);
  EXPECT_EQ(device.fingerprint(),
            "b|bitserial|pe_rows=4|pe_cols=4|dot_product_bits=64|clock_mhz=100|"
            "memory_bandwidth_gbs=1|per_op_overhead_ms=0.01|batch=2|per_network_overhead_ms=0");
  EXPECT_EQ(device.properties_json(),
            R"({"kind":"bitserial","pe_rows":4,"pe_cols":4,"dot_product_bits":64,"clock_mhz":100,)"
            R"("memory_bandwidth_gbs":1,"per_op_overhead_ms":0.01,"batch":2,)"
            R"("per_network_overhead_ms":0})");
}

TEST(BitSerialDeviceTest, CostGrowsWithWeightAndActivationBits) {
  BitSerialDevice device("b", BitSerial());
  LayerSpec layer = Block(16, 48, 24, 2, false);
  for (int w = 1; w <= 8; ++w) {
    for (int a = 1; a <= 8; ++a) {
      layer.weight_bits = w;
      layer.activation_bits = a;
      const double cost = device.LayerCostMs(layer);
      LayerSpec more_w = layer;
      more_w.weight_bits = w + 1;
      LayerSpec more_a = layer;
      more_a.activation_bits = a + 1;
      EXPECT_LT(cost, device.LayerCostMs(more_w)) << "w" << w << "a" << a;
      EXPECT_LT(cost, device.LayerCostMs(more_a)) << "w" << w << "a" << a;
    }
  }
  // When compute dominates, w4a4 costs about a quarter of w8a8 (as in HAQ's table).
  BitSerialParams fast_memory = BitSerial();
  fast_memory.memory_bandwidth_gbs = 1000;
  fast_memory.per_op_overhead_ms = 0;
  BitSerialDevice compute_bound("c", fast_memory);
  layer.weight_bits = layer.activation_bits = 8;
  const double w8a8 = compute_bound.LayerCostMs(layer);
  layer.weight_bits = layer.activation_bits = 4;
  EXPECT_NEAR(compute_bound.LayerCostMs(layer) / w8a8, 0.25, 0.01);
}

TEST(ModelDeviceFileTest, ShippedDeviceFilesLoad) {
  const std::string dir = std::string(HWNAS_SOURCE_DIR) + "/configs/devices/";
  auto roofline = LoadModelDevice(dir + "roofline-example.yaml");
  EXPECT_EQ(roofline->name(), "roofline-example");
  EXPECT_EQ(roofline->kind_name(), "roofline");
  ASSERT_NE(dynamic_cast<RooflineDevice*>(roofline.get()), nullptr);
  EXPECT_EQ(dynamic_cast<RooflineDevice*>(roofline.get())->params().peak_gflops, 20);
  auto bismo = LoadModelDevice(dir + "bitserial-bismo.yaml");
  EXPECT_EQ(bismo->name(), "bitserial-bismo");
  ASSERT_NE(dynamic_cast<BitSerialDevice*>(bismo.get()), nullptr);
  EXPECT_EQ(dynamic_cast<BitSerialDevice*>(bismo.get())->params().batch, 16);
  EXPECT_GT(bismo->Measure(SmallConv()).mean, 0);
}

TEST(ModelDeviceFileTest, DefaultsApplyToOptionalParameters) {
  auto device = ModelDeviceFromYamlString(
      "name: r\nkind: roofline\npeak_gflops: 1.5\nmemory_bandwidth_gbs: 2\n", "d.yaml");
  const RooflineParams& p = dynamic_cast<RooflineDevice&>(*device).params();
  EXPECT_EQ(p.peak_gflops, 1.5);
  EXPECT_EQ(p.bytes_per_element, 4);
  EXPECT_EQ(p.per_op_overhead_ms, 0);
}

TEST(ModelDeviceFileTest, BadDeviceFilesAreLocatedConfigErrors) {
  const std::string roofline = "name: r\nkind: roofline\npeak_gflops: 10\n";
  EXPECT_EQ(DeviceError("name: r\nkind: rooflin\npeak_gflops: 1\n"),
            "d.yaml:2:7: error: kind: unknown value (got \"rooflin\"; expected one of roofline, "
            "bitserial); did you mean 'roofline'?");
  EXPECT_EQ(DeviceError(roofline),
            "d.yaml:1:1: error: memory_bandwidth_gbs: missing required key (expected a number > "
            "0)");
  EXPECT_EQ(DeviceError(roofline + "memory_bandwidth_gbs: -2\n"),
            "d.yaml:4:23: error: memory_bandwidth_gbs: out of range (got -2; expected a number > "
            "0)");
  EXPECT_EQ(DeviceError(roofline + "memory_bandwidth_gbs: 0\n"),
            "d.yaml:4:23: error: memory_bandwidth_gbs: out of range (got 0; expected a number > "
            "0)");
  EXPECT_EQ(DeviceError(roofline + "memory_bandwidth_gbs: 2\npe_rows: 4\n"),
            "d.yaml:5:1: error: pe_rows: unknown key (expected one of name, description, kind, "
            "peak_gflops, memory_bandwidth_gbs, per_op_overhead_ms, bytes_per_element, "
            "per_network_overhead_ms)");
  EXPECT_EQ(DeviceError("kind: bitserial\npe_rows: 0\npe_cols: 4\ndot_product_bits: 8\n"
                        "clock_mhz: 100\nmemory_bandwidth_gbs: 1\nbatch: x\n"),
            "d.yaml:1:1: error: name: missing required key (expected a non-empty string)\n"
            "d.yaml:2:10: error: pe_rows: out of range (got 0; expected an integer in [1, "
            "1048576])\n"
            "d.yaml:7:8: error: batch: wrong type (got \"x\"; expected an integer in [1, "
            "1048576])");
}

TEST(ModelDeviceFileTest, ConstructorsRejectOutOfRangeParameters) {
  RooflineParams params = Roofline(10);
  params.peak_gflops = 0;
  try {
    RooflineDevice device("r", params);
    FAIL() << "no error";
  } catch (const ConfigError& e) {
    EXPECT_EQ(std::string(e.what()),
              "r: error: peak_gflops: out of range (got 0; expected a number > 0)");
  }
  BitSerialParams bits = BitSerial();
  bits.batch = 0;
  EXPECT_THROW(BitSerialDevice("b", bits), ConfigError);
}

TEST(ModelDeviceFileTest, UnreadableDeviceFileIsAConfigError) {
  try {
    LoadModelDevice("/nonexistent/device.yaml");
    FAIL() << "no error";
  } catch (const ConfigError& e) {
    EXPECT_EQ(e.code(), ExitCode::kConfigError);
    EXPECT_EQ(std::string(e.what()),
              "/nonexistent/device.yaml: error: cannot read file (No such file or directory)");
  }
}

}  // namespace
}  // namespace hwnas::latency
