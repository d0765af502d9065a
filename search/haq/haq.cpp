#include "search/haq/haq.h"
#include "search/haq/haq_impl.h"

#include <torch/optim/sgd.h>
#include <torch/utils.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <iostream>
#include <map>

#include "core/config.h"
#include "core/dataset.h"
#include "core/errors.h"
#include "core/text.h"
#include "search/compression/episode_loop.h"
#include "search/compression/finetune.h"
#include "search/quant/calibration.h"
#include "search/train_util.h"

namespace hwnas::search {
namespace {

using Batches = std::vector<std::pair<torch::Tensor, torch::Tensor>>;

// HAQ's state: operator index, input and output channels, kernel, stride, input feature size,
// weights, depthwise (each min-max scaled across operators), then whether this step picks weight
// bits, and the previous action as bits / max_bits.
constexpr int64_t kStaticFeatures = 8;
constexpr int64_t kStateSize = kStaticFeatures + 2;

// The same `count` training batches of data.batch_size every episode: with so few steps each one
// counts (the batch norm statistics follow the quantized network step by step).
Batches FineTuneBatches(const Dataset& train, int64_t count, const Config& config) {
  Batches batches;
  if (count == 0) return batches;
  const int64_t size = config.data.batch_size;
  for (const auto& [images, labels] :
       CollectBatches(train, count * size, config, config.train.channels_last)) {
    const auto image_parts = images.split(size), label_parts = labels.split(size);
    for (size_t i = 0; i < image_parts.size(); ++i)
      batches.emplace_back(image_parts[i], label_parts[i]);
  }
  return batches;
}

}  // namespace

std::vector<QuantOp> QuantOps(const NetSpec& net) {
  std::vector<QuantOp> ops;
  for (size_t i = 0; i < net.layers.size(); ++i) {
    const LayerSpec& l = net.layers[i];
    const std::vector<std::string> names = QuantOpNames(l);
    const std::vector<double> weights = QuantOpWeights(l);
    for (size_t op = 0; op < names.size(); ++op) {
      QuantOp q;
      q.layer = i;
      q.op = op;
      q.name = l.name + "." + names[op];
      const std::string& n = names[op];
      q.in_channels =
          n == "conv" || n == "expand" || n == "logits" ? l.in_channels : l.mid_channels;
      q.out_channels = n == "expand" || n == "depthwise" ? l.mid_channels : l.out_channels;
      q.kernel = n == "conv" || n == "depthwise" ? l.kernel : 1;
      q.stride = n == "conv" || n == "depthwise" ? l.stride : 1;
      const int64_t size = n == "project" ? l.output_size() : l.input_size;
      q.feature_size = size * size;
      q.weights = weights[op];
      q.depthwise = n == "depthwise";
      ops.push_back(q);
    }
  }
  return ops;
}

std::vector<OpBits> FitToBudget(const NetSpec& net, std::vector<OpBits> bits, const CostModel& cost,
                                double budget, int min_bits, const std::vector<bool>& pinned) {
  auto fits = [&] { return cost.cost(ApplyBitPolicy(net, bits)) <= budget; };
  bool lowered = true;
  while (!fits() && lowered) {
    lowered = false;
    for (size_t i = bits.size(); i-- > 0;) {
      if (pinned[i]) continue;
      for (int* b : {&bits[i].activation, &bits[i].weight}) {
        if (*b <= min_bits) continue;
        --*b;
        lowered = true;
        if (fits()) return bits;
      }
    }
  }
  return bits;
}

HaqProblem::Impl::Impl(const NetSpec& n, const std::string& weights, const Config& c,
                       const DataSplits& d, CostModel cost_model)
    : config(c), data(d), net(n), cost(std::move(cost_model)), ops(QuantOps(n)) {
  const HaqOptions& o = config.haq;
  ValidateNetSpec(net, "network '" + net.name + "'");
  for (LayerSpec& l : net.layers) l.op_bits.clear(), l.weight_bits = l.activation_bits = 32;
  if (data.holdout.size() == 0)
    ThrowAt(config, "data.holdout_fraction",
            "HAQ scores every episode on held-out data, but none is held out (expected a value "
            "> 0 that leaves at least one image)");
  if (!std::filesystem::is_regular_file(weights))
    throw DataError("no weights file at " + weights + " for network '" + net.name + "'");
  pinned.assign(ops.size(), false);
  if (o.pin_first_last) pinned.front() = pinned.back() = true;
  for (size_t i = 0; i < ops.size(); ++i)
    if (!pinned[i]) steps.push_back({i, true}), steps.push_back({i, false});
  if (steps.empty())
    throw DataError("network '" + net.name +
                    "' has no quantizable operator left to choose bits "
                    "for (haq.pin_first_last pins its only ones)");
  CheckBudget();

  std::vector<std::vector<double>> rows;
  for (size_t i = 0; i < ops.size(); ++i) {
    const QuantOp& q = ops[i];
    rows.push_back({static_cast<double>(i), static_cast<double>(q.in_channels),
                    static_cast<double>(q.out_channels), static_cast<double>(q.kernel),
                    static_cast<double>(q.stride), static_cast<double>(q.feature_size), q.weights,
                    q.depthwise ? 1.0 : 0.0});
  }
  static_state = MinMaxScaled(rows);

  supernet::Network model(net);
  LoadNetworkWeights(model, weights);
  for (const auto& item : model->named_parameters()) trained[item.key()] = item.value();
  for (const auto& item : model->named_buffers()) trained[item.key()] = item.value();
  std::vector<torch::Tensor> images;
  for (const auto& batch : CollectBatches(data.train, o.calibration_images, config, false))
    images.push_back(batch.first);
  calibration = torch::cat(images);
  eval_batches = CollectBatches(data.holdout, o.eval_images, config, config.train.channels_last);
  finetune_batches = FineTuneBatches(data.train, o.episode_finetune_batches, config);
  full_precision_accuracy = BatchesAccuracy(model, eval_batches);
}

std::vector<OpBits> HaqProblem::Impl::Uniform(int bits) const {
  std::vector<OpBits> policy(ops.size(), OpBits{bits, bits});
  for (size_t i = 0; i < ops.size(); ++i)
    if (pinned[i]) policy[i] = {8, 8};
  return policy;
}

// The budget lies between every free operator at min_bits and everything at 8 bits (HAQ's
// reference); budget_bits names it by a uniform policy instead of a ratio.
void HaqProblem::Impl::CheckBudget() {
  const HaqOptions& o = config.haq;
  reference = CostOf(Uniform(8));
  cheapest = CostOf(Uniform(static_cast<int>(o.min_bits)));
  budget = o.budget_bits > 0 ? CostOf(Uniform(static_cast<int>(o.budget_bits)))
                             : o.budget_ratio * reference;
  if (budget >= cheapest) return;
  const std::string at_min = "every free operator at haq.min_bits " + std::to_string(o.min_bits);
  if (o.budget_bits > 0)
    ThrowAt(config, "haq.budget_bits",
            "below haq.min_bits (got " + std::to_string(o.budget_bits) + "; expected at least " +
                std::to_string(o.min_bits) + ")");
  ThrowAt(config, "haq.budget_ratio",
          "below the cheapest policy (got " + FormatSignificant(o.budget_ratio) +
              "; expected at least " + FormatSignificant(cheapest / reference) + " = " +
              FormatSignificant(cheapest) + " " + cost.unit + ", " + at_min + ", of " +
              FormatSignificant(reference) + " at 8 bits)");
}

std::vector<float> HaqProblem::Impl::State(size_t step, double previous) const {
  std::vector<float> state = static_state[steps[step].first];
  state.push_back(steps[step].second ? 1.0f : 0.0f);
  state.push_back(static_cast<float>(previous));
  return state;
}

// HAQ's action wall: [0, 1] in equal slices, one per bit width from min_bits to max_bits.
int HaqProblem::Impl::ActionBits(double action) const {
  const double lo = static_cast<double>(config.haq.min_bits);
  const double hi = static_cast<double>(config.haq.max_bits);
  return static_cast<int>(std::clamp(std::round((hi - lo + 1) * action + lo - 0.5), lo, hi));
}

// The trained weights in a network with `bits`, its activation clips calibrated (KL divergence
// below 5 bits, the range from 5 bits).
supernet::Network HaqProblem::Impl::Quantized(const std::vector<OpBits>& bits) const {
  supernet::Network q(ApplyBitPolicy(net, bits));
  {
    torch::NoGradGuard no_grad;
    for (auto& item : q->named_parameters()) item.value().copy_(trained.at(item.key()));
    for (auto& item : q->named_buffers()) {
      auto found = trained.find(item.key());
      if (found != trained.end()) item.value().copy_(found->second);
    }
  }
  supernet::CalibrateActivations(q, calibration, quant::ClipThreshold);
  if (config.train.channels_last) supernet::ToChannelsLast(*q);
  return q;
}

// HAQ's optional short fine-tuning inside an episode: a few SGD steps through the
// straight-through estimator on training batches.
void HaqProblem::Impl::FineTuneBriefly(supernet::Network& q) const {
  if (finetune_batches.empty()) return;
  torch::optim::SGD sgd(q->parameters(),
                        torch::optim::SGDOptions(config.haq.finetune_learning_rate).momentum(0.9));
  q->train();
  for (const auto& [images, labels] : finetune_batches) {
    sgd.zero_grad();
    TrainingLoss(q->forward(images), labels, config).backward();
    sgd.step();
  }
  q->eval();
}

HaqProblem::HaqProblem(const NetSpec& net, const std::string& weights, const Config& config,
                       const DataSplits& data, CostModel cost)
    : impl_(std::make_unique<Impl>(net, weights, config, data, std::move(cost))) {}
HaqProblem::~HaqProblem() = default;
int64_t HaqProblem::steps() const { return static_cast<int64_t>(impl_->steps.size()); }
double HaqProblem::budget() const { return impl_->budget; }
double HaqProblem::reference_cost() const { return impl_->reference; }
double HaqProblem::cheapest_cost() const { return impl_->cheapest; }
const std::vector<QuantOp>& HaqProblem::ops() const { return impl_->ops; }

namespace {

// One finished episode: the agent's bits, the bits fitted to the budget, and its scores.
struct HaqEpisode {
  std::vector<OpBits> chosen, applied;
  EpisodeScore score;
};

// The `count` best episodes with distinct applied policies, best first.
void KeepFinalist(std::vector<HaqEpisode>& finalists, const HaqEpisode& e, size_t count) {
  for (const HaqEpisode& f : finalists)
    if (f.applied == e.applied) return;
  auto at = std::find_if(finalists.begin(), finalists.end(),
                         [&](const HaqEpisode& f) { return e.score.reward > f.score.reward; });
  finalists.insert(at, e);
  if (finalists.size() > count) finalists.pop_back();
}

// HAQ in the episode loop: weight then activation bits per free operator, the whole policy
// fitted to the budget after the last step (the agent learns from its own actions), and the
// quantized network's held-out accuracy against full precision as every step's reward.
class HaqEnvironment : public CompressionEnvironment {
 public:
  explicit HaqEnvironment(HaqProblem::Impl& p) : p_(p) {}

