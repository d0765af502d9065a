#include "search/trainer.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <set>

#include "core/errors.h"
#include "tests/support/run_command.h"

#include "core/dataset.h"

namespace hwnas::search {
namespace {

// A small network for the 16x16x1, 4-class synthetic dataset.
NetSpec SyntheticNet() {
  NetSpec net;
  net.name = "synthetic";
  net.input_channels = 1;
  net.input_size = 16;
  net.num_classes = 4;
  net.layers = {{LayerKind::kConv, "stem", 1, 8, 0, 3, 2, 16},
                {LayerKind::kMBConv, "block", 8, 16, 24, 3, 2, 8},
                {LayerKind::kConv, "mix", 16, 32, 0, 1, 1, 4},
                {LayerKind::kLogits, "classifier", 32, 4, 0, 1, 1, 4}};
  return net;
}

Config SyntheticConfig() {
  Config config;
  config.seed = 3;
  config.threads = 1;
  config.data.dataset = DatasetKind::kSynthetic;
  config.data.synthetic.train_samples = 768;
  config.data.synthetic.test_samples = 256;
  config.data.batch_size = 32;
  config.train.epochs = 3;
  config.train.learning_rate = 0.1;
  return config;
}

TrainContext QuietContext(Reporter* reporter) {
  TrainContext context;
  context.reporter = reporter;
  context.show_progress = false;
  return context;
}

TEST(TrainerTest, LearnsSyntheticDataWellAboveChance) {
  const Config config = SyntheticConfig();
  const DataSplits data = LoadDataSplits(config.data, config.seed);
  RecordingReporter reporter;
  TrainContext context = QuietContext(&reporter);
  TrainResult result = TrainNetwork(SyntheticNet(), config, data, context);
  EXPECT_GT(result.test_accuracy, 0.6);  // chance is 0.25
  EXPECT_GT(result.latency_ms, 0.0);
}

TEST(TrainerTest, ReportsEveryEpochAndTheFinalNetwork) {
  Config config = SyntheticConfig();
  config.train.epochs = 2;
  const DataSplits data = LoadDataSplits(config.data, config.seed);
  RecordingReporter reporter;
  TrainNetwork(SyntheticNet(), config, data, QuietContext(&reporter));
  std::set<std::pair<int64_t, std::string>> seen;
  for (const auto& m : reporter.metrics) seen.insert({m.step, m.name});
  for (int64_t epoch : {0, 1})
    for (const char* name : {"train_loss", "train_accuracy", "holdout_accuracy", "epoch_seconds",
                             "images_per_second", "data_wait_fraction"})
      EXPECT_TRUE(seen.count({epoch, name})) << name << " at epoch " << epoch;
  EXPECT_TRUE(seen.count({1, "test_accuracy"}));
  ASSERT_EQ(reporter.architectures.size(), 1u);
  const ArchitectureRecord& final_net = reporter.architectures[0];
  EXPECT_EQ(final_net.role, "final");
  EXPECT_EQ(final_net.arch, "conv3s2x8 k3e3s2x16 conv1x32 logits4");
  EXPECT_EQ(final_net.flops, NetFlops(SyntheticNet()));
  EXPECT_TRUE(final_net.accuracy.has_value());
  EXPECT_TRUE(final_net.measured_latency_ms.has_value());
}

TEST(TrainerTest, WithoutHeldOutImagesReportsNoHeldOutAccuracy) {
  Config config = SyntheticConfig();
  config.train.epochs = 1;
  config.data.holdout_fraction = 0;
  const DataSplits data = LoadDataSplits(config.data, config.seed);
  ASSERT_EQ(data.holdout.size(), 0);
  RecordingReporter reporter;
  const TrainResult result = TrainNetwork(SyntheticNet(), config, data, QuietContext(&reporter));
  EXPECT_FALSE(result.holdout_accuracy.has_value());
  for (const auto& m : reporter.metrics) EXPECT_NE(m.name, "holdout_accuracy");
  EXPECT_GT(result.test_accuracy, 0.25);  // it still learned: chance is 0.25
}

TEST(TrainerTest, SameSeedAndThreadsGiveTheSameRun) {
  Config config = SyntheticConfig();
  config.train.epochs = 1;
  const DataSplits data = LoadDataSplits(config.data, config.seed);
  RecordingReporter first, second;
  TrainResult a = TrainNetwork(SyntheticNet(), config, data, QuietContext(&first));
  TrainResult b = TrainNetwork(SyntheticNet(), config, data, QuietContext(&second));
  EXPECT_EQ(a.train_loss, b.train_loss);
  EXPECT_EQ(a.test_accuracy, b.test_accuracy);
}

// With a zero learning rate nothing moves but batch-norm statistics, so a network started from
// saved weights keeps their accuracy while a fresh one stays near chance.
TEST(TrainerTest, StartsFromInitialWeights) {
  Config config = SyntheticConfig();
  const DataSplits data = LoadDataSplits(config.data, config.seed);
  RecordingReporter trained_reporter, frozen_reporter, fresh_reporter;
  TrainContext save = QuietContext(&trained_reporter);
  save.artifact_dir = hwnas::testing::MakeTempDir("trainer-initial-weights");
  const TrainResult trained = TrainNetwork(SyntheticNet(), config, data, save);
  ASSERT_GT(trained.test_accuracy, 0.6);

  config.train.epochs = 1;
  config.train.learning_rate = 0;
  TrainContext load = QuietContext(&frozen_reporter);
  load.initial_weights = trained.weights_path;
  const TrainResult frozen = TrainNetwork(SyntheticNet(), config, data, load);
  const TrainResult fresh =
      TrainNetwork(SyntheticNet(), config, data, QuietContext(&fresh_reporter));
  EXPECT_GT(frozen.test_accuracy, trained.test_accuracy - 0.1);
  EXPECT_LT(fresh.test_accuracy, 0.45);
}

TEST(TrainerTest, InitialWeightsOfAnotherNetworkAreADataError) {
  Config config = SyntheticConfig();
  config.train.epochs = 1;
  const DataSplits data = LoadDataSplits(config.data, config.seed);
  RecordingReporter reporter;
  TrainContext save = QuietContext(&reporter);
  save.artifact_dir = hwnas::testing::MakeTempDir("trainer-initial-weights-other");
  const TrainResult trained = TrainNetwork(SyntheticNet(), config, data, save);
  NetSpec wider = SyntheticNet();
  wider.layers[0].out_channels = 12;
  wider.layers[1].in_channels = 12;
  TrainContext load = QuietContext(&reporter);
  load.initial_weights = trained.weights_path;
  try {
    TrainNetwork(wider, config, data, load);
    FAIL() << "expected DataError";
  } catch (const DataError& e) {
    EXPECT_THAT(e.what(), ::testing::HasSubstr("cannot load weights " + trained.weights_path +
                                               " for network conv3s2x12"));
  }
}

}  // namespace
}  // namespace hwnas::search
