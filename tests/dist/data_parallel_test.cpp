// Data-parallel runs of the real binary on loopback: 2 ranks with half of every batch each train
// the supernet and retrain the derived network as 1 process with the whole batch does
// (synchronised batch norm), rank 0 alone stores the run; a rank killed mid-epoch stops the
// other with an error naming it, the run is interrupted and resumes with the same world size.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include <torch/serialize.h>
#include <torch/torch.h>

#include "results/store.h"
#include "tests/support/run_command.h"

namespace hwnas::testing {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

const std::string kConfig = std::string(HWNAS_SOURCE_DIR) + "/configs/search-synthetic.yaml";
// FLOPs as the cost, so that every run prices candidates the same (no timing); one thread each.
// 96 training and 32 held-out images: one batch of 64 per epoch, so the runs take one warm-up
// step, one weight step, one architecture step and one retraining step. Training this small
// network at learning rate 0.1 is chaotic: float rounding that differs by 1e-7 after one step
// grows to 1e-2 after a dozen (docs/distributed.md), so equality is checked step by step.
const std::vector<std::string> kOverrides = {
    "threads=1",          "proxyless.target_kind=flops", "proxyless.target_mflops=5",
    "proxyless.epochs=1", "proxyless.retrain_epochs=1",  "data.synthetic.train_samples=128"};

std::vector<std::string> Command(const std::string& db, std::vector<std::string> head) {
  std::vector<std::string> args = {"--db", db, "--quiet"};
  args.insert(args.end(), head.begin(), head.end());
  args.push_back(kConfig);
  args.insert(args.end(), kOverrides.begin(), kOverrides.end());
  return args;
}
// Largest |a - b| over every tensor of two archives of the same layout; other values must match.
double LargestDifference(torch::serialize::InputArchive& a, torch::serialize::InputArchive& b,
                         const std::string& where) {
  double largest = 0;
  EXPECT_EQ(a.keys(), b.keys()) << where;
  for (const std::string& key : a.keys()) {
    c10::IValue x, y;
    if (a.try_read(key, x) && b.try_read(key, y) && !x.isObject()) {
      if (x.isTensor()) {
        const torch::Tensor tx = x.toTensor().to(torch::kDouble),
                            ty = y.toTensor().to(torch::kDouble);
        EXPECT_EQ(tx.sizes(), ty.sizes()) << where << "/" << key;
        if (tx.numel() > 0) largest = std::max(largest, (tx - ty).abs().max().item<double>());
      } else {
        EXPECT_TRUE(x == y) << where << "/" << key;
      }
      continue;
    }
    torch::serialize::InputArchive sa, sb;
    const bool both = a.try_read(key, sa) && b.try_read(key, sb);
    EXPECT_TRUE(both) << where << "/" << key;
    if (!both) return 1e9;
    largest = std::max(largest, LargestDifference(sa, sb, where + "/" + key));
  }
  return largest;
}

// The whole file, or its `section` (the supernet of a search checkpoint: optimizer states there
// are keyed by tensor addresses, which differ by process).
double FileDifference(const std::string& a, const std::string& b, const std::string& section) {
  torch::serialize::InputArchive x, y;
  x.load_from(a);
  y.load_from(b);
  if (section.empty()) return LargestDifference(x, y, fs::path(a).filename());
  torch::serialize::InputArchive sx, sy;
  x.read(section, sx);
  y.read(section, sy);
  return LargestDifference(sx, sy, fs::path(a).filename().string() + "/" + section);
}

std::vector<std::string> Architectures(const std::string& db) {
  std::vector<std::string> archs;
  for (const auto& a : results::Store::Open(db)->Architectures(1))
    archs.push_back(a.record.role + " " + a.record.arch);
  return archs;
}

TEST(DataParallelTest, TwoRanksWithHalfBatchesTrainAsOneProcessWithWholeBatches) {
  const std::string native = MakeTempDir("dp-native"), synced = MakeTempDir("dp-synced"),
                    job = MakeTempDir("dp-job");
  const CommandResult single = RunHwnas(Command(native + "/h.db", {"search"}), {}, native);
  ASSERT_EQ(single.exit_code, 0) << single.err;
  // The same single process computing batch norm as a job does (hwnas's synchronised batch
  // norm over a world of one instead of LibTorch's kernel).
  const CommandResult same_arithmetic =
      RunHwnas(Command(synced + "/h.db", {"search"}), {{"HWNAS_SYNC_BATCH_NORM", "1"}}, synced);
  ASSERT_EQ(same_arithmetic.exit_code, 0) << same_arithmetic.err;
  const CommandResult two = RunHwnas(
      Command(job + "/h.db", {"launch", "--nproc", "2", "--timeout", "60", "--", "search"}), {},
      job);
  ASSERT_EQ(two.exit_code, 0) << two.err;
  // Rank 0 alone reports: one summary.
  EXPECT_THAT(two.out, HasSubstr("run 1 finished: search-synthetic"));
  EXPECT_EQ(two.out.find("run 1 finished"), two.out.rfind("run 1 finished"));

  // The supernet's weights, alphas and batch-norm statistics, then the retrained network's.
  for (const auto& [file, section] :
       std::map<std::string, std::string>{{"search-checkpoint.pt", "supernet"}, {"final.pt", ""}}) {
    const std::string in_job = job + "/hwnas-artifacts/run-1/" + file;
    EXPECT_LT(FileDifference(synced + "/hwnas-artifacts/run-1/" + file, in_job, section), 1e-5)
        << file;
    // LibTorch's batch norm rounds its backward differently (measured: 8e-4 after one step).
    EXPECT_LT(FileDifference(native + "/hwnas-artifacts/run-1/" + file, in_job, section), 5e-3)
        << file;
  }
  EXPECT_EQ(Architectures(native + "/h.db"), Architectures(job + "/h.db"));
  EXPECT_EQ(Architectures(synced + "/h.db"), Architectures(job + "/h.db"));

  // The job is recorded; a single process is not a job.
  std::map<std::string, double> at_start;
  for (const auto& m : results::Store::Open(job + "/h.db")->Metrics(1))
    if (m.step == 0) at_start[m.name] = m.value;
  EXPECT_EQ(at_start["world_size"], 2);
  EXPECT_EQ(at_start["world_backend.gloo"], 1);
  for (const auto& m : results::Store::Open(native + "/h.db")->Metrics(1))
    EXPECT_NE(m.name, "world_size");
}

// AMC's episodes are scored by both ranks, each on half of the held-out batches, and the agent
// on rank 0 sees the same accuracies as a single process: every episode's reward, accuracy,
// cost and policy are equal, as is the pruned network.
TEST(DataParallelTest, TwoRanksScoreAmcEpisodesAsOneProcess) {
  const std::string one = MakeTempDir("dp-amc-one"), two = MakeTempDir("dp-amc-two");
  const std::string amc = std::string(HWNAS_SOURCE_DIR) + "/configs/amc-synthetic.yaml";
  const CommandResult trained =
      RunHwnas({"--db", one + "/h.db", "--quiet", "train",
                std::string(HWNAS_SOURCE_DIR) + "/configs/train-synthetic.yaml", "threads=1",
                "train.epochs=2"},
               {}, one);
  ASSERT_EQ(trained.exit_code, 0) << trained.err;
  fs::copy(one, two, fs::copy_options::recursive);
  const std::vector<std::string> config = {amc, "threads=1", "amc.episodes=4",
                                           "amc.agent.warmup_episodes=2", "amc.finetune_epochs=1"};
  std::vector<std::string> single = {"--db", one + "/h.db", "--quiet", "search"};
  single.insert(single.end(), config.begin(), config.end());
  ASSERT_EQ(RunHwnas(single, {}, one).exit_code, 0);
  // The trained network's weights are read from the copied database's artifacts.
  std::vector<std::string> job = {"--db",    two + "/h.db", "--quiet", "launch",
                                  "--nproc", "2",           "--",      "search"};
  job.insert(job.end(), config.begin(), config.end());
  const CommandResult ran = RunHwnas(job, {}, two);
  ASSERT_EQ(ran.exit_code, 0) << ran.err;

  const auto a = results::Store::Open(one + "/h.db")->Episodes(2);
  const auto b = results::Store::Open(two + "/h.db")->Episodes(2);
  ASSERT_EQ(a.size(), 4u);
  ASSERT_EQ(b.size(), a.size());
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].record.accuracy, b[i].record.accuracy) << "episode " << i;
    EXPECT_EQ(a[i].record.reward, b[i].record.reward) << "episode " << i;
    EXPECT_EQ(a[i].record.cost, b[i].record.cost) << "episode " << i;
    EXPECT_EQ(a[i].record.policy_json, b[i].record.policy_json) << "episode " << i;
  }
  std::vector<std::string> archs_one, archs_two;
  for (const auto& arch : results::Store::Open(one + "/h.db")->Architectures(2))
    archs_one.push_back(arch.record.role + " " + arch.record.arch);
  for (const auto& arch : results::Store::Open(two + "/h.db")->Architectures(2))
    archs_two.push_back(arch.record.role + " " + arch.record.arch);
  EXPECT_EQ(archs_one, archs_two);
}

