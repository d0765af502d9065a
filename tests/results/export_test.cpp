// The JSON document of `hwnas results export` and `show --format json`.
#include "results/export.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>

#include "tests/results/sample_runs.h"

namespace hwnas::results {
namespace {

using ::testing::HasSubstr;

TEST(ExportTest, FormatsTimestampsInUtc) {
  EXPECT_EQ(FormatTimestamp(0), "1970-01-01T00:00:00Z");
  EXPECT_EQ(FormatTimestamp(1714564800.25, true), "2024-05-01T12:00:00.250Z");
  EXPECT_EQ(FormatTimestamp(1714564800.9999, false), "2024-05-01T12:00:00Z");
}

TEST(ExportTest, ARunWithEverythingItRecorded) {
  std::string path = hwnas::testing::NewDbPath("export");
  auto store = Store::Open(path);
  int64_t id = hwnas::testing::AddSampleRun(*store, {"exported", "haq", "cpu", 0.8, 1.5});
  auto reporter = store->MakeReporter(id);
  reporter->OnMetric(2, "reward", std::nan(""));
  reporter->OnEpisode({1, 0.25, 0.7, 3, 0.5, R"({"bits":[4,8]})"});
  std::string file = std::filesystem::path(path).parent_path() / "w.pt";
  hwnas::testing::WriteFile(file, "weights");
  reporter->OnArtifact("weights", file);
  DatasetRecord data;
  data.name = "folder";
  data.height = data.width = 32;
  data.channels = 3;
  data.class_names = {"cat", "dog"};
  data.mean = {0.5f, 0.5f, 0.5f};
  data.stddev = {0.25f, 0.25f, 0.25f};
  reporter->OnDataset(data);

  // Dump and parse again: what a consumer of the exported file sees.
  auto json = nlohmann::json::parse(ExportRunsJson(*store, {id}).dump());
  EXPECT_EQ(json["format"], "hwnas-results");
  EXPECT_EQ(json["schema_version"], 3);  // 2: run_datasets, 3: runs.stage and source_run_id
  ASSERT_EQ(json["runs"].size(), 1u);
  const auto& run = json["runs"][0];
  EXPECT_EQ(run["id"], id);
  EXPECT_EQ(run["name"], "exported");
  EXPECT_EQ(run["data"]["class_names"], nlohmann::json::array({"cat", "dog"}));
  EXPECT_EQ(run["data"]["height"], 32);
  EXPECT_EQ(run["data"]["stddev"][2], 0.25);
  EXPECT_EQ(run["strategy"], "haq");
  EXPECT_EQ(run["status"], "finished");
  EXPECT_EQ(run["seed"], 7);
  EXPECT_THAT(run["config_text"].get<std::string>(), HasSubstr("name: exported"));
  EXPECT_EQ(run["summary"]["accuracy"], 0.8);
  EXPECT_EQ(run["summary"]["latency_ms"], 1.5);
  EXPECT_TRUE(run["summary"]["reward"].is_null());
  ASSERT_EQ(run["metrics"].size(), 5u);
  EXPECT_TRUE(run["metrics"][4]["value"].is_null());
  EXPECT_EQ(run["metrics"][4]["value_type"], "nan");
  EXPECT_EQ(run["metrics"][0]["value_type"], "finite");
  ASSERT_EQ(run["architectures"].size(), 1u);
  EXPECT_EQ(run["architectures"][0]["netspec"]["layers"][1]["latency_ms"], 1.25);
  EXPECT_EQ(run["architectures"][0]["measured_latency_ms"], 1.5);
  EXPECT_EQ(run["episodes"][0]["policy"]["bits"][1], 8);
  EXPECT_EQ(run["artifacts"][0]["path"], "w.pt");
  EXPECT_EQ(run["artifacts"][0]["bytes"], 7);
  EXPECT_EQ(run["artifacts"][0]["sha256"].get<std::string>().size(), 64u);
}

}  // namespace
}  // namespace hwnas::results
