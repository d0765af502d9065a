// End-to-end tests of `hwnas search resume` for AMC, HAQ and evolution: a run killed (kill -9) or
// stopped (Ctrl-C) after some episodes, accuracy samples or targets and resumed stores exactly
// what an uninterrupted run of the same config stores; a finished run, a checkpoint of another
// config and a corrupt checkpoint are refused.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <signal.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "results/store.h"
#include "tests/support/run_command.h"
#include "tests/support/trained_database.h"

namespace hwnas::testing {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

const std::string kConfigs = std::string(HWNAS_SOURCE_DIR) + "/configs/";

// A copy of `db` and its artifacts (the trained network) in a new directory.
std::string CopyDatabase(const std::string& db, const std::string& name) {
  const std::string dir = MakeTempDir(name);
  fs::copy(fs::path(db).parent_path(), dir, fs::copy_options::recursive);
  return dir + "/" + fs::path(db).filename().string();
}

// RunHwnasSignalling once `ready()` holds: a watcher thread turns it into the file that function
// waits for.
CommandResult SignalledWhen(const std::vector<std::string>& args,
                            const std::function<bool()>& ready, int signal) {
  const std::string marker = MakeTempDir("signal") + "/ready";
  std::atomic<bool> finished{false};
  std::thread watcher([&] {
    while (!finished && !ready()) std::this_thread::sleep_for(std::chrono::milliseconds(2));
    if (!finished) WriteFile(marker, "");
  });
  const CommandResult result = RunHwnasSignalling(args, marker, signal);
  finished = true;
  watcher.join();
  return result;
}

// True once `file` was seen written `times` times (a checkpoint rewritten after every episode).
std::function<bool()> SeenWritten(const std::string& file, int times) {
  return [file, times, seen = 0, last = fs::file_time_type()]() mutable {
    std::error_code error;
    const fs::file_time_type written = fs::last_write_time(file, error);
    if (!error && written != last) last = written, ++seen;
    return seen >= times;
  };
}

std::string CheckpointOf(const std::string& db, int64_t run) {
  return fs::path(db).parent_path().string() + "/hwnas-artifacts/run-" + std::to_string(run) +
         "/search-checkpoint.pt";
}

std::string Exact(double value) {
  char text[64];
  std::snprintf(text, sizeof text, "%.17g", value);
  return text;
}

// What run `run` stored, minus anything timed: every episode, every architecture and every metric
// but times and latencies.
std::vector<std::string> StoredResult(const std::string& db, int64_t run) {
  auto store = results::Store::Open(db, results::Store::OpenMode::kExisting);
  std::vector<std::string> rows;
  for (const auto& e : store->Episodes(run))
    rows.push_back("episode " + std::to_string(e.record.episode) + " " + Exact(e.record.reward) +
                   " " + Exact(e.record.accuracy) + " " + Exact(e.record.cost) + " " +
                   e.record.policy_json);
  for (const auto& a : store->Architectures(run))
    rows.push_back(a.record.role + " " + a.record.arch + " " + Exact(a.record.flops) + " " +
                   Exact(a.record.accuracy.value_or(-1)));
  for (const auto& m : store->Metrics(run))
    if (m.name.find("seconds") == std::string::npos &&
        m.name.find("latency") == std::string::npos && m.name.find("_ms") == std::string::npos &&
        m.name != "images_per_second" && m.name != "data_wait_fraction")
      rows.push_back(std::to_string(m.step) + " " + m.name + " " + Exact(m.value));
  return rows;
}

std::vector<std::string> Search(const std::string& db, const std::string& config,
                                const std::vector<std::string>& extra) {
  std::vector<std::string> args = {"--db", db, "-q", "search", kConfigs + config};
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
}

// Runs `config` on a trained database uninterrupted, and on a copy stopped with `signal` once its
// checkpoint was written `episodes` times, then resumed: both store the same.
void ExpectResumedEqualsUninterrupted(const std::string& name, const std::string& config,
                                      const std::vector<std::string>& extra, int signal,
                                      int episodes) {
  const std::string whole = TrainedDatabase(name + "-whole");
  const std::string db = CopyDatabase(whole, name + "-stopped");
  ASSERT_EQ(RunHwnas(Search(whole, config, extra)).exit_code, 0);

  const CommandResult stopped =
      SignalledWhen(Search(db, config, extra), SeenWritten(CheckpointOf(db, 2), episodes), signal);
  ASSERT_EQ(stopped.exit_code, signal == SIGINT ? 130 : 128 + SIGKILL) << stopped.err;
  if (signal == SIGINT) {
    EXPECT_THAT(stopped.err, HasSubstr("run 2 continues from its last completed episode with: "
                                       "hwnas search resume 2"));
  }
  {
    auto store = results::Store::Open(db, results::Store::OpenMode::kExisting);
    EXPECT_NE(store->GetRun(2).status, results::RunStatus::kFinished);
    EXPECT_LT(store->Episodes(2).size(), 12u);
  }
  const CommandResult resumed = RunHwnas({"--db", db, "search", "resume", "2"});
  ASSERT_EQ(resumed.exit_code, 0) << resumed.err;
  EXPECT_THAT(resumed.err, HasSubstr("resuming run 2 after "));
  EXPECT_THAT(resumed.out, HasSubstr("run 2 finished: "));
  EXPECT_EQ(StoredResult(db, 2), StoredResult(whole, 2));

  const CommandResult again = RunHwnas({"--db", db, "search", "resume", "2"});
  EXPECT_EQ(again.exit_code, 64);
  EXPECT_THAT(again.err, HasSubstr("run 2 has finished; there is nothing to resume"));
}

const std::vector<std::string> kAmc = {"amc.episodes=12", "amc.agent.warmup_episodes=3"};
const std::vector<std::string> kHaq = {"haq.episodes=12", "haq.agent.warmup_episodes=3"};

TEST(ResumeCliTest, AmcRunKilledAfterSomeEpisodesResumesToTheUninterruptedResult) {
  ExpectResumedEqualsUninterrupted("resume-amc", "amc-synthetic.yaml", kAmc, SIGKILL, 6);
}

TEST(ResumeCliTest, HaqRunStoppedWithCtrlCResumesToTheUninterruptedResult) {
  ExpectResumedEqualsUninterrupted("resume-haq", "haq-synthetic.yaml", kHaq, SIGINT, 5);
}

TEST(ResumeCliTest, HaqRunKilledAfterSomeEpisodesResumesToTheUninterruptedResult) {
  ExpectResumedEqualsUninterrupted("resume-haq-kill", "haq-synthetic.yaml", kHaq, SIGKILL, 7);
}

// A checkpoint of another config and a corrupt one are refused, naming the file.
TEST(ResumeCliTest, AmcResumeRefusesACheckpointOfAnotherConfigOrACorruptOne) {
  const std::string db = TrainedDatabase("resume-amc-bad");
  const std::string checkpoint = CheckpointOf(db, 2);
  ASSERT_EQ(
      RunHwnasSignalling(Search(db, "amc-synthetic.yaml", kAmc), checkpoint, SIGINT).exit_code,
      130);
  std::vector<std::string> other = kAmc;
  other.push_back("seed=8");
  ASSERT_EQ(RunHwnasSignalling(Search(db, "amc-synthetic.yaml", other), CheckpointOf(db, 3), SIGINT)
                .exit_code,
            130);
  const std::string own = ReadFile(checkpoint);
  fs::copy_file(CheckpointOf(db, 3), checkpoint, fs::copy_options::overwrite_existing);
  const CommandResult foreign = RunHwnas({"--db", db, "search", "resume", "2"});
  EXPECT_EQ(foreign.exit_code, 65);
  EXPECT_THAT(foreign.err, HasSubstr("the checkpoint belongs to another config (" + checkpoint));

  WriteFile(checkpoint, own.substr(0, own.size() / 2));
  const CommandResult corrupt = RunHwnas({"--db", db, "search", "resume", "2"});
  EXPECT_EQ(corrupt.exit_code, 65);
  EXPECT_THAT(corrupt.err, HasSubstr("cannot read search checkpoint " + checkpoint));

  WriteFile(checkpoint, own);
  const CommandResult resumed = RunHwnas({"--db", db, "-q", "search", "resume", "2"});
  EXPECT_EQ(resumed.exit_code, 0) << resumed.err;
}

// Evolution on a model device (deterministic latency) of a synthetic supernet searched on it:
// run 1 the supernet's search, run 2 the evolution run, runs 3 to 5 its targets.
std::string SearchedDatabase(const std::string& name) {
  const std::string db = MakeTempDir(name) + "/h.db";
  const CommandResult r =
      RunHwnas({"--db", db, "-q", "search", kConfigs + "search-synthetic.yaml",
                "device.name=roofline-example", "proxyless.target_ms=0.5", "train.epochs=1"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return db;
}

const std::vector<std::string> kEvolution = {
    "evolution.targets=[\"roofline-example:1000\", \"roofline-example:500\", "
    "\"roofline-example:300\"]",
    "evolution.finetune_epochs=1"};

// Every run's name, status and what it stored (StoredResult) but the first (the supernet's),
// newest first.
std::vector<std::string> EvolutionResult(const std::string& db) {
  std::vector<std::string> rows;
  auto store = results::Store::Open(db, results::Store::OpenMode::kExisting);
  for (const results::RunRecord& record : store->ListRuns()) {
    if (record.id == 1) continue;
    rows.push_back(record.name + " " + results::RunStatusName(record.status));
    for (const std::string& row : StoredResult(db, record.id)) rows.push_back(row);
  }
  return rows;
}

// Evolution on a copy of `searched` stopped with `signal` once `ready_for(db)` holds, then
// resumed, stores what the uninterrupted run in `whole` stored.
void ExpectEvolutionResumes(
    const std::string& searched, const std::string& whole,
    const std::function<std::function<bool()>(const std::string&)>& ready_for, int signal) {
  const std::string db = CopyDatabase(searched, "resume-evolution-stopped");
  const CommandResult stopped =
      SignalledWhen(Search(db, "evolution-synthetic.yaml", kEvolution), ready_for(db), signal);
  ASSERT_EQ(stopped.exit_code, signal == SIGINT ? 130 : 128 + SIGKILL) << stopped.err;
  const CommandResult resumed = RunHwnas({"--db", db, "search", "resume", "2"});
  ASSERT_EQ(resumed.exit_code, 0) << resumed.err;
  EXPECT_THAT(resumed.out, HasSubstr("run 2 finished: evolution-synthetic"));
  EXPECT_EQ(EvolutionResult(db), EvolutionResult(whole));
}

// Killed while sampling accuracies; stopped with Ctrl-C while the second of three targets
// fine-tunes (or, should that have finished, before the third): a target's run stopped midway
// runs again under its id.
TEST(ResumeCliTest, EvolutionRunStoppedWhileSamplingOrInATargetResumesToTheUninterruptedResult) {
  const std::string searched = SearchedDatabase("resume-evolution");
  const std::string whole = CopyDatabase(searched, "resume-evolution-whole");
  ASSERT_EQ(RunHwnas(Search(whole, "evolution-synthetic.yaml", kEvolution)).exit_code, 0);
  ExpectEvolutionResumes(
      searched, whole, [](const std::string& db) { return SeenWritten(CheckpointOf(db, 2), 8); },
      SIGKILL);
  const auto in_second_target = [](const std::string& db) -> std::function<bool()> {
    return [db] {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      if (!fs::exists(db)) return false;
      auto store = results::Store::Open(db, results::Store::OpenMode::kExisting);
      return store->ListRuns().size() >= 4;
    };
  };
  ExpectEvolutionResumes(searched, whole, in_second_target, SIGINT);
}

}  // namespace
}  // namespace hwnas::testing
