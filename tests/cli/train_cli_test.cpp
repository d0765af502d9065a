// End-to-end tests of `hwnas train`: the real binary trains on the synthetic dataset, and the
// test checks exit codes, messages and what reached the database (and that bad input writes
// nothing at all).
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <set>

#include "results/store.h"
#include "tests/support/run_command.h"

namespace hwnas::testing {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

const std::string kConfig = std::string(HWNAS_SOURCE_DIR) + "/configs/train-synthetic.yaml";

// A fast variant of the shipped synthetic config.
std::vector<std::string> TrainArgs(const std::string& db, std::vector<std::string> extra = {}) {
  std::vector<std::string> args = {
      "--db", db, "-q", "train", kConfig, "train.epochs=2", "data.synthetic.train_samples=256"};
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
}

TEST(TrainCliTest, StoresTheRunItsMetricsTheFinalNetworkAndItsWeights) {
  const std::string db = MakeTempDir("train") + "/h.db";
  CommandResult r = RunHwnas(TrainArgs(db, {"name=smoke"}));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("run 1 finished: smoke"));
  EXPECT_THAT(r.out, HasSubstr("query it with:   hwnas results show 1"));

  auto store = results::Store::Open(db, results::Store::OpenMode::kExisting);
  const results::RunRecord run = store->GetRun(1);
  EXPECT_EQ(run.status, results::RunStatus::kFinished);
  EXPECT_EQ(run.strategy, "train");
  EXPECT_EQ(run.dataset, "synthetic");
  EXPECT_EQ(run.seed, 7);
  EXPECT_THAT(run.config_text, HasSubstr("epochs: 2"));
  EXPECT_EQ(run.config_hash.size(), 64u);

  std::set<std::string> names;
  for (const auto& m : store->Metrics(1)) names.insert(m.name);
  EXPECT_EQ(names, (std::set<std::string>{"data_wait_fraction", "epoch_seconds", "holdout_accuracy",
                                          "images_per_second", "test_accuracy", "train_accuracy",
                                          "train_loss"}));
  const auto archs = store->Architectures(1);
  ASSERT_EQ(archs.size(), 1u);
  EXPECT_EQ(archs[0].record.role, "final");
  EXPECT_EQ(archs[0].record.arch, "conv3s2x8 k3e3s2x16 k3e3x16 conv1x32 logits4");
  EXPECT_GT(archs[0].record.measured_latency_ms.value_or(0), 0);

  const auto artifacts = store->Artifacts(1);
  ASSERT_EQ(artifacts.size(), 1u);
  EXPECT_EQ(artifacts[0].kind, "weights");
  EXPECT_TRUE(fs::exists(fs::path(db).parent_path() / artifacts[0].path));

  // The data it trained on, with the normalisation its network expects.
  const std::optional<DatasetRecord> data = store->Dataset(1);
  ASSERT_TRUE(data.has_value());
  EXPECT_EQ(data->name, "synthetic");
  EXPECT_EQ(data->height, 16);
  EXPECT_EQ(data->channels, 1);
  EXPECT_EQ(data->class_names, (std::vector<std::string>{"class0", "class1", "class2", "class3"}));
  EXPECT_EQ(data->train_images + data->holdout_images, 256);
  ASSERT_EQ(data->mean.size(), 1u);
  EXPECT_GT(data->stddev.at(0), 0);
  CommandResult show = RunHwnas({"--db", db, "results", "show", "1"});
  ASSERT_EQ(show.exit_code, 0) << show.err;
  EXPECT_THAT(show.out, HasSubstr("classes  0 class0, 1 class1, 2 class2, 3 class3"));
}

TEST(TrainCliTest, InvalidConfigExits78AndCreatesNoDatabase) {
  const std::string db = MakeTempDir("train-bad") + "/h.db";
  CommandResult r = RunHwnas(TrainArgs(db, {"train.epochs=0"}));
  EXPECT_EQ(r.exit_code, 78);
  EXPECT_EQ(r.err,
            "override 'train.epochs=0': error: train.epochs: out of range (got 0; expected an "
            "integer in [1, 10000])\n");
  EXPECT_FALSE(fs::exists(db));
}

TEST(TrainCliTest, MissingDatasetExits65NamesThePathAndWritesNothing) {
  const std::string dir = MakeTempDir("train-nodata");
  const std::string db = dir + "/h.db";
  CommandResult r = RunHwnas({"--db", db, "-q", "train",
                              std::string(HWNAS_SOURCE_DIR) + "/configs/train-fmnist.yaml",
                              "data.path=" + dir + "/missing"});
  EXPECT_EQ(r.exit_code, 65);
  EXPECT_THAT(r.err, HasSubstr(dir + "/missing/train-images-idx3-ubyte.gz"));
  EXPECT_THAT(r.err, HasSubstr("dataset-fashion-mnist"));
  EXPECT_FALSE(fs::exists(db));
}

TEST(TrainCliTest, NetworkThatDoesNotFitTheDataIsAConfigError) {
  const std::string db = MakeTempDir("train-fit") + "/h.db";
  CommandResult r = RunHwnas(TrainArgs(db, {"data.synthetic.image_size=12"}));
  EXPECT_EQ(r.exit_code, 78);
  EXPECT_EQ(r.err, kConfig +
                       ": error: net: network 'synthetic-cnn' does not fit the dataset (got "
                       "16x16x1 images, 4 classes; expected 12x12x1 images, 4 classes)\n");
  EXPECT_FALSE(fs::exists(db));
}

TEST(TrainCliTest, SameSeedAndThreadsReproduceTheRun) {
  const std::string db = MakeTempDir("train-repro") + "/h.db";
  ASSERT_EQ(RunHwnas(TrainArgs(db)).exit_code, 0);
  ASSERT_EQ(RunHwnas(TrainArgs(db)).exit_code, 0);
  auto store = results::Store::Open(db, results::Store::OpenMode::kExisting);
  auto losses = [&](int64_t run) {
    std::vector<double> values;
    for (const auto& m : store->Metrics(run))
      if (m.name == "train_loss" || m.name == "test_accuracy") values.push_back(m.value);
    return values;
  };
  EXPECT_EQ(losses(1), losses(2));
  EXPECT_EQ(store->GetRun(1).config_hash, store->GetRun(2).config_hash);
}

// Two trainers writing the same database at once both finish and lose nothing.
TEST(TrainCliTest, ConcurrentTrainersShareOneDatabase) {
  const std::string db = MakeTempDir("train-concurrent") + "/h.db";
  std::vector<pid_t> children;
  for (int i = 0; i < 2; ++i) {
    pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      CommandResult r = RunHwnas(TrainArgs(db, {"name=worker" + std::to_string(i)}));
      ::_exit(r.exit_code);
    }
    children.push_back(pid);
  }
  for (pid_t pid : children) {
    int status = 0;
    ::waitpid(pid, &status, 0);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  }
  auto store = results::Store::Open(db, results::Store::OpenMode::kExisting);
  const auto runs = store->ListRuns();
  ASSERT_EQ(runs.size(), 2u);
  for (const auto& run : runs) {
    EXPECT_EQ(run.status, results::RunStatus::kFinished);
    EXPECT_EQ(store->Metrics(run.id).size(), 2u * 6u + 1u);  // six per epoch, test accuracy
    EXPECT_EQ(store->Architectures(run.id).size(), 1u);
  }
}

}  // namespace
}  // namespace hwnas::testing
