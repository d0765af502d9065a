#include "measure/torch_device.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "core/errors.h"
#include "measure/devices.h"

namespace hwnas::latency {
namespace {

using ::testing::HasSubstr;

LayerSpec SmallBlock() { return {LayerKind::kMBConv, "block", 8, 8, 24, 3, 1, 8}; }

NetSpec SmallNet() {
  NetSpec net;
  net.name = "small";
  net.input_channels = 1;
  net.input_size = 8;
  net.num_classes = 2;
  net.layers = {{LayerKind::kConv, "stem", 1, 8, 0, 3, 1, 8},
                SmallBlock(),
                {LayerKind::kLogits, "classifier", 8, 2, 0, 1, 1, 8}};
  return net;
}

MeasureOptions Quick() {
  MeasureOptions options;
  options.repeats = 5;
  options.min_sample_ms = 0.5;
  options.warmup_ms = 2;
  return options;
}

TEST(TorchDeviceTest, CpuMeasuresLayersAndNetworks) {
  auto cpu = MakeTorchDevice(TorchBackend::kCpu, Quick());
  EXPECT_EQ(cpu->name(), "cpu");
  EXPECT_EQ(cpu->kind(), DeviceKind::kMeasurable);
  const LatencyStats layer = cpu->Measure(SmallBlock());
  EXPECT_EQ(layer.count, 5);
  EXPECT_GT(layer.median, 0);
  EXPECT_LE(layer.p10, layer.median);
  EXPECT_LE(layer.median, layer.p90);
  EXPECT_GT(cpu->MeasureNetwork(SmallNet()).median, 0);
}

TEST(TorchDeviceTest, PairedMeasurementsCarryTheProbeTakenWithThem) {
  auto cpu = MakeTorchDevice(TorchBackend::kCpu, Quick());
  EXPECT_EQ(cpu->Measure(SmallBlock()).probe_ms, 0);  // unpaired
  const LatencyStats layer = cpu->MeasurePaired(SmallBlock());
  EXPECT_EQ(layer.count, 5);
  EXPECT_GT(layer.probe_ms, 0);
  EXPECT_GT(layer.probe_ratio, 0);
  // The probe network is larger than this block, and the ratio is of the same samples.
  EXPECT_LT(layer.probe_ratio, 1);
  EXPECT_NEAR(layer.probe_ratio, layer.median / layer.probe_ms, 0.5 * layer.probe_ratio);
  const LatencyStats net = cpu->MeasureNetworkPaired(SmallNet());
  EXPECT_GT(net.probe_ms, 0);
  const std::optional<double> probe = cpu->TimeProbe();
  ASSERT_TRUE(probe);
  EXPECT_GT(*probe, 0);
}

TEST(TorchDeviceTest, FingerprintNamesTheMeasurementConditions) {
  MeasureOptions options = Quick();
  options.threads = 2;
  options.batch = 4;
  const std::string fingerprint = MakeTorchDevice(TorchBackend::kCpu, options)->fingerprint();
  EXPECT_THAT(fingerprint, HasSubstr("cpu|"));
  EXPECT_THAT(fingerprint, HasSubstr("|threads=2|batch=4|torch="));
  EXPECT_THAT(fingerprint, HasSubstr("|format=channels_last|bn=folded"));
  options.channels_last = false;
  EXPECT_NE(MakeTorchDevice(TorchBackend::kCpu, options)->fingerprint(), fingerprint);
}

TEST(TorchDeviceTest, FactoryKnowsCpuCudaAndModelDevices) {
  const std::string configs = std::string(HWNAS_SOURCE_DIR) + "/configs";
  EXPECT_EQ(MakeDevice({"cpu", Quick(), configs})->name(), "cpu");
  EXPECT_EQ(MakeDevice({"roofline-example", Quick(), configs})->kind(), DeviceKind::kModel);
  EXPECT_EQ(MakeDevice({"pixel1", Quick(), configs}), nullptr);
  const auto names = KnownDeviceNames(configs);
  EXPECT_THAT(names, ::testing::IsSupersetOf({"cpu", "cuda", "bitserial-bismo"}));
}

TEST(TorchDeviceTest, CudaIsRefusedClearlyWithoutAGpu) {
  if (CudaAvailable()) GTEST_SKIP() << "a GPU is visible; see the _CUDA test";
  try {
    MakeTorchDevice(TorchBackend::kCuda, Quick());
    FAIL() << "expected UsageError";
  } catch (const UsageError& e) {
    EXPECT_THAT(e.what(), HasSubstr("device 'cuda' is not available here"));
  }
}

// Runs where LibTorch has CUDA and sees a GPU; skipped everywhere else.
TEST(TorchDeviceTest, MeasuresOnTheGpu_CUDA) {
  if (!CudaAvailable()) GTEST_SKIP() << "no CUDA device visible to LibTorch";
  auto cuda = MakeTorchDevice(TorchBackend::kCuda, Quick());
  EXPECT_EQ(cuda->name(), "cuda");
  EXPECT_GT(cuda->Measure(SmallBlock()).median, 0);
  EXPECT_GT(cuda->MeasureNetwork(SmallNet()).median, 0);
  EXPECT_THAT(cuda->fingerprint(), HasSubstr("cuda|"));
}

}  // namespace
}  // namespace hwnas::latency
