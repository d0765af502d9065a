#include "cli/compression_common.h"

#include <cstdio>
#include <filesystem>

#include "cli/interrupt.h"
#include "cli/run_common.h"
#include "core/config.h"
#include "core/errors.h"
#include "core/netspec_yaml.h"
#include "results/store.h"

namespace hwnas::cli {
namespace {

// Episodes are scored on the held-out split; if it is drawn differently from the one the source
// network trained with, some held-out images were training images and scores run high.
void WarnIfSplitDiffers(const results::RunRecord& run, const Config& config) {
  const Config source = LoadConfigFromString(run.config_text, "run " + std::to_string(run.id));
  std::string differing;
  for (const std::string& d : ConfigDifferences(source, config)) {
    const std::string key = d.substr(0, d.find(':'));
    if (key == "seed" || key == "data.dataset" || key == "data.holdout_fraction" ||
        key == "data.train_limit")
      differing += (differing.empty() ? "" : "; ") + d;
  }
  if (!differing.empty())
    std::fprintf(stderr,
                 "warning: the held-out split differs from the one run %lld trained with (%s): "
                 "episodes may be scored on images the network was trained on\n",
                 static_cast<long long>(run.id), differing.c_str());
}

TrainedNetwork FromRun(const results::Store& store, const std::string& reference,
                       const Config& config, const std::string& db_path,
                       const std::string& section) {
  const int64_t id = store.ResolveRun(reference);
  const results::RunRecord run = store.GetRun(id);
  const std::string name = "run " + std::to_string(id) + " (" + section + ".source_run)";
  if (run.status != results::RunStatus::kFinished)
    throw UsageError(name + " is " + results::RunStatusName(run.status) + "; " + section +
                     " starts from the trained network of a finished run");
  WarnIfSplitDiffers(run, config);
  TrainedNetwork source;
  bool found = false;
  for (const results::StoredArchitecture& a : store.Architectures(id))
    if (a.record.role == "final")
      source.net = NetSpecFromJson(a.record.netspec_json, name), found = true;
  for (const results::ArtifactRecord& a : store.Artifacts(id))
    if (a.kind == "weights") source.weights = a.path;
  if (!found || source.weights.empty())
    throw DataError(name + " stored no final network with weights");
  if (std::filesystem::path(source.weights).is_relative())
    source.weights =
        (std::filesystem::absolute(db_path).parent_path() / source.weights).lexically_normal();
  return source;
}

}  // namespace

TrainedNetwork ResolveTrainedNetwork(const Config& config, const GlobalOptions& global,
                                     const std::string& source_run, const std::string& weights,
                                     const std::string& section) {
  if (source_run.empty()) return {LoadNetSpecFile(config.net), weights};
  const auto store = results::Store::Open(global.db_path, results::Store::OpenMode::kExisting);
  return FromRun(*store, source_run, config, global.db_path, section);
}

int64_t RunCompression(
    results::Store& store, const Config& config, const GlobalOptions& global,
    const std::function<void(int64_t run, const search::CompressionContext&)>& body,
    const std::function<void()>& after) {
  const int64_t run_id = store.BeginRun(MakeRunInfo(config));
  InterruptFlag interrupt;
  search::CompressionContext context;
  context.show_progress = !global.quiet;
  context.artifact_dir = ArtifactDir(global.db_path, run_id);
  context.stop_requested = interrupt.flag();
  try {
    auto reporter = store.MakeReporter(run_id);
    context.reporter = reporter.get();
    body(run_id, context);
    if (after) after();
    store.FinishRun(run_id, results::RunStatus::kFinished);
  } catch (const Interrupted& e) {
    if (after) after();
    store.FinishRun(run_id, results::RunStatus::kInterrupted, e.what());
    throw;
  } catch (const std::exception& e) {
    store.FinishRun(run_id, results::RunStatus::kFailed, e.what());
    throw;
  }
  return run_id;
}

}  // namespace hwnas::cli
