// The run lifecycle called as a library, without the hwnas binary: a run is prepared, stored,
// finished, and a config that fails its checks stores nothing.
#include "runs/lifecycle.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>

#include "core/errors.h"
#include "results/store.h"

namespace hwnas::runs {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

std::string FreshDb(const std::string& name) {
  const fs::path dir = fs::path(HWNAS_TEST_TMP) / "runs" / name;
  fs::remove_all(dir);
  fs::create_directories(dir);
  return (dir / "r.db").string();
}

ConfigSource Synthetic(const std::string& file, std::vector<std::string> overrides = {}) {
  return {std::string(HWNAS_SOURCE_DIR) + "/configs/" + file, std::move(overrides)};
}

TEST(LifecycleTest, ATrainRunIsStoredFinishedWithItsFinalNetwork) {
  const std::string db = FreshDb("train");
  const RunReport report =
      StartRun("train", Synthetic("train-synthetic.yaml", {"train.epochs=1"}), {db, true});
  EXPECT_EQ(report.run_id, 1);
  EXPECT_EQ(report.name, "train-synthetic");
  EXPECT_THAT(report.summary, HasSubstr("  test accuracy  "));
  const auto store = results::Store::Open(db, results::Store::OpenMode::kExisting);
  EXPECT_EQ(store->GetRun(1).status, results::RunStatus::kFinished);
  EXPECT_EQ(store->GetRun(1).strategy, "train");
  ASSERT_EQ(store->Architectures(1).size(), 1u);
  EXPECT_EQ(store->Architectures(1)[0].record.role, "final");
}

TEST(LifecycleTest, TheWrongCommandForAStrategyIsAUsageErrorAndStoresNothing) {
  const std::string db = FreshDb("wrong-command");
  try {
    StartRun("search", Synthetic("train-synthetic.yaml"), {db, true});
    FAIL() << "expected UsageError";
  } catch (const UsageError& e) {
    EXPECT_THAT(e.what(), HasSubstr("'hwnas search' runs configs with strategy 'proxyless', "
                                    "'amc', 'haq', 'evolution' or 'pipeline' (got 'train'"));
  }
  EXPECT_FALSE(fs::exists(db));
}

TEST(LifecycleTest, ACompressionFromAMissingSourceRunStoresNothing) {
  const std::string db = FreshDb("missing-source");
  EXPECT_THROW(StartRun("search", Synthetic("amc-synthetic.yaml"), {db, true}), Error);
  EXPECT_FALSE(fs::exists(db));
}

TEST(LifecycleTest, OnlyAResumableStrategysRunCanBeResumed) {
  const std::string db = FreshDb("resume-train");
  StartRun("train", Synthetic("train-synthetic.yaml", {"train.epochs=1"}), {db, true});
  try {
    ResumeRun("1", {}, {db, true});
    FAIL() << "expected UsageError";
  } catch (const UsageError& e) {
    EXPECT_THAT(e.what(), HasSubstr("run 1 is a 'train' run (expected a run of strategy amc, "
                                    "evolution, haq, pipeline or proxyless; only these keep "
                                    "checkpoints"));
  }
}

}  // namespace
}  // namespace hwnas::runs
