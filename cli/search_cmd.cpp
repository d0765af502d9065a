// `hwnas search CONFIG [key=value ...]` runs the config's search strategy and stores the run;
// `hwnas search resume RUN` continues an interrupted one (runs/lifecycle.h).
#include <CLI/CLI.hpp>

#include <memory>

#include "cli/commands.h"
#include "cli/engine_commands.h"
#include "cli/run_common.h"
#include "core/errors.h"
#include "runs/job.h"

namespace hwnas::cli {
namespace {

struct ResumeArgs {
  std::string run;
  ConfigArgs config;  // optional: must resolve to the run's config
};

}  // namespace

void AddSearchCommand(CLI::App& app, const GlobalOptions& global) {
  auto args = std::make_shared<ConfigArgs>();
  auto* cmd = app.add_subcommand(SearchCommand().name, SearchCommand().description);
  AddConfigArguments(*cmd, args.get(), "proxyless.epochs=1");
  // CLI11 takes a subcommand's name for a positional while a required positional is missing,
  // so CONFIG is checked here rather than marked required.
  cmd->get_option("config")->required(false);
  cmd->callback([args, cmd, &global] {
    if (!cmd->get_subcommands().empty()) return;
    if (args->config_path.empty())
      throw UsageError(
          "hwnas search needs a CONFIG file or 'resume RUN' (see hwnas search --help)");
    PrintRunReport(runs::RunInJob([&] {
      return runs::StartRun("search", SourceOf(*args), {global.db_path, global.quiet});
    }));
  });

  auto resume = std::make_shared<ResumeArgs>();
  auto* resume_cmd = cmd->add_subcommand(
      "resume",
      "Continue an interrupted or failed search (proxyless, amc, haq or evolution) from its\n"
      "last checkpoint (epoch, episode, accuracy sample or target); the result is the one an\n"
      "uninterrupted run would have given. The run keeps its stored config; a CONFIG\n"
      "given here must resolve to the same one. Example:\n"
      "  hwnas search resume 3");
  resume_cmd->add_option("run", resume->run, "run id or unique run name")->required();
  AddConfigArguments(*resume_cmd, &resume->config, "train.epochs=5");
  resume_cmd->get_option("config")->required(false);
  resume_cmd->callback([resume, &global] {
    PrintRunReport(runs::RunInJob([&] {
      return runs::ResumeRun(resume->run, SourceOf(resume->config), {global.db_path, global.quiet});
    }));
  });
}

}  // namespace hwnas::cli
