// `hwnas report [RUN...|--all] [--where ...] --out report.html`: one self-contained HTML page of
// charts over stored runs (report/report.h builds and writes it; this file parses and prints).
#include <CLI/CLI.hpp>

#include <iostream>
#include <memory>

#include "cli/commands.h"
#include "cli/results_common.h"
#include "report/report.h"

namespace hwnas::cli {

void AddReportCommand(CLI::App& app, const GlobalOptions& global) {
  auto options = std::make_shared<report::ReportOptions>();
  CLI::App* cmd = app.add_subcommand(
      "report",
      "write one self-contained HTML page of charts (Vega-Lite) over stored runs; it opens "
      "offline in a browser");
  cmd->add_option("runs", options->runs,
                  "run ids or names (a pipeline run brings the runs of its stages)");
  cmd->add_flag("--all", options->all, "every run in the database");
  cmd->add_option("--where", options->where,
                  "only runs whose summary values satisfy every condition NAME OP NUMBER, "
                  "as in 'hwnas results best' (e.g. \"accuracy>0.8\")");
  cmd->add_option("--out", options->out, "the HTML file to write (replaced atomically)")
      ->required();
  cmd->add_option("--title", options->title, "the page's title (default: hwnas report: DB)");
  cmd->add_option("--specs-dir", options->specs_dir,
                  "also write every chart's Vega-Lite spec to DIR/NAME.vl.json");
  cmd->footer(
      "Charts: the accuracy/latency Pareto front per device; per run its loss and accuracy,\n"
      "architecture probabilities and expected latency (proxyless), episode rewards and\n"
      "policies (amc, haq), per-layer latency, estimate against measurement (latency\n"
      "validate) and a pipeline's stages. docs/report.md describes them.\n"
      "Examples:\n  hwnas report --all --out report.html\n"
      "  hwnas report 3 7 --out runs.html\n"
      "  hwnas report --all --where \"latency_ms<=0.6\" --out fast.html");
  cmd->callback([options, &global] {
    options->db_path = global.db_path;
    const report::ReportSummary summary = report::WriteReport(*options);
    std::cout << "wrote " << options->out << ": " << Count(summary.runs.size(), "run") << ", "
              << Count(summary.charts, "chart") << ", " << summary.bytes / 1024 << " KB\n";
  });
}

}  // namespace hwnas::cli
