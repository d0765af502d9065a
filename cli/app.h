// The top-level command both executables share: hwnas's description, --version, --db, -q and
// footer, and the mapping of every error to one message on stderr and a documented exit code.
// The front (front_main.cpp) and the engine (engine_main.cpp) differ only in the commands added.
#pragma once

#include <functional>

#include "cli/commands.h"

namespace hwnas::cli {

using AddCommands = std::function<void(CLI::App& app, const GlobalOptions& global)>;

// Builds the app, lets `add_commands` register the subcommands, parses argv and runs the chosen
// one. Returns the process exit code.
int RunCli(int argc, char** argv, const AddCommands& add_commands);

}  // namespace hwnas::cli
