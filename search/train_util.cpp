#include "search/train_util.h"

#include <torch/nn/functional/loss.h>
#include <torch/serialize.h>

#include <algorithm>
#include <cmath>
#include <sstream>

#include "core/config.h"
#include "core/errors.h"
#include "supernet/weights.h"

namespace hwnas::search {

BatchPipelineOptions PipelineOptions(const Config& config, bool training) {
  BatchPipelineOptions options;
  options.batch_size = config.data.batch_size;
  options.shuffle = training;
  options.augment = training ? config.data.augment : AugmentOptions{0, false};
  options.drop_last = training;
  options.prefetch = config.data.prefetch_batches;
  options.threads = config.threads;
  options.seed = config.seed;
  return options;
}

torch::Tensor ImagesTensor(Batch& batch, const Dataset& shape, bool channels_last) {
  auto images =
      torch::from_blob(batch.images.data(), {batch.size, shape.height, shape.width, shape.channels},
                       torch::kFloat32)
          .permute({0, 3, 1, 2});
  return channels_last ? images.contiguous(at::MemoryFormat::ChannelsLast) : images.contiguous();
}

torch::Tensor LabelsTensor(Batch& batch) {
  return torch::from_blob(batch.labels.data(), {batch.size}, torch::kInt64).clone();
}

double CosineLearningRate(double initial, int64_t step, int64_t total_steps) {
  const double total = static_cast<double>(std::max<int64_t>(total_steps, 1));
  return 0.5 * initial * (1.0 + std::cos(M_PI * static_cast<double>(step) / total));
}

torch::Tensor TrainingLoss(const torch::Tensor& logits, const torch::Tensor& labels,
                           const Config& config) {
  return torch::nn::functional::cross_entropy(
      logits, labels,
      torch::nn::functional::CrossEntropyFuncOptions().label_smoothing(
          config.train.label_smoothing));
}

std::vector<std::pair<torch::Tensor, torch::Tensor>> CollectBatches(const Dataset& data,
                                                                    int64_t limit,
                                                                    const Config& config,
                                                                    bool channels_last) {
  std::vector<int64_t> indices(limit > 0 ? std::min(limit, data.size()) : data.size());
  for (size_t i = 0; i < indices.size(); ++i) indices[i] = static_cast<int64_t>(i);
  const Dataset part = Subset(data, indices, data.name);
  Config eval = config;
  eval.data.batch_size = 512;  // inference only: larger batches are faster
  BatchPipeline pipeline(part, PipelineOptions(eval, /*training=*/false));
  pipeline.StartEpoch(0);
  std::vector<std::pair<torch::Tensor, torch::Tensor>> batches;
  // ImagesTensor may view the batch's own buffer, which the next batch replaces: keep a copy.
  while (auto batch = pipeline.Next())
    batches.emplace_back(ImagesTensor(*batch, part, channels_last).clone(), LabelsTensor(*batch));
  return batches;
}

double BatchesAccuracy(supernet::Network& model,
                       const std::vector<std::pair<torch::Tensor, torch::Tensor>>& batches) {
  model->eval();
  torch::NoGradGuard no_grad;
  double correct = 0, total = 0;
  // Inside a DataParallelScope this rank scores every W-th batch and the counts are summed.
  for (size_t b = static_cast<size_t>(Rank()); b < batches.size(); b += WorldSize()) {
    correct +=
        model->forward(batches[b].first).argmax(1).eq(batches[b].second).sum().item<int64_t>();
    total += batches[b].second.size(0);
  }
  const std::vector<double> sums = SumOverRanks({correct, total}, "an accuracy count");
  return sums[1] > 0 ? sums[0] / sums[1] : 0;
}

namespace {

using Batches = std::vector<std::pair<torch::Tensor, torch::Tensor>>;

// Rank 0's network and weights on another rank, scored on its share of the held-out batches.
void FollowScoring(const WorkOrder& order) {
  const Config config = LoadConfigFromString(order.at("config"), "rank 0's scoring config");
  const int64_t images = std::stoll(order.at("images"));
  static std::string cached_key;
  static Batches cached;
  const std::string key = order.at("config") + "\n" + order.at("images");
  if (key != cached_key) {
    cached =
        CollectBatches(FollowerData(config).holdout, images, config, config.train.channels_last);
    cached_key = key;
  }
  supernet::Network model(NetSpecFromJson(order.at("net"), "rank 0's network"));
  const DataParallelScope data_parallel;
  std::string weights(std::stoull(order.at("bytes")), '\0');
  BroadcastBytes(weights);
  std::istringstream stream(weights);
  torch::load(model, stream);
  if (config.train.channels_last) supernet::ToChannelsLast(*model);
  BatchesAccuracy(model, cached);
}

const bool registered = RegisterWorkOrder("score", FollowScoring);

}  // namespace

double HoldoutAccuracyOnEveryRank(supernet::Network& model, const Batches& batches,
                                  const Config& config, int64_t images) {
  if (!InJob()) return BatchesAccuracy(model, batches);
  std::ostringstream bytes;
  torch::save(model, bytes);
  std::string weights = bytes.str();
  PostWorkOrder({"score",
                 {{"config", ConfigToYaml(config)},
                  {"net", NetSpecToJson(model->spec())},
                  {"images", std::to_string(images)},
                  {"bytes", std::to_string(weights.size())}}});
  const DataParallelScope data_parallel;
  BroadcastBytes(weights);
  return BatchesAccuracy(model, batches);
}

void LoadNetworkWeights(supernet::Network& model, const std::string& path) {
  supernet::LoadCheckedWeights(
      model, path, "cannot load weights " + path + " for network " + ArchString(model->spec()));
}

}  // namespace hwnas::search
