// What the `hwnas results` subcommands share: the run filters and --where options, the run
// columns of list and best, small cell helpers, and the function each subcommand file
// (results_*_cmd.cpp) registers its subcommand with.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "cli/output.h"
#include "results/records.h"
#include "results/store.h"

namespace CLI {
class App;
}

namespace hwnas::cli {

extern const char* const kRunHelp;  // help of a RUN argument

std::unique_ptr<results::Store> OpenExisting(const GlobalOptions& global);

double Rounded(double seconds);  // to milliseconds
// The summary value `name`, or an empty cell.
Cell Value(const results::SummaryValues& values, const std::string& name);
// "1 episode", "3 episodes".
std::string Count(size_t n, const std::string& noun);

struct SelectOptions {
  results::RunFilter filter;
  std::string where;
  OutputFormat format = OutputFormat::kTable;
};
// --strategy, --status, --device, --name and --format.
void AddFilterOptions(CLI::App& command, SelectOptions* options);
void AddWhereOption(CLI::App& command, SelectOptions* options);

extern const std::vector<std::string> kRunColumns;
std::vector<Cell> RunCells(const results::RunSummary& summary);  // one per kRunColumns

void AddResultsListCommand(CLI::App& parent, const GlobalOptions& global);     // results_cmd.cpp
void AddResultsShowCommand(CLI::App& parent, const GlobalOptions& global);     // results_show_cmd
void AddResultsBestCommand(CLI::App& parent, const GlobalOptions& global);     // results_rank_cmd
void AddResultsParetoCommand(CLI::App& parent, const GlobalOptions& global);   // results_rank_cmd
void AddResultsCompareCommand(CLI::App& parent, const GlobalOptions& global);  // ..._compare_cmd
void AddResultsExportCommand(CLI::App& parent, const GlobalOptions& global);   // ..._export_cmd
void AddResultsDeleteCommand(CLI::App& parent, const GlobalOptions& global);   // ..._export_cmd
void AddResultsLineageCommand(CLI::App& parent, const GlobalOptions& global);  // ..._lineage_cmd

}  // namespace hwnas::cli
