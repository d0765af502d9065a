// ProxylessNAS search on a tiny space and generated 8x8 images with hand-made candidate costs:
// the loop reports every epoch and derived architecture, a tight latency target pulls the
// derived network towards cheap candidates, and an impossible target fails before training.
#include "search/proxyless/proxyless.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <map>
#include <set>

#include "core/config.h"
#include "core/dataset.h"
#include "core/errors.h"
#include "supernet/supernet.h"
#include "tests/support/run_command.h"

namespace hwnas::search {
namespace {

using ::testing::HasSubstr;

// 8x8x1 input; stage1.block1 (4 -> 8, stride 2: no skip), stage1.block2 and stage2.block1
// (8 -> 8 at 4x4: skip allowed); mix 16, 3 classes.
constexpr char kTinySpace[] =
    "name: tiny\ninput: {channels: 1, size: 8}\nclasses: 3\n"
    "stem: {out: 4, kernel: 3, stride: 1}\nfirst_block: {out: 4, expand: 1, kernel: 3}\n"
    "stages:\n  - {width: 8, depth: 2, stride: 2}\n  - {width: 8, depth: 1, stride: 1}\n"
    "candidates: [k3e3, k5e3]\nskip: true\nhead: {mix: 16}\n";

SearchSpace Tiny() { return SearchSpaceFromYamlString(kTinySpace, "tiny.yaml"); }

// k5e3 costs much more than k3e3; skip is free. The cheapest network costs 1 + 1 = 2 ms.
supernet::CandidateCosts Costs() { return {{{1, 4}, {1, 4, 0}, {1, 4, 0}}, 1.0}; }

Config TinyConfig(const std::vector<std::string>& overrides = {}) {
  std::vector<std::string> all = {"strategy=proxyless",
                                  "space=tiny",
                                  "seed=3",
                                  "threads=1",
                                  "data.dataset=synthetic",
                                  "data.batch_size=16",
                                  "data.holdout_fraction=0.25",
                                  "data.synthetic.train_samples=128",
                                  "data.synthetic.test_samples=16",
                                  "data.synthetic.image_size=8",
                                  "data.synthetic.classes=3",
                                  "data.augment={crop_padding: 0, horizontal_flip: false}",
                                  "train.learning_rate=0.05",
                                  "proxyless.warmup_epochs=1",
                                  "proxyless.epochs=2",
                                  "proxyless.arch_update_every=1",
                                  "proxyless.loss=add_linear",
                                  "proxyless.target_ms=20"};
  all.insert(all.end(), overrides.begin(), overrides.end());
  return LoadConfigFromString("name: tiny-search\n", "tiny-search.yaml", all);
}

ProxylessResult Search(const Config& config, Reporter* reporter, SearchContext context = {}) {
  const DataSplits data = LoadDataSplits(config.data, config.seed);
  CheckProxylessSearch(config, data, Costs());
  context.reporter = reporter;
  context.show_progress = false;
  return RunProxylessSearch(Tiny(), config, data, Costs(), context);
}

std::string TempPath(const std::string& name) {
  return hwnas::testing::MakeTempDir("proxyless-" + name) + "/checkpoint.pt";
}

// Stands in for Ctrl-C: raises the stop flag once epoch `after_step` has been reported.
class StopAfter : public RecordingReporter {
 public:
  explicit StopAfter(int64_t after_step) : after_step_(after_step) {}
  void OnMetrics(int64_t step, const MetricValues& values) override {
    RecordingReporter::OnMetrics(step, values);
    if (step == after_step_) stop = true;
  }
  std::atomic<bool> stop{false};

