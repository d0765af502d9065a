#include "search/evolution/accuracy_predictor.h"

#include <torch/types.h>
#include <torch/utils.h>

#include <algorithm>
#include <cstdio>

#include "core/config.h"
#include "core/dataset.h"
#include "core/errors.h"
#include "core/metrics.h"
#include "core/progress.h"
#include "core/rng.h"
#include "search/supernet_weights.h"
#include "search/train_util.h"

namespace hwnas::search {
namespace {

constexpr int64_t kRecalibrationBatches = 10;  // as the proxyless search for derived paths

double PathAccuracy(supernet::SuperNet& net,
                    const std::vector<std::pair<torch::Tensor, torch::Tensor>>& batches) {
  net->eval();
  torch::NoGradGuard no_grad;
  int64_t correct = 0, total = 0;
  for (const auto& [images, labels] : batches) {
    correct += net->forward(images).argmax(1).eq(labels).sum().item<int64_t>();
    total += labels.size(0);
  }
  return total > 0 ? static_cast<double>(correct) / total : 0;
}

}  // namespace

std::vector<AccuracySample> SampleAccuracies(const SearchSpace& space, const Config& config,
                                             const DataSplits& data,
                                             const std::string& checkpoint_path, int64_t count,
                                             int64_t eval_images, bool show_progress,
                                             const std::atomic<bool>* stop,
                                             const SamplingProgress& progress) {
  supernet::SuperNet net(space);
  LoadSupernetFromCheckpoint(net, checkpoint_path);
  if (config.train.channels_last) supernet::ToChannelsLast(*net);
  const auto batches =
      CollectBatches(data.holdout, eval_images, config, config.train.channels_last);
  Rng rng(DeriveSeed(config.seed, rng_stream::kAccuracySample));
  std::vector<AccuracySample> samples = progress.scored;
  for (const AccuracySample& s : samples)  // the draws of the samples scored before
    if (RandomArch(space, rng).choices != s.arch.choices)
      throw DataError("the accuracy samples of the checkpoint are not this config's (" +
                      FormatArch(s.arch) + ")");
  ProgressBar bar("accuracy samples", count, show_progress);
  for (auto i = static_cast<int64_t>(samples.size()); i < count; ++i) {
    if (stop != nullptr && stop->load())
      throw Interrupted("stopped after " + std::to_string(i) + " accuracy samples");
    AccuracySample s{RandomArch(space, rng), 0};
    net->SetActive(s.arch);
    RecalibrateBatchNorm(net, data.train, config, kRecalibrationBatches);
    s.accuracy = PathAccuracy(net, batches);
    samples.push_back(std::move(s));
    if (progress.on_sample) progress.on_sample(samples);
    bar.Update(i + 1, "last " + std::to_string(100 * samples.back().accuracy).substr(0, 5) + "%");
  }
  bar.Finish("accuracy samples: " + std::to_string(count) + " architectures scored");
  return samples;
}

predictors::EncodingLayout AccuracyLayout(const SearchSpace& space) {
  predictors::EncodingLayout layout;
  for (const BlockPosition& b : Blocks(space)) {
    layout.group_of_block.push_back(b.stage - 1);
    for (const std::string& c : CandidateNames(space, b))
      if (std::find(layout.categories.begin(), layout.categories.end(), c) ==
          layout.categories.end())
        layout.categories.push_back(c);
  }
  layout.per_block = true;  // a choice's effect on accuracy depends on where it is
  return layout;
}

std::vector<double> AccuracyModel::Predict(const std::vector<Arch>& archs) const {
  std::vector<std::vector<double>> rows;
  rows.reserve(archs.size());
  for (const Arch& a : archs) rows.push_back(encoder.Encode({a.choices, {}}));
  return predictor->PredictRows(rows);
}

AccuracyModel FitAccuracyModel(const SearchSpace& space, const std::vector<AccuracySample>& samples,
                               const std::string& kind, double test_share, uint64_t seed) {
  AccuracyModel model{
      predictors::ArchEncoder(AccuracyLayout(space)), predictors::MakePredictor(kind), 0, {}};
  std::vector<size_t> order(samples.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  Rng rng(DeriveSeed(seed, rng_stream::kAccuracySample, 1));
  Shuffle(order, rng);
  const size_t test = static_cast<size_t>(test_share * static_cast<double>(samples.size()));
  predictors::Examples train, held;
  train.features = held.features = model.encoder.feature_names();
  for (size_t k = 0; k < order.size(); ++k) {
    const AccuracySample& s = samples[order[k]];
    (k < test ? held : train).Add(model.encoder.Encode({s.arch.choices, {}}), s.accuracy);
  }
  model.predictor->Fit(train);
  model.train_count = train.size();
  if (held.size() > 0)
    model.test = CompareScaleFree(model.predictor->PredictAll(held), held.targets);
  return model;
}

}  // namespace hwnas::search
