// Where this process sits in a data-parallel job: its rank, the world size and the rendezvous
// address, read from the environment variables torchrun sets (RANK, WORLD_SIZE, LOCAL_RANK,
// MASTER_ADDR, MASTER_PORT), so existing launchers and schedulers work unchanged, and hwnas's own
// HWNAS_DIST_TIMEOUT. No LibTorch.
#pragma once

#include <functional>
#include <optional>
#include <string>

namespace hwnas::dist {

struct World {
  int rank = 0;
  int world_size = 1;
  int local_rank = 0;
  std::string master_addr = "127.0.0.1";
  int master_port = 29500;  // torchrun's default
  // How long a rank waits for the others (joining, or inside a collective) before the job stops
  // with RankLost: HWNAS_DIST_TIMEOUT, in seconds.
  int timeout_seconds = 300;

  bool distributed() const { return world_size > 1; }
  bool leader() const { return rank == 0; }  // the rank that writes the store and artifacts
};

// The world described by `getenv` (the process environment by default). Without WORLD_SIZE, or
// with WORLD_SIZE=1, a world of one. A variable that is not a number, a rank outside
// [0, WORLD_SIZE) or a port outside [1, 65535] is a UsageError naming the variable, its value
// and what would be accepted; MASTER_ADDR is required when WORLD_SIZE > 1.
constexpr int kMaxTimeoutSeconds = 86400;
using GetEnv = std::function<std::optional<std::string>(const std::string&)>;
World WorldFromEnvironment(const GetEnv& getenv = {});

}  // namespace hwnas::dist
