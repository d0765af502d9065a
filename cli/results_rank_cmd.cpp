// `hwnas results best` and `hwnas results pareto`: the best run by one summary value, and the
// runs no other run beats on two, among the runs passing the filters and --where
// (results/selection.h ranks; this file prints).
#include <CLI/CLI.hpp>

#include <algorithm>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "cli/output.h"
#include "cli/results_common.h"
#include "core/errors.h"
#include "results/run_queries.h"
#include "results/selection.h"
#include "results/store.h"

namespace hwnas::cli {
namespace {

struct BestOptions : SelectOptions {
  std::string metric;
  bool minimize = false;
  bool maximize = false;
};

// The run columns, then the ranked metric and every --where name not shown already.
std::vector<std::string> ColumnsWith(const std::vector<std::string>& extra) {
  std::vector<std::string> columns = kRunColumns;
  for (const auto& name : extra) {
    if (std::find(columns.begin(), columns.end(), name) == columns.end()) columns.push_back(name);
  }
  return columns;
}

void RunBest(const BestOptions& options, const GlobalOptions& global) {
  auto conditions = results::ParseWhere(options.where);
  bool minimize =
      options.minimize || (!options.maximize && results::MinimizeByDefault(options.metric));
  auto store = OpenExisting(global);
  auto selected = results::SelectRuns(*store, options.filter, conditions);
  auto best = results::FindBest(selected, options.metric, minimize);
  if (!best) {
    results::ThrowNothingFound(*store, options.filter, options.where, selected,
                               "'" + options.metric + "'");
  }
  std::vector<std::string> extra = {options.metric};
  for (const auto& c : conditions) extra.push_back(c.name);
  Table table{ColumnsWith(extra), {}};
  std::vector<Cell> row = RunCells(selected[*best]);
  for (size_t c = row.size(); c < table.columns.size(); ++c) {
    row.push_back(Value(selected[*best].values, table.columns[c]));
  }
  table.rows.push_back(std::move(row));
  WriteTable(std::cout, table, options.format);
}

struct ParetoOptions : SelectOptions {
  std::string x = "latency_ms";
  std::string y = "accuracy";
};

void RunPareto(const ParetoOptions& options, const GlobalOptions& global) {
  if (options.x == options.y) throw UsageError("--x and --y must name different values");
  auto conditions = results::ParseWhere(options.where);
  auto store = OpenExisting(global);
  auto selected = results::SelectRuns(*store, options.filter, conditions);
  auto front = results::ParetoFront(selected, options.x, options.y);
  if (front.empty()) {
    results::ThrowNothingFound(*store, options.filter, options.where, selected,
                               "both '" + options.x + "' and '" + options.y + "'");
  }
  Table table{{"id", "name", "strategy", "status", "device", options.x, options.y}, {}};
  for (size_t index : front) {
    const results::RunSummary& s = selected[index];
    table.rows.push_back({s.run.id, s.run.name, s.run.strategy,
                          results::RunStatusName(s.run.status), s.run.device,
                          Value(s.values, options.x), Value(s.values, options.y)});
  }
  WriteTable(std::cout, table, options.format);
}

}  // namespace

void AddResultsBestCommand(CLI::App& parent, const GlobalOptions& global) {
  auto options = std::make_shared<BestOptions>();
  CLI::App* cmd = parent.add_subcommand(
      "best", "the run with the best value of a metric, among the runs that pass the filters");
  cmd->add_option("--metric", options->metric,
                  "summary value to rank by (accuracy, latency_ms, test_accuracy, flops, ...)")
      ->required();
  AddWhereOption(*cmd, options.get());
  auto* min = cmd->add_flag("--min", options->minimize, "smaller is better");
  auto* max = cmd->add_flag("--max", options->maximize, "larger is better");
  min->excludes(max);
  AddFilterOptions(*cmd, options.get());
  cmd->footer(
      "Direction: names containing latency, loss, flops, params, size, error, seconds or wait\n"
      "are minimized unless --max is given; anything else is maximized unless --min.\n"
      "Ties go to the older run. Exit code 1 when no run qualifies.\n"
      "Example:\n  hwnas results best --metric accuracy --where \"latency_ms<=2, flops<3e8\"");
  cmd->callback([options, &global] { RunBest(*options, global); });
}

void AddResultsParetoCommand(CLI::App& parent, const GlobalOptions& global) {
  auto options = std::make_shared<ParetoOptions>();
  CLI::App* cmd = parent.add_subcommand(
      "pareto", "the runs no other run beats on both x (minimized) and y (maximized)");
  cmd->add_option("--x", options->x, "summary value to minimize")->capture_default_str();
  cmd->add_option("--y", options->y, "summary value to maximize")->capture_default_str();
  AddWhereOption(*cmd, options.get());
  AddFilterOptions(*cmd, options.get());
  cmd->footer(
      "Prints the non-dominated runs sorted by x. Runs without both values are skipped.\n"
      "Example:\n  hwnas results pareto --x latency_ms --y accuracy --device cpu");
  cmd->callback([options, &global] { RunPareto(*options, global); });
}

}  // namespace hwnas::cli
