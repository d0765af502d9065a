// Runs the real hwnas binary (or any program) in a child process for end-to-end tests and
// captures its exit code, stdout and stderr.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <vector>

namespace hwnas::testing {

struct CommandResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};

// Runs `program args...` in `cwd` (empty = current) with extra environment variables.
// HWNAS_DB is removed from the child's environment unless `env` sets it. `while_running` is
// called with the child's pid before waiting for it.
CommandResult RunProgram(const std::string& program, const std::vector<std::string>& args,
                         const std::map<std::string, std::string>& env = {},
                         const std::string& cwd = "",
                         const std::function<void(int pid)>& while_running = {});

// The hwnas binary of this build.
CommandResult RunHwnas(const std::vector<std::string>& args,
                       const std::map<std::string, std::string>& env = {},
                       const std::string& cwd = "");

// Runs hwnas and sends it `signal` as soon as `file` exists (e.g. SIGINT once a checkpoint is
// written), as a user pressing Ctrl-C would.
CommandResult RunHwnasSignalling(const std::vector<std::string>& args, const std::string& file,
                                 int signal);

// A fresh, empty directory under the build tree, unique per call.
std::string MakeTempDir(const std::string& name);

// Whole file as a string; empty if unreadable.
std::string ReadFile(const std::string& path);
void WriteFile(const std::string& path, const std::string& text);

}  // namespace hwnas::testing
