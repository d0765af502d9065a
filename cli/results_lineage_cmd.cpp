// `hwnas results lineage RUN`: the tree a run belongs to (a pipeline and its stages, or runs
// derived from one another through source_run), as an indented table or nested JSON.
#include <CLI/CLI.hpp>

#include <iostream>
#include <memory>

#include "cli/results_common.h"
#include "results/lineage.h"

namespace hwnas::cli {
namespace {

const std::vector<std::string> kLineageColumns = {
    "run", "tree", "stage", "strategy", "status", "source_run", "accuracy", "latency_ms", "device"};

// One row per run, depth first; `tree` indents children under their parent.
void AddRows(const results::LineageNode& node, const std::string& indent, bool last, bool root,
             Table& table) {
  const ArchitectureRecord* arch = node.final_arch ? &node.final_arch->record : nullptr;
  table.rows.push_back(
      {node.run.id, root ? node.run.name : indent + (last ? "`- " : "|- ") + node.run.name,
       node.run.stage.empty() ? Cell() : Cell(node.run.stage), node.run.strategy,
       results::RunStatusName(node.run.status), Cell(node.run.source_run),
       arch ? Cell(arch->accuracy) : Cell(), arch ? Cell(arch->measured_latency_ms) : Cell(),
       arch ? Cell(arch->latency_device) : Cell()});
  const std::string child_indent = root ? "" : indent + (last ? "   " : "|  ");
  for (size_t i = 0; i < node.children.size(); ++i)
    AddRows(node.children[i], child_indent, i + 1 == node.children.size(), false, table);
}

}  // namespace

void AddResultsLineageCommand(CLI::App& parent, const GlobalOptions& global) {
  auto run = std::make_shared<std::string>();
  auto format = std::make_shared<OutputFormat>(OutputFormat::kTable);
  CLI::App* cmd = parent.add_subcommand(
      "lineage",
      "the tree a run belongs to: a pipeline with its stages, or runs derived from one another "
      "(amc/haq source_run), from the root run down");
  cmd->add_option("RUN", *run, kRunHelp)->required();
  AddFormatOption(*cmd, format.get());
  cmd->footer(
      "A run hangs under its pipeline (parent_run) or else under the run whose network it\n"
      "started from (source_run). Runs stored before schema version 3 have no source_run.\n"
      "Examples:\n  hwnas results lineage 12\n  hwnas results lineage 12 --format json");
  cmd->callback([run, format, &global] {
    auto store = OpenExisting(global);
    const results::LineageNode root = results::RunLineage(*store, store->ResolveRun(*run));
    if (*format == OutputFormat::kJson) {
      std::cout << results::LineageJson(root).dump(2) << "\n";
      return;
    }
    Table table{kLineageColumns, {}};
    AddRows(root, "", true, true, table);
    WriteTable(std::cout, table, *format);
  });
}

}  // namespace hwnas::cli
