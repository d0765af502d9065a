// Lineage: schema migration 3 on a database written by the release before it (fixture), the
// stage and source_run of a run, and the tree `hwnas results lineage` prints.
#include "results/lineage.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>

#include "core/errors.h"
#include "results/schema.h"
#include "results/sqlite.h"
#include "results/store.h"
#include "tests/results/sample_runs.h"

namespace hwnas::results {
namespace {

using hwnas::testing::NewDbPath;
using ::testing::ElementsAre;

// tests/results/fixtures/store-v2.db: written by hwnas at schema version 2 (commit 133d167):
// run 1 train-synthetic, run 2 amc-synthetic and run 3 haq-synthetic, both from run 1.
std::string CopyOfVersion2Store(const std::string& name) {
  const std::string path = NewDbPath(name);
  std::filesystem::copy_file(std::string(HWNAS_SOURCE_DIR) + "/tests/results/fixtures/store-v2.db",
                             path);
  return path;
}

int64_t Begin(Store& store, const std::string& name, std::optional<int64_t> parent = {},
              const std::string& stage = "", std::optional<int64_t> source = {}) {
  RunInfo info;
  info.name = name;
  info.strategy = "amc";
  info.parent_run = parent;
  info.stage = stage;
  info.source_run = source;
  const int64_t id = store.BeginRun(info);
  store.FinishRun(id, RunStatus::kFinished);
  return id;
}

std::vector<std::string> Names(const std::vector<LineageNode>& nodes) {
  std::vector<std::string> names;
  for (const LineageNode& n : nodes) names.push_back(n.run.name);
  return names;
}

TEST(LineageTest, Version2StoreMigratesAndKeepsItsRuns) {
  const std::string path = CopyOfVersion2Store("lineage-v2");
  {
    Database db(path, false);
    ASSERT_EQ(SchemaVersion(db), 2);
  }
  auto store = Store::Open(path);
  {
    Database db(path, false);
    EXPECT_EQ(SchemaVersion(db), 3);
  }
  const std::vector<RunRecord> runs = store->ListRuns();
  ASSERT_EQ(runs.size(), 3u);
  EXPECT_EQ(runs[2].name, "train-synthetic");
  EXPECT_EQ(runs[1].name, "amc-synthetic");
  EXPECT_EQ(runs[0].name, "haq-synthetic");
  for (const RunRecord& run : runs) {
    EXPECT_EQ(run.status, RunStatus::kFinished);
    EXPECT_EQ(run.stage, "");
    EXPECT_FALSE(run.source_run.has_value());  // not recorded before schema version 3
  }
  EXPECT_EQ(store->Episodes(2).size(), 12u);
  EXPECT_EQ(store->Episodes(3).size(), 12u);
  ASSERT_TRUE(store->Dataset(1).has_value());
  EXPECT_EQ(store->Dataset(1)->name, "synthetic");
  // New runs record where they come from, next to the old ones.
  const int64_t derived = Begin(*store, "derived", {}, "", 2);
  EXPECT_EQ(store->GetRun(derived).source_run, 2);
  EXPECT_THAT(Names(RunLineage(*store, derived).children), ElementsAre("derived"));
}

TEST(LineageTest, APipelineHoldsItsStagesAndADerivedRunHangsUnderItsSource) {
  auto store = Store::Open(NewDbPath("lineage-tree"));
  const int64_t trained = Begin(*store, "trained");
  const int64_t pipeline = Begin(*store, "pipe");
  const int64_t search = Begin(*store, "pipe.search", pipeline, "search");
  const int64_t prune = Begin(*store, "pipe.prune", pipeline, "prune", search);
  Begin(*store, "pipe.quantize", pipeline, "quantize", prune);
  const int64_t amc = Begin(*store, "amc-alone", {}, "", trained);
  Begin(*store, "haq-of-amc", {}, "", amc);

  const LineageNode tree = RunLineage(*store, prune);  // from any member: the whole pipeline
  EXPECT_EQ(tree.run.name, "pipe");
  EXPECT_THAT(Names(tree.children), ElementsAre("pipe.search", "pipe.prune", "pipe.quantize"));
  EXPECT_EQ(tree.children[1].run.stage, "prune");
  EXPECT_EQ(tree.children[1].run.source_run, search);
  EXPECT_TRUE(tree.children[0].children.empty());  // stages hang under the pipeline only

  const LineageNode chain = RunLineage(*store, amc);
  EXPECT_EQ(chain.run.name, "trained");
  ASSERT_THAT(Names(chain.children), ElementsAre("amc-alone"));
  EXPECT_THAT(Names(chain.children[0].children), ElementsAre("haq-of-amc"));

  const nlohmann::ordered_json json = LineageJson(chain);
  EXPECT_EQ(json["name"], "trained");
  EXPECT_EQ(json["children"][0]["source_run"], trained);
  EXPECT_EQ(json["children"][0]["children"][0]["name"], "haq-of-amc");
  EXPECT_THROW(RunLineage(*store, 99), UsageError);
}

TEST(LineageTest, DeletingARunClearsTheSourceOfRunsDerivedFromIt) {
  auto store = Store::Open(NewDbPath("lineage-delete"));
  const int64_t source = Begin(*store, "source");
  const int64_t derived = Begin(*store, "derived", {}, "", source);
  store->DeleteRun(source);
  EXPECT_FALSE(store->GetRun(derived).source_run.has_value());
  RunInfo unknown;
  unknown.name = "x";
  unknown.source_run = 99;
  EXPECT_THROW(store->BeginRun(unknown), UsageError);
}

}  // namespace
}  // namespace hwnas::results
