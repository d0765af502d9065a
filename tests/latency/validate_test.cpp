#include "latency/validate.h"

#include <gtest/gtest.h>

#include <cmath>
#include <set>

#include "latency/builder.h"
#include "latency/model_device.h"
#include "tests/support/fake_machine.h"

namespace hwnas::latency {
namespace {

using testing::FakeMachine;

SearchSpace Space() {
  return LoadSearchSpaceFile(HWNAS_SOURCE_DIR "/configs/spaces/fmnist-mbconv.yaml");
}

// The device's table of the space, complete (every candidate layer measured or computed).
LatencyTable FilledTable(Device& device, const SearchSpace& space) {
  TableInfo info;
  info.device = device.name();
  info.device_kind = DeviceKindName(device.kind());
  info.fingerprint = device.fingerprint();
  info.space = space.name;
  info.source = results::LatencySource::kMeasured;
  LatencyTable table(info);
  BuildOptions build;
  build.show_progress = false;
  FillTable(device, AllCandidateLayers(space), table, build);
  return table;
}

ValidateOptions Options(uint64_t seed) {
  ValidateOptions options;
  options.samples = 6;
  options.rounds = 1;
  options.seed = seed;
  options.show_progress = false;
  return options;
}

// A validation on a machine twice as slow as when its table was built.
Validation TwiceAsSlow() {
  const SearchSpace space = Space();
  FakeMachine machine;
  LatencyTable table = FilledTable(machine, space);
  machine.slowdown = 2;
  return ValidateTable(machine, table, space, Options(1));
}

std::vector<std::string> Archs(const Validation& v) {
  std::vector<std::string> archs;
  for (const ValidationSample& s : v.samples) archs.push_back(s.arch);
  return archs;
}

std::set<std::string> MetricNames(const RecordingReporter& reporter) {
  std::set<std::string> names;
  for (const auto& m : reporter.metrics) names.insert(m.name);
  return names;
}

// The architectures come from the seed's validation stream, as `latency validate` always drew
// them: the same seed validates the same networks.
TEST(ValidateTableTest, DrawsTheSeedsValidationArchitectures) {
  const SearchSpace space = Space();
  FakeMachine machine;
  LatencyTable table = FilledTable(machine, space);
  const Validation v = ValidateTable(machine, table, space, Options(7));
  const std::vector<Arch> expected = RandomArchs(space, 6, 7, /*purpose=*/2000);
  ASSERT_EQ(v.samples.size(), 6u);
  for (size_t i = 0; i < expected.size(); ++i)
    EXPECT_EQ(v.samples[i].arch, FormatArch(expected[i]));
  EXPECT_EQ(v.device, "fake");
  EXPECT_EQ(machine.network_timings, 6);  // one round each
  EXPECT_EQ(Archs(ValidateTable(machine, table, space, Options(7))), Archs(v));
  EXPECT_NE(Archs(ValidateTable(machine, table, space, Options(8))), Archs(v));
}

// Networks run 20% slower than their layers' sum: the plain sum is off by 1/6 everywhere (in
// order), and as the machine is as fast as when the table was built, re-basing changes nothing.
TEST(ValidateTableTest, ComparesEstimatesWithTimings) {
  const SearchSpace space = Space();
  FakeMachine machine;
  machine.network_factor = 1.2;
  LatencyTable table = FilledTable(machine, space);
  const Validation v = ValidateTable(machine, table, space, Options(1));
  for (const ValidationSample& s : v.samples) {
    EXPECT_NEAR(s.measured_ms, machine.QuietNetworkMs(s.net), 1e-12);
    EXPECT_NEAR(s.estimate.layers_sum_ms * 1.2, s.measured_ms, 1e-12);
    EXPECT_NEAR(s.rebased_ms, s.estimate.total_ms, 1e-12);
  }
  EXPECT_EQ(v.plain.count, 6u);
  EXPECT_NEAR(v.plain.mape, 1.0 / 6, 1e-12);
  EXPECT_NEAR(v.plain.max_ape, 1.0 / 6, 1e-12);
  EXPECT_EQ(v.plain.within_10, 0);
  EXPECT_DOUBLE_EQ(v.plain.kendall_tau, 1);
  EXPECT_DOUBLE_EQ(v.network_scale, 1);  // never calibrated: corrected is the plain sum
  EXPECT_EQ(v.corrected.mape, v.plain.mape);
  ASSERT_TRUE(v.rebased && v.probe && v.table_probe);
  EXPECT_NEAR(v.rebased->mape, v.corrected.mape, 1e-12);
  EXPECT_FALSE(v.network);
}

// Twice as slow as when the table was built: the timings double, the re-based estimate follows.
TEST(ValidateTableTest, ReBasesEstimatesToTheProbeDuringTheTimings) {
  const Validation v = TwiceAsSlow();
  EXPECT_NEAR(v.corrected.mape, 0.5, 1e-12);
  ASSERT_TRUE(v.rebased);
  EXPECT_NEAR(v.rebased->mape, 0, 1e-12);
  EXPECT_DOUBLE_EQ(v.rebased->within_5, 1);
  EXPECT_DOUBLE_EQ(v.probe->median_ms, 2 * FakeMachine::kProbeMs);
}

TEST(ValidateTableTest, ReportsArchitecturesAndMetrics) {
  const Validation v = TwiceAsSlow();
  RecordingReporter reporter;
  ReportValidation(v, reporter);
  ASSERT_EQ(reporter.architectures.size(), 6u);
  for (size_t i = 0; i < 6; ++i) {
    const ArchitectureRecord& r = reporter.architectures[i];
    EXPECT_EQ(r.role, "validation");
    EXPECT_EQ(r.step, static_cast<int64_t>(i));
    EXPECT_EQ(r.arch, v.samples[i].arch);
    EXPECT_EQ(r.latency_device, "fake");
    EXPECT_EQ(*r.estimated_latency_ms, v.samples[i].rebased_ms);  // re-based where probed
    EXPECT_EQ(*r.measured_latency_ms, v.samples[i].measured_ms);
  }
  const std::set<std::string> agreement{"mape_percent", "max_error_percent", "kendall_tau",
                                        "within_5_percent", "within_10_percent"};
  std::set<std::string> expected{"probe_ms",       "probe_spread_percent", "machine_unstable",
                                 "table_probe_ms", "probe_vs_table",       "network_scale"};
  for (const char* prefix : {"", "plain_", "rebased_"})
    for (const std::string& name : agreement) expected.insert(prefix + name);
  EXPECT_EQ(MetricNames(reporter), expected);
  for (const auto& m : reporter.metrics) {
    EXPECT_EQ(m.step, 0);
    if (m.name == "mape_percent") {
      EXPECT_NEAR(m.value, 50, 1e-9);
    }
    if (m.name == "probe_vs_table") {
      EXPECT_DOUBLE_EQ(m.value, 2);
    }
  }
}

// A model device computes its numbers: no probe, nothing re-based, the same figures every time.
TEST(ValidateTableTest, WorksOnAModelDevice) {
  const SearchSpace space = Space();
  auto roofline = LoadModelDevice(HWNAS_SOURCE_DIR "/configs/devices/roofline-example.yaml");
  LatencyTable table = FilledTable(*roofline, space);
  const Validation v = ValidateTable(*roofline, table, space, Options(3));
  EXPECT_FALSE(v.probe);
  EXPECT_FALSE(v.table_probe);
  EXPECT_FALSE(v.rebased);
  for (const ValidationSample& s : v.samples) {
    EXPECT_GT(s.measured_ms, 0);
    EXPECT_EQ(s.rebased_ms, 0);
  }
  EXPECT_EQ(v.plain.count, 6u);
  EXPECT_TRUE(std::isfinite(v.plain.mape));
  const Validation again = ValidateTable(*roofline, table, space, Options(3));
  EXPECT_EQ(again.plain.mape, v.plain.mape);
  EXPECT_EQ(again.plain.kendall_tau, v.plain.kendall_tau);
  RecordingReporter reporter;
  ReportValidation(v, reporter);
  EXPECT_EQ(MetricNames(reporter).count("probe_ms"), 0u);
  EXPECT_EQ(MetricNames(reporter).count("rebased_mape_percent"), 0u);
  EXPECT_EQ(*reporter.architectures[0].estimated_latency_ms, v.samples[0].estimate.total_ms);
}

}  // namespace
}  // namespace hwnas::latency
