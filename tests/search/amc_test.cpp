// AMC channel pruning: channel groups of a NetSpec (residual chains share one), the pruner's
// slicing and least-squares reconstruction (exact where the dropped channels carry nothing),
// and whole searches on synthetic data that keep every episode within the budget.
#include "search/amc/amc.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <optional>
#include <string>

#include <torch/nn/module.h>
#include <torch/utils.h>

#include "core/dataset.h"
#include "core/errors.h"
#include "search/amc/channel_groups.h"
#include "search/amc/latency_cost.h"
#include "search/amc/pruner.h"
#include "tests/support/compression_fixture.h"

namespace hwnas::search {
namespace {

using ::testing::HasSubstr;

// 16x16x1 inputs, 4 classes; block2 adds its input back, so block1's output, block2's output
// and mix's input are one channel group.
NetSpec ResidualNet() { return hwnas::testing::ResidualNet(/*block2_mid=*/48); }

TEST(ChannelGroupsTest, ResidualChainsShareOneGroup) {
  const amc::ChannelGroups g = amc::FindChannelGroups(ResidualNet());
  std::vector<std::string> names;
  for (const auto& group : g.groups) names.push_back(group.name);
  EXPECT_THAT(names, ::testing::ElementsAre("input", "stem.out", "block1.mid", "block1.out",
                                            "block2.mid", "mix.out", "classes"));
  EXPECT_EQ(g.layers[2].in, 3);
  EXPECT_EQ(g.layers[2].out, 3);  // the identity shortcut writes into its input's group
  EXPECT_EQ(g.layers[3].in, 3);
  EXPECT_FALSE(g.groups[0].prunable);
  EXPECT_FALSE(g.groups[6].prunable);
  EXPECT_EQ(g.groups[2].role, amc::GroupRole::kExpand);
  EXPECT_EQ(g.groups[3].role, amc::GroupRole::kProject);
}

// A residual conv layer writes into its input's channels, like a residual MBConv block.
TEST(ChannelGroupsTest, ResidualConvLayersShareTheirInputGroup) {
  NetSpec net = ResidualNet();
  LayerSpec residual{LayerKind::kConv, "conv2", 16, 16, 0, 3, 1, 4};
  residual.skip = true;
  net.layers.insert(net.layers.begin() + 3, residual);
  const amc::ChannelGroups g = amc::FindChannelGroups(net);
  EXPECT_EQ(g.layers[3].in, 3);
  EXPECT_EQ(g.layers[3].out, 3);
  EXPECT_EQ(g.layers[4].in, 3);
  const NetSpec pruned = amc::ApplyChannelCounts(net, g, {1, 8, 16, 12, 24, 16, 4});
  EXPECT_EQ(pruned.layers[3].in_channels, 12);
  EXPECT_EQ(pruned.layers[3].out_channels, 12);
}

TEST(ChannelGroupsTest, CountsAreMultiplesFromTheLowerBoundUp) {
  const amc::ChannelGroup group{"g", 24, amc::GroupRole::kProject, 1, true};
  EXPECT_THAT(amc::AllowedCounts(group, 0.2, 8), ::testing::ElementsAre(8, 16, 24));
  EXPECT_EQ(amc::CountForRatio(group, 0.5, 0.2, 8), 16);  // round(12) up to 16
  EXPECT_EQ(amc::CountForRatio(group, 0.0, 0.2, 8), 8);   // clipped to the lower bound
  const amc::ChannelGroup odd{"g", 20, amc::GroupRole::kProject, 1, true};
  EXPECT_THAT(amc::AllowedCounts(odd, 0.2, 8), ::testing::ElementsAre(8, 16, 20));
}

TEST(ChannelGroupsTest, ApplyingCountsRewritesEveryLayerOfTheGroup) {
  const NetSpec net = ResidualNet();
  const amc::ChannelGroups g = amc::FindChannelGroups(net);
  const NetSpec pruned = amc::ApplyChannelCounts(net, g, {1, 8, 16, 12, 24, 16, 4});
  ValidateNetSpec(pruned, "pruned");
  EXPECT_EQ(pruned.layers[1].out_channels, 12);
  EXPECT_EQ(pruned.layers[2].in_channels, 12);
  EXPECT_EQ(pruned.layers[2].out_channels, 12);
  EXPECT_EQ(pruned.layers[3].in_channels, 12);
  EXPECT_EQ(pruned.layers[2].mid_channels, 24);
  EXPECT_DOUBLE_EQ(amc::CountsFlops(net, g, {1, 8, 16, 12, 24, 16, 4}), NetFlops(pruned));
  // block1 would keep 8 mid channels for 8 inputs: no longer an expand convolution.
  EXPECT_THROW(amc::ApplyChannelCounts(net, g, {1, 8, 8, 12, 24, 16, 4}), std::logic_error);
  EXPECT_FALSE(amc::CountKeepsExpand(net, g, 2, 8, {1, 8, 24, 16, 48, 32, 4}));
}

// Random prunings for the latency line: every count one the group may keep after the choices
// before it, the same counts for the same seed, and more than one pruning among a few draws.
TEST(ChannelGroupsTest, RandomCountsAreAllowedAndSeeded) {
  const NetSpec net = ResidualNet();
  const amc::ChannelGroups g = amc::FindChannelGroups(net);
  Rng rng(DeriveSeed(3, rng_stream::kCalibration, 1)),
      again(DeriveSeed(3, rng_stream::kCalibration, 1));
  std::vector<std::vector<int64_t>> drawn;
  for (int i = 0; i < 6; ++i) {
    const std::vector<int64_t> counts = amc::RandomCounts(net, g, 0.2, 8, rng);
    EXPECT_EQ(counts, amc::RandomCounts(net, g, 0.2, 8, again));
    for (size_t k = 0; k < counts.size(); ++k)
      EXPECT_THAT(amc::AllowedCountsAfter(net, g, static_cast<int>(k), counts, 0.2, 8),
                  ::testing::Contains(counts[k]));
    EXPECT_NO_THROW(amc::ApplyChannelCounts(net, g, counts));
    if (std::find(drawn.begin(), drawn.end(), counts) == drawn.end()) drawn.push_back(counts);
  }
  EXPECT_GT(drawn.size(), 1u);
}

// A resumed latency-budget run costs networks with the line its start fitted: the four numbers
// go into the run's metrics and come back whole, or not at all when one is missing.
TEST(AmcLatencyLineTest, StoredLineComesBackWholeOrNotAtAll) {
  AmcLatencyCost fitted;
  fitted.slope = 1.0609, fitted.intercept = 0.019, fitted.reference_probe_ms = 0.2563;
  fitted.margin = 0.043;
  std::map<std::string, double> metrics;
  for (const auto& [name, value] : AmcLatencyLineMetrics(fitted)) metrics[name] = value;
  EXPECT_EQ(metrics.size(), 4u);
  const auto stored = [&metrics](const std::string& name) -> std::optional<double> {
    const auto it = metrics.find(name);
    return it == metrics.end() ? std::nullopt : std::optional<double>(it->second);
  };
  AmcLatencyCost restored;
  ASSERT_TRUE(RestoreAmcLatencyLine(restored, stored));
  EXPECT_EQ(restored.slope, 1.0609);
  EXPECT_EQ(restored.intercept, 0.019);
  EXPECT_EQ(restored.reference_probe_ms, 0.2563);
  EXPECT_EQ(restored.margin, 0.043);
  metrics.erase("amc_latency_margin");
  AmcLatencyCost untouched;
  EXPECT_FALSE(RestoreAmcLatencyLine(untouched, stored));
  EXPECT_EQ(untouched.slope, 1);
}

// Half of every group, rounded up to multiples of 8, never an expand convolution that keeps as
// many channels as its input: block1.mid would be 8 at 0.2, so the lowest it takes is 16.
TEST(ChannelGroupsTest, UniformCountsFollowOneRatio) {
  const NetSpec net = ResidualNet();
  const amc::ChannelGroups g = amc::FindChannelGroups(net);
  EXPECT_THAT(amc::UniformCounts(net, g, 0.5, 0.2, 8),
              ::testing::ElementsAre(1, 8, 16, 8, 24, 16, 4));
  EXPECT_THAT(amc::UniformCounts(net, g, 1.0, 0.2, 8),
              ::testing::ElementsAre(1, 8, 24, 16, 48, 32, 4));
  std::vector<int64_t> lowest = amc::UniformCounts(net, g, 1.0, 0.2, 8);
  amc::FillLowest(net, g, 0, 0.2, 8, lowest);
  EXPECT_THAT(lowest, ::testing::ElementsAre(1, 8, 16, 8, 16, 8, 4));
}

// The classifier's input, in eval mode, for the calibration images.
torch::Tensor Logits(supernet::Network& net, const torch::Tensor& images) {
  net->eval();
  torch::NoGradGuard no_grad;
  return net->forward(images);
}

void ZeroInputs(supernet::Network& net, const std::string& key, int64_t first, int64_t count) {
  torch::NoGradGuard no_grad;
  net->named_parameters()[key].slice(1, first, first + count).zero_();
}

// Channels that no layer reads carry nothing: they rank last, and pruning them (with
// reconstruction of every reading layer) leaves the outputs as they were.
TEST(ChannelPrunerTest, PruningChannelsNobodyReadsKeepsTheOutputs) {
  torch::manual_seed(1);
  const NetSpec net = ResidualNet();
  supernet::Network original(net);
  ZeroInputs(original, "layers.block2.project.conv.weight", 40, 8);  // block2.mid 48 -> 40
  ZeroInputs(original, "layers.block2.expand.conv.weight", 0, 4);    // residual 16 -> 12
  ZeroInputs(original, "layers.mix.conv.weight", 0, 4);
  const torch::Tensor images = torch::randn({64, 1, 16, 16});
  const amc::ChannelGroups groups = amc::FindChannelGroups(net);
  amc::ChannelPruner pruner(net, original, groups, images, 10, 7);
  EXPECT_THAT(pruner.KeptChannels(4, 40), ::testing::Each(::testing::Lt(40)));
  EXPECT_THAT(pruner.KeptChannels(3, 12), ::testing::Each(::testing::Ge(4)));

  supernet::Network same = pruner.Prune({1, 8, 24, 16, 48, 32, 4});
  EXPECT_TRUE(torch::allclose(Logits(same, images), Logits(original, images)));
  EXPECT_EQ(pruner.solves(), 0);

  supernet::Network pruned = pruner.Prune({1, 8, 24, 12, 40, 32, 4});
  EXPECT_EQ(ArchString(pruned->spec()), "conv3s2x8 k3e3s2x12 k3m40x12 conv1x32 logits4");
  const double error =
      (Logits(pruned, images) - Logits(original, images)).abs().max().item<double>();
  EXPECT_LT(error, 1e-3);
  EXPECT_EQ(pruner.solves(), 3);  // block2 expand and mix (residual group), block2 project
}

// Dropping channels that matter changes the outputs; least squares reconstruction of the layers
// that read them recovers much of the difference that plain slicing leaves.
TEST(ChannelPrunerTest, ReconstructionRecoversOutputs) {
  torch::manual_seed(2);
  const NetSpec net = ResidualNet();
  supernet::Network original(net);
  const torch::Tensor images = torch::randn({128, 1, 16, 16});
  const amc::ChannelGroups groups = amc::FindChannelGroups(net);
  amc::ChannelPruner pruner(net, original, groups, images, 20, 7);
  supernet::Network pruned = pruner.Prune({1, 8, 24, 16, 24, 32, 4});  // block2.mid 48 -> 24
  // The same channels without reconstruction: slice block2's project input by hand.
  supernet::Network sliced(pruned->spec());
  {
    torch::NoGradGuard no_grad;
    auto from = pruned->named_parameters();
    for (auto& item : sliced->named_parameters()) item.value().copy_(from[item.key()]);
    auto buffers = pruned->named_buffers();
    for (auto& item : sliced->named_buffers()) item.value().copy_(buffers[item.key()]);
    const auto kept = torch::tensor(pruner.KeptChannels(4, 24), torch::kLong);
    sliced->named_parameters()["layers.block2.project.conv.weight"].copy_(
        original->named_parameters()["layers.block2.project.conv.weight"].index_select(1, kept));
  }
  const torch::Tensor reference = Logits(original, images);
  const double reconstructed = (Logits(pruned, images) - reference).pow(2).mean().item<double>();
  const double plain = (Logits(sliced, images) - reference).pow(2).mean().item<double>();
  EXPECT_LT(reconstructed, 0.5 * plain) << reconstructed << " vs " << plain;
}

Config SyntheticConfig() {
  Config config = hwnas::testing::SyntheticCompressionConfig("amc");
  hwnas::testing::ShortSearch(config.amc, /*episodes=*/40, /*warmup=*/10,
                              /*calibration_images=*/256);
  config.amc.channel_multiple = 4;
  return config;
}

// A trained ResidualNet and its weights file, shared by the searches below.
const hwnas::testing::TrainedNetwork& TrainedNet() {
  return hwnas::testing::TrainOnce(ResidualNet(), SyntheticConfig(), "amc-trained");
}

AmcResult Search(const Config& config, RecordingReporter& reporter) {
  AmcProblem problem(ResidualNet(), TrainedNet().weights, config, TrainedNet().data, FlopsCost());
  return RunAmc(problem, hwnas::testing::QuietContext(reporter, "amc-search"));
}

TEST(AmcTest, EveryEpisodeMeetsTheFlopsBudgetAndTheBestIsExported) {
  const auto& trained = TrainedNet();
  ASSERT_GT(trained.test_accuracy, 0.6);  // chance is 0.25
  RecordingReporter reporter;
  const AmcResult result = Search(trained.config, reporter);
  const double budget = 0.5 * NetFlops(ResidualNet());
  ASSERT_EQ(reporter.episodes.size(), 40u);
  for (const EpisodeRecord& e : reporter.episodes) {
    EXPECT_LE(e.cost, budget) << "episode " << e.episode;
    EXPECT_LE(e.cost_ratio, 0.5);
    EXPECT_THAT(
        e.policy_json,
        HasSubstr(
            "\"groups\":[\"stem.out\",\"block1.mid\",\"block1.out\",\"block2.mid\",\"mix.out\"]"));
  }
  EXPECT_LE(NetFlops(result.best.net), budget);
  EXPECT_GE(NetFlops(result.best.net), 0.8 * budget);
  EXPECT_DOUBLE_EQ(result.best_reward, reporter.episodes[result.best_episode].reward);
  EXPECT_GT(result.best.finetuned.test_accuracy, 0.5);
  ASSERT_EQ(reporter.architectures.size(), 1u);
  EXPECT_EQ(reporter.architectures[0].role, "final");
  EXPECT_EQ(reporter.architectures[0].arch, ArchString(result.best.net));
  EXPECT_GT(result.times.evaluate, 0);
}

TEST(AmcTest, SameSeedGivesTheSamePolicy) {
  Config config = TrainedNet().config;
  config.amc.episodes = 15;
  config.amc.finetune_epochs = 0;
  RecordingReporter a, b;
  const AmcResult first = Search(config, a), second = Search(config, b);
  EXPECT_EQ(first.best.channels, second.best.channels);
  for (size_t i = 0; i < a.episodes.size(); ++i)
    EXPECT_EQ(a.episodes[i].reward, b.episodes[i].reward);
}

TEST(AmcTest, UniformBaselineMeetsTheSameBudget) {
  Config config = TrainedNet().config;
  config.amc.episodes = 12;
  config.amc.compare_uniform = true;
  RecordingReporter reporter;
  const AmcResult result = Search(config, reporter);
  ASSERT_TRUE(result.uniform.has_value());
  EXPECT_LE(result.uniform->cost, 0.5 * NetFlops(ResidualNet()));
  ASSERT_EQ(reporter.architectures.size(), 2u);
  EXPECT_EQ(reporter.architectures[1].role, "baseline");
  bool prefixed = false;
  for (const auto& m : reporter.metrics) prefixed |= m.name == "uniform_test_accuracy";
  EXPECT_TRUE(prefixed);
}

// A latency budget is checked by timing: a network whose measurement meets it is exported as
// soon as one of the best episodes does; once one times over its estimate, the next tried have
// room for that over-run; when none meets it, the fastest of those timed is exported.
TEST(AmcTest, MeasuredLatencyDecidesTheExportedNetwork) {
  Config config = TrainedNet().config;
  config.amc.episodes = 15;
  config.amc.finetune_epochs = 0;
  config.amc.target_kind = AmcTarget::kLatency;
  config.amc.target_ms = 0.5 * NetFlops(ResidualNet()) / 1e6;  // "ms" = M MACs here
  const auto estimate = [](const NetSpec& net) { return NetFlops(net) / 1e6; };
  struct Timing {
    double scale, extra;
  };
  for (const Timing timing : {Timing{1, 0}, Timing{1.1, 0}, Timing{1, 1.0}}) {
    const auto measure = [&](const NetSpec& net) {
      return estimate(net) * timing.scale + timing.extra;
    };
    AmcProblem problem(ResidualNet(), TrainedNet().weights, config, TrainedNet().data,
                       CostModel{"ms", estimate, measure});
    RecordingReporter reporter;
    const AmcResult result =
        RunAmc(problem, hwnas::testing::QuietContext(reporter, "amc-measured"));
    ASSERT_TRUE(result.measured_ms.has_value());
    EXPECT_DOUBLE_EQ(*result.measured_ms, measure(result.best.net));
    EXPECT_EQ(reporter.architectures[0].measured_latency_ms, result.measured_ms);
    if (timing.extra == 0) {
      EXPECT_LE(*result.measured_ms, config.amc.target_ms);
      // The best episode fits; 10% over: it does not, and the next tried has 10% to spare.
      EXPECT_EQ(result.measured_candidates, timing.scale == 1 ? 1 : 2);
      if (timing.scale != 1) {
        EXPECT_LE(estimate(result.best.net) * 1.1, config.amc.target_ms);
      }
    } else {
      EXPECT_GE(result.measured_candidates, 1);  // nothing fits: the fastest of those timed
      EXPECT_GT(*result.measured_ms, config.amc.target_ms);
    }
  }
}

TEST(AmcTest, BudgetBelowTheCheapestNetworkIsRefused) {
  Config config = TrainedNet().config;
  config.amc.flops_ratio = 0.01;
  try {
    AmcProblem(ResidualNet(), TrainedNet().weights, config, TrainedNet().data, FlopsCost());
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_THAT(e.what(), HasSubstr("amc.flops_ratio: below the cheapest pruned network (got "
                                    "0.01; expected at least 0."));
  }
}

TEST(AmcTest, NetworkWithoutPrunableGroupsIsRefused) {
  NetSpec tiny;
  tiny.name = "tiny";
  tiny.input_channels = 1;
  tiny.input_size = 16;
  tiny.num_classes = 4;
  tiny.layers = {{LayerKind::kConv, "stem", 1, 4, 0, 3, 2, 16},
                 {LayerKind::kLogits, "classifier", 4, 4, 0, 1, 1, 8}};
  try {
    AmcProblem(tiny, TrainedNet().weights, TrainedNet().config, TrainedNet().data, FlopsCost());
    FAIL() << "expected DataError";
  } catch (const DataError& e) {
    EXPECT_THAT(e.what(), HasSubstr("network 'tiny' has no channel group AMC can prune"));
  }
}

TEST(AmcTest, MissingOrMismatchedWeightsAreRefused) {
  const auto& t = TrainedNet();
  EXPECT_THROW(AmcProblem(ResidualNet(), "/nonexistent.pt", t.config, t.data, FlopsCost()),
               DataError);
  NetSpec wider = ResidualNet();
  wider.layers[3].out_channels = 40;
  wider.layers[4].in_channels = 40;
  try {
    AmcProblem(wider, t.weights, t.config, t.data, FlopsCost());
    FAIL() << "expected DataError";
  } catch (const DataError& e) {
    EXPECT_THAT(e.what(), HasSubstr("cannot load weights"));
  }
}

}  // namespace
}  // namespace hwnas::search
