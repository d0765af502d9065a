#include "latency/probe.h"

#include <gtest/gtest.h>

#include "core/search_space.h"
#include "latency/builder.h"
#include "latency/estimator.h"
#include "latency/op_key.h"
#include "latency/table.h"
#include "tests/support/fake_machine.h"

namespace hwnas::latency {
namespace {

using testing::FakeMachine;

SearchSpace Space() {
  return LoadSearchSpaceFile(HWNAS_SOURCE_DIR "/configs/spaces/fmnist-mbconv.yaml");
}

LatencyTable EmptyTable() {
  TableInfo info;
  info.device = "fake";
  info.device_kind = "measurable";
  info.fingerprint = "fake|threads=1";
  info.space = "fmnist-mbconv";
  info.source = results::LatencySource::kMeasured;
  return LatencyTable(info);
}

BuildOptions Quiet() {
  BuildOptions options;
  options.show_progress = false;
  return options;
}

TEST(ProbeTest, SummaryHasMedianRangeAndInterdecileSpread) {
  ProbeLog log;
  for (double ms : {1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0, 11.0}) log.Add(ms);
  const ProbeSummary s = log.Summary();
  EXPECT_DOUBLE_EQ(s.median_ms, 6.0);
  EXPECT_DOUBLE_EQ(s.min_ms, 1.0);
  EXPECT_DOUBLE_EQ(s.max_ms, 11.0);
  EXPECT_DOUBLE_EQ(s.spread_percent, (10.0 - 2.0) / 6.0 * 100.0);  // p90 10, p10 2
  EXPECT_EQ(s.count, 11);
  EXPECT_TRUE(s.unstable());
  EXPECT_THROW(ProbeLog().Summary(), std::logic_error);
}

TEST(ProbeTest, StabilityTextWarnsAboveTheTolerance) {
  ProbeSummary calm{0.3, 0.297, 0.306, 2.0, 40};
  EXPECT_EQ(StabilityText(calm), "stability +-1.0% (probe 0.300 ms, 0.297-0.306 over 40 timings)");
  ProbeSummary rough{0.3, 0.25, 0.5, 24.0, 40};
  EXPECT_NE(StabilityText(rough).find("warning: the machine's speed varied by 24%"),
            std::string::npos);
}

TEST(ProbeTest, TableKeepsItsProbeInItsProperties) {
  LatencyTable table = EmptyTable();
  EXPECT_FALSE(TableProbe(table));
  SetTableProbe(table, {0.31, 0.30, 0.33, 4.5, 12});
  const auto probe = TableProbe(FromRecord(ToRecord(table)));
  ASSERT_TRUE(probe);
  EXPECT_DOUBLE_EQ(probe->median_ms, 0.31);
  EXPECT_DOUBLE_EQ(probe->spread_percent, 4.5);
  EXPECT_EQ(probe->count, 12);
  // A probe of another name is a different yardstick: never compared.
  table.mutable_info().properties_json = R"({"probe": {"name": "probe-v0", "median_ms": 0.2}})";
  EXPECT_FALSE(TableProbe(table));
}

TEST(ProbeTest, RebaseIsTheRatioOfProbesAndFlagsAVeryDifferentMachine) {
  EXPECT_DOUBLE_EQ(Rebase({0.3, 0.36}).factor(), 1.2);
  EXPECT_FALSE(Rebase({0.3, 0.36}).stale());
  EXPECT_TRUE(Rebase({0.3, 0.5}).stale());
  EXPECT_TRUE(Rebase({0.3, 0.15}).stale());
  EXPECT_NE(RebaseText({0.3, 0.6}).find("rebuild it"), std::string::npos);
}

// The heart of it: entries measured while the machine runs slow are stored at the speed of the
// table's probe, so a table completed in a slow period agrees with the part measured earlier.
TEST(ProbeTest, EntriesMeasuredInASlowPeriodAreKeptAtTheTableSpeed) {
  const SearchSpace space = Space();
  std::vector<LayerSpec> layers = AllCandidateLayers(space);
  const std::vector<LayerSpec> late(layers.end() - 5, layers.end());
  layers.resize(layers.size() - 5);
  FakeMachine machine;
  LatencyTable table = EmptyTable();
  const BuildReport first = FillTable(machine, layers, table, Quiet());
  ASSERT_TRUE(first.probe);
  EXPECT_DOUBLE_EQ(first.probe->median_ms, FakeMachine::kProbeMs);
  ASSERT_TRUE(TableProbe(table));
  EXPECT_DOUBLE_EQ(TableProbe(table)->median_ms, FakeMachine::kProbeMs);

  machine.slowdown = 2.0;
  const BuildReport second = FillTable(machine, late, table, Quiet());
  EXPECT_EQ(second.measured, 5);
  EXPECT_DOUBLE_EQ(second.probe->median_ms, 2 * FakeMachine::kProbeMs);
  for (const LayerSpec& layer : late)
    EXPECT_DOUBLE_EQ(table.At(OpKey(layer)).median, FakeMachine::QuietLayerMs(layer));
  EXPECT_DOUBLE_EQ(TableProbe(table)->median_ms, FakeMachine::kProbeMs);  // unchanged
}

TEST(ProbeTest, WithoutProbesAnEntryIsWhatWasMeasured) {
  const SearchSpace space = Space();
  const std::vector<LayerSpec> layers = AllCandidateLayers(space);
  FakeMachine machine;
  machine.slowdown = 2.0;
  BuildOptions options = Quiet();
  options.probe = false;
  LatencyTable table = EmptyTable();
  const BuildReport report = FillTable(machine, layers, table, options);
  EXPECT_FALSE(report.probe);
  EXPECT_FALSE(TableProbe(table));
  // A table without a probe (imported, or measured before probes) is never re-based.
  EXPECT_FALSE(RebaseNow(machine, table));
  EXPECT_DOUBLE_EQ(table.At(OpKey(layers[0])).median, 2 * FakeMachine::QuietLayerMs(layers[0]));
}

TEST(ProbeTest, NetworkTimingsAndEstimatesAreReBasedToTheProbeNow) {
  const SearchSpace space = Space();
  FakeMachine machine;
  machine.network_factor = 1.1;
  LatencyTable table = EmptyTable();
  FillTable(machine, AllCandidateLayers(space), table, Quiet());
  const NetSpec net = ToNetSpec(space, UniformArch(space, "k5e3"));
  machine.slowdown = 1.5;
  const NetworkTimings t = MeasureNetworks(machine, {net}, Quiet(), "");
  EXPECT_DOUBLE_EQ(t.ms[0], 1.5 * machine.QuietNetworkMs(net));
  EXPECT_DOUBLE_EQ(t.probe_ms[0], 1.5 * FakeMachine::kProbeMs);
  EXPECT_DOUBLE_EQ(t.AtProbe(0, FakeMachine::kProbeMs), machine.QuietNetworkMs(net));
  EXPECT_EQ(t.probe->count, 3);  // one median probe sample per round
  const auto rebase = RebaseNow(machine, table);
  ASSERT_TRUE(rebase);
  EXPECT_DOUBLE_EQ(rebase->factor(), 1.5);
  // The network scale is calibrated at the table's speed, whatever the machine does meanwhile.
  EXPECT_NEAR(CalibrateNetworkScale(machine, {net}, table, Quiet()), 1.1, 1e-12);
}

// A machine in a burst: the first `burst_probes` probes run `burst` times slower.
class BurstyMachine : public FakeMachine {
 public:
  int burst_probes = 0;
  double burst = 1.0;
  int probes_timed = 0;
  std::optional<double> TimeProbe() override {
    const double ms = *FakeMachine::TimeProbe();
    return probes_timed++ < burst_probes ? ms * burst : ms;
  }
};

TEST(ProbeTest, ABurstAtTheStartDoesNotSetTheFactor) {
  const SearchSpace space = Space();
  BurstyMachine machine;
  LatencyTable table = EmptyTable();
  FillTable(machine, AllCandidateLayers(space), table, Quiet());
  machine.burst_probes = 25;  // the burst outlasts the 10 probes a start used to time
  machine.burst = 1.8;
  const auto rebase = RebaseNow(machine, table, {40, 0.0, 1000});
  ASSERT_TRUE(rebase);
  EXPECT_EQ(machine.probes_timed, 40);
  EXPECT_EQ(rebase->probes, 40);
  EXPECT_TRUE(rebase->by_fastest);
  EXPECT_DOUBLE_EQ(rebase->factor(), 1.0);
  EXPECT_NE(RebaseText(*rebase).find("fastest probe 0.300 ms now of 40 over"), std::string::npos);
  // A machine slower throughout is re-based, and the table's probe moves with its entries.
  machine.slowdown = 1.25;
  const auto slower = RebaseNow(machine, table, {40, 0.0, 1000});
  EXPECT_DOUBLE_EQ(slower->factor(), 1.25);
  const LatencyTable rebased = RebasedTable(table, *slower);
  EXPECT_DOUBLE_EQ(TableProbe(rebased)->median_ms, 1.25 * FakeMachine::kProbeMs);
  EXPECT_DOUBLE_EQ(TableProbe(rebased)->min_ms, 1.25 * FakeMachine::kProbeMs);
  // A device that answers at once stops at max_probes rather than spinning for the window.
  BurstyMachine instant;
  EXPECT_EQ(RebaseNow(instant, table, {10, 3600.0, 50})->probes, 50);
}

TEST(ProbeTest, ATableProbeWithoutItsFastestIsComparedByMedians) {
  FakeMachine machine;
  machine.slowdown = 1.5;
  LatencyTable table = EmptyTable();
  table.mutable_info().properties_json =
      R"({"probe": {"name": "probe-v1", "median_ms": 0.3, "count": 12}})";
  const auto rebase = RebaseNow(machine, table, {10, 0.0, 1000});
  ASSERT_TRUE(rebase);
  EXPECT_FALSE(rebase->by_fastest);
  EXPECT_DOUBLE_EQ(rebase->factor(), 1.5);
  EXPECT_NE(RebaseText(*rebase).find("(probe 0.450 ms now of 10 over"), std::string::npos);
}

}  // namespace
}  // namespace hwnas::latency
