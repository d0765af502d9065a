// The front's hand-over to the engine (see handoff.h): locating hwnas-torch beside this
// executable and replacing this process with it.
#include "cli/handoff.h"

#include <unistd.h>

#include <CLI/CLI.hpp>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <stdexcept>
#include <string>
#include <system_error>

namespace hwnas::cli {
namespace {

constexpr char kEngineName[] = "hwnas-torch";

std::string EnginePath() {
  std::error_code error;
  const std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", error);
  if (error)
    throw std::runtime_error(
        std::string("cannot run ") + kEngineName +
        ": cannot locate this executable (/proc/self/exe): " + error.message());
  return (self.parent_path() / kEngineName).string();
}

}  // namespace

void RunEngine(char** argv) {
  const std::string path = EnginePath();
  std::cout.flush();
  std::fflush(nullptr);
  execv(path.c_str(), argv);
  throw std::runtime_error("cannot run " + path + ": " + std::strerror(errno));
}

void AddEngineStub(CLI::App& parent, const EngineCommand& command, char** argv) {
  CLI::App* stub = parent.add_subcommand(command.name, command.description);
  stub->preparse_callback([argv](std::size_t) { RunEngine(argv); });
}

}  // namespace hwnas::cli
