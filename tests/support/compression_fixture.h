// What the AMC and HAQ tests share: a small synthetic task (a config with the data and training
// settings both use), a network trained on it once per test program, and the context of a
// compression run writing into a fresh temporary directory.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <utility>

#include "core/dataset.h"
#include "core/netspec.h"
#include "core/options.h"
#include "core/reporter.h"
#include "search/compression/compression.h"
#include "search/trainer.h"
#include "tests/support/run_command.h"

namespace hwnas::testing {

// 16x16x1 inputs, 4 classes: a stem, two MBConv blocks and a 1x1 convolution before the
// classifier; block2 adds its input back and expands to `block2_mid` channels (16: no expand
// convolution).
inline NetSpec ResidualNet(int64_t block2_mid) {
  NetSpec net;
  net.name = "residual";
  net.input_channels = 1;
  net.input_size = 16;
  net.num_classes = 4;
  net.layers = {{LayerKind::kConv, "stem", 1, 8, 0, 3, 2, 16},
                {LayerKind::kMBConv, "block1", 8, 16, 24, 3, 2, 8},
                {LayerKind::kMBConv, "block2", 16, 16, block2_mid, 3, 1, 4, true},
                {LayerKind::kConv, "mix", 16, 32, 0, 1, 1, 4},
                {LayerKind::kLogits, "classifier", 32, 4, 0, 1, 1, 4}};
  return net;
}

// 768 training and 256 test images (16x16x1, 4 classes) of the synthetic dataset, a fifth held
// out, three epochs at learning rate 0.1, one thread; the strategy's section keeps its defaults.
inline Config SyntheticCompressionConfig(const std::string& strategy) {
  Config config;
  config.seed = 3;
  config.threads = 1;
  config.strategy = strategy;
  config.data.dataset = DatasetKind::kSynthetic;
  config.data.synthetic.train_samples = 768;
  config.data.synthetic.test_samples = 256;
  config.data.batch_size = 32;
  config.data.holdout_fraction = 0.2;
  config.data.augment = {0, false};
  config.train.epochs = 3;
  config.train.learning_rate = 0.1;
  return config;
}

// A short search for tests: `episodes` episodes, the first `warmup` of them random, a small
// agent, `calibration_images` calibration images and one epoch of fine-tuning.
inline void ShortSearch(CompressionOptions& options, int64_t episodes, int64_t warmup,
                        int64_t calibration_images) {
  options.episodes = episodes;
  options.agent.warmup_episodes = warmup;
  options.agent.hidden = 32;
  options.calibration_images = calibration_images;
  options.finetune_epochs = 1;
}

// A context that reports to `reporter`, prints nothing and stores artifacts in a new temporary
// directory named after `name`.
inline search::CompressionContext QuietContext(Reporter& reporter, const std::string& name) {
  search::CompressionContext context;
  context.reporter = &reporter;
  context.show_progress = false;
  context.artifact_dir = MakeTempDir(name);
  return context;
}

// `net` trained on the data of `config`: what AMC and HAQ searches start from.
struct TrainedNetwork {
  Config config;
  DataSplits data;
  std::string weights;
  double test_accuracy = 0;

  TrainedNetwork(const NetSpec& net, Config c, const std::string& name)
      : config(std::move(c)), data(LoadDataSplits(config.data, config.seed)) {
    RecordingReporter reporter;
    search::TrainContext context;
    context.reporter = &reporter;
    context.show_progress = false;
    context.artifact_dir = MakeTempDir(name);
    const search::TrainResult result = search::TrainNetwork(net, config, data, context);
    weights = result.weights_path;
    test_accuracy = result.test_accuracy;
  }
};

// The network `name` of this test program, trained on the first call (later calls return it).
inline const TrainedNetwork& TrainOnce(const NetSpec& net, const Config& config,
                                       const std::string& name) {
  static auto* const trained = new std::map<std::string, std::unique_ptr<TrainedNetwork>>;
  std::unique_ptr<TrainedNetwork>& slot = (*trained)[name];
  if (!slot) slot = std::make_unique<TrainedNetwork>(net, config, name);
  return *slot;
}

}  // namespace hwnas::testing