  EnvironmentNames names() const override {
    return {"haq", "quantize+calibrate", "quantize_seconds"};
  }
  int64_t steps() const override { return static_cast<int64_t>(p_.steps.size()); }
  int64_t state_size() const override { return kStateSize; }
  double reference_cost() const override { return p_.reference; }

  void BeginEpisode() override { e_.chosen = p_.Uniform(8); }
  std::vector<float> State(int64_t step, double previous) const override {
    return p_.State(static_cast<size_t>(step), previous);
  }
  StepOutcome Step(int64_t step, double action) override {
    const auto& [op, weight_step] = p_.steps[static_cast<size_t>(step)];
    const int bits = p_.ActionBits(action);
    (weight_step ? e_.chosen[op].weight : e_.chosen[op].activation) = bits;
    return {action, static_cast<double>(bits) / p_.config.haq.max_bits};
  }
  double FitToBudget() override {
    e_.applied = search::FitToBudget(p_.net, e_.chosen, p_.cost, p_.budget,
                                     static_cast<int>(p_.config.haq.min_bits), p_.pinned);
    return p_.CostOf(e_.applied);
  }
  supernet::Network Build() override {
    supernet::Network q = p_.Quantized(e_.applied);
    p_.FineTuneBriefly(q);
    return q;
  }
  double Evaluate(supernet::Network& q) override {
    return HoldoutAccuracyOnEveryRank(q, p_.eval_batches, p_.config, p_.config.haq.eval_images);
  }
  double Reward(double accuracy) const override {
    return p_.config.haq.reward_scale * (accuracy - p_.full_precision_accuracy);
  }
  std::string PolicyJson() const override {
    return nlohmann::json{{"bits", FormatBitPolicy(e_.applied)},
                          {"agent_bits", FormatBitPolicy(e_.chosen)},
                          {"size_bits", NetSizeBits(ApplyBitPolicy(p_.net, e_.applied))}}
        .dump();
  }
  void EndEpisode(const EpisodeScore& score) override {
    e_.score = score;
    KeepFinalist(finalists_, e_, static_cast<size_t>(p_.config.haq.finalists));
  }
  std::string Describe(const EpisodeScore& best) const override {
    return FormatSignificant(100 * best.accuracy) + "% held-out, full precision " +
           FormatSignificant(100 * p_.full_precision_accuracy) + "%, cost ratio " +
           FormatSignificant(best.cost / p_.reference);
  }

