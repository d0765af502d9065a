// What the commands that start a run (train, search) share: the CONFIG [key=value ...]
// arguments, the run's record in the store, and where its artifacts go.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/options.h"
#include "results/store.h"

namespace CLI {
class App;
}

namespace hwnas::cli {

struct ConfigArgs {
  std::string config_path;
  std::vector<std::string> overrides;
};

// Adds the CONFIG positional and the key=value overrides (`example`: one override to show).
void AddConfigArguments(CLI::App& command, ConfigArgs* args, const std::string& example);

// The run's record: name, strategy, the resolved config and its hash, device, dataset, seed.
results::RunInfo MakeRunInfo(const Config& config);

// <directory of the database>/hwnas-artifacts/run-<id>: weights and checkpoints of a run.
std::string ArtifactDir(const std::string& db_path, int64_t run_id);

}  // namespace hwnas::cli
