// Pieces the standalone trainer and the supernet search share so that both train the same way:
// the batch pipeline settings, the pipeline's batches as (channels-last) tensors, the cosine
// learning rate, the smoothed cross-entropy, accuracy on a dataset (over the ranks of a job), and
// how weights are saved.
// Private to search/.
#pragma once

#include <torch/serialize.h>
#include <torch/types.h>
#include <torch/utils.h>

#include <cstdint>
#include <filesystem>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "core/atomic_file.h"
#include "core/batch_pipeline.h"
#include "core/dataset.h"
#include "core/options.h"
#include "search/data_parallel.h"
#include "supernet/network.h"

namespace hwnas::search {

BatchPipelineOptions PipelineOptions(const Config& config, bool training);

// The pipeline delivers N x H x W x C floats; viewing them as N x C x H x W gives a
// channels-last tensor without a copy. The copy to contiguous NCHW happens only when asked.
torch::Tensor ImagesTensor(Batch& batch, const Dataset& shape, bool channels_last);
torch::Tensor LabelsTensor(Batch& batch);

// Cosine decay from `initial` to zero over `total_steps`.
double CosineLearningRate(double initial, int64_t step, int64_t total_steps);

// Cross-entropy with the configured label smoothing (the training loss).
torch::Tensor TrainingLoss(const torch::Tensor& logits, const torch::Tensor& labels,
                           const Config& config);

// Saves a module the way torch::load reads it back, atomically (readers never see half a file),
// creating the directory. IoError naming `what` and the path.
template <typename Module>
void SaveModule(const Module& module, const std::string& path, const std::string& what) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  std::ostringstream bytes;
  torch::save(module, bytes);
  WriteFileAtomically(path, bytes.str(), what);
}

// Loads weights saved for the same NetSpec into `model`. torch::load adopts whatever shapes the
// file holds, so they go into a scratch network first and are copied over only when every
// tensor has the shape model's NetSpec gives it; DataError naming the file or the tensor.
void LoadNetworkWeights(supernet::Network& model, const std::string& path);

// The first `limit` images of `data` (0 = all), normalised, in file order, as (images, labels)
// batches of up to 512 that outlive the pipeline: for scoring many networks on the same images.
std::vector<std::pair<torch::Tensor, torch::Tensor>> CollectBatches(const Dataset& data,
                                                                    int64_t limit,
                                                                    const Config& config,
                                                                    bool channels_last);
// Top-1 accuracy of `model` on collected batches, in eval mode, without gradients (inside a
// DataParallelScope: over every rank's share of them).
double BatchesAccuracy(supernet::Network& model,
                       const std::vector<std::pair<torch::Tensor, torch::Tensor>>& batches);

// BatchesAccuracy of `model` on `batches`, the first `images` held-out images of config's data as
// CollectBatches gives them; in a job rank 0 sends the network and every rank scores its share
// of the batches (AMC's and HAQ's episodes).
double HoldoutAccuracyOnEveryRank(
    supernet::Network& model, const std::vector<std::pair<torch::Tensor, torch::Tensor>>& batches,
    const Config& config, int64_t images);

// Top-1 accuracy of `model` (any module holder with forward(images)) on `data`, in eval mode.
template <typename Model>
double Accuracy(Model& model, const Dataset& data, const Config& config) {
  if (data.size() == 0) return 0;
  model->eval();
  torch::NoGradGuard no_grad;
  // Inside a DataParallelScope each rank counts its part of every batch.
  BatchPipeline pipeline(data, Sharded(PipelineOptions(config, /*training=*/false)));
  pipeline.StartEpoch(0);
  int64_t correct = 0;
  while (auto batch = pipeline.Next()) {
    auto logits = model->forward(ImagesTensor(*batch, data, config.train.channels_last));
    correct += logits.argmax(1).eq(LabelsTensor(*batch)).sum().template item<int64_t>();
  }
  const double all = SumOverRanks({static_cast<double>(correct)}, "an accuracy count")[0];
  return all / data.size();
}

}  // namespace hwnas::search
