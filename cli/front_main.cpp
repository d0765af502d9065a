// hwnas, the front: runs config, results, report, predictor and latency list|show|diff itself,
// without loading LibTorch, and hands train, search and the other latency commands to hwnas-torch
// (the engine) in the same directory. `hwnas --help` lists every command, as the engine does.
#include <CLI/CLI.hpp>

#include "cli/app.h"
#include "cli/engine_commands.h"
#include "cli/handoff.h"

namespace hwnas::cli {
namespace {

// The engine's `latency` tree: its build and import, the shared read commands, then the rest.
void AddLatency(CLI::App& app, const GlobalOptions& global, char** argv) {
  CLI::App* latency = AddLatencyGroup(app);
  for (const auto* command : {&kLatencyBuildCommand, &kLatencyImportCommand})
    AddEngineStub(*latency, *command, argv);
  AddLatencyReadCommands(*latency, global);
  for (const auto* command : {&kLatencyEstimateCommand, &kLatencyValidateCommand,
                              &kLatencyPredictorCommand, &kLatencyCorrectCommand})
    AddEngineStub(*latency, *command, argv);
}

// Every command, in the engine's order (engine_main.cpp), so the help is the same.
// `argv` is main's, handed to the engine unchanged.
void AddFrontCommands(CLI::App& app, const GlobalOptions& global, char** argv) {
  AddConfigCommands(app);
  AddResultsCommands(app, global);
  AddReportCommand(app, global);
  AddEngineStub(app, kTrainCommand, argv);
  AddEngineStub(app, SearchCommand(), argv);
  AddLaunchCommand(app, global);
  AddLatency(app, global, argv);
  AddPredictorCommands(app);
  AddEngineStub(app, kExportCommand, argv);
  AddEngineStub(app, kPredictCommand, argv);
}

}  // namespace
}  // namespace hwnas::cli

int main(int argc, char** argv) {
  return hwnas::cli::RunCli(argc, argv,
                            [argv](CLI::App& app, const hwnas::cli::GlobalOptions& global) {
                              hwnas::cli::AddFrontCommands(app, global, argv);
                            });
}
