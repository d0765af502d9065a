#include "search/proxyless/proxyless.h"

#include <torch/nn/modules/batchnorm.h>
#include <torch/optim/adam.h>
#include <torch/optim/sgd.h>
#include <torch/serialize.h>
#include <torch/serialize/input-archive.h>
#include <torch/serialize/output-archive.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <limits>
#include <memory>
#include <numeric>
#include <optional>
#include <sstream>

#include "core/atomic_file.h"
#include "core/batch_pipeline.h"
#include "core/config.h"
#include "core/dataset.h"
#include "core/errors.h"
#include "core/progress.h"
#include "core/text.h"
#include "search/checkpoint.h"
#include "search/data_parallel.h"
#include "search/supernet_weights.h"
#include "search/train_util.h"
#include "supernet/supernet.h"
#include "supernet/threads.h"

namespace hwnas::search {
namespace {

using supernet::CandidateCosts;
using supernet::GateMode;
using supernet::SuperNet;

CandidateCosts CostsFor(const SearchSpace& space, const Config& config,
                        const latency::LatencyTable* table) {
  if (config.proxyless.target_kind == ProxylessTarget::kFlops)
    return supernet::CandidateFlops(space);
  if (table == nullptr) throw DataError("a latency target needs the device's latency table");
  return supernet::CandidateLatencies(space, *table);
}

constexpr int64_t kRecalibrationBatches = 10;  // for the derived path's batch-norm statistics

// Bumped whenever what a checkpoint holds changes; older files are refused, not misread.
constexpr int64_t kCheckpointFormat = 1;

// The candidate costs as text: a resumed search must price candidates exactly as before (a table
// rebuilt or recalibrated in between would silently change the result).
std::string CostsText(const CandidateCosts& costs) {
  std::string text;
  char value[32];
  std::snprintf(value, sizeof value, "%.17g", costs.fixed);
  text += value;
  for (const auto& block : costs.per_block) {
    text += ";";
    for (double c : block) {
      std::snprintf(value, sizeof value, " %.17g", c);
      text += value;
    }
  }
  return text;
}

struct EpochStats {
  double loss = 0;
  double accuracy = 0;
  double arch_loss = 0;  // mean over the epoch's architecture steps
  double seconds = 0;
  MetricValues communication;  // in a job
};

class ProxylessSearch {
 public:
  ProxylessSearch(const SearchSpace& space, const Config& config, const DataSplits& data,
                  const CandidateCosts& costs, const SearchContext& context);
  ProxylessResult Run();

 private:
  enum class Phase { kWarmup, kSearch };
  void RunEpoch(int64_t step);
  EpochStats TrainEpoch(Phase phase, int64_t epoch);
  double WeightStep(Batch& batch, Phase phase, int64_t* correct);
  void TrainExtremePaths(const torch::Tensor& images, const torch::Tensor& labels,
                         const Batch& batch);
  double ArchStep();
  torch::Tensor ArchLoss(const torch::Tensor& logits, const torch::Tensor& labels);
  Batch NextHoldoutBatch();
  void ReportEpoch(int64_t step, Phase phase, const EpochStats& stats, const Arch& derived);
  std::string EpochSummary(Phase phase, int64_t step, const MetricValues& values) const;
  double ArchCost(const Arch& arch) const;
  void ReportDerived(int64_t step, const Arch& derived);
  void SaveCheckpoint(int64_t epochs_done);
  int64_t LoadCheckpoint();  // returns the epochs it holds
  void SaveInheritedWeights(const ProxylessResult& result);

