// `hwnas search CONFIG [key=value ...]`: runs the config's search strategy (proxyless) on its
// space and dataset against the device's latency table (built first where the device can be
// measured), retrains the derived network, and stores the run with every derived architecture
// and the final network, estimated and measured latency side by side.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <memory>

#include "cli/amc_cmd.h"
#include "cli/commands.h"
#include "cli/engine_commands.h"
#include "cli/evolution_cmd.h"
#include "cli/haq_cmd.h"
#include "cli/interrupt.h"
#include "cli/latency_common.h"
#include "cli/run_common.h"
#include "core/config.h"
#include "core/dataset.h"
#include "core/errors.h"
#include "latency/builder.h"
#include "latency/estimator.h"
#include "latency/probe.h"
#include "results/store.h"
#include "search/latency_target.h"
#include "search/proxyless.h"
#include "search/trainer.h"

namespace hwnas::cli {
namespace {

using SearchArgs = ConfigArgs;
using hwnas::Interrupted;

void CheckSpaceMatchesData(const SearchSpace& space, const Dataset& data, const Config& config) {
  if (space.input_channels == data.channels && space.input_size == data.height &&
      space.input_size == data.width && space.num_classes == data.num_classes)
    return;
  throw ConfigError(
      {{config.source_path, 0, 0, "", "space",
        "search space '" + space.name + "' does not fit the dataset (got " +
            std::to_string(space.input_size) + "x" + std::to_string(space.input_size) + "x" +
            std::to_string(space.input_channels) + " images, " + std::to_string(space.num_classes) +
            " classes; expected " + std::to_string(data.height) + "x" + std::to_string(data.width) +
            "x" + std::to_string(data.channels) + " images, " + std::to_string(data.num_classes) +
            " classes)"}});
}

void PrintSummary(int64_t run_id, const Config& config, const NetSpec& net, const Arch& arch,
                  const search::TrainResult& r, double estimated_ms,
                  const std::optional<search::Delivery>& delivery) {
  std::printf("run %lld finished: %s\n", static_cast<long long>(run_id), config.name.c_str());
  std::printf("  architecture   %s\n", FormatArch(arch).c_str());
  std::printf("  test accuracy  %.2f%%  (holdout %.2f%%)\n", 100.0 * r.test_accuracy,
              100.0 * r.holdout_accuracy);
  if (delivery) {
    std::printf("  latency        %s on %s\n", delivery->Text().c_str(),
                config.device.name.c_str());
    if (delivery->network.probe)
      std::printf("  machine        %s\n",
                  latency::StabilityText(*delivery->network.probe).c_str());
  } else if (config.proxyless.target_kind == ProxylessTarget::kLatency) {
    // The trainer measures end to end on this CPU, whatever device the table belongs to.
    std::printf(
        "  latency        %.3f ms estimated on %s (target %g ms), %.3f ms measured on "
        "this cpu\n",
        estimated_ms, config.device.name.c_str(), config.proxyless.target_ms, r.latency_ms);
  } else {
    std::printf("  cost           target %g M MACs; %.3f ms measured on this cpu\n",
                config.proxyless.target_mflops, r.latency_ms);
  }
  std::printf("  FLOPs          %.2f M MACs   params %.3f M\n", NetFlops(net) / 1e6,
              NetParams(net) / 1e6);
  std::printf("query it with:   hwnas results show %lld\n", static_cast<long long>(run_id));
}

// Retrains the derived network (from scratch, or from the supernet's weights with fine_tune) and
// stores it as the final architecture, with its latency estimated from the table next to the one
// the trainer measured.
search::TrainResult Retrain(const NetSpec& net, const Config& config, const DataSplits& data,
                            Reporter& reporter, const search::TrainContext& base,
                            double estimated_ms, const std::optional<search::Delivery>& delivery) {
  Config retrain = config;
  if (config.proxyless.retrain_epochs > 0) retrain.train.epochs = config.proxyless.retrain_epochs;
  const int64_t search_epochs = config.proxyless.warmup_epochs + config.proxyless.epochs;
  OffsetReporter offset(reporter, search_epochs);
  search::TrainContext context = base;
  context.reporter = &offset;
  // The delivery check has timed the network end to end already, under the table's conditions.
  if (delivery) context.measure_latency = false;
  const search::TrainResult result = search::TrainNetwork(net, retrain, data, context);
  // Retraining reports its epochs after the search's, so metric steps never collide.
  ArchitectureRecord final_arch = offset.held.back();
  final_arch.step = search_epochs + retrain.train.epochs - 1;
  if (estimated_ms > 0) final_arch.estimated_latency_ms = estimated_ms;
  if (delivery) final_arch.measured_latency_ms = delivery->network.measured_ms;
  reporter.OnArchitecture(final_arch);
  return result;
}

// What a search needs, checked before a run is stored or reopened: the space fits the data,
// the target is reachable, and the device's table holds every candidate.
struct SearchInputs {
  Config config;
  SearchSpace space;
  DataSplits data;
  DeviceTable table;  // only for a latency target; re-based to the machine's speed when probed
  bool by_latency = false;
  std::optional<latency::Rebase> rebase;
};

// How a search's table is re-based: by the probe timed now (a new run), by the factor the run
// stored when it started (a resumed one, so that its candidate costs stay the same), or not at
// all (a resumed run from before probes, or a table without one).
struct RebaseChoice {
  bool probe_now = true;
  std::optional<double> stored_factor;
};

// The table as the machine runs now: the search aims at the target in today's milliseconds
// rather than in those of the period the table was measured in.
void RebaseTable(SearchInputs& in, const RebaseChoice& choice, bool verbose) {
  const std::optional<latency::ProbeSummary> probe = latency::TableProbe(in.table.table);
  if (!in.table.device || in.table.device->kind() != latency::DeviceKind::kMeasurable || !probe)
    return;
  if (choice.stored_factor)
    in.rebase = latency::Rebase{probe->median_ms, probe->median_ms * *choice.stored_factor};
  else if (choice.probe_now)
    in.rebase = latency::RebaseNow(*in.table.device, in.table.table, /*probes=*/10);
  if (!in.rebase) return;
  in.table.table = latency::RebasedTable(in.table.table, *in.rebase);
  if (verbose) std::fprintf(stderr, "latency table %s\n", latency::RebaseText(*in.rebase).c_str());
}

SearchInputs PrepareSearch(const Config& config, const GlobalOptions& global,
                           const RebaseChoice& rebase = {}) {
  if (config.strategy != "proxyless")
    throw UsageError(
        "'hwnas search' runs configs with strategy 'proxyless', 'amc' or 'haq' (got '" +
        config.strategy + "'; 'hwnas train' runs strategy 'train')");
  SearchInputs in{config,
                  LoadSpace(config.space),
                  LoadDataSplits(config.data, config.seed),
                  {},
                  config.proxyless.target_kind == ProxylessTarget::kLatency,
                  {}};
  CheckSpaceMatchesData(in.space, in.data.train, config);
  if (!in.by_latency) {
    search::CheckProxylessSearch(in.space, config, in.data, nullptr);
    return in;
  }
  auto store = results::Store::Open(global.db_path);
  in.table = CompleteDeviceTable(*store, in.space, config, !global.quiet);
  RebaseTable(in, rebase, !global.quiet);
  search::CheckProxylessSearch(in.space, config, in.data, &in.table.table);
  return in;
}

std::string CheckpointPath(const std::string& db_path, int64_t run_id) {
  return ArtifactDir(db_path, run_id) + "/search-checkpoint.pt";
}

// Runs (or, with `resume`, continues) the search of run `run_id`, retrains its result and
// finishes the run; an interruption leaves it interrupted with its checkpoint for resume.
void ExecuteSearch(results::Store& store, int64_t run_id, SearchInputs& in,
                   const GlobalOptions& global, bool resume) {
  const Config& config = in.config;
  InterruptFlag interrupt;
  std::unique_ptr<Reporter> reporter;
  try {
    reporter = store.MakeReporter(run_id);
  } catch (const std::exception& e) {
    store.FinishRun(run_id, results::RunStatus::kFailed, e.what());
    throw;
  }
  const std::string artifacts = ArtifactDir(global.db_path, run_id);
  search::SearchContext context;
  context.reporter = reporter.get();
  context.show_progress = !global.quiet;
  context.checkpoint_path = CheckpointPath(global.db_path, run_id);
  context.resume = resume;
  context.stop_requested = interrupt.flag();
  if (config.proxyless.fine_tune) context.inherited_weights_path = artifacts + "/inherited.pt";
  search::TrainContext train_context;
  train_context.show_progress = !global.quiet;
  train_context.artifact_dir = artifacts;
  train_context.initial_weights = context.inherited_weights_path;
  train_context.stop_requested = interrupt.flag();
  try {
    if (in.rebase && !resume)
      reporter->OnMetrics(0, {{"latency_rebase_factor", in.rebase->factor()},
                              {"table_probe_ms", in.rebase->table_probe_ms},
                              {"search_start_probe_ms", in.rebase->now_probe_ms}});
    const search::ProxylessResult found = search::RunProxylessSearch(
        in.space, config, in.data, in.by_latency ? &in.table.table : nullptr, context);
    // On a measurable device the delivered network is the one that measures within the target.
    std::optional<search::Delivery> delivery;
    if (in.by_latency && in.table.device &&
        in.table.device->kind() == latency::DeviceKind::kMeasurable)
      delivery = search::DeliverSearchedNetwork(in.space, config, found, in.table.table,
                                                *in.table.device, *reporter, !global.quiet);
    const Arch arch = delivery ? delivery->network.arch : found.arch;
    const NetSpec net = delivery ? delivery->network.net : found.net;
    double estimated_ms = 0;
    if (in.by_latency)
      estimated_ms = latency::LatencyEstimator(in.table.table, nullptr).Run(net).total_ms;
    const search::TrainResult result =
        Retrain(net, config, in.data, *reporter, train_context, estimated_ms, delivery);
    store.FinishRun(run_id, results::RunStatus::kFinished);
    PrintSummary(run_id, config, net, arch, result, estimated_ms, delivery);
  } catch (const Interrupted& e) {
    const std::string message = std::string(e.what()) + "; run " + std::to_string(run_id) +
                                " continues from its last completed epoch with: hwnas search " +
                                "resume " + std::to_string(run_id);
    store.FinishRun(run_id, results::RunStatus::kInterrupted, message);
    throw Interrupted(message);
  } catch (const std::exception& e) {
    store.FinishRun(run_id, results::RunStatus::kFailed, e.what());
    throw;
  }
}

void RunSearch(const SearchArgs& args, const GlobalOptions& global) {
  const Config config = LoadConfig(args.config_path, args.overrides);
  if (config.strategy == "amc") return RunAmcSearch(config, global);
  if (config.strategy == "haq") return RunHaqSearch(config, global);
  if (config.strategy == "evolution") return RunEvolutionSearch(config, global);
  SearchInputs in = PrepareSearch(config, global);
  auto store = results::Store::Open(global.db_path);
  const int64_t run_id = store->BeginRun(MakeRunInfo(in.config));
  ExecuteSearch(*store, run_id, in, global, /*resume=*/false);
}

struct ResumeArgs {
  std::string run;
  ConfigArgs config;  // optional: must resolve to the run's config
};

// The run's own config; a CONFIG given on the command line must agree with it key for key.
Config ResumedConfig(const results::RunRecord& run, const ResumeArgs& args) {
  const Config stored =
      LoadConfigFromString(run.config_text, "run " + std::to_string(run.id) + "'s config");
  if (args.config.config_path.empty()) return stored;
  const Config given = LoadConfig(args.config.config_path, args.config.overrides);
  const std::vector<std::string> differences = ConfigDifferences(stored, given);
  if (differences.empty()) return stored;
  std::string message = "differs from the config run " + std::to_string(run.id) +
                        " started with, which a resumed run keeps (run -> now:";
  for (const std::string& d : differences) message += " " + d + ";";
  message.back() = ')';
  throw ConfigError(
      {{given.source_path, 0, 0, "",
        differences.size() == 1 ? differences[0].substr(0, differences[0].find(':')) : "",
        message + "; start a new run with 'hwnas search CONFIG' instead"}});
}

void ResumeSearch(const ResumeArgs& args, const GlobalOptions& global) {
  auto store = results::Store::Open(global.db_path, results::Store::OpenMode::kExisting);
  const int64_t run_id = store->ResolveRun(args.run);
  const results::RunRecord run = store->GetRun(run_id);
  if (run.strategy != "proxyless")
    throw UsageError("run " + std::to_string(run_id) + " is a '" + run.strategy +
                     "' run (expected a proxyless search; only searches can be resumed)");
  if (run.status == results::RunStatus::kFinished)
    throw UsageError("run " + std::to_string(run_id) +
                     " has finished; there is nothing to resume (see hwnas results show " +
                     std::to_string(run_id) + ")");
  if (run.status == results::RunStatus::kRunning)
    throw UsageError("run " + std::to_string(run_id) + " is still running (pid " +
                     std::to_string(run.pid) + " on " + run.host + ")");
  RebaseChoice rebase{/*probe_now=*/false, std::nullopt};
  for (const auto& m : store->Metrics(run_id))
    if (m.name == "latency_rebase_factor") rebase.stored_factor = m.value;
  SearchInputs in = PrepareSearch(ResumedConfig(run, args), global, rebase);
  const auto checkpoint = search::ReadCheckpointInfo(CheckpointPath(global.db_path, run_id));
  if (checkpoint && checkpoint->config_hash != run.config_hash)
    throw DataError("the checkpoint of run " + std::to_string(run_id) +
                    " belongs to another config (" + CheckpointPath(global.db_path, run_id) + ")");
  const int64_t epochs_done = checkpoint ? checkpoint->epochs_done : 0;
  store->ReopenRun(run_id, epochs_done - 1);
  if (!global.quiet)
    std::fprintf(
        stderr, "resuming run %lld after %lld of %lld search epochs\n",
        static_cast<long long>(run_id), static_cast<long long>(epochs_done),
        static_cast<long long>(in.config.proxyless.warmup_epochs + in.config.proxyless.epochs));
  ExecuteSearch(*store, run_id, in, global, /*resume=*/checkpoint.has_value());
}

}  // namespace

void AddSearchCommand(CLI::App& app, const GlobalOptions& global) {
  auto args = std::make_shared<SearchArgs>();
  auto* cmd = app.add_subcommand(kSearchCommand.name, kSearchCommand.description);
  AddConfigArguments(*cmd, args.get(), "proxyless.epochs=1");
  // CLI11 takes a subcommand's name for a positional while a required positional is missing,
  // so CONFIG is checked here rather than marked required.
  cmd->get_option("config")->required(false);
  cmd->callback([args, cmd, &global] {
    if (!cmd->get_subcommands().empty()) return;
    if (args->config_path.empty())
      throw UsageError(
          "hwnas search needs a CONFIG file or 'resume RUN' (see hwnas search --help)");
    RunSearch(*args, global);
  });

  auto resume = std::make_shared<ResumeArgs>();
  auto* resume_cmd = cmd->add_subcommand(
      "resume",
      "Continue an interrupted or failed search from its last checkpoint; the result is the\n"
      "one an uninterrupted run would have given. The run keeps its stored config; a CONFIG\n"
      "given here must resolve to the same one. Example:\n"
      "  hwnas search resume 3");
  resume_cmd->add_option("run", resume->run, "run id or unique run name")->required();
  AddConfigArguments(*resume_cmd, &resume->config, "train.epochs=5");
  resume_cmd->get_option("config")->required(false);
  resume_cmd->callback([resume, &global] { ResumeSearch(*resume, global); });
}

}  // namespace hwnas::cli
