#include "search/proxyless/latency_target.h"

#include <gtest/gtest.h>

#include "core/search_space.h"
#include "latency/builder.h"
#include "latency/estimator.h"
#include "search/proxyless/proxyless.h"
#include "supernet/supernet.h"
#include "tests/support/fake_machine.h"

namespace hwnas::search {
namespace {

using testing::FakeMachine;

struct Fixture {
  SearchSpace space = LoadSearchSpaceFile(HWNAS_SOURCE_DIR "/configs/spaces/fmnist-mbconv.yaml");
  FakeMachine machine;
  latency::LatencyTable table;

  Fixture() {
    latency::TableInfo info;
    info.device = "fake";
    info.device_kind = "measurable";
    table = latency::LatencyTable(info);
    latency::BuildOptions options;
    options.show_progress = false;
    latency::FillTable(machine, AllCandidateLayers(space), table, options);
  }

  double EstimateMs(const Arch& arch) {
    return latency::LatencyEstimator(table, nullptr).Run(ToNetSpec(space, arch)).total_ms;
  }

  // The search's preference: `favourite` on every block with probability 0.6, the rest shared.
  std::vector<std::vector<double>> Preferring(const Arch& favourite) {
    std::vector<std::vector<double>> probabilities;
    const auto blocks = Blocks(space);
    for (size_t b = 0; b < blocks.size(); ++b) {
      const auto names = CandidateNames(space, blocks[b]);
      std::vector<double> p(names.size(), 0.4 / static_cast<double>(names.size() - 1));
      p[std::find(names.begin(), names.end(), favourite.choices[b]) - names.begin()] = 0.6;
      probabilities.push_back(p);
    }
    return probabilities;
  }