  const Config& config_;
  const ProxylessOptions& options_;
  const DataSplits& data_;
  const CandidateCosts& costs_;
  const SearchContext& context_;
  SuperNet net_;
  torch::optim::SGD weight_optimizer_;
  torch::optim::Adam arch_optimizer_;
  std::shared_ptr<const Dataset> search_train_;  // the train split, or its first search_images
  BatchPipeline train_pipeline_;
  BatchPipeline holdout_pipeline_;
  int64_t holdout_epoch_ = 0;
  int64_t holdout_taken_ = 0;  // batches of holdout_epoch_ handed out so far
  Rng rng_;
  int64_t steps_per_epoch_ = 1;
  std::vector<Arch> derived_;  // after each search epoch
  Arch largest_, smallest_;    // by candidate cost: the sandwich rule's outer paths
};

// The images weight steps train on: the whole train split (not copied), or the first `images`.
std::shared_ptr<const Dataset> SearchTrainSet(const Dataset& train, int64_t images) {
  if (images <= 0 || images >= train.size())
    return std::shared_ptr<const Dataset>(std::shared_ptr<void>(), &train);
  std::vector<int64_t> first(static_cast<size_t>(images));
  std::iota(first.begin(), first.end(), 0);
  return std::make_shared<const Dataset>(Subset(train, first, train.name + "-search"));
}

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
      search_train_(SearchTrainSet(data.train, config.proxyless.search_images)),
      train_pipeline_(*search_train_, Sharded(PipelineOptions(config, /*training=*/true))),
      holdout_pipeline_(data.holdout, Sharded(HoldoutOptions(config))),
      rng_(DeriveSeed(config.seed, rng_stream::kArchSample)) {
  if (config.train.channels_last) supernet::ToChannelsLast(*net_);
  largest_ = ExtremeArch(space, costs, /*largest=*/true);
  smallest_ = ExtremeArch(space, costs, /*largest=*/false);
  steps_per_epoch_ = std::max<int64_t>(1, search_train_->size() / config.data.batch_size);
  holdout_pipeline_.StartEpoch(holdout_epoch_);
}

Batch ProxylessSearch::NextHoldoutBatch() {
  ++holdout_taken_;
  if (auto batch = holdout_pipeline_.Next()) return std::move(*batch);
  holdout_pipeline_.StartEpoch(++holdout_epoch_);
  holdout_taken_ = 1;
  auto batch = holdout_pipeline_.Next();
  if (!batch) throw DataError("the held-out split has no images for architecture steps");
  return std::move(*batch);
}

// Cross-entropy plus the cost regulariser of `loss` (ProxylessNAS add#linear and mul#log, NNI's
// absolute penalty).
torch::Tensor ProxylessSearch::ArchLoss(const torch::Tensor& logits, const torch::Tensor& labels) {
  const torch::Tensor ce = TrainingLoss(logits, labels, config_);
  const torch::Tensor expected = net_->ExpectedLatency(costs_).to(torch::kFloat);
  const double target = TargetValue(config_);
  switch (options_.loss) {
    case ProxylessLoss::kAddLinear:
      return ce + options_.lambda * (expected - target) / target;
    case ProxylessLoss::kAddAbsolute:
      return ce + options_.lambda * torch::abs(expected - target) / target;
    case ProxylessLoss::kMulLog:
      break;
  }
  // The log ratio is not unit-free: ProxylessNAS used ms on phones (~80 ms), where log T > 0.
  // Sub-millisecond CPU networks would make log T negative, so latency is taken in us here.
  const double unit = config_.proxyless.target_kind == ProxylessTarget::kLatency ? 1000.0 : 1.0;
  // CheckProxylessSearch ensures log T > 0; clamping keeps a fractional power defined.
  const torch::Tensor ratio =
      (torch::log(expected * unit) / std::log(target * unit)).clamp_min(1e-6);
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
  const torch::Tensor loss = WeightedByShare(ArchLoss(logits, LabelsTensor(batch)), batch);
  loss.backward();
  AverageGradients(net_->ArchParameters());
  arch_optimizer_.step();
  if (two) net_->RescaleAfterArchStep();
  return loss.item<double>();
}

// The sandwich rule's outer paths on the same batch, their gradients added to the uniform path's
// (BigNAS): the largest path bounds what the supernet can reach, the smallest what it must keep.
void ProxylessSearch::TrainExtremePaths(const torch::Tensor& images, const torch::Tensor& labels,
                                        const Batch& batch) {
  const Arch uniform = net_->ActiveArch();
  for (const Arch* extreme : {&largest_, &smallest_}) {
    net_->SetActive(*extreme, /*keep_gradients=*/true);
    WeightedByShare(TrainingLoss(net_->forward(images), labels, config_), batch).backward();
  }
  net_->SetActive(uniform, /*keep_gradients=*/true);
}

// One weight step on a train batch, on a uniform path (warm-up, with the largest and smallest
// under the sandwich rule) or one sampled from alpha.
double ProxylessSearch::WeightStep(Batch& batch, Phase phase, int64_t* correct) {
  weight_optimizer_.zero_grad();
  // Sampling after zero_grad leaves the candidates that do not run without a gradient, so
  // momentum and weight decay do not move them.
  if (phase == Phase::kWarmup)
    net_->SampleUniform(rng_);
  else
    net_->SampleFromAlpha(rng_, GateMode::kPathOnly);
  const torch::Tensor labels = LabelsTensor(batch);
  const torch::Tensor images = ImagesTensor(batch, *search_train_, config_.train.channels_last);
  if (phase == Phase::kWarmup && options_.warmup_paths == WarmupPaths::kSandwich)
    TrainExtremePaths(images, labels, batch);
  const torch::Tensor logits = net_->forward(images);
  const torch::Tensor loss = TrainingLoss(logits, labels, config_);
  WeightedByShare(loss, batch).backward();
  AverageGradients(net_->WeightParameters());
  weight_optimizer_.step();
  *correct += logits.argmax(1).eq(labels).sum().item<int64_t>();
  return batch.size > 0 ? loss.item<double>() : 0.0;  // an empty part's mean is NaN
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
  const Communication communication = CommunicationSoFar();
  double loss_sum = 0, arch_loss_sum = 0;
  int64_t correct = 0, images = 0, step = 0, arch_steps = 0;
  while (auto batch = train_pipeline_.Next()) {
    if (StopRequested(context_.stop_requested))
      throw Interrupted("search interrupted during " + label + " epoch");
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
    bar.Update(step, "loss " + FormatSignificant(loss_sum / images, 6));
  }
  bar.Finish("");
  // Over every rank's part of the batches (arch losses are weighted shares: their mean is W x).
  const std::vector<double> sums = SumOverRanks(
      {loss_sum, static_cast<double>(correct), static_cast<double>(images), arch_loss_sum},
      "the epoch's statistics");
  loss_sum = sums[0], correct = static_cast<int64_t>(sums[1]),
  images = static_cast<int64_t>(sums[2]);
  arch_loss_sum = sums[3] / WorldSize();
  stats.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  stats.communication = CommunicationMetrics(communication, stats.seconds, step + arch_steps);
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

// One line per epoch: "search 2/3  loss ..  train acc ..  holdout acc ..  E[ms] ..  12.3s".
std::string ProxylessSearch::EpochSummary(Phase phase, int64_t step,
                                          const MetricValues& values) const {
  auto value = [&](const std::string& name) {
    for (const auto& v : values)
      if (v.first == name) return v.second;
    return 0.0;
  };
  const bool warmup = phase == Phase::kWarmup;
  const int64_t epoch = warmup ? step : step - options_.warmup_epochs;
  char line[512];
  int n = std::snprintf(line, sizeof line, "%s %lld/%lld  loss %.4f  train acc %.2f%%",
                        warmup ? "warm-up" : "search", static_cast<long long>(epoch + 1),
                        static_cast<long long>(warmup ? options_.warmup_epochs : options_.epochs),
                        value("train_loss"), 100 * value("train_accuracy"));
  const bool ms = config_.proxyless.target_kind == ProxylessTarget::kLatency;
  const double scale = ms ? 1.0 : 1e-6;  // MACs shown in millions
  if (!warmup)
    n += std::snprintf(
        line + n, sizeof line - n, "  derived: holdout acc %.2f%%, %.3f %s (E %.3f, target %g)",
        100 * value("holdout_accuracy"), scale * value("derived_cost"), ms ? "ms" : "M MACs",
        scale * value("expected_cost"), scale * TargetValue(config_));
  std::snprintf(line + n, sizeof line - n, "  %s", FormatDuration(value("epoch_seconds")).c_str());
  return line;
}

// Metrics of a search epoch: losses, the derived path's held-out accuracy, E[cost] and, per
// block, the entropy and every candidate's probability.
void ProxylessSearch::ReportEpoch(int64_t step, Phase phase, const EpochStats& stats,
                                  const Arch& derived) {
  MetricValues values = {{"train_loss", stats.loss},
                         {"train_accuracy", stats.accuracy},
                         {"epoch_seconds", stats.seconds}};
  values.insert(values.end(), stats.communication.begin(), stats.communication.end());
  if (phase == Phase::kSearch) {
    net_->SetActive(derived);
    RecalibrateBatchNorm(net_, *search_train_, config_, kRecalibrationBatches);
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
    std::fprintf(stderr, "%s%s\n", EpochSummary(phase, step, values).c_str(),
                 phase == Phase::kSearch ? ("  " + FormatArch(derived)).c_str() : "");
}

void ProxylessSearch::ReportDerived(int64_t step, const Arch& derived) {
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
}

// Epoch `step` of all epochs (warm-up first). Path sampling is seeded per epoch, so an epoch
// depends only on the state a checkpoint holds.
void ProxylessSearch::RunEpoch(int64_t step) {
  rng_ = Rng(DeriveSeed(config_.seed, rng_stream::kArchSample, static_cast<uint64_t>(step)));
  if (step < options_.warmup_epochs) {
    ReportEpoch(step, Phase::kWarmup, TrainEpoch(Phase::kWarmup, step), Arch{});
    return;
  }
  const EpochStats stats = TrainEpoch(Phase::kSearch, step - options_.warmup_epochs);
  const Arch derived = net_->Derive();
  ReportEpoch(step, Phase::kSearch, stats, derived);
  ReportDerived(step, derived);
  derived_.push_back(derived);
}

void ProxylessSearch::SaveCheckpoint(int64_t epochs_done) {
  if (context_.checkpoint_path.empty() || !IsLeader()) return;
  torch::serialize::OutputArchive archive, net, weights, arch;
  archive.write("config_hash", c10::IValue(ConfigHash(config_)));
  archive.write("costs", c10::IValue(CostsText(costs_)));
  archive.write("epochs_done", c10::IValue(epochs_done));
  archive.write("holdout_epoch", c10::IValue(holdout_epoch_));
  archive.write("holdout_taken", c10::IValue(holdout_taken_));
  std::string derived;
  for (const Arch& a : derived_) derived += FormatArch(a) + "\n";
  archive.write("derived", c10::IValue(derived));
  net_->save(net);
  weight_optimizer_.save(weights);
  arch_optimizer_.save(arch);
  archive.write("supernet", net);
  archive.write("weight_optimizer", weights);
  archive.write("arch_optimizer", arch);
  WriteCheckpoint(archive, kCheckpointFormat, context_.checkpoint_path);
}

int64_t ProxylessSearch::LoadCheckpoint() {
  const std::string& path = context_.checkpoint_path;
  torch::serialize::InputArchive archive =
      OpenRunCheckpoint(path, kCheckpointFormat, ConfigHash(config_));
  if (ReadValue(archive, "costs", path).toStringRef() != CostsText(costs_))
    throw DataError("the candidate costs changed since search checkpoint " + path +
                    " was written (the device's latency table was rebuilt or recalibrated, or "
                    "this is another machine); resuming would not give the run's result");
  torch::serialize::InputArchive net, weights, arch;
  archive.read("supernet", net);
  archive.read("weight_optimizer", weights);
  archive.read("arch_optimizer", arch);
  net_->load(net);
  if (config_.train.channels_last) supernet::ToChannelsLast(*net_);
  weight_optimizer_.load(weights);
  arch_optimizer_.load(arch);
  // Replay the held-out stream to where it stood: its batches depend on (epoch, position) only.
  holdout_epoch_ = ReadValue(archive, "holdout_epoch", path).toInt();
  const int64_t taken = ReadValue(archive, "holdout_taken", path).toInt();
  holdout_pipeline_.StartEpoch(holdout_epoch_);
  for (holdout_taken_ = 0; holdout_taken_ < taken; ++holdout_taken_) holdout_pipeline_.Next();
  std::istringstream derived(ReadValue(archive, "derived", path).toStringRef());
  for (std::string line; std::getline(derived, line);)
    derived_.push_back(ParseArch(net_->space(), line));
  const int64_t done = ReadValue(archive, "epochs_done", path).toInt();
  const int64_t search_done = std::max<int64_t>(0, done - options_.warmup_epochs);
  if (done < 0 || done > options_.warmup_epochs + options_.epochs ||
      static_cast<int64_t>(derived_.size()) != search_done)
    throw DataError("search checkpoint " + path + " is inconsistent (" + std::to_string(done) +
                    " epochs, " + std::to_string(derived_.size()) + " derived architectures)");
  return done;
}

ProxylessResult ProxylessSearch::Run() {
  // A fresh search never continues files someone left at its paths (e.g. of a deleted run
  // whose id was reused).
  if (!context_.resume && IsLeader()) {
    std::filesystem::remove(context_.checkpoint_path);
    std::filesystem::remove(context_.inherited_weights_path);
  }
  const int64_t epochs = options_.warmup_epochs + options_.epochs;
  for (int64_t step = context_.resume ? LoadCheckpoint() : 0; step < epochs; ++step) {
    RunEpoch(step);
    SaveCheckpoint(step + 1);
  }
  ProxylessResult result;
  result.epoch_archs = derived_;
  result.arch = derived_.back();
  result.net = ToNetSpec(net_->space(), result.arch);
  result.estimated_cost = ArchCost(result.arch);
  result.final_expected_cost = net_->ExpectedLatency(costs_).item<double>();
  result.probabilities = net_->Probabilities();
  // The last checkpoint stays as it is from here on: referenced by path and checksum.
  if (!context_.checkpoint_path.empty())
    context_.reporter->OnArtifact("checkpoint", context_.checkpoint_path);
  if (!context_.inherited_weights_path.empty() && IsLeader()) {
    SaveInheritedWeights(result);
    context_.reporter->OnArtifact("inherited_weights", context_.inherited_weights_path);
  }
  return result;
}

// The derived network with the supernet's weights, saved the way the trainer saves and loads.
void ProxylessSearch::SaveInheritedWeights(const ProxylessResult& result) {
  supernet::Network derived(result.net);
  net_->CopyWeightsTo(result.arch, derived);
  SaveModule(derived, context_.inherited_weights_path, "inherited weights");
}

}  // namespace

// Batch-norm running statistics of a supernet mix every path it trained, so a derived path
// evaluated with them is near chance (measured on fmnist-mbconv: 10% against 36% in train mode).
// As Once-for-All does for its subnets, they are recomputed for the active path: the plain
// average over the first `batches` training batches (file order, no augmentation).
void RecalibrateBatchNorm(supernet::SuperNet& net, const Dataset& data, const Config& config,
                          int64_t batches) {
  std::vector<torch::nn::BatchNorm2dImpl*> norms;
  for (const auto& module : net->modules())
    if (auto* bn = dynamic_cast<torch::nn::BatchNorm2dImpl*>(module.get())) norms.push_back(bn);
  std::vector<c10::optional<double>> momentum;  // each layer's own, restored afterwards
  for (auto* bn : norms) {
    bn->reset_running_stats();
    momentum.push_back(bn->options.momentum());
  }
  torch::NoGradGuard no_grad;
  net->train();
  BatchPipeline pipeline(data, Sharded(PipelineOptions(config, /*training=*/false)));
  pipeline.StartEpoch(0);
  for (int64_t k = 0; k < batches; ++k) {
    auto batch = pipeline.Next();
    if (!batch) break;
    for (auto* bn : norms) bn->options.momentum(1.0 / static_cast<double>(k + 1));
    net->forward(ImagesTensor(*batch, data, config.train.channels_last));
  }
  for (size_t i = 0; i < norms.size(); ++i) norms[i]->options.momentum() = momentum[i];
}

void LoadSupernetFromCheckpoint(supernet::SuperNet& net, const std::string& checkpoint_path) {
  torch::serialize::InputArchive archive = OpenCheckpoint(checkpoint_path, kCheckpointFormat);
  torch::serialize::InputArchive weights;
  archive.read("supernet", weights);
  try {
    net->load(weights);
  } catch (const c10::Error& e) {
    throw DataError("search checkpoint " + checkpoint_path +
                    " holds a supernet of another space (" + e.what_without_backtrace() + ")");
  }
}

std::optional<CheckpointInfo> ReadCheckpointInfo(const std::string& path) {
  if (!std::filesystem::exists(path)) return std::nullopt;
  torch::serialize::InputArchive archive = OpenCheckpoint(path, kCheckpointFormat);
  CheckpointInfo info;
  info.epochs_done = ReadValue(archive, "epochs_done", path).toInt();
  info.config_hash = ReadValue(archive, "config_hash", path).toStringRef();
  return info;
}

double TargetValue(const Config& config) {
  const ProxylessOptions& p = config.proxyless;
  return p.target_kind == ProxylessTarget::kLatency ? p.target_ms : p.target_mflops * 1e6;
}

const char* CostUnit(const Config& config) {
  return config.proxyless.target_kind == ProxylessTarget::kLatency ? "ms" : "MACs";
}

Arch ExtremeArch(const SearchSpace& space, const CandidateCosts& costs, bool largest) {
  Arch arch;
  const std::vector<BlockPosition> blocks = Blocks(space);
  for (size_t b = 0; b < blocks.size(); ++b) {
    const std::vector<double>& block = costs.per_block[b];
    const auto at = largest ? std::max_element(block.begin(), block.end())
                            : std::min_element(block.begin(), block.end());
    arch.choices.push_back(
        CandidateNames(space, blocks[b])[static_cast<size_t>(at - block.begin())]);
  }
  return arch;
}

double CheapestCost(const CandidateCosts& costs) {
  double total = costs.fixed;
  for (const auto& block : costs.per_block)
    if (!block.empty()) total += *std::min_element(block.begin(), block.end());
  return total;
}

void CheckProxylessSearch(const Config& config, const DataSplits& data, const CandidateCosts& costs,
                          std::optional<double> cheapest_measured_ms) {
  const bool latency = config.proxyless.target_kind == ProxylessTarget::kLatency;
  const std::string key = latency ? "proxyless.target_ms" : "proxyless.target_mflops";
  const double scale = latency ? 1.0 : 1e-6;  // report in the key's unit
  const double cheapest = CheapestCost(costs);
  if (TargetValue(config) < cheapest)
    ThrowAt(config, key,
            "below the cheapest network of the space (got " +
                FormatSignificant(TargetValue(config) * scale, 6) + "; expected at least " +
                FormatSignificant(cheapest * scale, 6) + (latency ? " ms" : " M MACs") +
                (latency ? " on device " + config.device.name : std::string()) + ")" +
                (cheapest_measured_ms ? "; timed end to end just now it measured " +
                                            FormatSignificant(*cheapest_measured_ms, 3) + " ms"
                                      : std::string()));
  const double mul_log_floor = latency ? 1e-3 : 1e-6;  // 1 us, or 1 MAC in M MACs
  if (config.proxyless.loss == ProxylessLoss::kMulLog &&
      TargetValue(config) * scale <= mul_log_floor)
    ThrowAt(config, key,
            "loss mul_log divides by log(target in " + std::string(latency ? "us" : "MACs") +
                "), which must be positive (got " +
                FormatSignificant(TargetValue(config) * scale, 6) + "; expected above " +
                FormatSignificant(mul_log_floor, 6) + (latency ? " ms" : " M MACs") +
                ", or use loss add_linear)");
  if (config.proxyless.search_images > data.train.size())
    ThrowAt(config, "proxyless.search_images",
            "more than the train split holds (got " +
                std::to_string(config.proxyless.search_images) + "; expected at most " +
                std::to_string(data.train.size()) + ", or 0 for all)");
  if (data.holdout.size() == 0)
    ThrowAt(config, "data.holdout_fraction",
            "strategy proxyless trains its architecture on held-out images (expected a fraction "
            "that holds out at least one image)");
}

void CheckProxylessSearch(const SearchSpace& space, const Config& config, const DataSplits& data,
                          const latency::LatencyTable* table,
                          std::optional<double> cheapest_measured_ms) {
  CheckProxylessSearch(config, data, CostsFor(space, config, table), cheapest_measured_ms);
}

ProxylessResult RunProxylessSearch(const SearchSpace& space, const Config& config,
                                   const DataSplits& data, const CandidateCosts& costs,
                                   const SearchContext& context) {
  PostWorkOrder({"proxyless",
                 {{"config", ConfigToYaml(config)},
                  {"costs", CostsText(costs)},
                  {"checkpoint", context.checkpoint_path},
                  {"resume", context.resume ? "1" : "0"}}});
  torch::manual_seed(config.seed);
  supernet::SetThreads(static_cast<int>(config.threads));
  const DataParallelScope data_parallel;
  ProxylessSearch search(space, config, data, costs, context);
  return search.Run();
}

ProxylessResult RunProxylessSearch(const SearchSpace& space, const Config& config,
                                   const DataSplits& data, const latency::LatencyTable* table,
                                   const SearchContext& context) {
  return RunProxylessSearch(space, config, data, CostsFor(space, config, table), context);
}

namespace {

// CostsText read back.
CandidateCosts ParseCostsText(const std::string& text) {
  CandidateCosts costs;
  std::istringstream blocks(text);
  std::string block;
  std::getline(blocks, block, ';');
  costs.fixed = std::stod(block);
  while (std::getline(blocks, block, ';')) {
    std::istringstream values(block);
    costs.per_block.emplace_back();
    for (double c; values >> c;) costs.per_block.back().push_back(c);
  }
  return costs;
}

// The leader's search on another rank: the same supernet steps on its part of every batch.
void FollowSearch(const WorkOrder& order) {
  const Config config = LoadConfigFromString(order.at("config"), "rank 0's search config");
  const DataSplits& data = FollowerData(config);
  const SearchSpace space = FitSpaceToData(LoadSpace(config.space), data.train, config.source_path);
  SilentReporter silent;
  SearchContext context;
  context.reporter = &silent;
  context.show_progress = false;
  context.checkpoint_path = order.at("checkpoint");
  context.resume = order.at("resume") == "1";
  RunProxylessSearch(space, config, data, ParseCostsText(order.at("costs")), context);
}

const bool registered = RegisterWorkOrder("proxyless", FollowSearch);

}  // namespace

}  // namespace hwnas::search
