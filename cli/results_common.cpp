#include "cli/results_common.h"

#include <CLI/CLI.hpp>

#include <cmath>

#include "results/export.h"

namespace hwnas::cli {

const char* const kRunHelp = "a run id, or a run name that matches exactly one run";

const std::vector<std::string> kRunColumns = {"id",       "name",      "strategy", "status",
                                              "device",   "dataset",   "started",  "duration_s",
                                              "accuracy", "latency_ms"};

std::unique_ptr<results::Store> OpenExisting(const GlobalOptions& global) {
  return results::Store::Open(global.db_path, results::Store::OpenMode::kExisting);
}

double Rounded(double seconds) { return std::round(seconds * 1000) / 1000; }

Cell Value(const results::SummaryValues& values, const std::string& name) {
  auto it = values.find(name);
  return it == values.end() ? Cell() : Cell(it->second);
}

std::string Count(size_t n, const std::string& noun) {
  return std::to_string(n) + " " + noun + (n == 1 ? "" : "s");
}

void AddFilterOptions(CLI::App& command, SelectOptions* options) {
  results::RunFilter& f = options->filter;
  command.add_option("--strategy", f.strategy, "only runs of this strategy (proxyless, amc, ...)");
  command.add_option("--status", f.status, "only runs with this status")
      ->check(CLI::IsMember({"running", "finished", "failed", "interrupted"}));
  command.add_option("--device", f.device, "only runs on this device (e.g. cpu)");
  command.add_option("--name", f.name,
                     "only runs whose name contains this text, or matches it as a glob when it "
                     "has * ? or [ (e.g. 'quick*')");
  AddFormatOption(command, &options->format);
}

void AddWhereOption(CLI::App& command, SelectOptions* options) {
  command.add_option("--where", options->where,
                     "only runs whose summary values satisfy every condition NAME OP NUMBER, "
                     "OP one of < <= > >= == !=, joined by 'and' or ',' "
                     "(e.g. \"latency_ms<=2 and accuracy>0.8\")");
}

std::vector<Cell> RunCells(const results::RunSummary& summary) {
  const results::RunRecord& run = summary.run;
  return {run.id,
          run.name,
          run.strategy,
          results::RunStatusName(run.status),
          run.device,
          run.dataset,
          results::FormatTimestamp(run.started_at),
          Rounded(run.DurationSeconds()),
          Value(summary.values, "accuracy"),
          Value(summary.values, "latency_ms")};
}

}  // namespace hwnas::cli
