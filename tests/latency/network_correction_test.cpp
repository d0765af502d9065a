#include "latency/network_correction.h"

#include <gtest/gtest.h>

#include "core/errors.h"
#include "latency/estimator.h"
#include "latency/op_key.h"

namespace hwnas::latency {
namespace {

// Networks of 1..6 MBConv blocks on a table with one entry per block width; "measured" latency
// = 1.1 x the sum + 0.02 ms per layer + 0.1 ms, which a plain sum cannot match.
struct Fixture {
  LatencyTable table{TableInfo{}};
  std::vector<NetSpec> nets;
  std::vector<double> measured;
};

Fixture MakeFixture() {
  Fixture f;
  f.table.mutable_info().device = "cpu";
  for (int n = 0; n < 24; ++n) {
    NetSpec net;
    net.input_channels = 16;
    net.input_size = 14;
    double sum = 0;
    const int blocks = 1 + n % 6;
    for (int b = 0; b < blocks; ++b) {
      LayerSpec l;
      l.kind = LayerKind::kMBConv;
      l.name = "b" + std::to_string(b);
      l.in_channels = l.out_channels = 16;
      l.mid_channels = 16 * (n % 2 == 0 ? 3 : 6);
      l.kernel = (n + b) % 3 == 0 ? 5 : 3;
      l.skip = true;
      l.input_size = 14;
      net.layers.push_back(l);
      LatencyEntry s;
      s.mean = s.median = 0.01 * static_cast<double>(l.mid_channels) * l.kernel / 3.0;
      f.table.Set(OpKey(l), s);
      sum += s.median;
    }
    f.nets.push_back(net);
    f.measured.push_back(1.1 * sum + 0.02 * blocks + 0.1);
  }
  return f;
}

TEST(NetworkCorrectionTest, LearnsWhatThePlainSumMisses) {
  Fixture f = MakeFixture();
  const auto correction = NetworkCorrection::Fit(f.nets, f.measured, f.table);
  double worst = 0;
  for (size_t i = 0; i < f.nets.size(); ++i)
    worst =
        std::max(worst, std::abs(correction.CorrectedMs(f.nets[i], f.table) / f.measured[i] - 1));
  EXPECT_LT(worst, 0.02);

  // Kept with the table, the estimator reports it next to the plain estimate.
  EXPECT_FALSE(NetworkCorrection::Of(f.table).has_value());
  correction.StoreIn(f.table, static_cast<int64_t>(f.nets.size()));
  const Estimate e = LatencyEstimator(f.table, nullptr).Run(f.nets[5]);
  ASSERT_TRUE(e.corrected_ms.has_value());
  EXPECT_NEAR(*e.corrected_ms, correction.CorrectedMs(f.nets[5], f.table), 1e-12);
  EXPECT_NEAR(*e.corrected_ms, f.measured[5], 0.02 * f.measured[5]);
}

TEST(NetworkCorrectionTest, NeedsNetworksAndTheirEntries) {
  Fixture f = MakeFixture();
  EXPECT_THROW(NetworkCorrection::Fit({f.nets[0]}, {f.measured[0]}, f.table), DataError);
  LatencyTable empty{TableInfo{}};
  empty.mutable_info().device = "cpu";
  EXPECT_THROW(NetworkCorrection::Fit(f.nets, f.measured, empty), DataError);
}

}  // namespace
}  // namespace hwnas::latency
