#include "runs/lifecycle.h"

#include <cstdio>
#include <filesystem>

#include "core/config.h"
#include "core/errors.h"
#include "runs/deployment.h"
#include "runs/interrupt.h"
#include "runs/job.h"
#include "runs/run_record.h"
#include "supernet/threads.h"

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

// Prepares `strategy` under the run's own thread count. An earlier stage of a pipeline leaves the
// process at its device's count (latency timing sets it), and the numbers some preparations
// compute depend on it (AMC's reconstruction statistics), so a stage would not equal the same run
// started alone or resumed in a new process.
void PrepareStrategy(search::Strategy& strategy, const Config& config, StoreServices& services,
                     bool verbose, int64_t resumed_run) {
  supernet::SetThreads(static_cast<int>(config.threads));
  strategy.Prepare(config, services, verbose, resumed_run);
}

// Runs the prepared strategy as run `run_id` (begun or reopened) until `stop_requested`.
RunReport RunPrepared(search::Strategy& strategy, StoreServices& services, int64_t run_id,
                      bool resume, const std::atomic<bool>* stop_requested) {
  const auto run = [&strategy](search::RunContext& context) {
    if (const std::optional<DatasetRecord> data = strategy.Data())
      context.reporter->OnDataset(*data);
    return strategy.Run(context);
  };
  const RunBody body{run, [&strategy, &services] { strategy.AfterRun(services); },
                     strategy.resumable(), strategy.step_unit()};
  return {run_id, strategy.StoredConfig().name,
          ExecuteRun(services, run_id, body, stop_requested, resume)};
}

// A top-level run: Ctrl-C becomes a clean stop that nested runs share.
RunReport RunInterruptible(search::Strategy& strategy, StoreServices& services, int64_t run_id,
                           bool resume) {
  InterruptFlag interrupt;
  services.set_stop_flag(interrupt.flag());
  return RunPrepared(strategy, services, run_id, resume, interrupt.flag());
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
    if (!resume && !JobMetrics().empty()) reporter->OnMetrics(0, JobMetrics());
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
    throw Interrupted(e.code(), message);
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
  PrepareStrategy(*strategy, config, services, !options.quiet, /*resumed_run=*/0);
  results::RunInfo info = MakeRunInfo(strategy->StoredConfig());
  info.source_run = services.TakeResolvedSource();
  const int64_t run_id = services.store().BeginRun(info);
  return RunInterruptible(*strategy, services, run_id, /*resume=*/false);
}

namespace {

// Reopens the prepared run `run_id` after its checkpoint; true when there is one to continue from.
bool ReopenAtCheckpoint(StoreServices& services, const search::Strategy& strategy,
                        const results::RunRecord& run) {
  const std::optional<int64_t> steps =
      strategy.CheckpointSteps(ArtifactDir(services.options().db_path, run.id), run.config_hash);
  services.store().ReopenRun(run.id, steps.value_or(0) - 1);
  if (!services.options().quiet)
    std::fprintf(stderr, "resuming run %lld after %lld of %lld %ss\n",
                 static_cast<long long>(run.id), static_cast<long long>(steps.value_or(0)),
                 static_cast<long long>(strategy.total_steps()), strategy.step_unit().c_str());
  return steps.has_value();
}

// A pipeline stage that writes the source run's network as files (export formats).
std::string ExportStageBody(StoreServices& services, const search::StageRequest& request,
                            search::RunContext& context) {
  std::string lines;
  int64_t step = 0;
  std::filesystem::create_directories(context.artifact_dir);
  for (const std::string& format : request.config.pipeline.export_formats) {
    ExportRequest export_request;
    export_request.run = std::to_string(request.source_run.value_or(0));
    export_request.format =
        format == "onnx" ? deploy::ExportFormat::kOnnx : deploy::ExportFormat::kTorchScript;
    export_request.out_path =
        context.artifact_dir + (format == "onnx" ? "/model.onnx" : "/model.pt");
    const ExportReport report = ExportRun(services.options(), export_request);
    context.reporter->OnArtifact(format, report.out_path);
    context.reporter->OnMetrics(step++, {{"export_bytes", static_cast<double>(report.bytes)}});
    lines += "  " + format + "  " + report.out_path + "\n";
  }
  return lines;
}

int64_t RunExportStage(StoreServices& services, const search::StageRequest& request) {
  results::RunInfo info = MakeRunInfo(request.config);
  info.strategy = "export";
  info.parent_run = request.parent;
  info.stage = request.stage;
  info.source_run = request.source_run;
  const int64_t run_id = services.store().BeginRun(info);
  RunBody body;
  body.run = [&](search::RunContext& context) {
    return ExportStageBody(services, request, context);
  };
  ExecuteRun(services, run_id, body, services.stop_flag(), /*resume=*/false);
  return run_id;
}

}  // namespace

RunReport ResumeRun(const std::string& run_reference, const ConfigSource& source,
                    const RunOptions& options) {
  StoreServices services(options);
  results::Store& store = services.store(results::Store::OpenMode::kExisting);
  const int64_t run_id = store.ResolveRun(run_reference);
  const results::RunRecord run = store.GetRun(run_id);
  const std::unique_ptr<search::Strategy> strategy = search::MakeStrategy(run.strategy);
  CheckResumable(run, *strategy);
  CheckResumedWorld(services, run_id);
  PrepareStrategy(*strategy, ResumedConfig(run, source), services, !options.quiet, run_id);
  const bool resume = ReopenAtCheckpoint(services, *strategy, run);
  return RunInterruptible(*strategy, services, run_id, resume);
}

int64_t RunStage(StoreServices& services, const search::StageRequest& request) {
  if (request.stage == "export") return RunExportStage(services, request);
  const std::unique_ptr<search::Strategy> strategy = search::MakeStrategy(request.config.strategy);
  const bool quiet = services.options().quiet;
  if (request.resume_run > 0) {
    const results::RunRecord run = services.store().GetRun(request.resume_run);
    CheckResumable(run, *strategy);
    PrepareStrategy(*strategy, LoadConfigFromString(run.config_text, RunText(run.id) + "'s config"),
                    services, !quiet, run.id);
    const bool resume = ReopenAtCheckpoint(services, *strategy, run);
    RunPrepared(*strategy, services, run.id, resume, services.stop_flag());
    return run.id;
  }
  PrepareStrategy(*strategy, request.config, services, !quiet, /*resumed_run=*/0);
  services.TakeResolvedSource();
  results::RunInfo info = MakeRunInfo(strategy->StoredConfig());
  info.parent_run = request.parent;
  info.stage = request.stage;
  info.source_run = request.source_run;
  const int64_t run_id = services.store().BeginRun(info);
  RunPrepared(*strategy, services, run_id, /*resume=*/false, services.stop_flag());
  return run_id;
}

}  // namespace hwnas::runs
