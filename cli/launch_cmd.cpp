// `hwnas launch --nproc N [--nnodes M --node-rank R --master ADDR:PORT] -- COMMAND...`: runs a
// train or search command as a data-parallel job of N processes on this node (dist/launch).
#include <CLI/CLI.hpp>

#include <unistd.h>

#include <climits>
#include <cstdlib>
#include <memory>

#include "cli/commands.h"
#include "core/errors.h"
#include "dist/launch/launcher.h"
#include "dist/world.h"

namespace hwnas::cli {
namespace {

struct LaunchArgs {
  dist::LaunchOptions options;
  std::string master;
  std::vector<std::string> command;
};

std::string ThisProgram() {
  char path[PATH_MAX];
  const ssize_t n = ::readlink("/proc/self/exe", path, sizeof path - 1);
  if (n <= 0) throw IoError("hwnas launch: cannot find its own executable (/proc/self/exe)");
  return std::string(path, static_cast<size_t>(n));
}

}  // namespace

void AddLaunchCommand(CLI::App& app, const GlobalOptions& global) {
  auto args = std::make_shared<LaunchArgs>();
  auto* cmd = app.add_subcommand(
      "launch",
      "Run a train or search command as a data-parallel job: N processes on this node, each\n"
      "with torchrun's variables (RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR, MASTER_PORT).\n"
      "Rank 0 stores the run; every rank trains on its part of each batch. torchrun or a\n"
      "scheduler that sets the same variables can start the processes instead. Example:\n"
      "  hwnas launch --nproc 2 -- search configs/search-fmnist.yaml threads=1");
  cmd->add_option("--nproc", args->options.nproc, "processes on this node")
      ->check(CLI::Range(1, 1024))
      ->required();
  cmd->add_option("--nnodes", args->options.nnodes, "nodes in the job (default 1)")
      ->check(CLI::Range(1, 1 << 16));
  cmd->add_option("--node-rank", args->options.node_rank, "this node's rank, 0 to nnodes-1");
  cmd->add_option("--master", args->master,
                  "ADDR:PORT of node 0's rendezvous (needed for --nnodes > 1; one node: a free "
                  "port on 127.0.0.1)");
  cmd->add_option("--timeout", args->options.timeout_seconds,
                  "seconds a process waits for a silent one before the job stops (default 300)")
      ->check(CLI::Range(1, dist::kMaxTimeoutSeconds));
  cmd->add_option("command", args->command,
                  "after --: the hwnas command every process runs (train, search, search resume)");
  cmd->callback([args, &global] {
    dist::LaunchOptions options = args->options;
    if (options.node_rank < 0 || options.node_rank >= options.nnodes)
      throw UsageError("--node-rank " + std::to_string(options.node_rank) + ": expected 0 to " +
                       std::to_string(options.nnodes - 1));
    if (!args->master.empty()) dist::ParseMaster(args->master, options);
    const std::vector<std::string>& command = args->command;
    if (command.empty() || (command[0] != "search" && command[0] != "train"))
      throw UsageError(
          "hwnas launch needs the command to run after --: train CONFIG, search "
          "CONFIG or search resume RUN (e.g. hwnas launch --nproc 2 -- search "
          "CONFIG)");
    options.command = {ThisProgram(), "--db", global.db_path};
    if (global.quiet) options.command.push_back("--quiet");
    options.command.insert(options.command.end(), command.begin(), command.end());
    const int code = dist::Launch(options);
    if (code != 0)
      throw Error(static_cast<ExitCode>(code),
                  "the job failed (exit code " + std::to_string(code) + ")");
  });
}

}  // namespace hwnas::cli
