// The subcommands of the hwnas executables. Each Add* function lives in its own file
// (config_cmd.cpp, results_cmd.cpp, train_cmd.cpp, latency_cmd.cpp, ...) and registers one
// subcommand tree. Callbacks throw hwnas::Error subclasses; app.cpp turns them into a message and
// an exit code. The torch-free front (hwnas) registers config, results, report, predictor and the
// latency read commands; the engine (hwnas-torch) registers every command.
#pragma once

#include <string>

namespace CLI {
class App;
}

namespace hwnas::cli {

// Options shared by every subcommand; filled before any subcommand callback runs.
struct GlobalOptions {
  std::string db_path = "hwnas.db";  // --db, or HWNAS_DB
  bool quiet = false;                // --quiet: no progress bars
};

void AddConfigCommands(CLI::App& app);
void AddResultsCommands(CLI::App& app, const GlobalOptions& global);
void AddTrainCommand(CLI::App& app, const GlobalOptions& global);
void AddSearchCommand(CLI::App& app, const GlobalOptions& global);
// The `latency` command and its torch-free subcommands list, show and diff
// (latency_read_cmd.cpp).
CLI::App* AddLatencyGroup(CLI::App& app);
void AddLatencyReadCommands(CLI::App& latency, const GlobalOptions& global);
// `latency` with every subcommand (engine only).
void AddLatencyCommands(CLI::App& app, const GlobalOptions& global);
void AddPredictorCommands(CLI::App& app);
// `report`: one HTML page of charts over stored runs (report_cmd.cpp).
void AddReportCommand(CLI::App& app, const GlobalOptions& global);
// `launch`: a data-parallel job of train or search processes (launch_cmd.cpp).
void AddLaunchCommand(CLI::App& app, const GlobalOptions& global);
void AddExportCommand(CLI::App& app, const GlobalOptions& global);   // engine only
void AddPredictCommand(CLI::App& app, const GlobalOptions& global);  // engine only

}  // namespace hwnas::cli
