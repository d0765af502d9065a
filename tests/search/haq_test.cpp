// HAQ mixed precision: quantizable operators of a NetSpec, exact model size, fake quantization
// (grids, straight-through gradients, KL clipping), HAQ's budget constraint, and whole searches
// on synthetic data whose every episode meets the budget.
#include "search/haq/haq.h"
#include "search/haq/haq_impl.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <torch/utils.h>

#include <set>

#include "core/dataset.h"
#include "core/errors.h"
#include "core/netspec_yaml.h"
#include "latency/model_device.h"
#include "search/quant/calibration.h"
#include "search/train_util.h"
#include "supernet/fake_quant.h"
#include "supernet/network.h"
#include "tests/support/compression_fixture.h"

namespace hwnas::search {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

// block2 has no expand convolution.
NetSpec ResidualNet() { return hwnas::testing::ResidualNet(/*block2_mid=*/16); }

TEST(QuantOpsTest, EveryConvolutionAndTheClassifierInForwardOrder) {
  std::vector<std::string> names;
  for (const QuantOp& op : QuantOps(ResidualNet())) names.push_back(op.name);
  EXPECT_THAT(names,
              ElementsAre("stem.conv", "block1.expand", "block1.depthwise", "block1.project",
                          "block2.depthwise", "block2.project", "mix.conv", "classifier.logits"));
  const QuantOp dw = QuantOps(ResidualNet())[2];
  EXPECT_TRUE(dw.depthwise);
  EXPECT_EQ(dw.in_channels, 24);
  EXPECT_EQ(dw.stride, 2);
  EXPECT_EQ(dw.feature_size, 64);  // 8 x 8 input
  EXPECT_DOUBLE_EQ(dw.weights, 9 * 24);
}

// HAQ's published table indexes MobileNetV2's 53 quantizable operators.
TEST(QuantOpsTest, MobileNetV2ImageNetHas53) {
  const NetSpec net =
      LoadNetSpecFile(std::string(HWNAS_SOURCE_DIR) + "/configs/nets/mobilenetv2-imagenet.yaml");
  EXPECT_EQ(QuantOpCount(net), 53u);
  EXPECT_EQ(QuantOps(net).front().name, "stem.conv");
  EXPECT_EQ(QuantOps(net)[1].name, "block1.depthwise");  // expansion 1: no expand conv
  EXPECT_EQ(QuantOps(net)[51].name, "head.conv");
  EXPECT_NEAR(NetFlops(net) / 1e6, 300.8, 0.5);  // MobileNetV2 1.0: about 300 M MACs
}

TEST(BitPolicyTest, ParsesAppliesAndSizesExactly) {
  const NetSpec net = ResidualNet();
  EXPECT_DOUBLE_EQ(NetSizeBits(net), 32 * NetParams(net));  // everything at 32 bits
  std::vector<OpBits> bits(8, OpBits{8, 8});
  bits[3] = {4, 6};  // block1.project: 24 x 16 weights
  const NetSpec q = ApplyBitPolicy(net, bits);
  EXPECT_EQ(FormatBitPolicy(BitPolicyOf(q)), "w8a8 w8a8 w8a8 w4a6 w8a8 w8a8 w8a8 w8a8");
  const double weights = NetParams(net) - (2 * 8 + 2 * (24 + 24 + 16) + 2 * (16 + 16) + 2 * 32 + 4);
  EXPECT_DOUBLE_EQ(NetSizeBits(q), 8 * weights - 4 * 24 * 16 + 32 * (NetParams(net) - weights));
  EXPECT_EQ(NetSpecFromJson(NetSpecToJson(q), "q").layers[1].op_bits, q.layers[1].op_bits);
  EXPECT_EQ(ParseBitPolicy("w8a8, w2a3").size(), 2u);
  try {
    ParseBitPolicy("w8a8 w9a8", 8);
    FAIL() << "expected DataError";
  } catch (const DataError& e) {
    EXPECT_THAT(e.what(), HasSubstr("operator 2 is 'w9a8' (expected wWaA with W and A in [1, 8]"));
  }
  try {
    ApplyBitPolicy(net, std::vector<OpBits>(7));
    FAIL() << "expected DataError";
  } catch (const DataError& e) {
    EXPECT_THAT(e.what(), HasSubstr("needs 8 operators (one wWaA each); got 7"));
  }
}

// The distinct values of a tensor, ascending.
std::vector<float> Distinct(const torch::Tensor& t) {
  const torch::Tensor c = t.detach().contiguous().to(torch::kFloat).flatten();
  std::set<float> values(c.data_ptr<float>(), c.data_ptr<float>() + c.numel());
  return {values.begin(), values.end()};
}

TEST(FakeQuantTest, WeightsTakeTheirChannelsGridAndPassGradientsStraightThrough) {
  torch::manual_seed(3);
  torch::Tensor w = torch::randn({4, 3, 3, 3}, torch::requires_grad());
  const torch::Tensor q = supernet::FakeQuantWeight(w, 3);
  for (int64_t c = 0; c < 4; ++c) {
    const double scale = w[c].abs().max().item<double>() / 3;  // 2^(3-1) - 1 levels per sign
    const torch::Tensor steps = q[c].detach() / scale;
    EXPECT_TRUE(torch::allclose(steps, steps.round(), 1e-4, 1e-4));
    EXPECT_LE(Distinct(q[c]).size(), 7u);
  }
  q.sum().backward();
  EXPECT_TRUE(torch::allclose(w.grad(), torch::ones_like(w)));
}

TEST(FakeQuantTest, ActivationsAreClippedToTheirGrid) {
  const torch::Tensor x = torch::linspace(-7, 7, 141);
  const torch::Tensor u = supernet::FakeQuantActivation(x, 2, 6.0, /*is_signed=*/false);
  EXPECT_THAT(Distinct(u), ElementsAre(0, 2, 4, 6));
  const torch::Tensor s = supernet::FakeQuantActivation(x, 2, 6.0, /*is_signed=*/true);
  EXPECT_THAT(Distinct(s), ElementsAre(-6, 0, 6));
}

// A long tail pulls the range far out; at 4 bits the KL threshold cuts it, from 5 bits the
// range is kept.
TEST(CalibrationTest, KlThresholdClipsOutliersBelowFiveBits) {
  torch::manual_seed(4);
  torch::Tensor values = torch::randn({20000}).abs();
  values[0] = 40;
  EXPECT_LT(quant::ClipThreshold(values, 4), 10);
  EXPECT_FLOAT_EQ(quant::ClipThreshold(values, 5), 40);
}

// 8-bit quantization barely changes what a network computes; 2-bit changes it far more.
TEST(CalibrationTest, EightBitNetworkStaysCloseToFullPrecision) {
  torch::manual_seed(5);
  const NetSpec net = ResidualNet();
  supernet::Network fp(net);
  const torch::Tensor images = torch::randn({64, 1, 16, 16});
  auto logits_at = [&](int b) {
    supernet::Network q(ApplyBitPolicy(net, std::vector<OpBits>(8, OpBits{b, b})));
    torch::NoGradGuard no_grad;
    auto from = fp->named_parameters();
    for (auto& item : q->named_parameters()) item.value().copy_(from[item.key()]);
    supernet::CalibrateActivations(q, images, quant::ClipThreshold);
    q->eval();
    return q->forward(images);
  };
  fp->eval();
  const torch::Tensor reference = fp->forward(images).detach();
  const double error8 = (logits_at(8) - reference).abs().mean().item<double>();
  const double error2 = (logits_at(2) - reference).abs().mean().item<double>();
  EXPECT_LT(error8, 0.05 * reference.abs().mean().item<double>());
  EXPECT_GT(error2, 5 * error8);
}

// HAQ's constraint lowers activation bits, then weight bits, from the last free operator back.
TEST(FitToBudgetTest, LowersFromTheLastFreeOperator) {
  const NetSpec net = ResidualNet();
  std::vector<bool> pinned(8, false);
  pinned.front() = pinned.back() = true;
  const std::vector<OpBits> eight(8, OpBits{8, 8});
  const CostModel size = SizeCost();
  const double all8 = size.cost(ApplyBitPolicy(net, eight));
  // Size counts weight bits only: the first lowering that helps is mix.conv's weights.
  const auto fitted = FitToBudget(net, eight, size, all8 - 1, 2, pinned);
  EXPECT_EQ(FormatBitPolicy(fitted), "w8a8 w8a8 w8a8 w8a8 w8a8 w8a8 w7a7 w8a8");
  const double four = size.cost(
      ApplyBitPolicy(net, {{8, 8}, {4, 4}, {4, 4}, {4, 4}, {4, 4}, {4, 4}, {4, 4}, {8, 8}}));
  const auto at_four = FitToBudget(net, eight, size, four, 2, pinned);
  EXPECT_LE(size.cost(ApplyBitPolicy(net, at_four)), four);
  EXPECT_EQ(at_four.front(), (OpBits{8, 8}));
  EXPECT_EQ(at_four.back(), (OpBits{8, 8}));
}

Config SyntheticConfig() {
  Config config = hwnas::testing::SyntheticCompressionConfig("haq");
  hwnas::testing::ShortSearch(config.haq, /*episodes=*/25, /*warmup=*/8,
                              /*calibration_images=*/128);
  config.haq.budget_bits = 4;
  return config;
}

const hwnas::testing::TrainedNetwork& TrainedNet() {
  return hwnas::testing::TrainOnce(ResidualNet(), SyntheticConfig(), "haq-trained");
}

CostModel BitSerialCost() {
  auto device = std::shared_ptr<latency::ModelDevice>(latency::LoadModelDevice(
      std::string(HWNAS_SOURCE_DIR) + "/configs/devices/bitserial-bismo.yaml"));
  return {"ms", [device](const NetSpec& net) { return device->NetworkCostMs(net); }};
}

// At 8 bits the trained network keeps its accuracy, at 4 bits nearly (the activation clips come
// from KL calibration there; with the zeros of ReLU6 left in the histogram they collapsed and
// the network fell to chance).
TEST(HaqTest, UniformBitsKeepTheTrainedNetworksAccuracy) {
  const auto& t = TrainedNet();
  HaqProblem problem(ResidualNet(), t.weights, t.config, t.data, SizeCost());
  HaqProblem::Impl& p = problem.impl();
  supernet::Network eight = p.Quantized(p.Uniform(8));
  supernet::Network four = p.Quantized(p.Uniform(4));
  EXPECT_NEAR(BatchesAccuracy(eight, p.eval_batches), p.full_precision_accuracy, 0.03);
  EXPECT_GT(BatchesAccuracy(four, p.eval_batches), p.full_precision_accuracy - 0.1);
}

// haq.episode_finetune_batches: that many training batches of data.batch_size, and the brief
// fine-tuning they drive recovers accuracy that 2-bit weights lost (74.7% -> 91.6% here).
TEST(HaqTest, EpisodeFineTuningTakesItsBatchesAndRecoversAccuracy) {
  const auto& t = TrainedNet();
  Config config = t.config;
  config.haq.episode_finetune_batches = 6;
  HaqProblem problem(ResidualNet(), t.weights, config, t.data, SizeCost());
  HaqProblem::Impl& p = problem.impl();
  ASSERT_EQ(p.finetune_batches.size(), 6u);
  for (const auto& [images, labels] : p.finetune_batches) EXPECT_EQ(labels.size(0), 32);
  std::vector<OpBits> two_bit_weights = p.Uniform(8);
  for (size_t i = 1; i + 1 < two_bit_weights.size(); ++i) two_bit_weights[i] = {2, 8};
  supernet::Network q = p.Quantized(two_bit_weights);
  const double before = BatchesAccuracy(q, p.eval_batches);
  p.FineTuneBriefly(q);
  const double after = BatchesAccuracy(q, p.eval_batches);
  EXPECT_GT(after, before + 0.08) << "before " << before << ", after " << after;
}

TEST(HaqTest, EveryEpisodeMeetsTheBudgetAndTheBestIsFineTuned) {
  const auto& t = TrainedNet();
  HaqProblem problem(ResidualNet(), t.weights, t.config, t.data, BitSerialCost());
  EXPECT_EQ(problem.steps(), 12);  // 6 free operators, weight and activation each
  RecordingReporter reporter;
  const HaqResult result = RunHaq(problem, hwnas::testing::QuietContext(reporter, "haq-search"));
  ASSERT_EQ(reporter.episodes.size(), 25u);
  for (const EpisodeRecord& e : reporter.episodes) {
    EXPECT_LE(e.cost, problem.budget() * (1 + 1e-12)) << "episode " << e.episode;
    EXPECT_THAT(e.policy_json, HasSubstr("\"bits\":\"w8a8 "));  // the pinned first operator
  }
  EXPECT_LE(result.best.cost, problem.budget() * (1 + 1e-12));
  EXPECT_EQ(result.best.bits.back(), (OpBits{8, 8}));
  EXPECT_GT(result.full_precision_accuracy, 0.6);
  EXPECT_GT(result.best.finetuned.test_accuracy, 0.5)  // chance is 0.25
      << "held-out before fine-tuning " << result.best.holdout_accuracy << ", full precision "
      << result.full_precision_accuracy << ", bits " << FormatBitPolicy(result.best.bits);
  ASSERT_EQ(reporter.architectures.size(), 1u);
  EXPECT_THAT(reporter.architectures[0].netspec_json, HasSubstr("\"op_bits\":\"w8a8"));
  EXPECT_LT(reporter.architectures[0].size_bits, NetSizeBits(ResidualNet()) / 3);
}

TEST(HaqTest, BudgetBelowTheCheapestPolicyIsRefused) {
  Config config = TrainedNet().config;
  config.haq.budget_bits = 0;
  config.haq.budget_ratio = 0.01;
  try {
    HaqProblem(ResidualNet(), TrainedNet().weights, config, TrainedNet().data, SizeCost());
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_THAT(e.what(), HasSubstr("haq.budget_ratio: below the cheapest policy (got 0.01; "
                                    "expected at least 0."));
  }
}

}  // namespace
}  // namespace hwnas::search
