// What the commands that start a run (train, search) share: the CONFIG [key=value ...]
// arguments and the report printed when a run has finished.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "runs/lifecycle.h"

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

runs::ConfigSource SourceOf(const ConfigArgs& args);

// "run N finished: NAME", the strategy's summary lines, and how to query the run; nothing for
// the ranks of a data-parallel job other than rank 0, which print nothing of their own.
void PrintRunReport(const std::optional<runs::RunReport>& report);

}  // namespace hwnas::cli