 private:
  int64_t after_step_;
};

// Every metric but wall time, keyed by (step, name).
std::map<std::pair<int64_t, std::string>, double> Values(const RecordingReporter& reporter) {
  std::map<std::pair<int64_t, std::string>, double> values;
  for (const auto& m : reporter.metrics)
    if (m.name != "epoch_seconds") values[{m.step, m.name}] = m.value;
  return values;
}

TEST(ProxylessTest, ReportsEveryEpochAndEveryDerivedArchitecture) {
  RecordingReporter reporter;
  const ProxylessResult result = Search(TinyConfig(), &reporter);
  ASSERT_EQ(result.epoch_archs.size(), 2u);
  EXPECT_EQ(result.arch, result.epoch_archs.back());
  EXPECT_EQ(result.net.name, ToNetSpec(Tiny(), result.arch).name);

  std::set<std::pair<int64_t, std::string>> metrics;
  for (const auto& m : reporter.metrics) metrics.insert({m.step, m.name});
  EXPECT_TRUE(metrics.count({0, "train_loss"}));         // warm-up
  EXPECT_FALSE(metrics.count({0, "holdout_accuracy"}));  // no architecture yet
  for (int64_t step : {1, 2}) {
    EXPECT_TRUE(metrics.count({step, "holdout_accuracy"}));
    EXPECT_TRUE(metrics.count({step, "expected_cost"}));
    EXPECT_TRUE(metrics.count({step, "stage1.block2.entropy"}));
    EXPECT_TRUE(metrics.count({step, "stage2.block1.p.skip"}));
    EXPECT_TRUE(metrics.count({step, "stage1.block1.p.k5e3"}));
  }
  ASSERT_EQ(reporter.architectures.size(), 2u);
  for (size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(reporter.architectures[i].role, "derived");
    EXPECT_EQ(reporter.architectures[i].step, static_cast<int64_t>(i) + 1);
    EXPECT_EQ(reporter.architectures[i].arch, FormatArch(result.epoch_archs[i]));
    EXPECT_THAT(reporter.architectures[i].netspec_json, HasSubstr("stage1.block1"));
    EXPECT_TRUE(reporter.architectures[i].estimated_latency_ms.has_value());
  }
}

// add_linear always rewards cheaper paths; Adam (beta1 = 0) normalises each step, so what
// matters is the latency term's size next to the cross-entropy's: large for a tight target with
// a high lambda, negligible for a loose target with the default lambda.
TEST(ProxylessTest, TightLatencyTargetDerivesACheaperNetworkThanALooseOne) {
  const std::vector<std::string> common = {"proxyless.epochs=4",
                                           "proxyless.arch_learning_rate=0.1"};
  auto with = [&](const std::string& target, const std::string& lambda) {
    std::vector<std::string> overrides = common;
    overrides.push_back(target);
    overrides.push_back(lambda);
    return overrides;
  };
  RecordingReporter tight_reporter, loose_reporter;
  const ProxylessResult tight =
      Search(TinyConfig(with("proxyless.target_ms=2", "proxyless.lambda=20")), &tight_reporter);
  const ProxylessResult loose =
      Search(TinyConfig(with("proxyless.target_ms=1000", "proxyless.lambda=0.1")), &loose_reporter);
  EXPECT_LT(tight.final_expected_cost, loose.final_expected_cost);
  EXPECT_LE(tight.estimated_cost, loose.estimated_cost);
}

TEST(ProxylessTest, SameSeedReproducesTheSearch) {
  RecordingReporter a, b;
  const ProxylessResult first = Search(TinyConfig(), &a);
  const ProxylessResult second = Search(TinyConfig(), &b);
  EXPECT_EQ(first.epoch_archs, second.epoch_archs);
  EXPECT_DOUBLE_EQ(first.final_expected_cost, second.final_expected_cost);
}

// Interrupted after each possible epoch (warm-up, first search epoch), then resumed from the
// checkpoint: the same metrics, architectures and final state as a run that never stopped.
TEST(ProxylessTest, ResumedSearchEqualsAnUninterruptedOne) {
  for (const std::string grad_mode : {"full_v2", "two"}) {
    const Config config =
        TinyConfig({"proxyless.grad_mode=" + grad_mode, "proxyless.arch_update_every=3"});
    RecordingReporter whole_reporter;
    const ProxylessResult whole = Search(config, &whole_reporter);
    for (int64_t stop_after : {0, 1}) {
      SCOPED_TRACE(grad_mode + ", stopped after step " + std::to_string(stop_after));
      SearchContext first;
      first.checkpoint_path = TempPath("resume-" + grad_mode + std::to_string(stop_after));
      StopAfter stopping(stop_after);
      first.stop_requested = &stopping.stop;
      EXPECT_THROW(Search(config, &stopping, first), Interrupted);
      ASSERT_TRUE(std::filesystem::exists(first.checkpoint_path));
      EXPECT_EQ(ReadCheckpointInfo(first.checkpoint_path)->epochs_done, stop_after + 1);

      SearchContext second;
      second.checkpoint_path = first.checkpoint_path;
      second.resume = true;
      RecordingReporter resumed_reporter;
      const ProxylessResult resumed = Search(config, &resumed_reporter, second);
      EXPECT_EQ(resumed.epoch_archs, whole.epoch_archs);
      EXPECT_EQ(resumed.final_expected_cost, whole.final_expected_cost);  // bit for bit
      auto expected = Values(whole_reporter);
      auto combined = Values(stopping);
      for (const auto& [key, value] : Values(resumed_reporter)) combined[key] = value;
      EXPECT_EQ(combined, expected);
    }
  }
}

TEST(ProxylessTest, CheckpointOfAnotherConfigIsRefused) {
  SearchContext first;
  first.checkpoint_path = TempPath("other-config");
  RecordingReporter reporter;
  Search(TinyConfig(), &reporter, first);
  SearchContext second = first;
  second.resume = true;
  try {
    Search(TinyConfig({"seed=4"}), &reporter, second);
    FAIL() << "expected DataError";
  } catch (const DataError& e) {
    EXPECT_THAT(e.what(), HasSubstr("belongs to another config"));
  }
}

TEST(ProxylessTest, CheckpointWithOtherCandidateCostsIsRefused) {
  SearchContext first;
  first.checkpoint_path = TempPath("other-costs");
  RecordingReporter reporter;
  Search(TinyConfig(), &reporter, first);
  SearchContext second = first;
  second.resume = true;
  second.reporter = &reporter;
  second.show_progress = false;
  const Config config = TinyConfig();
  const DataSplits data = LoadDataSplits(config.data, config.seed);
  supernet::CandidateCosts rebuilt = Costs();
  rebuilt.per_block[0][1] = 4.5;  // e.g. the table was measured again
  try {
    RunProxylessSearch(Tiny(), config, data, rebuilt, second);
    FAIL() << "expected DataError";
  } catch (const DataError& e) {
    EXPECT_THAT(e.what(), HasSubstr("the candidate costs changed since search checkpoint"));
  }
}

TEST(ProxylessTest, NoCheckpointFileMeansNoInfo) {
  EXPECT_FALSE(ReadCheckpointInfo(TempPath("none")).has_value());
}

TEST(ProxylessTest, TwoPathModeRuns) {
  RecordingReporter reporter;
  const ProxylessResult result = Search(TinyConfig({"proxyless.grad_mode=two"}), &reporter);
  EXPECT_EQ(result.epoch_archs.size(), 2u);
}

// The sandwich rule trains the largest and smallest paths on every warm-up batch besides the
// uniform one: a different supernet from the uniform warm-up, and the same one for a seed.
TEST(ProxylessTest, SandwichWarmupIsItsOwnDeterministicRun) {
  const std::vector<std::string> sandwich = {"proxyless.warmup_paths=sandwich",
                                             "proxyless.warmup_epochs=2", "proxyless.epochs=1"};
  RecordingReporter first, second, uniform;
  Search(TinyConfig(sandwich), &first);
  Search(TinyConfig(sandwich), &second);
  Search(TinyConfig({"proxyless.warmup_epochs=2", "proxyless.epochs=1"}), &uniform);
  auto losses = [](const RecordingReporter& r) {
    std::vector<double> values;
    for (const auto& m : r.metrics)
      if (m.name == "train_loss") values.push_back(m.value);
    return values;
  };
  ASSERT_EQ(losses(first).size(), 3u);
  EXPECT_EQ(Values(first), Values(second));
  EXPECT_NE(losses(first)[0], losses(uniform)[0]);
  // The first warm-up epoch's loss is the uniform path's: the extra paths change the weights it
  // runs with only after the first step, so it stays of the same order.
  EXPECT_LT(std::abs(losses(first)[0] - losses(uniform)[0]), 0.5);
}

// The sandwich rule's outer paths and the network the target check times: skip where a block
// allows it, else its cheapest candidate; the costliest candidate everywhere; ties to the first.
TEST(ProxylessTest, ExtremeArchPicksEachBlocksCheapestOrCostliestCandidate) {
  EXPECT_EQ(ExtremeArch(Tiny(), Costs(), false).choices,
            (std::vector<std::string>{"k3e3", "skip", "skip"}));
  EXPECT_EQ(ExtremeArch(Tiny(), Costs(), true).choices,
            (std::vector<std::string>{"k5e3", "k5e3", "k5e3"}));
  const supernet::CandidateCosts tied{{{2, 2}, {3, 1, 1}, {1, 5, 5}}, 0};
  EXPECT_EQ(ExtremeArch(Tiny(), tied, false).choices,
            (std::vector<std::string>{"k3e3", "k5e3", "k3e3"}));
  EXPECT_EQ(ExtremeArch(Tiny(), tied, true).choices,
            (std::vector<std::string>{"k3e3", "k3e3", "k5e3"}));
}

TEST(ProxylessTest, TargetBelowTheCheapestNetworkIsAConfigError) {
  const Config config = TinyConfig({"proxyless.target_ms=1.5"});
  const DataSplits data = LoadDataSplits(config.data, config.seed);
  EXPECT_EQ(CheapestCost(Costs()), 2.0);
  try {
    CheckProxylessSearch(config, data, Costs());
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_THAT(e.what(), HasSubstr("proxyless.target_ms: below the cheapest network of the "
                                    "space (got 1.5; expected at least 2 ms"));
  }
}

// On a measured device the cheapest network was timed before the target is refused: the message
// quotes it, so a table measured while the machine was busy shows as one.
TEST(ProxylessTest, TargetBelowTheCheapestMeasuredNetworkQuotesItsTiming) {
  const Config config = TinyConfig({"proxyless.target_ms=1.5", "device.name=cpu"});
  const DataSplits data = LoadDataSplits(config.data, config.seed);
  try {
    CheckProxylessSearch(config, data, Costs(), 1.9234);
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_THAT(e.what(), HasSubstr("expected at least 2 ms on device cpu); timed end to end just "
                                    "now it measured 1.92 ms"));
  }
}

// mul_log takes latency in microseconds: a target of at most 1 us has no positive logarithm.
TEST(ProxylessTest, MulLogNeedsATargetAboveOneMicrosecond) {
  const Config config = TinyConfig({"proxyless.loss=mul_log", "proxyless.target_ms=0.0005"});
  const DataSplits data = LoadDataSplits(config.data, config.seed);
  supernet::CandidateCosts cheap = {{{1e-5, 2e-5}, {1e-5, 2e-5, 0}, {1e-5, 2e-5, 0}}, 1e-5};
  try {
    CheckProxylessSearch(config, data, cheap);
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_THAT(e.what(), HasSubstr("proxyless.target_ms: loss mul_log divides by log(target in "
                                    "us), which must be positive (got 0.0005; expected above "
                                    "0.001 ms, or use loss add_linear)"));
  }
  const Config sub_ms = TinyConfig({"proxyless.loss=mul_log", "proxyless.target_ms=0.5"});
  EXPECT_NO_THROW(CheckProxylessSearch(sub_ms, data, cheap));
}

// add_absolute pulls E[cost] towards the target from both sides: a target between the cheapest
// (2 ms) and the dearest (13 ms) network ends with E[cost] closer to it than add_linear does.
TEST(ProxylessTest, AbsolutePenaltyPullsTheExpectedCostToTheTarget) {
  const std::vector<std::string> common = {"proxyless.epochs=6", "proxyless.arch_learning_rate=0.1",
                                           "proxyless.target_ms=8", "proxyless.lambda=5"};
  auto with = [&](const std::string& loss) {
    std::vector<std::string> overrides = common;
    overrides.push_back("proxyless.loss=" + loss);
    return TinyConfig(overrides);
  };
  RecordingReporter absolute_reporter, linear_reporter;
  const ProxylessResult absolute = Search(with("add_absolute"), &absolute_reporter);
  const ProxylessResult linear = Search(with("add_linear"), &linear_reporter);
  EXPECT_LT(std::abs(absolute.final_expected_cost - 8), std::abs(linear.final_expected_cost - 8));
  EXPECT_NEAR(absolute.final_expected_cost, 8, 8 * 0.2);
}

TEST(ProxylessTest, LatencyTargetIsRequired) {
  EXPECT_THROW(TinyConfig({"proxyless.target_ms=0"}), ConfigError);
  EXPECT_NO_THROW(TinyConfig({"proxyless.target_kind=flops", "proxyless.target_mflops=1"}));
}

}  // namespace
}  // namespace hwnas::search
