// The store across processes: two writers at once lose nothing, and a run whose process was
// killed is found and marked interrupted. Both use the real hwnas_results_writer executable.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "results/internal.h"
#include "results/sqlite.h"
#include "results/store.h"
#include "tests/results/sample_runs.h"

namespace hwnas::results {
namespace {

using hwnas::testing::NewDbPath;
using ::testing::HasSubstr;

// Starts the writer with `args`; its stdout goes to `stdout_fd` when >= 0.
pid_t StartWriter(const std::vector<std::string>& args, int stdout_fd = -1) {
  pid_t pid = ::fork();
  if (pid != 0) return pid;
  if (stdout_fd >= 0) ::dup2(stdout_fd, 1);
  std::vector<char*> argv = {const_cast<char*>(HWNAS_RESULTS_WRITER)};
  for (const auto& arg : args) argv.push_back(const_cast<char*>(arg.c_str()));
  argv.push_back(nullptr);
  ::execv(HWNAS_RESULTS_WRITER, argv.data());
  ::_exit(127);
}

int WaitExitCode(pid_t pid) {
  int status = 0;
  ::waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// One line from `fd`, waiting at most 20 s.
std::string ReadLine(int fd) {
  std::string line;
  char c;
  while (line.find('\n') == std::string::npos) {
    pollfd wait{fd, POLLIN, 0};
    if (::poll(&wait, 1, 20000) <= 0 || ::read(fd, &c, 1) != 1) break;
    line += c;
  }
  return line;
}

TEST(ProcessTest, TwoWritersAtOnceLoseNothing) {
  const std::string path = NewDbPath("concurrent");  // both processes race to create it
  const int runs = 15, steps = 40;
  pid_t a = StartWriter({path, "write", std::to_string(runs), std::to_string(steps)});
  pid_t b = StartWriter({path, "write", std::to_string(runs), std::to_string(steps)});
  EXPECT_EQ(WaitExitCode(a), 0);
  EXPECT_EQ(WaitExitCode(b), 0);

  auto store = Store::Open(path);
  auto all = store->ListRuns();
  ASSERT_EQ(all.size(), 2u * runs);
  size_t metrics = 0;
  for (const RunRecord& run : all) {
    EXPECT_EQ(run.status, RunStatus::kFinished) << run.name;
    metrics += store->Metrics(run.id).size();
  }
  EXPECT_EQ(metrics, 2u * runs * steps);
}

TEST(ProcessTest, AKilledRunIsMarkedInterrupted) {
  const std::string path = NewDbPath("interrupted");
  int pipe_fds[2];
  ASSERT_EQ(::pipe(pipe_fds), 0);
  pid_t child = StartWriter({path, "hold"}, pipe_fds[1]);
  ::close(pipe_fds[1]);
  std::string line = ReadLine(pipe_fds[0]);
  ::close(pipe_fds[0]);
  ASSERT_FALSE(line.empty()) << "the writer did not start";
  const int64_t id = std::stoll(line);

  // While the process lives, opening the store leaves its run alone.
  EXPECT_EQ(Store::Open(path)->GetRun(id).status, RunStatus::kRunning);
  ::kill(child, SIGKILL);
  EXPECT_EQ(WaitExitCode(child), 128 + SIGKILL);

  auto store = Store::Open(path);
  RunRecord run = store->GetRun(id);
  EXPECT_EQ(run.status, RunStatus::kInterrupted);
  EXPECT_THAT(run.error, HasSubstr("process " + std::to_string(child)));
  ASSERT_TRUE(run.ended_at.has_value());
  EXPECT_EQ(*run.ended_at, run.heartbeat_at);  // the last sign of life
  EXPECT_EQ(store->Metrics(id).size(), 1u);    // what it wrote is kept
  EXPECT_EQ(store->MarkInterruptedRuns(), 0);
}

TEST(ProcessTest, RunsOfOtherHostsAreLeftAlone) {
  const std::string path = NewDbPath("other-host");
  int64_t id = 0;
  {
    auto store = Store::Open(path);
    id = store->BeginRun({});
  }
  {
    Database db(path, false);
    // A pid that cannot exist here, on another machine: it may well be alive there.
    db.Execute("UPDATE runs SET host = 'elsewhere', pid = 999999999");
  }
  EXPECT_EQ(Store::Open(path)->GetRun(id).status, RunStatus::kRunning);
  {
    Database db(path, false);
    db.Execute("UPDATE runs SET host = '" + HostName() + "'");
  }
  EXPECT_EQ(Store::Open(path)->GetRun(id).status, RunStatus::kInterrupted);
}

}  // namespace
}  // namespace hwnas::results
