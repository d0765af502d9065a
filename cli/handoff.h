// How the front (hwnas) runs the engine's commands without loading LibTorch itself: a stub with
// the engine command's name and description that, once chosen on the command line, replaces
// this process with hwnas-torch from the same directory, on the unchanged argv.
#pragma once

#include "cli/engine_commands.h"

namespace CLI {
class App;
}

namespace hwnas::cli {

// Registers `command` under `parent` as a stub that hands `argv` (main's, null-terminated) to
// the engine as soon as the stub is chosen, before its own arguments are looked at: the engine
// parses the whole command line itself, including --help and global options anywhere.
void AddEngineStub(CLI::App& parent, const EngineCommand& command, char** argv);

// Replaces this process with hwnas-torch next to this executable (/proc/self/exe). Returns only
// by throwing "cannot run PATH: REASON" (exit code 1).
[[noreturn]] void RunEngine(char** argv);

}  // namespace hwnas::cli