  // The finalists so far (policies and scores): the export re-scores them.
  std::string SaveState() const override {
    nlohmann::json finalists = nlohmann::json::array();
    for (const HaqEpisode& f : finalists_)
      finalists.push_back({{"chosen", FormatBitPolicy(f.chosen)},
                           {"applied", FormatBitPolicy(f.applied)},
                           {"score", ScoreJson(f.score)}});
    return finalists.dump();
  }
  void LoadState(const std::string& state) override {
    finalists_.clear();
    for (const nlohmann::json& f : nlohmann::json::parse(state))
      finalists_.push_back({ParseBitPolicy(f.at("chosen").get<std::string>()),
                            ParseBitPolicy(f.at("applied").get<std::string>()),
                            ScoreOfJson(f.at("score"))});
  }
  MetricValues ClosingMetrics() const override {
    return {{"full_precision_accuracy", p_.full_precision_accuracy}};
  }

  const std::vector<HaqEpisode>& finalists() const { return finalists_; }

 private:
  HaqProblem::Impl& p_;
  HaqEpisode e_;  // the current episode
  std::vector<HaqEpisode> finalists_;
};

// An episode's score on eval_images is noisy, and the best of hundreds of noisy scores is biased
// upwards; the finalists are re-scored on the whole held-out split, after the same short
// fine-tuning as in their episodes, and the best one wins.
size_t BestFinalist(const HaqProblem::Impl& p, const std::vector<HaqEpisode>& finalists,
                    bool show) {
  size_t best = 0;
  std::vector<double> accuracy;
  for (const HaqEpisode& f : finalists) {
    supernet::Network q = p.Quantized(f.applied);
    p.FineTuneBriefly(q);
    accuracy.push_back(Accuracy(q, p.data.holdout, p.config));
    if (accuracy.back() > accuracy[best]) best = accuracy.size() - 1;
  }
  std::string line = "haq: finalists on the whole held-out split:";
  for (size_t i = 0; i < finalists.size(); ++i)
    line += " " + FormatSignificant(100 * finalists[i].score.accuracy) + "->" +
            FormatSignificant(100 * accuracy[i]) + "%";
  if (show) std::cerr << line << "\n";
  return best;
}

// The network of `bits`, scored on the whole held-out split, fine-tuned (straight-through
// estimator) and stored (ExportCompressed).
QuantizedNetwork Export(HaqProblem::Impl& p, const std::vector<OpBits>& bits,
                        FineTuneRequest request, const CompressionContext& context) {
  supernet::Network q = p.Quantized(bits);
  QuantizedNetwork out;
  out.bits = bits;
  const double cost = p.CostOf(bits);
  if (p.cost.unit == "ms") request.estimated_latency_ms = cost;
  request.measure_latency = false;  // timing a fake-quantized network says nothing
  static_cast<CompressedNetwork&>(out) =
      ExportCompressed(q, cost, p.reference, "quantized", request, p.config, p.data, context);
  return out;
}

}  // namespace

HaqResult RunHaq(HaqProblem& problem, const CompressionContext& context) {
  HaqProblem::Impl& p = problem.impl();
  const HaqOptions& o = p.config.haq;
  HaqEnvironment env(p);
  HaqResult result;
  static_cast<EpisodeSummary&>(result) = RunEpisodes(env, p.config, o, context);
  result.full_precision_accuracy = p.full_precision_accuracy;
  const std::vector<HaqEpisode>& finalists = env.finalists();
  result.best = Export(p, finalists[BestFinalist(p, finalists, context.show_progress)].applied,
                       FinalRequest(o, context), context);
  if (o.compare_uniform) {
    const int bits = o.budget_bits > 0 ? static_cast<int>(o.budget_bits) : 4;
    result.uniform = Export(p, p.Uniform(bits), BaselineRequest(o, context), context);
  }
  return result;
}

}  // namespace hwnas::search
