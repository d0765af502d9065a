#include "search/proxyless.h"

#include <torch/optim/adam.h>
#include <torch/optim/sgd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

#include "core/batch_pipeline.h"
#include "core/dataset.h"
#include "core/errors.h"
#include "core/progress.h"
#include "search/train_util.h"
#include "supernet/supernet.h"

namespace hwnas::search {
namespace {

using supernet::CandidateCosts;
using supernet::GateMode;
using supernet::SuperNet;

void ThrowAt(const Config& config, const std::string& key, const std::string& message) {
  throw ConfigError({{config.source_path, 0, 0, "", key, message}});
}

CandidateCosts CostsFor(const SearchSpace& space, const Config& config,
                        const latency::LatencyTable* table) {
  if (config.proxyless.target_kind == ProxylessTarget::kFlops)
    return supernet::CandidateFlops(space);
  if (table == nullptr) throw DataError("a latency target needs the device's latency table");
  return supernet::CandidateLatencies(space, *table);
}

std::string Format(double value) {
  char text[64];
  std::snprintf(text, sizeof text, "%.6g", value);
  return text;
}

struct EpochStats {
  double loss = 0;
  double accuracy = 0;
  double arch_loss = 0;  // mean over the epoch's architecture steps
  double seconds = 0;
};

class ProxylessSearch {
 public:
  ProxylessSearch(const SearchSpace& space, const Config& config, const DataSplits& data,
                  const CandidateCosts& costs, const SearchContext& context);
  ProxylessResult Run();

 private:
  enum class Phase { kWarmup, kSearch };
  EpochStats TrainEpoch(Phase phase, int64_t epoch);
  double WeightStep(Batch& batch, Phase phase, int64_t* correct);
  double ArchStep();
  torch::Tensor ArchLoss(const torch::Tensor& logits, const torch::Tensor& labels);
  Batch NextHoldoutBatch();
  void ReportEpoch(int64_t step, Phase phase, const EpochStats& stats, const Arch& derived);
  double ArchCost(const Arch& arch) const;

