// hwnas-torch, the engine: every hwnas command, with LibTorch linked. The front (hwnas) runs
// the torch-free commands itself and hands every other command line here unchanged; the app,
// its options and the error-to-exit-code mapping are shared (app.cpp).
#include <CLI/CLI.hpp>

#include "cli/app.h"

namespace hwnas::cli {
namespace {

void AddEveryCommand(CLI::App& app, const GlobalOptions& global) {
  AddConfigCommands(app);
  AddResultsCommands(app, global);
  AddReportCommand(app, global);
  AddTrainCommand(app, global);
  AddSearchCommand(app, global);
  AddLaunchCommand(app, global);
  AddLatencyCommands(app, global);
  AddPredictorCommands(app);
  AddExportCommand(app, global);
  AddPredictCommand(app, global);
}

}  // namespace
}  // namespace hwnas::cli

int main(int argc, char** argv) {
  return hwnas::cli::RunCli(argc, argv, hwnas::cli::AddEveryCommand);
}
