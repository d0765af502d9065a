#include "search/haq/haq.h"
#include "search/haq/haq_impl.h"

#include <torch/optim/sgd.h>
#include <torch/utils.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <map>
#include <stdexcept>

#include "core/dataset.h"
#include "core/errors.h"
#include "core/progress.h"
#include "search/finetune.h"
#include "search/quant/calibration.h"
#include "search/rl/ddpg.h"
#include "search/train_util.h"

namespace hwnas::search {
namespace {

using Clock = std::chrono::steady_clock;
using Batches = std::vector<std::pair<torch::Tensor, torch::Tensor>>;

double SecondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

std::string Format(double value) {
  char text[64];
  std::snprintf(text, sizeof text, "%.4g", value);
  return text;
}

[[noreturn]] void ThrowAt(const Config& config, const std::string& key, const std::string& what) {
  throw ConfigError({{config.source_path, 0, 0, "", key, what}});
}

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
          "below the cheapest policy (got " + Format(o.budget_ratio) + "; expected at least " +
              Format(cheapest / reference) + " = " + Format(cheapest) + " " + cost.unit + ", " +
              at_min + ", of " + Format(reference) + " at 8 bits)");
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

struct Episode {
  std::vector<OpBits> chosen, applied;  // the agent's bits, and after fitting the budget
  double accuracy = 0, cost = 0, reward = 0, critic_loss = 0;
};

// One episode: weight then activation bits per free operator, the policy fitted to the budget,
// then the quantized network's held-out accuracy against full precision as every step's reward.
Episode RunEpisode(HaqProblem::Impl& p, rl::DdpgAgent& agent, int64_t episode,
                   EpisodeTimes& times) {
  Episode e;
  e.chosen = p.Uniform(8);
  std::vector<rl::Transition> transitions;
  double previous = 1.0;
  auto start = Clock::now();
  for (size_t t = 0; t < p.steps.size(); ++t) {
    std::vector<float> state = p.State(t, previous);
    const double action = agent.Act(state, episode);
    const int bits = p.ActionBits(action);
    OpBits& op = e.chosen[p.steps[t].first];
    (p.steps[t].second ? op.weight : op.activation) = bits;
    previous = static_cast<double>(bits) / p.config.haq.max_bits;
    transitions.push_back({std::move(state), action, {}, t + 1 == p.steps.size()});
  }
  for (size_t t = 0; t + 1 < transitions.size(); ++t)
    transitions[t].next_state = transitions[t + 1].state;
  times.agent += SecondsSince(start);
  start = Clock::now();
  e.applied = FitToBudget(p.net, e.chosen, p.cost, p.budget,
                          static_cast<int>(p.config.haq.min_bits), p.pinned);
  e.cost = p.CostOf(e.applied);
  times.budget += SecondsSince(start);
  start = Clock::now();
  supernet::Network q = p.Quantized(e.applied);
  p.FineTuneBriefly(q);
  times.prepare += SecondsSince(start);
  start = Clock::now();
  e.accuracy = BatchesAccuracy(q, p.eval_batches);
  times.evaluate += SecondsSince(start);
  e.reward = p.config.haq.reward_scale * (e.accuracy - p.full_precision_accuracy);
  start = Clock::now();
  e.critic_loss = agent.EndEpisode(transitions, e.reward, episode);
  times.agent += SecondsSince(start);
  return e;
}

void ReportEpisode(const HaqProblem::Impl& p, Reporter& reporter, int64_t index, const Episode& e,
                   double best_reward, double sigma) {
  const nlohmann::json policy{{"bits", FormatBitPolicy(e.applied)},
                              {"agent_bits", FormatBitPolicy(e.chosen)},
                              {"size_bits", NetSizeBits(ApplyBitPolicy(p.net, e.applied))}};
  reporter.OnEpisode({index, e.reward, e.accuracy, e.cost, e.cost / p.reference, policy.dump()});
  reporter.OnMetrics(index, {{"reward", e.reward},
                             {"holdout_accuracy", e.accuracy},
                             {"cost", e.cost},
                             {"best_reward", best_reward},
                             {"sigma", sigma},
                             {"critic_loss", e.critic_loss}});
}

// The `count` best episodes with distinct applied policies, best first.
void KeepFinalist(std::vector<Episode>& finalists, const Episode& e, size_t count) {
  for (const Episode& f : finalists)
    if (f.applied == e.applied) return;
  auto at = std::find_if(finalists.begin(), finalists.end(),
                         [&](const Episode& f) { return e.reward > f.reward; });
  finalists.insert(at, e);
  if (finalists.size() > count) finalists.pop_back();
}

// An episode's score on eval_images is noisy, and the best of hundreds of noisy scores is biased
// upwards; the finalists are re-scored on the whole held-out split, after the same short
// fine-tuning as in their episodes, and the best one wins.
size_t BestFinalist(const HaqProblem::Impl& p, const std::vector<Episode>& finalists, bool show) {
  size_t best = 0;
  std::vector<double> accuracy;
  for (const Episode& f : finalists) {
    supernet::Network q = p.Quantized(f.applied);
    p.FineTuneBriefly(q);
    accuracy.push_back(Accuracy(q, p.data.holdout, p.config));
    if (accuracy.back() > accuracy[best]) best = accuracy.size() - 1;
  }
  std::string line = "haq: finalists on the whole held-out split:";
  for (size_t i = 0; i < finalists.size(); ++i)
    line += " " + Format(100 * finalists[i].accuracy) + "->" + Format(100 * accuracy[i]) + "%";
  if (show) std::cerr << line << "\n";
  return best;
}

QuantizedNetwork Export(HaqProblem::Impl& p, const std::vector<OpBits>& bits,
                        const CompressionContext& context, const std::string& dir,
                        int64_t step_offset, const std::string& prefix, const std::string& role) {
  supernet::Network q = p.Quantized(bits);
  QuantizedNetwork out;
  out.net = q->spec();
  out.bits = bits;
  out.holdout_accuracy = Accuracy(q, p.data.holdout, p.config);
  out.cost = p.CostOf(bits);
  out.cost_ratio = out.cost / p.reference;
  context.reporter->OnMetrics(step_offset,
                              {{prefix + "quantized_holdout_accuracy", out.holdout_accuracy},
                               {prefix + "quantized_cost", out.cost},
                               {prefix + "quantized_cost_ratio", out.cost_ratio}});
  FineTuneRequest request;
  request.dir = dir;
  request.weights_kind = "quantized_weights";
  request.epochs = p.config.haq.finetune_epochs;
  request.learning_rate = p.config.haq.finetune_learning_rate;
  request.step_offset = step_offset;
  request.prefix = prefix;
  request.role = role;
  if (p.cost.unit == "ms") request.estimated_latency_ms = out.cost;
  request.measure_latency = false;
  out.finetuned = FineTuneAndStore(q, p.config, p.data, context, request);
  return out;
}

}  // namespace