  const Config& config_;
  const ProxylessOptions& options_;
  const DataSplits& data_;
  const CandidateCosts& costs_;
  const SearchContext& context_;
  SuperNet net_;
  torch::optim::SGD weight_optimizer_;
  torch::optim::Adam arch_optimizer_;
  BatchPipeline train_pipeline_;
  BatchPipeline holdout_pipeline_;
  int64_t holdout_epoch_ = 0;
  Rng rng_;
  int64_t steps_per_epoch_ = 1;
};

// The held-out stream feeds architecture steps: shuffled, never augmented, keeping a last partial
// batch so that a small held-out split still yields batches.
BatchPipelineOptions HoldoutOptions(const Config& config) {
  BatchPipelineOptions options = PipelineOptions(config, /*training=*/true);
  options.augment = AugmentOptions{0, false};
  options.drop_last = false;
  return options;
}

ProxylessSearch::ProxylessSearch(const SearchSpace& space, const Config& config,
                                 const DataSplits& data, const CandidateCosts& costs,
                                 const SearchContext& context)
    : config_(config),
      options_(config.proxyless),
      data_(data),
      costs_(costs),
      context_(context),
      net_(space),
      weight_optimizer_(net_->WeightParameters(),
                        torch::optim::SGDOptions(config.train.learning_rate)
                            .momentum(config.train.momentum)
                            .weight_decay(config.train.weight_decay)
                            .nesterov(config.train.momentum > 0)),
      // beta1 = 0 as in ProxylessNAS: each step follows the current held-out gradient only.
      arch_optimizer_(net_->ArchParameters(), torch::optim::AdamOptions(options_.arch_learning_rate)
                                                  .betas({0.0, 0.999})
                                                  .eps(1e-8)
                                                  .weight_decay(options_.arch_weight_decay)),
      train_pipeline_(data.train, PipelineOptions(config, /*training=*/true)),
      holdout_pipeline_(data.holdout, HoldoutOptions(config)),
      rng_(DeriveSeed(config.seed, rng_stream::kArchSample)) {
  if (config.train.channels_last) supernet::ToChannelsLast(*net_);
  steps_per_epoch_ = std::max<int64_t>(1, data.train.size() / config.data.batch_size);
  holdout_pipeline_.StartEpoch(holdout_epoch_);
}

Batch ProxylessSearch::NextHoldoutBatch() {
  if (auto batch = holdout_pipeline_.Next()) return std::move(*batch);
  holdout_pipeline_.StartEpoch(++holdout_epoch_);
  auto batch = holdout_pipeline_.Next();
  if (!batch) throw DataError("the held-out split has no images for architecture steps");
  return std::move(*batch);
}

// Cross-entropy plus the cost regulariser of `loss` (ProxylessNAS add#linear or mul#log).
torch::Tensor ProxylessSearch::ArchLoss(const torch::Tensor& logits, const torch::Tensor& labels) {
  const torch::Tensor ce = TrainingLoss(logits, labels, config_);
  const torch::Tensor expected = net_->ExpectedLatency(costs_).to(torch::kFloat);
  const double target = TargetValue(config_);
  if (options_.loss == ProxylessLoss::kAddLinear)
    return ce + options_.lambda * (expected - target) / target;
  // log E below 0 (E < 1) would make a fractional power undefined; CheckProxylessSearch ensures
  // log T > 0, and a ratio clamped just above 0 keeps the loss finite.
  const torch::Tensor ratio = (torch::log(expected) / std::log(target)).clamp_min(1e-6);
  return options_.alpha * ce * torch::pow(ratio, options_.beta);
}

// One architecture step on a held-out batch: resample gates, CE + cost, Adam, rescale.
double ProxylessSearch::ArchStep() {
  Batch batch = NextHoldoutBatch();
  arch_optimizer_.zero_grad();
  const bool two = options_.grad_mode == ProxylessGradMode::kTwo;
  net_->SampleFromAlpha(rng_, two ? GateMode::kTwo : GateMode::kFullV2);
  const torch::Tensor logits =
      net_->forward(ImagesTensor(batch, data_.holdout, config_.train.channels_last));
  const torch::Tensor loss = ArchLoss(logits, LabelsTensor(batch));
  loss.backward();
  arch_optimizer_.step();
  if (two) net_->RescaleAfterArchStep();
  return loss.item<double>();
}

// One weight step on a train batch, on a uniform path (warm-up) or one sampled from alpha.
double ProxylessSearch::WeightStep(Batch& batch, Phase phase, int64_t* correct) {
  weight_optimizer_.zero_grad();
  // Sampling after zero_grad leaves the candidates that do not run without a gradient, so
  // momentum and weight decay do not move them.
  if (phase == Phase::kWarmup)
    net_->SampleUniform(rng_);
  else
    net_->SampleFromAlpha(rng_, GateMode::kPathOnly);
  const torch::Tensor labels = LabelsTensor(batch);
  const torch::Tensor logits =
      net_->forward(ImagesTensor(batch, data_.train, config_.train.channels_last));
  const torch::Tensor loss = TrainingLoss(logits, labels, config_);
  loss.backward();
  weight_optimizer_.step();
  *correct += logits.argmax(1).eq(labels).sum().item<int64_t>();
  return loss.item<double>();
}

EpochStats ProxylessSearch::TrainEpoch(Phase phase, int64_t epoch) {
  const int64_t epochs = phase == Phase::kWarmup ? options_.warmup_epochs : options_.epochs;
  const std::string label = (phase == Phase::kWarmup ? "warm-up " : "search ") +
                            std::to_string(epoch + 1) + "/" + std::to_string(epochs);
  ProgressBar bar(label, steps_per_epoch_, context_.show_progress);
  const auto start = std::chrono::steady_clock::now();
  net_->train();
  // Warm-up and search epochs share one pipeline; their epoch numbers keep the orders distinct.
  train_pipeline_.StartEpoch(phase == Phase::kWarmup ? epoch : options_.warmup_epochs + epoch);
  EpochStats stats;
  double loss_sum = 0, arch_loss_sum = 0;
  int64_t correct = 0, images = 0, step = 0, arch_steps = 0;
  while (auto batch = train_pipeline_.Next()) {
    const double lr = CosineLearningRate(
        config_.train.learning_rate, epoch * steps_per_epoch_ + step, epochs * steps_per_epoch_);
    for (auto& group : weight_optimizer_.param_groups())
      static_cast<torch::optim::SGDOptions&>(group.options()).lr(lr);
    loss_sum += WeightStep(*batch, phase, &correct) * batch->size;
    images += batch->size;
    ++step;
    if (phase == Phase::kSearch && step % options_.arch_update_every == 0) {
      arch_loss_sum += ArchStep();
      ++arch_steps;
    }
    bar.Update(step, "loss " + Format(loss_sum / images));
  }
  bar.Finish("");
  stats.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  stats.loss = images > 0 ? loss_sum / images : 0;
  stats.accuracy = images > 0 ? static_cast<double>(correct) / images : 0;
  stats.arch_loss = arch_steps > 0 ? arch_loss_sum / arch_steps : 0;
  return stats;
}

double ProxylessSearch::ArchCost(const Arch& arch) const {
  double cost = costs_.fixed;
  for (size_t b = 0; b < arch.choices.size(); ++b) {
    const auto& names = net_->candidates(b);
    const size_t i = std::find(names.begin(), names.end(), arch.choices[b]) - names.begin();
    cost += costs_.per_block[b][i];
  }
  return cost;
}

// Metrics of a search epoch: losses, the derived path's held-out accuracy, E[cost] and, per
// block, the entropy and every candidate's probability.
void ProxylessSearch::ReportEpoch(int64_t step, Phase phase, const EpochStats& stats,
                                  const Arch& derived) {
  MetricValues values = {{"train_loss", stats.loss},
                         {"train_accuracy", stats.accuracy},
                         {"epoch_seconds", stats.seconds}};
  if (phase == Phase::kSearch) {
    net_->SetActive(derived);
    const std::string unit = CostUnit(config_);
    values.push_back({"arch_loss", stats.arch_loss});
    values.push_back({"holdout_accuracy", Accuracy(net_, data_.holdout, config_)});
    values.push_back({"expected_cost", net_->ExpectedLatency(costs_).item<double>()});
    values.push_back({"derived_cost", ArchCost(derived)});
    const auto probabilities = net_->Probabilities();
    const auto entropies = net_->Entropies();
    for (size_t b = 0; b < probabilities.size(); ++b) {
      const std::string& block = net_->blocks()[b].name;
      values.push_back({block + ".entropy", entropies[b]});
      for (size_t i = 0; i < probabilities[b].size(); ++i)
        values.push_back({block + ".p." + net_->candidates(b)[i], probabilities[b][i]});
    }
  }
  context_.reporter->OnMetrics(step, values);
  if (context_.show_progress)
    std::fprintf(stderr, "%s epoch %lld: loss %.4f, train acc %.2f%%%s\n",
                 phase == Phase::kWarmup ? "warm-up" : "search", static_cast<long long>(step + 1),
                 stats.loss, 100 * stats.accuracy,
                 phase == Phase::kSearch ? (", derived " + FormatArch(derived)).c_str() : "");
}

ProxylessResult ProxylessSearch::Run() {
  ProxylessResult result;
  for (int64_t epoch = 0; epoch < options_.warmup_epochs; ++epoch)
    ReportEpoch(epoch, Phase::kWarmup, TrainEpoch(Phase::kWarmup, epoch), Arch{});
  for (int64_t epoch = 0; epoch < options_.epochs; ++epoch) {
    const EpochStats stats = TrainEpoch(Phase::kSearch, epoch);
    const Arch derived = net_->Derive();
    const int64_t step = options_.warmup_epochs + epoch;
    ReportEpoch(step, Phase::kSearch, stats, derived);
    const NetSpec spec = ToNetSpec(net_->space(), derived);
    ArchitectureRecord record;
    record.role = "derived";
    record.step = step;
    record.arch = FormatArch(derived);
    record.netspec_json = NetSpecToJson(spec);
    record.flops = NetFlops(spec);
    record.params = NetParams(spec);
    record.size_bits = NetSizeBits(spec);
    if (config_.proxyless.target_kind == ProxylessTarget::kLatency) {
      record.estimated_latency_ms = ArchCost(derived);
      record.latency_device = config_.device.name;
    }
    context_.reporter->OnArchitecture(record);
    result.epoch_archs.push_back(derived);
  }
  result.arch = result.epoch_archs.back();
  result.net = ToNetSpec(net_->space(), result.arch);
  result.estimated_cost = ArchCost(result.arch);
  result.final_expected_cost = net_->ExpectedLatency(costs_).item<double>();
  return result;
}

}  // namespace

double TargetValue(const Config& config) {
  const ProxylessOptions& p = config.proxyless;
  return p.target_kind == ProxylessTarget::kLatency ? p.target_ms : p.target_mflops * 1e6;
}

const char* CostUnit(const Config& config) {
  return config.proxyless.target_kind == ProxylessTarget::kLatency ? "ms" : "MACs";
}

double CheapestCost(const CandidateCosts& costs) {
  double total = costs.fixed;
  for (const auto& block : costs.per_block)
    if (!block.empty()) total += *std::min_element(block.begin(), block.end());
  return total;
}

void CheckProxylessSearch(const Config& config, const DataSplits& data,
                          const CandidateCosts& costs) {
  const bool latency = config.proxyless.target_kind == ProxylessTarget::kLatency;
  const std::string key = latency ? "proxyless.target_ms" : "proxyless.target_mflops";
  const double scale = latency ? 1.0 : 1e-6;  // report in the key's unit
  const double cheapest = CheapestCost(costs);
  if (TargetValue(config) < cheapest)
    ThrowAt(config, key,
            "below the cheapest network of the space (got " + Format(TargetValue(config) * scale) +
                "; expected at least " + Format(cheapest * scale) + (latency ? " ms" : " M MACs") +
                (latency ? " on device " + config.device.name : std::string()) + ")");
  if (config.proxyless.loss == ProxylessLoss::kMulLog && TargetValue(config) <= 1.0)
    ThrowAt(config, key,
            "loss mul_log divides by log(target), which must be positive (got " +
                Format(TargetValue(config) * scale) + "; expected above 1 " + CostUnit(config) +
                ", or use loss add_linear)");
  if (data.holdout.size() == 0)
    ThrowAt(config, "data.holdout_fraction",
            "strategy proxyless trains its architecture on held-out images (expected a fraction "
            "that holds out at least one image)");
}

void CheckProxylessSearch(const SearchSpace& space, const Config& config, const DataSplits& data,
                          const latency::LatencyTable* table) {
  CheckProxylessSearch(config, data, CostsFor(space, config, table));
}

ProxylessResult RunProxylessSearch(const SearchSpace& space, const Config& config,
                                   const DataSplits& data, const CandidateCosts& costs,
                                   const SearchContext& context) {
  torch::manual_seed(config.seed);
  at::set_num_threads(static_cast<int>(config.threads));
  ProxylessSearch search(space, config, data, costs, context);
  return search.Run();
}

ProxylessResult RunProxylessSearch(const SearchSpace& space, const Config& config,
                                   const DataSplits& data, const latency::LatencyTable* table,
                                   const SearchContext& context) {
  return RunProxylessSearch(space, config, data, CostsFor(space, config, table), context);
}

}  // namespace hwnas::search