// Rank 1 runs as its own process (as torchrun starts them) and is killed once rank 0 has written
// its first checkpoint; rank 0 must stop with an error naming rank 1, well within the timeout.
TEST(DataParallelTest, AKilledRankStopsTheJobWhichResumesWithTheSameWorldSize) {
  const std::string dir = MakeTempDir("dp-fault");
  const std::string db = dir + "/h.db";
  const std::string checkpoint = dir + "/hwnas-artifacts/run-1/search-checkpoint.pt";
  const int port = 29900 + static_cast<int>(::getpid() % 90);
  const auto env = [port](int rank) {
    return std::map<std::string, std::string>{{"WORLD_SIZE", "2"},
                                              {"RANK", std::to_string(rank)},
                                              {"MASTER_ADDR", "127.0.0.1"},
                                              {"MASTER_PORT", std::to_string(port)},
                                              {"HWNAS_DIST_TIMEOUT", "60"}};
  };
  CommandResult leader;
  std::chrono::steady_clock::time_point killed;
  std::thread rank0([&] { leader = RunHwnas(Command(db, {"search"}), env(0), dir); });
  const CommandResult follower =
      RunProgram(HWNAS_BINARY, Command(db, {"search"}), env(1), dir, [&](int pid) {
        while (!fs::exists(checkpoint)) std::this_thread::sleep_for(std::chrono::milliseconds(5));
        killed = std::chrono::steady_clock::now();
        ::kill(pid, SIGKILL);
      });
  rank0.join();
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - killed).count();
  EXPECT_EQ(follower.exit_code, 128 + SIGKILL);
  EXPECT_EQ(leader.exit_code, 75) << leader.err;
  EXPECT_THAT(leader.err, HasSubstr("rank 1 stopped answering during"));
  EXPECT_THAT(leader.err, HasSubstr("hwnas search resume 1"));
  EXPECT_LT(seconds, 20) << "the survivor took " << seconds << " s to stop";
  EXPECT_EQ(results::Store::Open(db)->GetRun(1).status, results::RunStatus::kInterrupted);

  // Another world size is refused before any work; the same one completes the run.
  const CommandResult alone = RunHwnas({"--db", db, "search", "resume", "1"}, {}, dir);
  EXPECT_EQ(alone.exit_code, 64);
  EXPECT_THAT(alone.err, HasSubstr("run 1 ran as 2 processes and is resumed by 1"));
  EXPECT_THAT(alone.err, HasSubstr("hwnas launch --nproc 2 -- search resume 1"));
  const CommandResult resumed = RunHwnas(
      {"--db", db, "--quiet", "launch", "--nproc", "2", "--", "search", "resume", "1"}, {}, dir);
  ASSERT_EQ(resumed.exit_code, 0) << resumed.err;
  EXPECT_THAT(resumed.out, HasSubstr("run 1 finished"));
  EXPECT_EQ(results::Store::Open(db)->GetRun(1).status, results::RunStatus::kFinished);
}

}  // namespace
}  // namespace hwnas::testing