  TargetCheckOptions Options(double target_ms) {
    TargetCheckOptions options;
    options.target_ms = target_ms;
    options.measure.show_progress = false;
    options.retime_pause_ms = 0;
    return options;
  }
};

TEST(LatencyTargetTest, ANetworkInsideTheBandIsDeliveredAsDerived) {
  Fixture f;
  const Arch derived = UniformArch(f.space, "k5e3");
  const double target = f.EstimateMs(derived) / 0.95;
  const DeliveredNetwork d = DeliverWithinTarget(f.space, derived, f.Preferring(derived), f.table,
                                                 f.machine, f.Options(target));
  EXPECT_EQ(d.arch, derived);
  EXPECT_FALSE(d.adjusted);
  EXPECT_TRUE(d.met);
  EXPECT_TRUE(d.in_band);
  EXPECT_EQ(d.timed.size(), 1u);
  EXPECT_DOUBLE_EQ(d.measured_ms, f.machine.QuietNetworkMs(d.net));
}

// The machine runs 1.6x slower, its probe with it, for the first two timings of the check (a slow
// phase of the VM): the derived network, which fits, is timed again until the phase has passed and
// delivered as derived. Decided on the slow timing, the check would have shrunk it.
TEST(LatencyTargetTest, ATimingFromASlowPhaseIsTakenAgain) {
  Fixture f;
  const Arch derived = UniformArch(f.space, "k5e3");
  TargetCheckOptions options = f.Options(f.EstimateMs(derived) / 0.95);
  f.machine.slow_phase = 1.6;
  f.machine.slow_timings = 2 * static_cast<int>(options.measure.rounds);
  const DeliveredNetwork d =
      DeliverWithinTarget(f.space, derived, f.Preferring(derived), f.table, f.machine, options);
  EXPECT_EQ(d.arch, derived);
  EXPECT_TRUE(d.in_band);
  ASSERT_EQ(d.timed.size(), 1u);
  EXPECT_EQ(d.timed[0].retimes, 2);
  EXPECT_DOUBLE_EQ(d.measured_ms, f.machine.QuietNetworkMs(d.net));

  f.machine.network_timings = 0;
  options.retimes_per_network = 0;
  options.retimes_per_check = 0;
  const DeliveredNetwork shrunk =
      DeliverWithinTarget(f.space, derived, f.Preferring(derived), f.table, f.machine, options);
  EXPECT_TRUE(shrunk.adjusted);
  EXPECT_LT(shrunk.estimated_ms, 0.9 * d.estimated_ms);
}

// A slow phase longer than a network's retimes: all five timings of the derived network, which
// fits, run 1.6x slow, so the check moves on to cheaper networks, timed after the phase. The
// derived network is timed once more at the end and delivered; without that the check delivers a
// cheaper one.
TEST(LatencyTargetTest, ANetworkRejectedInALongSlowPhaseIsTimedAgainAtTheEnd) {
  Fixture f;
  const Arch derived = UniformArch(f.space, "k5e3");
  TargetCheckOptions options = f.Options(f.EstimateMs(derived) / 0.95);
  f.machine.slow_phase = 1.6;
  f.machine.slow_timings =
      static_cast<int>((options.retimes_per_network + 1) * options.measure.rounds);
  const DeliveredNetwork d =
      DeliverWithinTarget(f.space, derived, f.Preferring(derived), f.table, f.machine, options);
  ASSERT_GE(d.timed.size(), 2u);
  EXPECT_EQ(d.arch, derived);
  EXPECT_FALSE(d.adjusted);
  EXPECT_TRUE(d.in_band);
  EXPECT_EQ(d.timed[0].retimes, options.retimes_per_network + 1);
  EXPECT_DOUBLE_EQ(d.measured_ms, f.machine.QuietNetworkMs(d.net));

  f.machine.network_timings = 0;
  options.retimes_per_check = options.retimes_per_network;  // none left for the end
  const DeliveredNetwork shrunk =
      DeliverWithinTarget(f.space, derived, f.Preferring(derived), f.table, f.machine, options);
  EXPECT_TRUE(shrunk.adjusted);
  EXPECT_TRUE(shrunk.met);
}

// A machine slower than the table's probe all through the check is timed again at most
// retimes_per_check times in all.
TEST(LatencyTargetTest, RetimesStopAtTheCheckBudget) {
  Fixture f;
  f.machine.slowdown = 10;
  const Arch derived = UniformArch(f.space, "k3e3");
  TargetCheckOptions options = f.Options(f.EstimateMs(derived));
  options.retimes_per_network = 100;
  const DeliveredNetwork d =
      DeliverWithinTarget(f.space, derived, f.Preferring(derived), f.table, f.machine, options);
  ASSERT_GE(d.timed.size(), 2u);
  EXPECT_EQ(d.timed[0].retimes, options.retimes_per_check);
  EXPECT_EQ(d.timed[1].retimes, 0);
}

// The table says the derived network fits, but the machine runs it 20% slower than the sum of
// its layers: the delivered network must fit as measured, and stay close to the search's choice.
TEST(LatencyTargetTest, ANetworkOverTheTargetAsMeasuredIsReplacedByACheaperNeighbour) {
  Fixture f;
  f.machine.network_factor = 1.2;
  const Arch derived = UniformArch(f.space, "k7e6");
  const double target = f.EstimateMs(derived);
  const DeliveredNetwork d = DeliverWithinTarget(f.space, derived, f.Preferring(derived), f.table,
                                                 f.machine, f.Options(target));
  EXPECT_TRUE(d.adjusted);
  EXPECT_TRUE(d.met) << d.measured_ms << " ms against " << target;
  EXPECT_TRUE(d.in_band) << d.measured_ms << " ms against " << target;
  EXPECT_DOUBLE_EQ(d.measured_ms, f.machine.QuietNetworkMs(d.net));
  EXPECT_GT(d.timed.size(), 1u);
  EXPECT_EQ(d.timed.front().arch, derived);
  EXPECT_GT(d.timed.front().measured_ms, target);
  int changed = 0;
  for (size_t b = 0; b < derived.choices.size(); ++b)
    changed += d.arch.choices[b] != derived.choices[b];
  EXPECT_LT(changed, static_cast<int>(derived.choices.size()));  // not a different network
}

TEST(LatencyTargetTest, ANetworkFarUnderTheTargetTakesCostlierChoicesWithoutGoingOver) {
  Fixture f;
  const Arch derived = UniformArch(f.space, "k3e3");
  const double target = f.EstimateMs(derived) / 0.6;
  const DeliveredNetwork d = DeliverWithinTarget(f.space, derived, f.Preferring(derived), f.table,
                                                 f.machine, f.Options(target));
  EXPECT_TRUE(d.adjusted);
  EXPECT_TRUE(d.in_band) << d.measured_ms << " ms against " << target;
}

TEST(LatencyTargetTest, AnUnreachableTargetIsReportedNotMet) {
  Fixture f;
  f.machine.slowdown = 10;  // nothing in the space is this fast now
  const Arch derived = UniformArch(f.space, "k3e3");
  const DeliveredNetwork d = DeliverWithinTarget(f.space, derived, f.Preferring(derived), f.table,
                                                 f.machine, f.Options(f.EstimateMs(derived)));
  EXPECT_FALSE(d.met);
  EXPECT_LE(static_cast<int64_t>(d.timed.size()), f.Options(1).max_measurements);
  for (const TimedNetwork& t : d.timed) EXPECT_GE(t.measured_ms, d.measured_ms);  // the fastest
  EXPECT_NE(DeliveredText(d, f.Options(f.EstimateMs(derived))).find("NOT met"), std::string::npos);
  // Timed under the probe at 10x its table speed, the estimate is re-based by 10.
  EXPECT_NEAR(d.rebased_ms / d.estimated_ms, 10.0, 1e-9);
}

// A table whose layers were timed while the machine ran 1.5x slower, its probe in a quiet moment:
// the cheapest network, timed end to end, shows how far the table is off.
TEST(LatencyTargetTest, TheCheapestNetworkTimedShowsATableMeasuredWhileBusy) {
  Fixture f;
  latency::LatencyTable busy(f.table.info());
  for (const auto& [key, entry] : f.table.entries())
    busy.Set(key, latency::ScaledEntry(entry, 1.5));
  latency::BuildOptions measure;
  measure.show_progress = false;
  // Timed while the machine runs 2x slower: the probe around the timing takes it back to the
  // speed of the table's probe.
  f.machine.slowdown = 2;
  const CheapestNetwork cheapest = TimeCheapestNetwork(f.space, busy, f.machine, measure);
  EXPECT_NEAR(cheapest.ratio(), 1 / 1.5, 1e-9);
  EXPECT_NEAR(cheapest.measured_ms, f.machine.QuietNetworkMs(ToNetSpec(f.space, cheapest.arch)),
              1e-12);
  EXPECT_DOUBLE_EQ(cheapest.estimated_ms, 1.5 * f.EstimateMs(cheapest.arch));
  // No single block can be made cheaper.
  const auto blocks = Blocks(f.space);
  for (size_t b = 0; b < blocks.size(); ++b)
    for (const std::string& choice : CandidateNames(f.space, blocks[b])) {
      Arch other = cheapest.arch;
      other.choices[b] = choice;
      EXPECT_GE(f.EstimateMs(other), f.EstimateMs(cheapest.arch)) << FormatArch(other);
    }
  EXPECT_EQ(CheapestByTable(f.space, busy).measured_ms, 0);
  // The same floor the search's target check uses.
  EXPECT_NEAR(cheapest.estimated_ms, CheapestCost(supernet::CandidateLatencies(f.space, busy)),
              1e-12);
}

}  // namespace
}  // namespace hwnas::search
