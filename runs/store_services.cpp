#include "runs/store_services.h"

#include <cstdio>
#include <filesystem>

#include "core/config.h"
#include "core/errors.h"
#include "core/netspec_yaml.h"
#include "results/run_queries.h"
#include "runs/device_tables.h"
#include "runs/lifecycle.h"
#include "runs/run_record.h"

namespace hwnas::runs {
namespace {

namespace fs = std::filesystem;

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

}  // namespace

results::Store& StoreServices::store(results::Store::OpenMode mode) {
  if (!store_) store_ = results::Store::Open(options_.db_path, mode);
  return *store_;
}

latency::DeviceTable StoreServices::OpenTable(const std::string& device,
                                              const latency::MeasureOptions& measure,
                                              const std::string& space) {
  return OpenDeviceTable(store(), device, measure, space);
}

latency::DeviceTable StoreServices::CompleteTable(const SearchSpace& space, const Config& config) {
  return CompleteDeviceTable(store(), space, config, !options_.quiet);
}

void StoreServices::SaveTable(latency::DeviceTable& table) { SaveDeviceTable(store(), table); }

search::TrainedNetwork StoreServices::TrainedNetworkOf(const std::string& reference,
                                                       const Config& config,
                                                       const std::string& section) {
  const results::Store& s = store(results::Store::OpenMode::kExisting);
  const int64_t id = s.ResolveRun(reference);
  const results::RunRecord run = s.GetRun(id);
  const std::string name = "run " + std::to_string(id) + " (" + section + ".source_run)";
  if (run.status != results::RunStatus::kFinished)
    throw UsageError(name + " is " + results::RunStatusName(run.status) + "; " + section +
                     " starts from the trained network of a finished run");
  WarnIfSplitDiffers(run, config);
  search::TrainedNetwork source;
  bool found = false;
  for (const results::StoredArchitecture& a : s.Architectures(id))
    if (a.record.role == "final")
      source.net = NetSpecFromJson(a.record.netspec_json, name), found = true;
  for (const results::ArtifactRecord& a : s.Artifacts(id))
    if (a.kind == "weights") source.weights = a.path;
  if (!found || source.weights.empty())
    throw DataError(name + " stored no final network with weights");
  source.weights = ArtifactPath(source.weights, options_.db_path);
  resolved_source_ = id;
  return source;
}

search::SupernetSource StoreServices::SupernetOf(const std::string& reference) {
  const results::Store& s = store();
  search::SupernetSource source;
  source.run = s.ResolveRun(reference);
  const results::RunRecord run = s.GetRun(source.run);
  const std::string name = "run " + std::to_string(source.run) + " (evolution.supernet_run)";
  if (run.strategy != "proxyless")
    throw UsageError(name + " has strategy " + run.strategy +
                     "; evolution specializes the supernet of a proxyless search");
  if (run.status != results::RunStatus::kFinished)
    throw UsageError(name + " is " + results::RunStatusName(run.status) +
                     "; evolution needs a finished search");
  for (const results::ArtifactRecord& a : s.Artifacts(source.run))
    if (a.kind == "checkpoint") source.checkpoint = ArtifactPath(a.path, options_.db_path);
  if (source.checkpoint.empty()) throw DataError(name + " stored no search checkpoint");
  if (!fs::exists(source.checkpoint))
    throw DataError(name + ": its search checkpoint " + source.checkpoint + " is missing");
  source.config =
      LoadConfigFromString(run.config_text, "run " + std::to_string(source.run) + "'s config");
  resolved_source_ = source.run;
  return source;
}

std::optional<double> StoreServices::StoredMetric(int64_t run, const std::string& name) {
  std::optional<double> value;
  for (const auto& m : store().Metrics(run))
    if (m.name == name) value = m.value;
  return value;
}

int64_t StoreServices::RunNested(const Config& config,
                                 const std::function<void(search::RunContext&)>& body,
                                 int64_t unfinished) {
  // A nested run that finished before its parent recorded it (stopped in between) runs anew.
  const bool reopen =
      unfinished != 0 && store().GetRun(unfinished).status != results::RunStatus::kFinished;
  if (reopen) store().ReopenRun(unfinished, /*keep_through_step=*/-1);
  const int64_t run_id = reopen ? unfinished : store().BeginRun(MakeRunInfo(config));
  RunBody nested;
  nested.run = [&body](search::RunContext& context) {
    body(context);
    return std::string();
  };
  ExecuteRun(*this, run_id, nested, stop_flag_, /*resume=*/false);
  return run_id;
}

int64_t StoreServices::RunStage(const search::StageRequest& request) {
  return runs::RunStage(*this, request);
}

std::vector<search::StageRun> StoreServices::StagesOf(int64_t parent) {
  const results::Store& s = store();
  std::vector<search::StageRun> stages;
  const std::vector<results::RunRecord> runs = s.ListRuns();  // newest first
  for (auto run = runs.rbegin(); run != runs.rend(); ++run) {
    if (run->parent_run != parent) continue;
    std::optional<ArchitectureRecord> final_arch;
    if (const auto stored = results::FinalArchitecture(s, run->id)) final_arch = stored->record;
    stages.push_back({run->stage, run->id, results::RunStatusName(run->status), run->strategy,
                      final_arch, run->DurationSeconds()});
  }
  return stages;
}

}  // namespace hwnas::runs
