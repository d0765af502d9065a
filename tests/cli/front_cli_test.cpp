// The split into a torch-free front (hwnas, HWNAS_BINARY) and the engine (hwnas-torch): the
// front NEEDs no LibTorch library, prints the same help as the engine, runs the torch-free
// commands itself and hands the others to the engine next to it, or fails with one clear error.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include "tests/support/run_command.h"

namespace hwnas::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::MatchesRegex;
using ::testing::StartsWith;

CommandResult RunEngine(const std::vector<std::string>& args) {
  return RunProgram(HWNAS_ENGINE_BINARY, args);
}

// The shared libraries an ELF file NEEDs, from `readelf -d`.
std::vector<std::string> NeededLibraries(const std::string& binary) {
  const CommandResult r = RunProgram("/usr/bin/env", {"readelf", "-d", binary});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  std::vector<std::string> needed;
  std::istringstream lines(r.out);
  for (std::string line; std::getline(lines, line);) {
    // " 0x0000000000000001 (NEEDED)             Shared library: [libc.so.6]"
    const auto open = line.find('[');
    if (line.find("(NEEDED)") == std::string::npos || open == std::string::npos) continue;
    needed.push_back(line.substr(open + 1, line.find(']', open) - open - 1));
  }
  return needed;
}

// A copy of the front alone in a directory, with no engine beside it.
std::string LoneFront(const std::string& name) {
  const std::string front = MakeTempDir(name) + "/hwnas";
  std::filesystem::copy_file(HWNAS_BINARY, front);
  return front;
}

TEST(FrontCliTest, FrontNeedsNoLibTorch) {
  const std::vector<std::string> needed = NeededLibraries(HWNAS_BINARY);
  ASSERT_THAT(needed, ::testing::Contains(StartsWith("libc.so")));
  for (const auto& library : needed) {
    EXPECT_THAT(library, ::testing::Not(StartsWith("libtorch"))) << HWNAS_BINARY;
    EXPECT_THAT(library, ::testing::Not(StartsWith("libc10"))) << HWNAS_BINARY;
  }
}

TEST(FrontCliTest, VersionIsHwnasAndTheProjectVersion) {
  const CommandResult r = RunHwnas({"--version"});
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_THAT(r.out, MatchesRegex("hwnas [0-9]+\\.[0-9]+\\.[0-9]+\n"));
  EXPECT_EQ(r.out, RunEngine({"--version"}).out);
}

TEST(FrontCliTest, HelpListsEveryCommandAsTheEngineDoes) {
  for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
           {"--help"}, {"latency", "--help"}, {"results", "--help"}}) {
    const CommandResult front = RunHwnas(args);
    EXPECT_EQ(front.exit_code, 0) << args[0];
    EXPECT_EQ(front.out, RunEngine(args).out) << args[0];
  }
  EXPECT_THAT(RunHwnas({"--help"}).out, HasSubstr("  search "));
  EXPECT_THAT(RunHwnas({"latency", "--help"}).out, HasSubstr("  validate "));
}

TEST(FrontCliTest, SearchHelpIsTheEnginesSearchHelp) {
  const CommandResult r = RunHwnas({"--db", "x.db", "search", "--help", "-q"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("Usage: hwnas search"));
  EXPECT_THAT(r.out, HasSubstr("resume"));
  EXPECT_EQ(r.out, RunEngine({"search", "--help"}).out);
}

TEST(FrontCliTest, TorchFreeCommandsRunWithoutTheEngine) {
  const std::string front = LoneFront("front-alone");
  EXPECT_EQ(RunProgram(front, {"config", "keys"}).exit_code, 0);
  const CommandResult r = RunProgram(front, {"--db", "/nonexistent/h.db", "results", "list"});
  EXPECT_EQ(r.exit_code, 74);
  EXPECT_THAT(r.err, HasSubstr("no results database at /nonexistent/h.db"));
  EXPECT_EQ(RunProgram(front, {"--db", "/nonexistent/h.db", "latency", "list"}).exit_code, 74);
}

TEST(FrontCliTest, MissingEngineIsOneErrorWithExitCode1) {
  const std::string front = LoneFront("front-no-engine");
  const std::string engine = (std::filesystem::path(front).parent_path() / "hwnas-torch").string();
  for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
           {"train", "x.yaml"}, {"-q", "latency", "build", "--help"}}) {
    const CommandResult r = RunProgram(front, args);
    EXPECT_EQ(r.exit_code, 1) << args[0];
    EXPECT_EQ(r.err, "error: cannot run " + engine + ": No such file or directory\n");
    EXPECT_EQ(r.out, "");
  }
}

}  // namespace
}  // namespace hwnas::testing
