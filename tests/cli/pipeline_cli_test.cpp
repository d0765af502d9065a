// End-to-end tests of `hwnas search` with strategy pipeline on the synthetic dataset: every stage
// a child run fed the previous one, the stage table on the pipeline run, the exported files,
// `results lineage`, a pipeline killed with SIGKILL inside a stage and resumed to the
// uninterrupted result, and bad input (a budget the previous stage's network cannot reach, a
// stage whose input run failed, stages out of order).
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include "results/store.h"
#include "tests/support/run_command.h"

namespace hwnas::testing {
namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

const std::string kConfigs = std::string(HWNAS_SOURCE_DIR) + "/configs/";
const std::string kPipeline = kConfigs + "pipeline-synthetic.yaml";

std::vector<std::string> PipelineArgs(const std::string& db, std::vector<std::string> extra = {}) {
  std::vector<std::string> args = {"--db", db, "-q", "search", kPipeline};
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
}

// What a finished pipeline stored, without timings: per stage of run 1 the child's strategy,
// source, final network and accuracy, its episodes, and the pipeline's own stage records.
std::vector<std::string> PipelineResult(const std::string& db) {
  auto store = results::Store::Open(db, results::Store::OpenMode::kExisting);
  std::vector<std::string> rows;
  for (const results::RunRecord& run : store->ListRuns()) {
    if (run.parent_run != 1 || run.status != results::RunStatus::kFinished) continue;
    // By the stage it came from: a killed stage leaves an interrupted run, so ids differ.
    rows.push_back(run.stage + " " + run.strategy + " from " +
                   (run.source_run ? store->GetRun(*run.source_run).stage : "-"));
    for (const auto& a : store->Architectures(run.id))
      rows.push_back("  " + a.record.role + " " + a.record.arch + " " +
                     std::to_string(a.record.accuracy.value_or(-1)) + " " +
                     std::to_string(a.record.flops));
    for (const auto& e : store->Episodes(run.id))
      rows.push_back("  episode " + std::to_string(e.record.episode) + " " +
                     std::to_string(e.record.reward) + " " + e.record.policy_json);
  }
  for (const auto& a : store->Architectures(1))
    rows.push_back("pipeline " + a.record.role + " " + std::to_string(a.record.step) + " " +
                   a.record.arch + " " + std::to_string(a.record.accuracy.value_or(-1)));
  return rows;
}

// Runs the pipeline and kills it with SIGKILL once the prune stage has stored `episodes`
// episodes, as a crash or an out-of-memory kill would.
void RunKilledDuringPrune(const std::string& db, int64_t episodes) {
  // Watches until the pipeline ends on its own (a loaded machine can take minutes to get there).
  const auto kill_in_prune = [&db, episodes](int pid) {
    for (;;) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      siginfo_t info{};  // ended? (WNOWAIT: leave it to RunProgram's waitpid)
      if (::waitid(P_PID, pid, &info, WEXITED | WNOHANG | WNOWAIT) == 0 && info.si_pid == pid)
        return;
      if (!fs::exists(db)) continue;
      try {
        auto store = results::Store::Open(db, results::Store::OpenMode::kExisting);
        for (const results::RunRecord& run : store->ListRuns())
          if (run.stage == "prune" &&
              static_cast<int64_t>(store->Episodes(run.id).size()) >= episodes) {
            ::kill(pid, SIGKILL);
            return;
          }
      } catch (const std::exception&) {
        // the database is being created or migrated; look again
      }
    }
  };
  const CommandResult killed =
      RunProgram(std::string(HWNAS_BINARY), PipelineArgs(db), {}, "", kill_in_prune);
  ASSERT_NE(killed.exit_code, 0) << "the pipeline finished before it was killed";
}

