// Writes through the store and the reporter, and the queries that read them back.
#include "results/store.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <limits>
#include <thread>

#include "core/errors.h"
#include "core/sha256.h"
#include "tests/results/sample_runs.h"

namespace hwnas::results {
namespace {

using hwnas::testing::AddSampleRun;
using hwnas::testing::NewDbPath;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::vector<std::string> Names(const std::vector<RunRecord>& runs) {
  std::vector<std::string> names;
  for (const auto& run : runs) names.push_back(run.name);
  return names;
}

TEST(StoreTest, BeginRunFillsHostPidHashAndTimes) {
  auto store = Store::Open(NewDbPath("store-begin"));
  RunInfo info;
  info.name = "quick";
  info.strategy = "proxyless";
  info.config_text = "seed: 1\n";
  info.device = "cpu";
  info.dataset = "fashion-mnist";
  info.seed = 1;
  int64_t id = store->BeginRun(info);
  RunRecord run = store->GetRun(id);
  EXPECT_EQ(run.name, "quick");
  EXPECT_EQ(run.status, RunStatus::kRunning);
  EXPECT_EQ(run.config_hash, Sha256Hex("seed: 1\n"));
  EXPECT_EQ(run.pid, ::getpid());
  EXPECT_FALSE(run.host.empty());
  EXPECT_FALSE(run.engine_version.empty());
  EXPECT_GT(run.started_at, 1.6e9);
  EXPECT_EQ(run.heartbeat_at, run.started_at);
  EXPECT_FALSE(run.ended_at.has_value());
  EXPECT_EQ(run.seed, 1);
  EXPECT_EQ(run.dataset, "fashion-mnist");

  store->FinishRun(id, RunStatus::kFailed, "out of memory");
  run = store->GetRun(id);
  EXPECT_EQ(run.status, RunStatus::kFailed);
  EXPECT_EQ(run.error, "out of memory");
  ASSERT_TRUE(run.ended_at.has_value());
  EXPECT_GE(*run.ended_at, run.started_at);
}

TEST(StoreTest, UnnamedRunsAndParents) {
  auto store = Store::Open(NewDbPath("store-parent"));
  RunInfo parent_info;
  parent_info.strategy = "amc";
  int64_t parent = store->BeginRun(parent_info);
  EXPECT_EQ(store->GetRun(parent).name, "amc-" + std::to_string(parent));
  RunInfo child_info;
  child_info.parent_run = parent;
  int64_t child = store->BeginRun(child_info);
  EXPECT_EQ(store->GetRun(child).parent_run, parent);
  child_info.parent_run = 999;
  EXPECT_THROW(store->BeginRun(child_info), UsageError);
}

TEST(StoreTest, ReporterWritesEveryKindAndMovesTheHeartbeat) {
  std::string path = NewDbPath("store-reporter");
  auto store = Store::Open(path);
  int64_t id = store->BeginRun({});
  double started = store->GetRun(id).heartbeat_at;
  auto reporter = store->MakeReporter(id);
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  reporter->OnMetrics(0, {{"train_loss", 2.0}, {"train_accuracy", 0.5}});
  reporter->OnMetric(1, "train_loss", 1.0);
  EXPECT_GT(store->GetRun(id).heartbeat_at, started);

  EpisodeRecord episode{3, -0.5, 0.7, 12.5, 0.5, R"({"bits":[8,4]})"};
  reporter->OnEpisode(episode);
  std::string weights = std::filesystem::path(path).parent_path() / "run-1" / "weights.pt";
  std::filesystem::create_directories(std::filesystem::path(weights).parent_path());
  hwnas::testing::WriteFile(weights, "abc");
  reporter->OnArtifact("weights", weights);

  auto metrics = store->Metrics(id);
  ASSERT_EQ(metrics.size(), 3u);
  EXPECT_EQ(metrics[2].step, 1);
  EXPECT_EQ(metrics[2].name, "train_loss");
  EXPECT_EQ(metrics[2].value, 1.0);
  auto episodes = store->Episodes(id);
  ASSERT_EQ(episodes.size(), 1u);
  EXPECT_EQ(episodes[0].record.episode, 3);
  EXPECT_EQ(episodes[0].record.reward, -0.5);
  EXPECT_EQ(episodes[0].record.policy_json, R"({"bits":[8,4]})");
  auto artifacts = store->Artifacts(id);
  ASSERT_EQ(artifacts.size(), 1u);
  EXPECT_EQ(artifacts[0].path, "run-1/weights.pt");  // relative to the database directory
  EXPECT_EQ(artifacts[0].sha256, Sha256Hex("abc"));
  EXPECT_EQ(artifacts[0].bytes, 3);
  EXPECT_THROW(reporter->OnArtifact("weights", weights + ".missing"), IoError);
  EXPECT_THROW(store->MakeReporter(id + 100), UsageError);
}

TEST(StoreTest, NonFiniteValuesSurviveTheRoundTrip) {
  auto store = Store::Open(NewDbPath("store-nan"));
  int64_t id = store->BeginRun({});
  const double inf = std::numeric_limits<double>::infinity();
  store->MakeReporter(id)->OnMetrics(0,
                                     {{"a", std::nan("")}, {"b", inf}, {"c", -inf}, {"d", 1e-300}});
  auto metrics = store->Metrics(id);
  ASSERT_EQ(metrics.size(), 4u);
  EXPECT_TRUE(std::isnan(metrics[0].value));
  EXPECT_EQ(metrics[1].value, inf);
  EXPECT_EQ(metrics[2].value, -inf);
  EXPECT_EQ(metrics[3].value, 1e-300);
}

TEST(StoreTest, ArchitecturesRoundTrip) {
  auto store = Store::Open(NewDbPath("store-arch"));
  int64_t id = AddSampleRun(*store, {"net", "proxyless", "cpu", 0.8, 1.5, 2.0});
  auto architectures = store->Architectures(id);
  ASSERT_EQ(architectures.size(), 1u);
  const ArchitectureRecord& r = architectures[0].record;
  EXPECT_EQ(r.role, "final");
  EXPECT_EQ(r.step, 1);
  EXPECT_EQ(r.arch, "k3e6 k5e3 skip");
  EXPECT_THAT(r.netspec_json, HasSubstr("stage1.block0"));
  EXPECT_EQ(r.flops, 3e6);
  EXPECT_EQ(r.measured_latency_ms, 1.5);
  EXPECT_EQ(r.estimated_latency_ms, 2.0);
  EXPECT_EQ(r.accuracy, 0.8);
  EXPECT_EQ(r.latency_device, "cpu");
}

TEST(StoreTest, SummaryTakesTheLastStepAndTheFinalArchitecture) {
  auto store = Store::Open(NewDbPath("store-summary"));
  int64_t id = AddSampleRun(*store, {"net", "proxyless", "cpu", 0.8, std::nullopt, 2.0});
  SummaryValues values = store->Summary(id);
  EXPECT_EQ(values.at("train_loss"), 0.5);
  EXPECT_DOUBLE_EQ(values.at("holdout_accuracy"), 0.75);
  EXPECT_EQ(values.at("accuracy"), 0.8);
  EXPECT_EQ(values.at("latency_ms"), 2.0);  // estimated, as nothing was measured
  EXPECT_EQ(values.at("estimated_latency_ms"), 2.0);
  EXPECT_EQ(values.count("measured_latency_ms"), 0u);
  EXPECT_EQ(values.at("flops"), 3e6);
  EXPECT_EQ(values.at("params"), 12345);
  EXPECT_EQ(values.at("size_bits"), 12345 * 32.0);

  int64_t measured = AddSampleRun(*store, {"m", "proxyless", "cpu", 0.8, 1.25, 2.0});
  EXPECT_EQ(store->Summary(measured).at("latency_ms"), 1.25);

  // Without a final architecture, test_accuracy stands in for accuracy; steps may repeat.
  int64_t trained = store->BeginRun({});
  auto reporter = store->MakeReporter(trained);
  reporter->OnMetrics(2, {{"test_accuracy", 0.6}});
  reporter->OnMetrics(2, {{"test_accuracy", 0.65}});
  reporter->OnMetrics(1, {{"test_accuracy", 0.9}});
  EXPECT_EQ(store->Summary(trained).at("accuracy"), 0.65);
}

TEST(StoreTest, ResolvesIdsAndNames) {
  auto store = Store::Open(NewDbPath("store-resolve"));
  int64_t a = AddSampleRun(*store, {"alpha"});
  int64_t b1 = AddSampleRun(*store, {"beta"});
  int64_t b2 = AddSampleRun(*store, {"beta"});
  EXPECT_EQ(store->ResolveRun(std::to_string(a)), a);
  EXPECT_EQ(store->ResolveRun("alpha"), a);
  try {
    store->ResolveRun("beta");
    FAIL();
  } catch (const UsageError& e) {
    EXPECT_THAT(e.what(), HasSubstr(std::to_string(b1) + ", " + std::to_string(b2)));
  }
  try {
    store->ResolveRun("gamma");
    FAIL();
  } catch (const UsageError& e) {
    EXPECT_EQ(std::string(e.what()), "unknown run 'gamma' (see 'hwnas results list')");
  }
  EXPECT_THROW(store->ResolveRun("99"), UsageError);
  EXPECT_THROW(store->GetRun(99), UsageError);
}

TEST(StoreTest, ListFiltersAndOrdersNewestFirst) {
  auto store = Store::Open(NewDbPath("store-list"));
  AddSampleRun(*store, {"quick-1", "proxyless", "cpu"});
  AddSampleRun(*store, {"quick-2", "amc", "cpu"});
  AddSampleRun(*store, {"slow", "proxyless", "pixel1", 0.9, std::nullopt, 2.0, RunStatus::kFailed});
  EXPECT_THAT(Names(store->ListRuns()), ElementsAre("slow", "quick-2", "quick-1"));
  RunFilter filter;
  filter.strategy = "proxyless";
  EXPECT_THAT(Names(store->ListRuns(filter)), ElementsAre("slow", "quick-1"));
  filter = {};
  filter.status = "finished";
  EXPECT_THAT(Names(store->ListRuns(filter)), ElementsAre("quick-2", "quick-1"));
  filter = {};
  filter.device = "pixel1";
  EXPECT_THAT(Names(store->ListRuns(filter)), ElementsAre("slow"));
  filter = {};
  filter.name = "ick";
  EXPECT_THAT(Names(store->ListRuns(filter)), ElementsAre("quick-2", "quick-1"));
  filter.name = "q*1";
  EXPECT_THAT(Names(store->ListRuns(filter)), ElementsAre("quick-1"));
  filter = {};
  filter.limit = 2;
  EXPECT_THAT(Names(store->ListRuns(filter)), ElementsAre("slow", "quick-2"));
  filter = {};
  filter.status = "done";
  EXPECT_THROW(store->ListRuns(filter), UsageError);

  auto summaries = store->ListRunSummaries();
  ASSERT_EQ(summaries.size(), 3u);
  EXPECT_EQ(summaries[0].values.at("accuracy"), 0.9);
}

TEST(StoreTest, DatasetRoundTripsAndGoesWithItsRun) {
  auto store = Store::Open(NewDbPath("store-dataset"));
  const int64_t id = store->BeginRun({});
  EXPECT_FALSE(store->Dataset(id).has_value());
  DatasetRecord data;
  data.name = "folder";
  data.path = "/data/flowers";
  data.height = data.width = 64;
  data.channels = 3;
  data.class_names = {"daisy", "rose", "tulip \"red\""};
  data.mean = {0.5f, 0.25f, 0.125f};
  data.stddev = {0.3f, 0.2f, 0.1f};
  data.train_images = 90;
  data.holdout_images = 10;
  data.test_images = 20;
  data.skipped_files = {"/data/flowers/train/rose/broken.jpg"};
  store->MakeReporter(id)->OnDataset(data);
  data.train_images = 91;  // a second report replaces the first
  store->MakeReporter(id)->OnDataset(data);

  const std::optional<DatasetRecord> read = store->Dataset(id);
  ASSERT_TRUE(read.has_value());
  EXPECT_EQ(read->name, "folder");
  EXPECT_EQ(read->path, "/data/flowers");
  EXPECT_EQ(read->height, 64);
  EXPECT_EQ(read->channels, 3);
  EXPECT_EQ(read->class_names, data.class_names);
  EXPECT_EQ(read->mean, data.mean);
  EXPECT_EQ(read->stddev, data.stddev);
  EXPECT_EQ(read->train_images, 91);
  EXPECT_EQ(read->test_images, 20);
  EXPECT_EQ(read->skipped_files, data.skipped_files);
  store->DeleteRun(id);
  const int64_t next = store->BeginRun({});
  EXPECT_FALSE(store->Dataset(next).has_value());
}

TEST(StoreTest, DeleteRemovesTheRunAndAllItsRows) {
  auto store = Store::Open(NewDbPath("store-delete"));
  int64_t keep = AddSampleRun(*store, {"keep"});
  int64_t gone = AddSampleRun(*store, {"gone"});
  store->MakeReporter(gone)->OnEpisode({1, 0.5, 0.5, 1, 1, "{}"});
  RunInfo child;
  child.parent_run = gone;
  int64_t child_id = store->BeginRun(child);

  RunCounts counts = store->Counts(gone);
  EXPECT_EQ(counts.metrics, 4);
  EXPECT_EQ(counts.architectures, 1);
  EXPECT_EQ(counts.episodes, 1);
  EXPECT_EQ(counts.artifacts, 0);

  DeletedRun deleted = store->DeleteRun(gone);
  EXPECT_EQ(deleted.run.name, "gone");
  EXPECT_EQ(deleted.metrics, 4);
  EXPECT_EQ(deleted.architectures, 1);
  EXPECT_EQ(deleted.episodes, 1);
  EXPECT_EQ(deleted.artifacts, 0);
  EXPECT_EQ(deleted.child_runs_unlinked, 1);
  EXPECT_THROW(store->GetRun(gone), UsageError);
  EXPECT_THROW(store->Metrics(gone), UsageError);
  EXPECT_FALSE(store->GetRun(child_id).parent_run.has_value());
  EXPECT_EQ(store->Metrics(keep).size(), 4u);
  EXPECT_EQ(store->ListRuns().size(), 2u);
  EXPECT_THROW(store->DeleteRun(gone), UsageError);
}

// `hwnas search resume`: an interrupted run runs again from its checkpoint's step.
TEST(StoreTest, ReopenRunDropsWhatCameAfterTheCheckpoint) {
  auto store = Store::Open(NewDbPath("store-reopen"));
  const int64_t run = store->BeginRun({});
  {
    auto reporter = store->MakeReporter(run);
    for (int64_t step : {0, 1, 2}) reporter->OnMetric(step, "loss", 1.0 / (step + 1));
    ArchitectureRecord derived;
    derived.role = "derived";
    derived.step = 2;
    reporter->OnArchitecture(derived);
    for (int64_t episode : {0, 1, 2}) reporter->OnEpisode({episode, 0.5, 0.9, 1.0, 0.5, "{}"});
  }
  EXPECT_THROW(store->ReopenRun(run, 1), UsageError);  // still running
  store->FinishRun(run, RunStatus::kInterrupted, "killed");
  store->ReopenRun(run, 1);
  const RunRecord reopened = store->GetRun(run);
  EXPECT_EQ(reopened.status, RunStatus::kRunning);
  EXPECT_EQ(reopened.error, "");
  EXPECT_EQ(reopened.pid, static_cast<int64_t>(::getpid()));
  std::vector<int64_t> steps;
  for (const auto& m : store->Metrics(run)) steps.push_back(m.step);
  EXPECT_THAT(steps, ElementsAre(0, 1));
  EXPECT_TRUE(store->Architectures(run).empty());
  std::vector<int64_t> episodes;
  for (const auto& e : store->Episodes(run)) episodes.push_back(e.record.episode);
  EXPECT_THAT(episodes, ElementsAre(0, 1));
  store->FinishRun(run, RunStatus::kFinished);
  try {
    store->ReopenRun(run, 1);
    FAIL() << "expected UsageError";
  } catch (const UsageError& e) {
    EXPECT_THAT(e.what(), HasSubstr("is finished (expected an interrupted or failed run"));
  }
}

TEST(StoreTest, ThreadsCanShareAStore) {
  auto store = Store::Open(NewDbPath("store-threads"));
  int64_t id = store->BeginRun({});
  auto reporter = store->MakeReporter(id);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int step = 0; step < 25; ++step) {
        reporter->OnMetric(step, "thread" + std::to_string(t), step);
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(store->Metrics(id).size(), 100u);
}

}  // namespace
}  // namespace hwnas::results
