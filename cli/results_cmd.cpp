// `hwnas results list|show|best|pareto|compare|export|delete|lineage`: answers questions about past
// runs from the results database without re-running anything. Thin over results::Store,
// results/selection.h and results/run_queries.h; every listing prints through cli/output.h in
// the --format asked for. This file registers the group and `list`; results_*_cmd.cpp the rest.
#include <CLI/CLI.hpp>

#include <iostream>
#include <memory>

#include "cli/commands.h"
#include "cli/output.h"
#include "cli/results_common.h"
#include "results/store.h"

namespace hwnas::cli {

void AddResultsListCommand(CLI::App& parent, const GlobalOptions& global) {
  auto options = std::make_shared<SelectOptions>();
  CLI::App* cmd = parent.add_subcommand(
      "list", "list runs, newest first, with their accuracy and latency (summary values)");
  AddFilterOptions(*cmd, options.get());
  cmd->add_option("--limit", options->filter.limit, "show at most N runs (default: all)")
      ->check(CLI::NonNegativeNumber);
  cmd->footer(
      "Examples:\n  hwnas results list --status finished --limit 10\n"
      "  hwnas results list --name 'quick*' --format csv > runs.csv");
  cmd->callback([options, &global] {
    auto store = OpenExisting(global);
    Table table{kRunColumns, {}};
    for (const results::RunSummary& summary : store->ListRunSummaries(options->filter)) {
      table.rows.push_back(RunCells(summary));
    }
    WriteTable(std::cout, table, options->format);
  });
}

void AddResultsCommands(CLI::App& app, const GlobalOptions& global) {
  CLI::App* results = app.add_subcommand(
      "results", "query past runs: list, show, best, pareto, compare, export, delete, lineage");
  results->require_subcommand(1);
  results->footer(
      "Summary values of a run: every metric at its largest step, overlaid by the final\n"
      "architecture (accuracy, latency_ms, estimated_latency_ms, measured_latency_ms, flops,\n"
      "params, size_bits). Commands that only read never create the database.");
  AddResultsListCommand(*results, global);
  AddResultsShowCommand(*results, global);
  AddResultsBestCommand(*results, global);
  AddResultsParetoCommand(*results, global);
  AddResultsCompareCommand(*results, global);
  AddResultsExportCommand(*results, global);
  AddResultsDeleteCommand(*results, global);
  AddResultsLineageCommand(*results, global);
}

}  // namespace hwnas::cli
