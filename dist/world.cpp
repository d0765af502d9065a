#include "dist/world.h"

#include <cstdlib>

#include "core/errors.h"

namespace hwnas::dist {
namespace {

std::optional<std::string> ProcessEnv(const std::string& name) {
  const char* value = std::getenv(name.c_str());
  if (value == nullptr) return std::nullopt;
  return std::string(value);
}

// The integer in variable `name`, within [lo, hi]; `fallback` when it is unset.
int IntVariable(const GetEnv& getenv, const std::string& name, int lo, int hi, int fallback) {
  const std::optional<std::string> text = getenv(name);
  if (!text) return fallback;
  size_t used = 0;
  long value = 0;
  try {
    value = std::stol(*text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used == 0 || used != text->size() || value < lo || value > hi)
    throw UsageError("environment variable " + name + "='" + *text + "': expected an integer in [" +
                     std::to_string(lo) + ", " + std::to_string(hi) + "]");
  return static_cast<int>(value);
}

}  // namespace

World WorldFromEnvironment(const GetEnv& getenv_or_empty) {
  const GetEnv getenv = getenv_or_empty ? getenv_or_empty : GetEnv(ProcessEnv);
  World world;
  world.world_size = IntVariable(getenv, "WORLD_SIZE", 1, 1 << 20, 1);
  if (!world.distributed()) return world;
  world.rank = IntVariable(getenv, "RANK", 0, world.world_size - 1, -1);
  if (world.rank < 0)
    throw UsageError(
        "environment variable RANK is not set; WORLD_SIZE=" + std::to_string(world.world_size) +
        " needs each process's RANK in [0, " + std::to_string(world.world_size - 1) + "]");
  world.local_rank = IntVariable(getenv, "LOCAL_RANK", 0, world.world_size - 1, world.rank);
  const std::optional<std::string> addr = getenv("MASTER_ADDR");
  if (!addr || addr->empty())
    throw UsageError("environment variable MASTER_ADDR is not set; WORLD_SIZE=" +
                     std::to_string(world.world_size) +
                     " needs the rendezvous host of rank 0, e.g. MASTER_ADDR=127.0.0.1");
  world.master_addr = *addr;
  world.master_port = IntVariable(getenv, "MASTER_PORT", 1, 65535, world.master_port);
  world.timeout_seconds =
      IntVariable(getenv, "HWNAS_DIST_TIMEOUT", 1, kMaxTimeoutSeconds, world.timeout_seconds);
  return world;
}

}  // namespace hwnas::dist