HaqResult RunHaq(HaqProblem& problem, const CompressionContext& context) {
  HaqProblem::Impl& p = problem.impl();
  const Config& config = p.config;
  rl::DdpgAgent agent =
      StartAgent(config, config.haq.agent, kStateSize, problem.steps(), context, "RunHaq");
  const int64_t episodes = config.haq.episodes;
  ProgressBar bar("haq", episodes, context.show_progress);
  HaqResult result;
  result.full_precision_accuracy = p.full_precision_accuracy;
  Episode best;
  best.reward = -1e300;
  std::vector<Episode> finalists;
  const auto start = Clock::now();
  for (int64_t index = 0; index < episodes; ++index) {
    if (context.stop_requested != nullptr && context.stop_requested->load())
      throw Interrupted("HAQ interrupted after " + std::to_string(index) + " episodes");
    const Episode e = RunEpisode(p, agent, index, result.times);
    if (e.reward > best.reward) best = e, result.best_episode = index;
    KeepFinalist(finalists, e, static_cast<size_t>(config.haq.finalists));
    ReportEpisode(p, *context.reporter, index, e, best.reward, agent.sigma(index));
    bar.Update(index + 1, "best " + Format(100 * best.accuracy) + "% (full precision " +
                              Format(100 * p.full_precision_accuracy) + "%), cost ratio " +
                              Format(best.cost / p.reference));
  }
  AverageEpisodeTimes(result.times, episodes, SecondsSince(start));
  result.best_reward = best.reward;
  bar.Finish("haq: " + std::to_string(episodes) + " episodes, best " +
             std::to_string(result.best_episode) + " (" + Format(100 * best.accuracy) +
             "% held-out, full precision " + Format(100 * p.full_precision_accuracy) + "%), " +
             FormatEpisodeTimes(result.times, "quantize+calibrate"));
  ReportEpisodeTimes(*context.reporter, episodes - 1, result.times, "quantize_seconds");
  context.reporter->OnMetric(episodes - 1, "full_precision_accuracy", p.full_precision_accuracy);
  result.best = Export(p, finalists[BestFinalist(p, finalists, context.show_progress)].applied,
                       context, context.artifact_dir, episodes, "", "final");
  if (config.haq.compare_uniform) {
    const int bits = config.haq.budget_bits > 0 ? static_cast<int>(config.haq.budget_bits) : 4;
    result.uniform = Export(p, p.Uniform(bits), context, context.artifact_dir + "/uniform",
                            episodes + config.haq.finetune_epochs, "uniform_", "baseline");
  }
  return result;
}

}  // namespace hwnas::search
