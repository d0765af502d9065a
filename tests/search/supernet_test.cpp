#include "supernet/supernet.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <torch/nn/functional/loss.h>
#include <torch/nn/modules/container/sequential.h>
#include <torch/types.h>
#include <torch/utils.h>

#include <cmath>
#include <string>
#include <vector>

#include "core/errors.h"
#include "latency/estimator.h"
#include "latency/op_key.h"
#include "latency/table.h"

namespace hwnas::supernet {
namespace {

// 8x8x1 input; stage1.block1 (4 -> 8, stride 2: no skip), stage1.block2 and stage2.block1
// (8 -> 8 at 4x4: skip allowed); mix 16, 3 classes.
constexpr char kTinySpace[] =
    "name: tiny\ninput: {channels: 1, size: 8}\nclasses: 3\n"
    "stem: {out: 4, kernel: 3, stride: 1}\nfirst_block: {out: 4, expand: 1, kernel: 3}\n"
    "stages:\n  - {width: 8, depth: 2, stride: 2}\n  - {width: 8, depth: 1, stride: 1}\n"
    "candidates: [k3e3, k5e3]\nskip: true\nhead: {mix: 16}\n";

SearchSpace Tiny() { return SearchSpaceFromYamlString(kTinySpace, "tiny.yaml"); }

torch::Tensor Input() { return torch::randn({2, 1, 8, 8}); }
torch::Tensor Labels() { return torch::tensor({0, 2}, torch::kLong); }
torch::Tensor Loss(const torch::Tensor& logits) {
  return torch::nn::functional::cross_entropy(logits, Labels());
}

void SetAlpha(SuperNet& net, size_t b, const std::vector<double>& values) {
  torch::NoGradGuard no_grad;
  net->ArchParameters()[b].copy_(torch::tensor(values, torch::kDouble));
}

std::vector<double> Values(const torch::Tensor& t) {
  torch::Tensor d = t.detach().to(torch::kDouble).contiguous();
  return std::vector<double>(d.data_ptr<double>(), d.data_ptr<double>() + d.numel());
}

std::vector<double> Softmax(const std::vector<double>& a) {
  std::vector<double> p;
  double sum = 0;
  for (double v : a) sum += p.emplace_back(std::exp(v));
  for (double& v : p) v /= sum;
  return p;
}

double LogSumExp(double a, double b) { return std::log(std::exp(a) + std::exp(b)); }

size_t IndexOf(const std::vector<std::string>& names, const std::string& name) {
  return static_cast<size_t>(std::find(names.begin(), names.end(), name) - names.begin());
}

// Candidate j's weights in the supernet: "<block>.<op>." parameters.
std::vector<torch::Tensor> CandidateWeights(SuperNet& net, size_t b, const std::string& op) {
  std::string prefix = net->blocks()[b].name + "." + op + ".";
  prefix[prefix.find('.')] = '_';
  std::vector<torch::Tensor> weights;
  for (const auto& item : net->named_parameters())
    if (item.key().rfind(prefix, 0) == 0) weights.push_back(item.value());
  return weights;
}

// Seeds SampleFromAlpha until no block's active op is skip (deterministic: seeds are fixed).
void SampleWithoutSkip(SuperNet& net, GateMode mode) {
  for (uint64_t seed = 1; seed < 200; ++seed) {
    Rng rng(seed);
    net->SampleFromAlpha(rng, mode);
    const Arch arch = net->ActiveArch();
    if (std::count(arch.choices.begin(), arch.choices.end(), kSkipOp) == 0) return;
  }
  FAIL() << "every seed sampled skip somewhere";
}

// Layers [begin, end) of a standalone network.
torch::Tensor RunLayers(Network& net, size_t begin, size_t end, torch::Tensor x) {
  auto layers =
      std::dynamic_pointer_cast<torch::nn::SequentialImpl>(net->named_children()["layers"]);
  for (size_t i = begin; i < end; ++i) x = (layers->begin() + i)->forward(x);
  return x;
}

Network Inherit(SuperNet& net, const Arch& arch) {
  Network standalone(ToNetSpec(net->space(), arch));
  net->CopyWeightsTo(arch, standalone);
  return standalone;
}

// The ProxylessNAS estimate for block b's alpha, computed from standalone copies of the active
// network: dL/dalpha_i = sum_j <o_j(x_b), dL/dy_b> p_j (delta_ij - p_i).
std::vector<double> ExplicitAlphaGrad(SuperNet& net, size_t b, const torch::Tensor& x) {
  const Arch active = net->ActiveArch();
  size_t position = 2;  // stem, first
  for (size_t k = 0; k < b; ++k) position += active.choices[k] == kSkipOp ? 0 : 1;
  Network path = Inherit(net, active);
  const torch::Tensor x_b = RunLayers(path, 0, position, x).detach();
  const torch::Tensor y_b = RunLayers(path, position, position + 1, x_b).detach().requires_grad_();
  const size_t end = path->spec().layers.size();
  Loss(RunLayers(path, position + 1, end, y_b)).backward();
  const std::vector<std::string>& names = net->candidates(b);
  std::vector<double> gate_grad;
  for (const std::string& name : names) {
    Arch with_j = active;
    with_j.choices[b] = name;
    torch::NoGradGuard no_grad;
    Network candidate = Inherit(net, with_j);
    const torch::Tensor o =
        name == kSkipOp ? x_b : RunLayers(candidate, position, position + 1, x_b);
    gate_grad.push_back((o * y_b.grad()).sum().item<double>());
  }
  const std::vector<double> p = net->Probabilities()[b];
  std::vector<double> grad(names.size(), 0.0);
  for (size_t i = 0; i < names.size(); ++i)
    for (size_t j = 0; j < names.size(); ++j)
      grad[i] += gate_grad[j] * p[j] * ((i == j ? 1.0 : 0.0) - p[i]);
  return grad;
}

TEST(SuperNetTest, OneMixedOpPerBlockWithItsCandidates) {
  torch::manual_seed(0);
  SuperNet net(Tiny());
  ASSERT_EQ(net->blocks().size(), 3u);
  EXPECT_EQ(net->candidates(0), (std::vector<std::string>{"k3e3", "k5e3"}));
  EXPECT_EQ(net->candidates(1), (std::vector<std::string>{"k3e3", "k5e3", "skip"}));
  EXPECT_EQ(net->candidates(2), (std::vector<std::string>{"k3e3", "k5e3", "skip"}));
  const std::vector<torch::Tensor> alphas = net->ArchParameters();
  ASSERT_EQ(alphas.size(), 3u);
  EXPECT_EQ(alphas[0].numel(), 2);
  EXPECT_EQ(alphas[1].numel(), 3);
  EXPECT_EQ(net->WeightParameters().size() + alphas.size(), net->parameters().size());
  for (const torch::Tensor& w : net->WeightParameters())
    for (const torch::Tensor& a : alphas) EXPECT_FALSE(w.is_same(a));
  EXPECT_EQ(net->forward(Input()).sizes(), (std::vector<int64_t>{2, 3}));
}

TEST(SuperNetTest, CandidatesAreTheLayersToNetSpecBuilds) {
  SuperNet net(Tiny());
  // k5e3 at stage1.block1 expands 4 -> 12 with a 5x5 depthwise conv.
  const std::vector<torch::Tensor> k5 = CandidateWeights(net, 0, "k5e3");
  ASSERT_FALSE(k5.empty());
  EXPECT_EQ(k5[0].sizes(), (std::vector<int64_t>{12, 4, 1, 1}));
  const Arch arch = ParseArch(net->space(), "k5e3 skip k3e3");
  double params = 0;
  for (const torch::Tensor& p : Inherit(net, arch)->parameters()) params += p.numel();
  EXPECT_EQ(params, NetParams(ToNetSpec(net->space(), arch)));
}

TEST(SuperNetTest, AlphaStartsAtZeroAndDeriveIsItsArgmax) {
  SuperNet net(Tiny());
  for (const torch::Tensor& a : net->ArchParameters()) EXPECT_EQ(a.abs().sum().item<double>(), 0.0);
  EXPECT_EQ(FormatArch(net->Derive()), "k3e3 k3e3 k3e3");
  EXPECT_NEAR(net->Entropies()[1], std::log(3.0), 1e-9);
  SetAlpha(net, 1, {0.1, 0.2, 0.3});
  SetAlpha(net, 2, {0.0, 0.5, 0.5});
  EXPECT_EQ(FormatArch(net->Derive()), "k3e3 skip k5e3");
  EXPECT_NO_THROW(ToNetSpec(net->space(), net->Derive()));
  EXPECT_NEAR(net->Probabilities()[1][2], Softmax({0.1, 0.2, 0.3})[2], 1e-6);
}

TEST(SuperNetTest, ExpectedLatencyAndItsGradientAreTheSoftmaxExpectation) {
  SuperNet net(Tiny());
  const std::vector<std::vector<double>> alpha = {{0.3, -0.4}, {0.0, 1.0, -1.0}, {0.2, 0.1, 0.5}};
  const std::vector<std::vector<double>> ms = {{1.0, 2.0}, {0.5, 1.5, 0.0}, {0.7, 0.9, 0.0}};
  for (size_t b = 0; b < 3; ++b) SetAlpha(net, b, alpha[b]);
  const torch::Tensor expected = net->ExpectedLatency(ms, 3.0);
  double hand = 3.0;
  for (size_t b = 0; b < 3; ++b) {
    const std::vector<double> p = Softmax(alpha[b]);
    for (size_t j = 0; j < p.size(); ++j) hand += p[j] * ms[b][j];
  }
  EXPECT_NEAR(expected.item<double>(), hand, 1e-6);
  expected.backward();
  for (size_t b = 0; b < 3; ++b) {
    // d(p . c)/dalpha_i = p_i (c_i - p . c)
    const std::vector<double> p = Softmax(alpha[b]);
    double mean = 0;
    for (size_t j = 0; j < p.size(); ++j) mean += p[j] * ms[b][j];
    const std::vector<double> grad = Values(net->ArchParameters()[b].grad());
    for (size_t i = 0; i < p.size(); ++i) EXPECT_NEAR(grad[i], p[i] * (ms[b][i] - mean), 1e-6);
  }
  EXPECT_THROW(net->ExpectedLatency({{1.0, 2.0}}, 0.0), std::invalid_argument);
}

TEST(SuperNetTest, FullV2GivesEveryAlphaAGradientAndOnlyTheSampledPathWeights) {
  torch::manual_seed(1);
  SuperNet net(Tiny());
  SetAlpha(net, 1, {0.2, -0.1, -3.0});
  SetAlpha(net, 2, {-0.3, 0.4, -3.0});
  SampleWithoutSkip(net, GateMode::kFullV2);
  Loss(net->forward(Input())).backward();
  const Arch active = net->ActiveArch();
  for (size_t b = 0; b < 3; ++b) {
    const std::vector<double> grad = Values(net->ArchParameters()[b].grad());
    double sum = 0;
    for (double g : grad) {
      EXPECT_NE(g, 0.0) << net->blocks()[b].name;
      sum += g;
    }
    EXPECT_NEAR(sum, 0.0, 1e-6);  // the softmax Jacobian's rows sum to zero
    for (const char* op : {"k3e3", "k5e3"}) {
      for (const torch::Tensor& w : CandidateWeights(net, b, op))
        EXPECT_EQ(w.grad().defined(), op == active.choices[b]) << net->blocks()[b].name << op;
    }
  }
}

TEST(SuperNetTest, FullV2AlphaGradientIsTheBinaryGateEstimate) {
  torch::manual_seed(2);
  SuperNet net(Tiny());
  SetAlpha(net, 0, {0.4, -0.2});
  SetAlpha(net, 1, {0.1, 0.3, -2.0});
  SetAlpha(net, 2, {0.5, -0.5, -2.0});
  SampleWithoutSkip(net, GateMode::kFullV2);
  const torch::Tensor x = Input();
  Loss(net->forward(x)).backward();
  for (size_t b = 0; b < 3; ++b) {
    const std::vector<double> expected = ExplicitAlphaGrad(net, b, x);
    const std::vector<double> actual = Values(net->ArchParameters()[b].grad());
    ASSERT_EQ(actual.size(), expected.size());
    for (size_t i = 0; i < expected.size(); ++i)
      EXPECT_NEAR(actual[i], expected[i], 1e-4) << net->blocks()[b].name << " alpha " << i;
  }
}

TEST(SuperNetTest, SkipActiveGivesItsBlockNoArchitectureGradient) {
  torch::manual_seed(3);
  SuperNet net(Tiny());
  for (const torch::Tensor& a : net->ArchParameters()) a.mutable_grad() = torch::ones_like(a);
  SetAlpha(net, 1, {0.0, 0.0, 30.0});
  SetAlpha(net, 2, {0.0, 0.0, 30.0});
  Rng rng(7);
  net->SampleFromAlpha(rng, GateMode::kFullV2);
  ASSERT_EQ(net->ActiveArch().choices[1], kSkipOp);
  ASSERT_EQ(net->ActiveArch().choices[2], kSkipOp);
  const std::vector<std::vector<double>> ms = {{1.0, 2.0}, {1.0, 2.0, 0.0}, {1.0, 2.0, 0.0}};
  (Loss(net->forward(Input())) + net->ExpectedLatency(ms, 0.0)).backward();
  EXPECT_TRUE(net->ArchParameters()[0].grad().defined());
  EXPECT_FALSE(net->ArchParameters()[1].grad().defined());
  EXPECT_FALSE(net->ArchParameters()[2].grad().defined());
}

TEST(SuperNetTest, PathOnlyAndUniformSamplingGiveNoArchitectureGradient) {
  torch::manual_seed(4);
  SuperNet net(Tiny());
  Rng rng(5);
  net->SampleFromAlpha(rng, GateMode::kPathOnly);
  Loss(net->forward(Input())).backward();
  net->SampleUniform(rng);
  Loss(net->forward(Input())).backward();
  for (const torch::Tensor& a : net->ArchParameters()) EXPECT_FALSE(a.grad().defined());
}

// The sandwich rule runs several paths in one weight step: with keep_gradients the candidates of
// every path run keep their gradients; without, only the last path's have one.
TEST(SuperNetTest, SetActiveKeepingGradientsAddsPathsUp) {
  torch::manual_seed(6);
  SuperNet net(Tiny());
  const Arch k3 = {{"k3e3", "k3e3", "k3e3"}};
  const Arch k5 = {{"k5e3", "k5e3", "skip"}};
  for (bool keep : {true, false}) {
    net->SetActive(k3);
    Loss(net->forward(Input())).backward();
    net->SetActive(k5, keep);
    Loss(net->forward(Input())).backward();
    for (size_t b = 0; b < 3; ++b) {
      for (const torch::Tensor& w : CandidateWeights(net, b, "k3e3"))
        EXPECT_EQ(w.grad().defined(), keep) << net->blocks()[b].name;
      for (const torch::Tensor& w : CandidateWeights(net, b, "k5e3"))
        EXPECT_EQ(w.grad().defined(), b < 2) << net->blocks()[b].name;
    }
    EXPECT_EQ(net->ActiveArch(), k5);
  }
}

TEST(SuperNetTest, TwoModeGradientsOnlyForThePairAndRescaleKeepsItsMass) {
  torch::manual_seed(5);
  SuperNet net(Tiny());
  const std::vector<std::vector<double>> alpha = {{0.3, -0.4}, {0.2, 0.1, -0.6}, {-0.1, 0.4, -0.5}};
  for (size_t b = 0; b < 3; ++b) SetAlpha(net, b, alpha[b]);
  SampleWithoutSkip(net, GateMode::kTwo);
  const std::vector<std::vector<double>> ms = {{1.0, 2.0}, {1.0, 2.0, 0.0}, {1.0, 2.0, 0.0}};
  (Loss(net->forward(Input())) + 0.1 * net->ExpectedLatency(ms, 0.0)).backward();
  std::vector<std::vector<double>> before = net->Probabilities();
  std::vector<std::vector<size_t>> pairs(3);
  for (size_t b = 0; b < 3; ++b) {
    const std::vector<double> grad = Values(net->ArchParameters()[b].grad());
    for (size_t j = 0; j < grad.size(); ++j)
      if (grad[j] != 0.0) pairs[b].push_back(j);
    ASSERT_EQ(pairs[b].size(), 2u) << net->blocks()[b].name;
    EXPECT_NEAR(grad[pairs[b][0]] + grad[pairs[b][1]], 0.0, 1e-6);
  }
  {  // a plain gradient step, then the rescale
    torch::NoGradGuard no_grad;
    for (const torch::Tensor& a : net->ArchParameters()) a.sub_(a.grad() * 5.0);
  }
  net->RescaleAfterArchStep();
  const std::vector<std::vector<double>> after = net->Probabilities();
  for (size_t b = 0; b < 3; ++b) {
    const std::vector<double> a = Values(net->ArchParameters()[b]);
    const size_t i = pairs[b][0], j = pairs[b][1];
    EXPECT_NEAR(LogSumExp(a[i], a[j]), LogSumExp(alpha[b][i], alpha[b][j]), 1e-5);
    EXPECT_GT(std::abs(a[i] - alpha[b][i]), 1e-4);  // the step did move the pair
    for (size_t k = 0; k < a.size(); ++k) {
      if (k == i || k == j) continue;
      EXPECT_NEAR(after[b][k], before[b][k], 1e-6);
    }
  }
}

// Moves the batch-norm running statistics over a few uniform paths, then checks that each arch's
// standalone network, with the supernet's weights, gives the supernet's output on that path.
void ExpectInheritedNetworksMatch(SuperNet& net, uint64_t seed,
                                  const std::vector<std::string>& arch_texts) {
  Rng rng(seed);
  for (int step = 0; step < 4; ++step) {
    net->SampleUniform(rng);
    net->forward(Input() * 2.0 + 1.0);
  }
  net->eval();
  const torch::Tensor x = Input();
  for (const std::string& text : arch_texts) {
    const Arch arch = ParseArch(net->space(), text);
    net->SetActive(arch);
    Network standalone = Inherit(net, arch);
    standalone->eval();
    EXPECT_TRUE(torch::allclose(net->forward(x), standalone->forward(x), 1e-5, 1e-6)) << text;
  }
}

TEST(SuperNetTest, InheritedNetworkGivesTheSupernetsOutput) {
  torch::manual_seed(6);
  SuperNet net(Tiny());
  ExpectInheritedNetworksMatch(net, 11, {"k5e3 skip k3e3", "k3e3 k5e3 skip", "k5e3 k3e3 k5e3"});
  Network wrong(ToNetSpec(net->space(), ParseArch(net->space(), "k3e3 k3e3 k3e3")));
  EXPECT_THROW(net->CopyWeightsTo(ParseArch(net->space(), "k5e3 k3e3 k3e3"), wrong),
               std::invalid_argument);
}

// Dense candidates (conv3) sit in the same mixed ops and pass their weights on the same way.
TEST(SuperNetTest, DenseCandidatesAreInheritedLikeMBConvs) {
  std::string text(kTinySpace);
  text.replace(text.find("[k3e3, k5e3]"), 12, "[k3e3, conv3]");
  torch::manual_seed(7);
  SuperNet net(SearchSpaceFromYamlString(text, "tiny.yaml"));
  ExpectInheritedNetworksMatch(net, 12, {"conv3 skip conv3", "k3e3 conv3 k3e3"});
}

TEST(SuperNetTest, SamplingIsDeterministicForASeed) {
  SuperNet net(Tiny());
  SetAlpha(net, 1, {0.2, 0.1, -0.3});
  const auto draws = [&](uint64_t seed, GateMode mode, bool uniform) {
    Rng rng(seed);
    std::vector<std::string> archs;
    for (int i = 0; i < 20; ++i) {
      uniform ? net->SampleUniform(rng) : net->SampleFromAlpha(rng, mode);
      archs.push_back(FormatArch(net->ActiveArch()));
    }
    return archs;
  };
  for (GateMode mode : {GateMode::kFullV2, GateMode::kTwo, GateMode::kPathOnly}) {
    EXPECT_EQ(draws(3, mode, false), draws(3, mode, false));
    EXPECT_NE(draws(3, mode, false), draws(4, mode, false));
  }
  EXPECT_EQ(draws(3, GateMode::kFullV2, true), draws(3, GateMode::kFullV2, true));
  EXPECT_NE(draws(3, GateMode::kFullV2, true), draws(4, GateMode::kFullV2, true));
}

TEST(SuperNetTest, ChannelsLastGivesTheSameOutputsAndGradients) {
  torch::manual_seed(7);
  SuperNet net(Tiny());
  const torch::Tensor x = Input();
  SampleWithoutSkip(net, GateMode::kFullV2);
  const Arch arch = net->ActiveArch();
  const torch::Tensor expected = net->forward(x);
  Loss(expected).backward();
  const std::vector<double> grad = Values(net->ArchParameters()[0].grad());
  net->ArchParameters()[0].mutable_grad() = torch::Tensor();
  ToChannelsLast(*net);
  SampleWithoutSkip(net, GateMode::kFullV2);  // the same seeds: the same gates again
  ASSERT_EQ(net->ActiveArch(), arch);
  const torch::Tensor actual = net->forward(x.contiguous(at::MemoryFormat::ChannelsLast));
  EXPECT_TRUE(torch::allclose(expected, actual, 1e-4, 1e-5));
  Loss(actual).backward();
  const std::vector<double> grad_cl = Values(net->ArchParameters()[0].grad());
  for (size_t i = 0; i < grad.size(); ++i) EXPECT_NEAR(grad[i], grad_cl[i], 1e-5);
}

// ---- Candidate costs --------------------------------------------------------------------------

latency::LatencyTable TableFor(const SearchSpace& space, const std::string& except = "") {
  latency::TableInfo info;
  info.device = "tiny-device";
  latency::LatencyTable table(info);
  double ms = 0.5;
  for (const LayerSpec& layer : AllCandidateLayers(space)) {
    const std::string key = latency::OpKey(layer);
    if (key == except) continue;
    LatencyEntry stats;
    stats.mean = stats.median = stats.p10 = stats.p90 = ms += 0.25;
    stats.count = 1;
    table.Insert(key, stats);
  }
  latency::SetNetworkScale(table, 1.5, 3);
  return table;
}

double CostOf(const CandidateCosts& costs, const SuperNet& net, const Arch& arch) {
  double total = costs.fixed;
  for (size_t b = 0; b < arch.choices.size(); ++b)
    total += costs.per_block[b][IndexOf(net->candidates(b), arch.choices[b])];
  return total;
}

TEST(SuperNetTest, CandidateLatenciesAddUpToTheNetworksTableLatency) {
  SuperNet net(Tiny());
  const latency::LatencyTable table = TableFor(net->space());
  const CandidateCosts costs = CandidateLatencies(net->space(), table);
  ASSERT_EQ(costs.per_block.size(), 3u);
  EXPECT_EQ(costs.per_block[1].size(), 3u);
  EXPECT_EQ(costs.per_block[1][2], 0.0);  // skip
  for (const char* text : {"k5e3 skip k3e3", "k3e3 k5e3 k5e3"}) {
    const NetSpec spec = ToNetSpec(net->space(), ParseArch(net->space(), text));
    double sum = 0;
    for (const std::string& key : latency::NetOpKeys(spec)) sum += latency::EntryMs(table.At(key));
    EXPECT_NEAR(CostOf(costs, net, ParseArch(net->space(), text)), 1.5 * sum, 1e-9) << text;
  }
  EXPECT_NEAR(net->ExpectedLatency(costs).item<double>(),
              net->ExpectedLatency(costs.per_block, costs.fixed).item<double>(), 1e-12);
}

TEST(SuperNetTest, CandidateLatenciesNameAMissingKey) {
  const SearchSpace space = Tiny();
  const std::string key =
      latency::OpKey(ToNetSpec(space, ParseArch(space, "k3e3 k3e3 k5e3")).layers[4]);
  try {
    CandidateLatencies(space, TableFor(space, key));
    FAIL() << "no error";
  } catch (const DataError& e) {
    EXPECT_THAT(e.what(), testing::HasSubstr(key));
  }
}

TEST(SuperNetTest, CandidateFlopsAddUpToNetFlops) {
  SuperNet net(Tiny());
  const CandidateCosts costs = CandidateFlops(net->space());
  for (const char* text : {"k5e3 skip k3e3", "k3e3 k5e3 skip"}) {
    const Arch arch = ParseArch(net->space(), text);
    EXPECT_DOUBLE_EQ(CostOf(costs, net, arch), NetFlops(ToNetSpec(net->space(), arch))) << text;
  }
}

}  // namespace
}  // namespace hwnas::supernet
