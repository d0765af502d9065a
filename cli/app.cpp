// The top-level hwnas app both executables run (see app.h): global options, parsing, and one
// message and exit code per error.
#include "cli/app.h"

#include <CLI/CLI.hpp>

#include <cstdlib>
#include <iostream>
#include <string>

#include "core/errors.h"

namespace hwnas::cli {
namespace {

std::string DefaultDbPath() {
  const char* env = std::getenv("HWNAS_DB");
  return env != nullptr && *env != '\0' ? env : "hwnas.db";
}

void AddGlobalOptions(CLI::App& app, GlobalOptions& global) {
  app.set_version_flag("--version", "hwnas " HWNAS_VERSION);
  app.add_option("--db", global.db_path,
                 "results database (SQLite); default hwnas.db in the working directory, "
                 "or $HWNAS_DB");
  app.add_flag("-q,--quiet", global.quiet, "no progress bars");
  app.require_subcommand(1);
  app.fallthrough();  // global options are accepted after the subcommand too
  app.footer(
      "Exit codes: 0 success, 1 other failure, 64 usage error, 65 invalid input data,\n"
      "74 I/O or database error, 78 invalid configuration, 130 interrupted (Ctrl-C; a search\n"
      "can be resumed).\n"
      "Run 'hwnas COMMAND --help' for the options of a command.");
}

int Parse(CLI::App& app, int argc, char** argv) {
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::cerr << "error: " << e.what() << "\nRun with --help for usage.\n";
    return static_cast<int>(ExitCode::kUsage);
  } catch (const ConfigError& e) {
    std::cerr << e.what() << '\n';
    return static_cast<int>(e.code());
  } catch (const Error& e) {
    std::cerr << "error: " << e.what() << '\n';
    return static_cast<int>(e.code());
  } catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << '\n';
    return static_cast<int>(ExitCode::kFailure);
  }
  return 0;
}

}  // namespace

int RunCli(int argc, char** argv, const AddCommands& add_commands) {
  GlobalOptions global;
  global.db_path = DefaultDbPath();
  CLI::App app{
      "hwnas: hardware-aware neural architecture search (ProxylessNAS, AMC, HAQ)\n"
      "with device latency tables and a SQLite results store.",
      "hwnas"};
  AddGlobalOptions(app, global);
  add_commands(app, global);
  return Parse(app, argc, argv);
}

}  // namespace hwnas::cli
