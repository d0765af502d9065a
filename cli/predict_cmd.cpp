// `hwnas predict RUN|FILE IMAGE...`: the most probable classes of image files, from a stored
// run's network or an exported ONNX / TorchScript file (runs/deployment.h).
#include <CLI/CLI.hpp>

#include <iostream>
#include <memory>

#include "cli/commands.h"
#include "cli/engine_commands.h"
#include "cli/output.h"
#include "runs/deployment.h"

namespace hwnas::cli {
namespace {

struct PredictArgs {
  runs::PredictRequest request;
  OutputFormat format = OutputFormat::kTable;
};

// One row per (image, rank); the text form names the source first.
Table PredictionTable(const runs::PredictReport& report) {
  Table table{{"image", "rank", "class", "label", "probability"}, {}};
  for (const runs::Prediction& p : report.predictions)
    for (size_t i = 0; i < p.top.size(); ++i)
      table.rows.push_back({p.image, static_cast<int64_t>(i + 1), p.top[i].name, p.top[i].label,
                            p.top[i].probability});
  return table;
}

}  // namespace

void AddPredictCommand(CLI::App& app, const GlobalOptions& global) {
  auto args = std::make_shared<PredictArgs>();
  auto* cmd = app.add_subcommand(kPredictCommand.name, kPredictCommand.description);
  cmd->add_option("model", args->request.model, "run id or name, or an exported .onnx / .pt file")
      ->required();
  cmd->add_option("images", args->request.images, "image files (PNG, JPEG, ...)")->required();
  cmd->add_option("--top", args->request.top, "classes shown per image")
      ->capture_default_str()
      ->check(CLI::Range(1, 1000));
  cmd->add_option("--threads", args->request.threads, "intra-op threads")
      ->capture_default_str()
      ->check(CLI::Range(1, 256));
  AddFormatOption(*cmd, &args->format);
  cmd->callback([args, &global] {
    const runs::PredictReport report = runs::Predict({global.db_path, global.quiet}, args->request);
    if (args->format == OutputFormat::kTable) std::cout << "model: " << report.source << "\n";
    WriteTable(std::cout, PredictionTable(report), args->format);
  });
}

}  // namespace hwnas::cli
