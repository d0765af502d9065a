#include "predictors/experiment.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>

#include "core/errors.h"
#include "core/rng.h"

namespace hwnas::predictors {
namespace {

// `n` architectures of four blocks in two stages at resolution 1 or 2; column "fast" costs each
// block's choice times the resolution squared, "slow" exactly twice that. Every latency differs.
MeasuredArchs Measured(size_t n) {
  MeasuredArchs data;
  data.layout.categories = {"a", "b", "c", "none"};
  data.layout.group_of_block = {0, 0, 1, 1};
  data.layout.numbers = {"r"};
  data.layout.scale_number = 0;
  data.columns = {"fast", "slow"};
  data.latency.resize(2);
  Rng rng(5);
  for (size_t i = 0; i < n; ++i) {
    ArchSample s{{}, {1.0 + static_cast<double>(rng.UniformInt(2))}};
    double ms = 0.5 + 1e-4 * static_cast<double>(i);
    for (int b = 0; b < 4; ++b) {
      const uint64_t c = rng.UniformInt(4);
      s.choices.push_back(data.layout.categories[c]);
      ms += static_cast<double>(c) * (1 + 0.5 * b) * s.numbers[0] * s.numbers[0];
    }
    data.samples.push_back(s);
    data.latency[0].push_back(ms);
    data.latency[1].push_back(2 * ms);
  }
  return data;
}

std::vector<double> Sorted(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return values;
}

TEST(RandomSplitTest, PartitionsInTheSeedsShuffledOrder) {
  const Examples all = ColumnExamples(Measured(30), 0);
  const Split split = RandomSplit(all, 10, 4, 2);
  ASSERT_EQ(split.train.size(), 10u);
  ASSERT_EQ(split.test.size(), 20u);
  EXPECT_EQ(split.train.features, all.features);
  // core/rng's Shuffle of 0..n-1 under split 2 of seed 4: the train set first.
  std::vector<size_t> order(30);
  std::iota(order.begin(), order.end(), 0);
  Rng rng(DeriveSeed(4, rng_stream::kPredictorSplit, 2));
  Shuffle(order, rng);
  for (size_t k = 0; k < 10; ++k) EXPECT_EQ(split.train.targets[k], all.targets[order[k]]);
  for (size_t k = 0; k < 20; ++k) EXPECT_EQ(split.test.targets[k], all.targets[order[10 + k]]);
  std::vector<double> joined = split.train.targets;
  joined.insert(joined.end(), split.test.targets.begin(), split.test.targets.end());
  EXPECT_EQ(Sorted(joined), Sorted(all.targets));
}

TEST(RandomSplitTest, DeterministicPerSeedAndIndex) {
  const Examples all = ColumnExamples(Measured(30), 0);
  EXPECT_EQ(RandomSplit(all, 10, 4, 2).train.targets, RandomSplit(all, 10, 4, 2).train.targets);
  EXPECT_NE(RandomSplit(all, 10, 4, 2).train.targets, RandomSplit(all, 10, 4, 3).train.targets);
  EXPECT_NE(RandomSplit(all, 10, 4, 2).train.targets, RandomSplit(all, 10, 5, 2).train.targets);
  EXPECT_EQ(RandomSplit(all, 30, 1).test.size(), 0u);
  EXPECT_THROW(RandomSplit(all, 31, 1), DataError);
}

TEST(RepeatedSplitsTest, AveragesTheRepeatsInColumnTrainModelOrder) {
  const MeasuredArchs data = Measured(60);
  SplitOptions options;
  options.columns = {1, 0};
  options.train = {20, 40};
  options.models = {"ridge"};
  options.repeats = 2;
  options.seed = 9;
  std::vector<std::string> seen;
  const auto results = RepeatedSplits(data, options, [&](const SplitResult& r) {
    seen.push_back(data.columns[r.column] + "/" + std::to_string(r.train));
  });
  EXPECT_EQ(seen, (std::vector<std::string>{"slow/20", "slow/40", "fast/20", "fast/40"}));
  ASSERT_EQ(results.size(), 4u);
  EXPECT_EQ(results[1].mean.count, 20u);
  // The mean of the two splits' agreements, split r being RandomSplit index r.
  const Examples all = ColumnExamples(data, 1);
  Agreement expected;
  for (uint64_t r = 0; r < 2; ++r) {
    const Split split = RandomSplit(all, 40, 9, r);
    auto ridge = MakePredictor("ridge");
    ridge->Fit(split.train);
    const Agreement e = Evaluate(*ridge, split.test);
    expected.kendall_tau += e.kendall_tau / 2;
    expected.mape += e.mape / 2;
    expected.rmse += e.rmse / 2;
  }
  EXPECT_DOUBLE_EQ(results[1].mean.kendall_tau, expected.kendall_tau);
  EXPECT_DOUBLE_EQ(results[1].mean.mape, expected.mape);
  EXPECT_DOUBLE_EQ(results[1].mean.rmse, expected.rmse);
  EXPECT_GT(results[1].mean.kendall_tau, 0.9);  // the latency is additive in the choices
  const auto again = RepeatedSplits(data, options, {});
  EXPECT_EQ(again[3].mean.rmse, results[3].mean.rmse);
}

TEST(RepeatedSplitsTest, BadSizesAndModelsAreErrors) {
  const MeasuredArchs data = Measured(30);
  SplitOptions options;
  options.columns = {0};
  options.train = {30};
  EXPECT_THROW(RepeatedSplits(data, options, {}), DataError);
  options.train = {10};
  options.models = {"ridge", "forest"};
  int fits = 0;
  EXPECT_THROW(RepeatedSplits(data, options, [&](const SplitResult&) { ++fits; }), UsageError);
  EXPECT_EQ(fits, 0);  // names are checked before anything is fitted
}

// The other column is twice this one: from its predictions a few examples suffice.
TEST(RepeatedSplitsTest, PriorColumnBecomesTheFeatureAndIsSkipped) {
  const MeasuredArchs data = Measured(60);
  SplitOptions options;
  options.columns = {0, 1};
  options.train = {8};
  options.repeats = 1;
  options.prior = 1;
  const auto results = RepeatedSplits(data, options, {});
  ASSERT_EQ(results.size(), 1u);
  EXPECT_EQ(results[0].column, 0u);
  EXPECT_EQ(results[0].mean.count, 52u);
  EXPECT_GT(results[0].mean.kendall_tau, 0.9);
}

TEST(FitColumnTest, FitsOnTheSeedsFirstSplitAndScoresTheRest) {
  const MeasuredArchs data = Measured(50);
  const FittedPredictor fitted = FitColumn(data, 0, "ridge", 30, 3);
  ASSERT_TRUE(fitted.held_out);
  EXPECT_EQ(fitted.held_out->count, 20u);
  const Split split = RandomSplit(ColumnExamples(data, 0), 30, 3);
  auto ridge = MakePredictor("ridge");
  ridge->Fit(split.train);
  EXPECT_EQ(fitted.predictor->PredictAll(split.test), ridge->PredictAll(split.test));
  EXPECT_EQ(fitted.held_out->rmse, Evaluate(*ridge, split.test).rmse);
  EXPECT_FALSE(FitColumn(data, 0, "ridge", 50, 3).held_out);
}

}  // namespace
}  // namespace hwnas::predictors
