#include "search/trainer.h"

#include <torch/optim/sgd.h>
#include <torch/serialize.h>
#include <torch/utils.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>

#include "core/batch_pipeline.h"
#include "core/config.h"
#include "core/dataset.h"
#include "core/errors.h"
#include "core/progress.h"
#include "core/text.h"
#include "core/timing.h"
#include "latency/estimator.h"
#include "measure/torch_device.h"
#include "search/data_parallel.h"
#include "search/train_util.h"
#include "supernet/network.h"
#include "supernet/threads.h"

namespace hwnas::search {
namespace {

using Clock = std::chrono::steady_clock;
using supernet::Network;

struct EpochStats {
  double loss = 0;
  double accuracy = 0;
  double seconds = 0;
  double data_wait_seconds = 0;
  int64_t images = 0;
  MetricValues communication;  // in a job
};

class Trainer {
 public:
  Trainer(const NetSpec& net, const Config& config, const DataSplits& data,
          const TrainContext& context)
      : config_(config),
        data_(data),
        context_(context),
        model_(net),
        optimizer_(model_->parameters(), torch::optim::SGDOptions(config.train.learning_rate)
                                             .momentum(config.train.momentum)
                                             .weight_decay(config.train.weight_decay)
                                             .nesterov(config.train.momentum > 0)),
        pipeline_(data.train, Sharded(PipelineOptions(config, /*training=*/true))) {
    if (!context.initial_weights.empty()) LoadNetworkWeights(model_, context.initial_weights);
    if (config.train.channels_last) supernet::ToChannelsLast(*model_);
    steps_per_epoch_ = std::max<int64_t>(1, data.train.size() / config.data.batch_size);
  }

  TrainResult Run();

 private:
  EpochStats TrainEpoch(int64_t epoch);
  void SetLearningRate(int64_t step);
  std::string SaveWeights();

