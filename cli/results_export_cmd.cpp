// `hwnas results export` (one run or all as JSON, or their metrics as CSV) and
// `hwnas results delete` (a run and all it recorded).
#include <CLI/CLI.hpp>

#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "cli/commands.h"
#include "cli/output.h"
#include "cli/results_common.h"
#include "core/atomic_file.h"
#include "core/errors.h"
#include "results/export.h"
#include "results/run_queries.h"
#include "results/store.h"

namespace hwnas::cli {
namespace {

using results::Store;

struct ExportOptions {
  std::string run;
  bool all = false;
  std::string format = "json";
  std::string out;
};

// The metrics long table: one record per reported value.
std::string MetricsCsv(const Store& store, const std::vector<int64_t>& ids) {
  Table table{{"run_id", "run_name", "step", "name", "value", "recorded_at"}, {}};
  for (int64_t id : ids) {
    std::string name = store.GetRun(id).name;
    for (const auto& m : store.Metrics(id)) {
      table.rows.push_back(
          {id, name, m.step, m.name, m.value, results::FormatTimestamp(m.recorded_at, true)});
    }
  }
  std::ostringstream out;
  WriteTable(out, table, OutputFormat::kCsv);
  return out.str();
}

void RunExport(const ExportOptions& options, const GlobalOptions& global) {
  if (options.all == !options.run.empty()) {
    throw UsageError("export needs either a RUN or --all");
  }
  auto store = OpenExisting(global);
  const std::vector<int64_t> ids = options.all
                                       ? results::RunIdsOldestFirst(*store)
                                       : std::vector<int64_t>{store->ResolveRun(options.run)};
  std::string text = options.format == "csv" ? MetricsCsv(*store, ids)
                                             : results::ExportRunsJson(*store, ids).dump(2) + "\n";
  if (options.out.empty()) {
    std::cout << text;
    return;
  }
  WriteFileAtomically(options.out, text, "export");
  std::cout << "exported " << ids.size() << (ids.size() == 1 ? " run" : " runs") << " to "
            << options.out << '\n';
}

void RunDelete(const std::string& ref, bool force, const GlobalOptions& global) {
  auto store = OpenExisting(global);
  int64_t id = store->ResolveRun(ref);
  results::RunRecord run = store->GetRun(id);
  if (run.status == results::RunStatus::kRunning && !force) {
    throw UsageError("run " + std::to_string(id) + " is still running (pid " +
                     std::to_string(run.pid) + " on " + run.host +
                     "); stop it first, or pass --force");
  }
  results::DeletedRun deleted = store->DeleteRun(id);
  std::cout << "deleted run " << id << " (" << run.name
            << "): " << Count(deleted.metrics, "metric value") << ", "
            << Count(deleted.architectures, "architecture") << ", "
            << Count(deleted.episodes, "episode") << ", "
            << Count(deleted.artifacts, "artifact record");
  if (deleted.child_runs_unlinked > 0) {
    std::cout << "; cleared the parent_run of " << Count(deleted.child_runs_unlinked, "child run");
  }
  std::cout << "\n";
  if (deleted.artifacts > 0) std::cout << "artifact files on disk were kept\n";
}

}  // namespace

void AddResultsExportCommand(CLI::App& parent, const GlobalOptions& global) {
  auto options = std::make_shared<ExportOptions>();
  CLI::App* cmd = parent.add_subcommand(
      "export", "everything about one run (or --all runs) as JSON, or their metrics as CSV");
  cmd->add_option("run", options->run, kRunHelp);
  cmd->add_flag("--all", options->all, "export every run, oldest first");
  cmd->add_option("--format", options->format,
                  "json: runs with fields, summary, metrics, architectures, episodes, "
                  "artifacts; csv: the metrics as one record per value "
                  "(run_id,run_name,step,name,value,recorded_at)")
      ->check(CLI::IsMember({"json", "csv"}))
      ->capture_default_str();
  cmd->add_option("--out", options->out,
                  "write to this file (atomically: a temporary file renamed into place) "
                  "instead of standard output");
  cmd->footer(
      "Examples:\n  hwnas results export 3 > run3.json\n"
      "  hwnas results export --all --format csv --out metrics.csv");
  cmd->callback([options, &global] { RunExport(*options, global); });
}

void AddResultsDeleteCommand(CLI::App& parent, const GlobalOptions& global) {
  auto ref = std::make_shared<std::string>();
  auto force = std::make_shared<bool>(false);
  CLI::App* cmd = parent.add_subcommand(
      "delete", "remove a run and all it recorded, in one transaction (does not ask)");
  cmd->add_option("run", *ref, kRunHelp)->required();
  cmd->add_flag("--force", *force, "also delete a run whose process is still running");
  cmd->footer("Artifact files (weights, checkpoints) stay on disk; only their records go.");
  cmd->callback([ref, force, &global] { RunDelete(*ref, *force, global); });
}

}  // namespace hwnas::cli
