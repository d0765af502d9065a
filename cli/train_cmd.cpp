// `hwnas train CONFIG [key=value ...]`: trains the NetSpec named by the config (strategy train)
// on its dataset, measures its latency, and stores the run (runs/lifecycle.h).
#include <CLI/CLI.hpp>

#include <memory>

#include "cli/commands.h"
#include "cli/engine_commands.h"
#include "cli/run_common.h"
#include "runs/job.h"

namespace hwnas::cli {

void AddTrainCommand(CLI::App& app, const GlobalOptions& global) {
  auto args = std::make_shared<ConfigArgs>();
  auto* cmd = app.add_subcommand(kTrainCommand.name, kTrainCommand.description);
  AddConfigArguments(*cmd, args.get(), "train.epochs=1");
  cmd->callback([args, &global] {
    PrintRunReport(runs::RunInJob([&] {
      return runs::StartRun("train", SourceOf(*args), {global.db_path, global.quiet});
    }));
  });
}

}  // namespace hwnas::cli
