// `hwnas results compare RUN RUN...`: runs side by side, one column per run and one row per
// field and summary value.
#include <CLI/CLI.hpp>

#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "cli/output.h"
#include "cli/results_common.h"
#include "results/export.h"
#include "results/run_queries.h"
#include "results/selection.h"
#include "results/store.h"

namespace hwnas::cli {
namespace {

using results::RunSummary;

Table CompareTable(const std::vector<RunSummary>& runs) {
  Table table{{"field"}, {}};
  for (const auto& r : runs) table.columns.push_back(std::to_string(r.run.id));
  auto add_row = [&](const std::string& field, auto cell_of) {
    std::vector<Cell> row = {field};
    for (const auto& r : runs) row.push_back(cell_of(r));
    table.rows.push_back(std::move(row));
  };
  add_row("name", [](const RunSummary& r) { return Cell(r.run.name); });
  add_row("strategy", [](const RunSummary& r) { return Cell(r.run.strategy); });
  add_row("status", [](const RunSummary& r) { return Cell(results::RunStatusName(r.run.status)); });
  add_row("device", [](const RunSummary& r) { return Cell(r.run.device); });
  add_row("dataset", [](const RunSummary& r) { return Cell(r.run.dataset); });
  add_row("seed", [](const RunSummary& r) { return Cell(r.run.seed); });
  add_row("started",
          [](const RunSummary& r) { return Cell(results::FormatTimestamp(r.run.started_at)); });
  add_row("duration_s", [](const RunSummary& r) { return Cell(Rounded(r.run.DurationSeconds())); });
  add_row("config_hash", [](const RunSummary& r) { return Cell(r.run.config_hash.substr(0, 16)); });
  for (const std::string& name : results::SummaryNames(runs)) {
    add_row(name, [&](const RunSummary& r) { return Value(r.values, name); });
  }
  return table;
}

}  // namespace

void AddResultsCompareCommand(CLI::App& parent, const GlobalOptions& global) {
  auto refs = std::make_shared<std::vector<std::string>>();
  auto format = std::make_shared<OutputFormat>(OutputFormat::kTable);
  CLI::App* cmd = parent.add_subcommand(
      "compare", "runs side by side: one column per run, one row per field and summary value");
  cmd->add_option("runs", *refs, "two or more runs (ids or names)")->required();
  AddFormatOption(*cmd, format.get());
  cmd->footer("Example:\n  hwnas results compare 3 7 quick-proxyless --format csv");
  cmd->callback([refs, format, &global] {
    auto store = OpenExisting(global);
    std::vector<int64_t> ids;
    for (const auto& ref : *refs) ids.push_back(store->ResolveRun(ref));
    WriteTable(std::cout, CompareTable(results::RunSummaries(*store, ids)), *format);
  });
}

}  // namespace hwnas::cli
