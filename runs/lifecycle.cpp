#include "runs/lifecycle.h"

#include <cstdio>

#include "core/config.h"
#include "core/errors.h"
#include "runs/interrupt.h"
#include "runs/run_record.h"

namespace hwnas::runs {
namespace {

std::string RunText(int64_t run_id) { return "run " + std::to_string(run_id); }

// The command that runs `config`'s strategy must be the one asked for.
void CheckCommand(const std::string& command, const Config& config) {
  const StrategyInfo* info = FindStrategy(config.strategy);
  if (info != nullptr && command == info->command) return;
  if (command == "train")
    throw UsageError("'hwnas train' runs configs with strategy 'train' (got '" + config.strategy +
                     "')");
  throw UsageError("'hwnas search' runs configs with strategy " + StrategiesOfCommand("search") +
                   " (got '" + config.strategy + "'; 'hwnas train' runs strategy 'train')");
}

// Runs the prepared strategy as run `run_id` (begun or reopened), with Ctrl-C as a clean stop.
RunReport RunPrepared(search::Strategy& strategy, StoreServices& services, int64_t run_id,
                      bool resume) {
  InterruptFlag interrupt;
  services.set_stop_flag(interrupt.flag());
  const auto run = [&strategy](search::RunContext& context) {
    if (const std::optional<DatasetRecord> data = strategy.Data())
      context.reporter->OnDataset(*data);
    return strategy.Run(context);
  };
  const RunBody body{run, [&strategy, &services] { strategy.AfterRun(services); },
                     strategy.resumable(), strategy.step_unit()};
  return {run_id, strategy.StoredConfig().name,
          ExecuteRun(services, run_id, body, interrupt.flag(), resume)};
}

// The run's own config; a config given on the command line must agree with it key for key.
Config ResumedConfig(const results::RunRecord& run, const ConfigSource& source) {
  const Config stored = LoadConfigFromString(run.config_text, RunText(run.id) + "'s config");
  if (source.path.empty()) return stored;
  const Config given = LoadConfig(source.path, source.overrides);
  const std::vector<std::string> differences = ConfigDifferences(stored, given);
  if (differences.empty()) return stored;
  std::string message = "differs from the config " + RunText(run.id) +
                        " started with, which a resumed run keeps (run -> now:";
  for (const std::string& d : differences) message += " " + d + ";";
  message.back() = ')';
  throw ConfigError(
      {{given.source_path, 0, 0, "",
        differences.size() == 1 ? differences[0].substr(0, differences[0].find(':')) : "",
        message + "; start a new run with 'hwnas search CONFIG' instead"}});
}

// "proxyless, amc, haq or evolution": the registered strategies that keep checkpoints.
std::string ResumableStrategies() {
  std::vector<std::string> names;
  for (const std::string& name : search::RegisteredStrategies())
    if (search::MakeStrategy(name)->resumable()) names.push_back(name);
  std::string text;
  for (size_t i = 0; i < names.size(); ++i)
    text += (i == 0 ? "" : i + 1 == names.size() ? " or " : ", ") + names[i];
  return text;
}

// A run can be resumed when its strategy keeps checkpoints and it is neither finished nor live.
void CheckResumable(const results::RunRecord& run, const search::Strategy& strategy) {
  const std::string name = RunText(run.id);
  if (!strategy.resumable())
    throw UsageError(name + " is a '" + run.strategy + "' run (expected a run of strategy " +
                     ResumableStrategies() + "; only these keep checkpoints to resume from)");
  if (run.status == results::RunStatus::kFinished)
    throw UsageError(name + " has finished; there is nothing to resume (see hwnas results show " +
                     std::to_string(run.id) + ")");
  if (run.status == results::RunStatus::kRunning)
    throw UsageError(name + " is still running (pid " + std::to_string(run.pid) + " on " +
                     run.host + ")");
}

}  // namespace

std::string ExecuteRun(StoreServices& services, int64_t run_id, const RunBody& body,
                       const std::atomic<bool>* stop_requested, bool resume) {
  results::Store& store = services.store();
  search::RunContext context;
  context.run_id = run_id;
  context.show_progress = !services.options().quiet;
  context.artifact_dir = ArtifactDir(services.options().db_path, run_id);
  context.stop_requested = stop_requested;
  context.resume = resume;
  context.services = &services;
  try {
    const std::unique_ptr<Reporter> reporter = store.MakeReporter(run_id);
    context.reporter = reporter.get();
    std::string summary = body.run(context);
    if (body.after) body.after();
    store.FinishRun(run_id, results::RunStatus::kFinished);
    return summary;
  } catch (const Interrupted& e) {
    if (body.after) body.after();
    std::string message = e.what();
    if (body.resumable)
      message += "; " + RunText(run_id) + " continues from its last completed " + body.step_unit +
                 " with: hwnas search resume " + std::to_string(run_id);
    store.FinishRun(run_id, results::RunStatus::kInterrupted, message);
    throw Interrupted(message);
  } catch (const std::exception& e) {
    store.FinishRun(run_id, results::RunStatus::kFailed, e.what());
    throw;
  }
}

RunReport StartRun(const std::string& command, const ConfigSource& source,
                   const RunOptions& options) {
  const Config config = LoadConfig(source.path, source.overrides);
  CheckCommand(command, config);
  const std::unique_ptr<search::Strategy> strategy = search::MakeStrategy(config.strategy);
  StoreServices services(options);
  // Everything that can fail on bad input is checked before the run is stored.
  strategy->Prepare(config, services, !options.quiet, /*resumed_run=*/0);
  const int64_t run_id = services.store().BeginRun(MakeRunInfo(strategy->StoredConfig()));
  return RunPrepared(*strategy, services, run_id, /*resume=*/false);
}

RunReport ResumeRun(const std::string& run_reference, const ConfigSource& source,
                    const RunOptions& options) {
  StoreServices services(options);
  results::Store& store = services.store(results::Store::OpenMode::kExisting);
  const int64_t run_id = store.ResolveRun(run_reference);
  const results::RunRecord run = store.GetRun(run_id);
  const std::unique_ptr<search::Strategy> strategy = search::MakeStrategy(run.strategy);
  CheckResumable(run, *strategy);
  strategy->Prepare(ResumedConfig(run, source), services, !options.quiet, run_id);
  const std::optional<int64_t> steps =
      strategy->CheckpointSteps(ArtifactDir(options.db_path, run_id), run.config_hash);
  store.ReopenRun(run_id, steps.value_or(0) - 1);
  if (!options.quiet)
    std::fprintf(stderr, "resuming run %lld after %lld of %lld %ss\n",
                 static_cast<long long>(run_id), static_cast<long long>(steps.value_or(0)),
                 static_cast<long long>(strategy->total_steps()), strategy->step_unit().c_str());
  return RunPrepared(*strategy, services, run_id, /*resume=*/steps.has_value());
}

}  // namespace hwnas::runs
