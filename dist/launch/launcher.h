// `hwnas launch`: a local launcher for data-parallel jobs, as torchrun is one. It starts this
// node's processes of a command with torchrun's environment variables, forwards Ctrl-C and
// SIGTERM to them, and when one fails makes sure none is left behind. No LibTorch.
#pragma once

#include <string>
#include <vector>

namespace hwnas::dist {

struct LaunchOptions {
  int nproc = 1;      // processes on this node
  int nnodes = 1;     // nodes in the job
  int node_rank = 0;  // this node's place: its ranks are node_rank * nproc + [0, nproc)
  // Rank 0's rendezvous address; empty on one node = 127.0.0.1 at a free port.
  std::string master_addr;
  int master_port = 29500;
  int timeout_seconds = 300;         // HWNAS_DIST_TIMEOUT of every process
  std::vector<std::string> command;  // the program and its arguments
};

// Parses "ADDR:PORT" into options; UsageError naming the value and the expected form.
void ParseMaster(const std::string& text, LaunchOptions& options);

// Starts the processes and waits for all of them. When one exits with an error or is killed,
// the others are given the timeout (plus 10 s) to stop on their own, then killed. Prints a line
// per failed rank. Returns 0 when every process succeeded, else the exit code of rank 0 if it
// failed, else that of the first rank that failed (128 + signal for a killed one).
int Launch(const LaunchOptions& options);

}  // namespace hwnas::dist