  const Config& config_;
  const DataSplits& data_;
  const TrainContext& context_;
  Network model_;
  torch::optim::SGD optimizer_;
  BatchPipeline pipeline_;
  int64_t steps_per_epoch_ = 1;
};

// Cosine decay from the initial rate to zero over all steps of all epochs.
void Trainer::SetLearningRate(int64_t step) {
  const double lr = CosineLearningRate(config_.train.learning_rate, step,
                                       steps_per_epoch_ * config_.train.epochs);
  for (auto& group : optimizer_.param_groups())
    static_cast<torch::optim::SGDOptions&>(group.options()).lr(lr);
}

EpochStats Trainer::TrainEpoch(int64_t epoch) {
  model_->train();
  EpochStats stats;
  const Communication communication = CommunicationSoFar();
  ProgressBar bar("epoch " + std::to_string(epoch + 1) + "/" + std::to_string(config_.train.epochs),
                  steps_per_epoch_, context_.show_progress);
  const auto start = Clock::now();
  const double wait_before = pipeline_.stats().consumer_wait_seconds;
  pipeline_.StartEpoch(epoch);
  double loss_sum = 0;
  int64_t correct = 0;
  int64_t step = 0;
  while (auto batch = pipeline_.Next()) {
    if (StopRequested(context_.stop_requested))
      throw Interrupted("training interrupted in epoch " + std::to_string(epoch + 1));
    SetLearningRate(epoch * steps_per_epoch_ + step);
    auto images = ImagesTensor(*batch, data_.train, config_.train.channels_last);
    auto labels = LabelsTensor(*batch);
    auto logits = model_->forward(images);
    auto loss = TrainingLoss(logits, labels, config_);
    optimizer_.zero_grad();
    WeightedByShare(loss, *batch).backward();
    AverageGradients(model_->parameters());
    optimizer_.step();
    if (batch->size > 0) loss_sum += loss.item<double>() * batch->size;  // empty part: NaN
    correct += logits.argmax(1).eq(labels).sum().item<int64_t>();
    stats.images += batch->size;
    bar.Update(++step, "loss " + std::to_string(loss_sum / stats.images).substr(0, 5));
  }
  // Over every rank's part of the batches.
  const std::vector<double> sums =
      SumOverRanks({loss_sum, static_cast<double>(correct), static_cast<double>(stats.images)},
                   "the epoch's statistics");
  loss_sum = sums[0], correct = static_cast<int64_t>(sums[1]);
  stats.images = static_cast<int64_t>(sums[2]);
  stats.seconds = SecondsSince(start);
  stats.communication = CommunicationMetrics(communication, stats.seconds, step);
  stats.data_wait_seconds = pipeline_.stats().consumer_wait_seconds - wait_before;
  stats.loss = stats.images > 0 ? loss_sum / stats.images : 0;
  stats.accuracy = stats.images > 0 ? static_cast<double>(correct) / stats.images : 0;
  bar.Finish("");
  return stats;
}

// End-to-end latency on this CPU, measured the way latency tables are (measure/), so the
// stored number is comparable with table estimates. Timing does not depend on weight values, so
// the device's fresh network of the same NetSpec stands in for the trained one.
double MeasureLatencyMs(const NetSpec& net, const Config& config) {
  const auto cpu =
      latency::MakeTorchDevice(latency::TorchBackend::kCpu, latency::MeasureOptionsOf(config));
  return latency::EntryMs(cpu->MeasureNetwork(net));
}

std::string Trainer::SaveWeights() {
  if (context_.artifact_dir.empty() || !IsLeader()) return "";
  const std::string path = context_.artifact_dir + "/final.pt";
  SaveModule(model_, path, "weights");
  return path;
}

std::string EpochSummary(int64_t epoch, int64_t epochs, const EpochStats& s,
                         std::optional<double> holdout) {
  const std::string held_out =
      holdout ? StringPrintf("  holdout acc %.2f%%", 100.0 * *holdout) : std::string();
  return StringPrintf(
      "epoch %lld/%lld  loss %.4f  train acc %.2f%%%s  %.0f img/s  "
      "data wait %.1f%%  %s",
      static_cast<long long>(epoch + 1), static_cast<long long>(epochs), s.loss, 100.0 * s.accuracy,
      held_out.c_str(), s.images / std::max(s.seconds, 1e-9),
      100.0 * s.data_wait_seconds / std::max(s.seconds, 1e-9), FormatDuration(s.seconds).c_str());
}

TrainResult Trainer::Run() {
  TrainResult result;
  double wait_seconds = 0;
  int64_t images = 0;
  for (int64_t epoch = 0; epoch < config_.train.epochs; ++epoch) {
    const EpochStats stats = TrainEpoch(epoch);
    if (data_.holdout.size() > 0)
      result.holdout_accuracy = Accuracy(model_, data_.holdout, config_);
    result.train_loss = stats.loss;
    result.train_seconds += stats.seconds;
    wait_seconds += stats.data_wait_seconds;
    images += stats.images;
    MetricValues values = {
        {"train_loss", stats.loss},
        {"train_accuracy", stats.accuracy},
        {"epoch_seconds", stats.seconds},
        {"images_per_second", stats.images / std::max(stats.seconds, 1e-9)},
        {"data_wait_fraction", stats.data_wait_seconds / std::max(stats.seconds, 1e-9)}};
    if (result.holdout_accuracy)
      values.insert(values.begin() + 2, {"holdout_accuracy", *result.holdout_accuracy});
    values.insert(values.end(), stats.communication.begin(), stats.communication.end());
    context_.reporter->OnMetrics(epoch, values);
    if (context_.show_progress)
      std::fprintf(
          stderr, "%s\n",
          EpochSummary(epoch, config_.train.epochs, stats, result.holdout_accuracy).c_str());
  }
  result.images_per_second = images / std::max(result.train_seconds, 1e-9);
  result.data_wait_fraction = wait_seconds / std::max(result.train_seconds, 1e-9);
  result.test_accuracy = Accuracy(model_, data_.test, config_);
  result.weights_path = SaveWeights();
  return result;
}

// Trains on every rank of a job (each on its part of the batches), then measures on the leader
// alone, once the others have returned to waiting for work.
TrainResult TrainOnEveryRank(const NetSpec& net, const Config& config, const DataSplits& data,
                             const TrainContext& context) {
  torch::manual_seed(config.seed);
  supernet::SetThreads(static_cast<int>(config.threads));
  const DataParallelScope data_parallel;
  Trainer trainer(net, config, data, context);
  return trainer.Run();
}

// The leader's training on another rank.
void FollowTraining(const WorkOrder& order) {
  const Config config = LoadConfigFromString(order.at("config"), "rank 0's training config");
  SilentReporter silent;
  TrainContext context;
  context.reporter = &silent;
  context.show_progress = false;
  context.initial_weights = order.at("initial_weights");
  TrainOnEveryRank(NetSpecFromJson(order.at("net"), "rank 0's network"), config,
                   FollowerData(config, std::stoull(order.at("data_seed"))), context);
}

const bool registered = RegisterWorkOrder("train", FollowTraining);

}  // namespace

std::string AccuracyText(const TrainResult& result) {
  std::string text = StringPrintf("%.2f%%", 100.0 * result.test_accuracy);
  if (result.holdout_accuracy)
    text += StringPrintf("  (holdout %.2f%%)", 100.0 * *result.holdout_accuracy);
  return text;
}

TrainResult TrainNetwork(const NetSpec& net, const Config& config, const DataSplits& data,
                         const TrainContext& context) {
  PostWorkOrder({"train",
                 {{"config", ConfigToYaml(config)},
                  {"net", NetSpecToJson(net)},
                  {"initial_weights", context.initial_weights},
                  {"data_seed", std::to_string(context.data_seed.value_or(config.seed))}}});
  TrainResult result = TrainOnEveryRank(net, config, data, context);
  if (context.measure_latency) result.latency_ms = MeasureLatencyMs(net, config);

  Reporter& reporter = *context.reporter;
  reporter.OnMetric(config.train.epochs - 1, "test_accuracy", result.test_accuracy);
  ArchitectureRecord record;
  record.role = "final";
  record.arch = ArchString(net);
  record.netspec_json = NetSpecToJson(net);
  record.flops = NetFlops(net);
  record.params = NetParams(net);
  record.size_bits = NetSizeBits(net);
  if (context.measure_latency) record.measured_latency_ms = result.latency_ms;
  record.latency_device = config.device.name;
  record.accuracy = result.test_accuracy;
  reporter.OnArchitecture(record);
  if (!result.weights_path.empty()) reporter.OnArtifact("weights", result.weights_path);
  return result;
}

}  // namespace hwnas::search