TEST(PipelineCliTest, RunsEveryStageAsAChildAndResumesAfterAKillToTheSameResult) {
  const std::string whole = MakeTempDir("pipeline-whole") + "/h.db";
  const CommandResult r = RunHwnas(PipelineArgs(whole));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("run 1 finished: pipeline-synthetic"));
  EXPECT_THAT(r.out, HasSubstr("lineage: hwnas results lineage 1"));
  EXPECT_THAT(r.out, HasSubstr("  quantize  run 5"));
  {
    auto store = results::Store::Open(whole, results::Store::OpenMode::kExisting);
    const std::vector<std::pair<std::string, std::string>> expected = {
        {"search", "proxyless"}, {"retrain", "train"}, {"prune", "amc"},
        {"quantize", "haq"},     {"export", "export"},
    };
    for (int64_t id = 2; id <= 6; ++id) {
      const results::RunRecord run = store->GetRun(id);
      EXPECT_EQ(run.status, results::RunStatus::kFinished) << id;
      EXPECT_EQ(run.parent_run, 1) << id;
      EXPECT_EQ(run.stage, expected[id - 2].first);
      EXPECT_EQ(run.strategy, expected[id - 2].second);
      EXPECT_EQ(run.name, "pipeline-synthetic." + run.stage);
      if (id > 2) {
        EXPECT_EQ(run.source_run, id - 1) << id;
      }
    }
    EXPECT_EQ(store->GetRun(6).source_run, 5);  // export writes the quantized network
    EXPECT_EQ(store->GetRun(5).device, "bitserial-bismo");
    std::vector<std::string> roles;
    for (const auto& a : store->Architectures(1)) roles.push_back(a.record.role);
    EXPECT_THAT(roles, ElementsAre("stage:search", "stage:retrain", "stage:prune", "stage:quantize",
                                   "final"));
    int stage_times = 0;
    for (const auto& m : store->Metrics(1)) stage_times += m.name == "stage_seconds";
    EXPECT_EQ(stage_times, 5);
    std::vector<std::string> kinds;
    for (const auto& a : store->Artifacts(6)) {
      kinds.push_back(a.kind);
      EXPECT_GT(fs::file_size(fs::path(whole).parent_path() / a.path), 1000u) << a.path;
    }
    EXPECT_THAT(kinds, ElementsAre("onnx", "torchscript"));
  }
  const CommandResult lineage = RunHwnas({"--db", whole, "results", "lineage", "4"});
  ASSERT_EQ(lineage.exit_code, 0) << lineage.err;
  EXPECT_THAT(lineage.out, HasSubstr("|- pipeline-synthetic.prune"));
  EXPECT_THAT(lineage.out, HasSubstr("`- pipeline-synthetic.export"));

  const std::string db = MakeTempDir("pipeline-killed") + "/h.db";
  RunKilledDuringPrune(db, 10);
  const CommandResult resumed = RunHwnas({"--db", db, "-q", "search", "resume", "1"});
  ASSERT_EQ(resumed.exit_code, 0) << resumed.err;
  EXPECT_THAT(resumed.out, HasSubstr("run 1 finished: pipeline-synthetic"));
  EXPECT_EQ(PipelineResult(db), PipelineResult(whole));
}

TEST(PipelineCliTest, ABudgetThePreviousStageCannotReachFailsThatStageBeforeItRuns) {
  const std::string db = MakeTempDir("pipeline-budget") + "/h.db";
  const CommandResult r =
      RunHwnas(PipelineArgs(db, {"pipeline.stages=[retrain, prune]", "net=nets/synthetic-cnn.yaml",
                                 "amc.flops_ratio=0.01"}));
  EXPECT_EQ(r.exit_code, 78) << r.err;
  EXPECT_THAT(r.err, HasSubstr("amc.flops_ratio"));
  EXPECT_THAT(r.err, HasSubstr("below the cheapest pruned network"));
  auto store = results::Store::Open(db, results::Store::OpenMode::kExisting);
  ASSERT_EQ(store->ListRuns().size(), 2u);  // the pipeline and its retrain stage; no prune run
  EXPECT_EQ(store->GetRun(1).status, results::RunStatus::kFailed);
  EXPECT_THAT(store->GetRun(1).error, HasSubstr("below the cheapest pruned network"));
  EXPECT_EQ(store->GetRun(2).stage, "retrain");

  // A pipeline that starts from the failed run is refused before it is stored.
  const CommandResult from_failed =
      RunHwnas(PipelineArgs(db, {"pipeline.stages=[prune, export]", "amc.source_run=1"}));
  EXPECT_EQ(from_failed.exit_code, 64) << from_failed.err;
  EXPECT_THAT(from_failed.err,
              HasSubstr("run 1 (amc.source_run) is failed; amc starts from the trained network "
                        "of a finished run"));
  EXPECT_EQ(results::Store::Open(db)->ListRuns().size(), 2u);
}

TEST(PipelineCliTest, StagesOutOfOrderOrFedTwiceAreConfigErrors) {
  const std::string db = MakeTempDir("pipeline-config") + "/h.db";
  const CommandResult order = RunHwnas(PipelineArgs(db, {"pipeline.stages=[prune, search]"}));
  EXPECT_EQ(order.exit_code, 78);
  EXPECT_THAT(order.err, HasSubstr("pipeline.stages: 'search' after 'prune' (expected the order "
                                   "search, retrain, prune, quantize, export, each at most once)"));
  const CommandResult unknown = RunHwnas(PipelineArgs(db, {"pipeline.stages=[search, distill]"}));
  EXPECT_THAT(unknown.err, HasSubstr("unknown stage 'distill'"));
  const CommandResult fed = RunHwnas(PipelineArgs(db, {"haq.source_run=3"}));
  EXPECT_EQ(fed.exit_code, 78);
  EXPECT_THAT(fed.err, HasSubstr("haq.source_run: given, but the pipeline feeds this stage the "
                                 "previous stage's network"));
  const CommandResult only_export = RunHwnas(PipelineArgs(db, {"pipeline.stages=[export]"}));
  EXPECT_THAT(only_export.err, HasSubstr("nothing to export"));
  const CommandResult format = RunHwnas(PipelineArgs(db, {"pipeline.export_formats=[tflite]"}));
  EXPECT_THAT(format.err, HasSubstr("unknown format 'tflite' (expected onnx or torchscript)"));
  EXPECT_FALSE(fs::exists(db));  // nothing was stored
}

}  // namespace
}  // namespace hwnas::testing
