// `hwnas export RUN [--role final] --format onnx|torchscript --out FILE`: a stored run's network
// as a file other runtimes load (runs/deployment.h).
#include <CLI/CLI.hpp>

#include <iostream>
#include <memory>

#include "cli/commands.h"
#include "cli/engine_commands.h"
#include "core/text.h"
#include "runs/deployment.h"

namespace hwnas::cli {
namespace {

struct ExportArgs {
  runs::ExportRequest request;
  std::string format;
};

}  // namespace

void AddExportCommand(CLI::App& app, const GlobalOptions& global) {
  auto args = std::make_shared<ExportArgs>();
  auto* cmd = app.add_subcommand(kExportCommand.name, kExportCommand.description);
  cmd->add_option("run", args->request.run, "run id or name")->required();
  cmd->add_option("--role", args->request.role, "which stored network")->capture_default_str();
  cmd->add_option("--format", args->format, "onnx or torchscript")
      ->required()
      ->check(CLI::IsMember(deploy::ExportFormatNames()));
  cmd->add_option("--out", args->request.out_path, "file to write (replaced atomically)")
      ->required();
  cmd->callback([args, &global] {
    args->request.format = deploy::ParseExportFormat(args->format);
    const runs::ExportReport r = runs::ExportRun({global.db_path, global.quiet}, args->request);
    std::cout << "exported run " << r.run_id << " (" << r.arch << ") as " << args->format << ": "
              << r.out_path << " (" << FormatSignificant(r.bytes / 1024.0, 3) << " KiB)\n"
              << "check it with:   hwnas predict " << r.out_path << " IMAGE...\n";
  });
}

}  // namespace hwnas::cli
