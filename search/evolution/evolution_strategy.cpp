// Strategy evolution: the supernet of a finished proxyless run, an accuracy predictor fitted on
// architectures scored with its weights, and per latency target an evolutionary search on the
// predictor and the target device's latency estimate. The run of the config holds the samples
// and the predictor; every target gets its own run (named NAME-DEVICE@MSms) with its specialized
// network as final architecture, so `hwnas results pareto` and `best` compare them with searched
// networks. Resumable: its checkpoint (evolution_checkpoint.h) holds the samples scored and the
// targets finished.
#include <map>

#include "core/config.h"
#include "core/dataset.h"
#include "core/errors.h"
#include "core/text.h"
#include "search/checkpoint.h"
#include "search/evolution/device_latency.h"
#include "search/evolution/evolution_checkpoint.h"
#include "search/evolution/specialize.h"
#include "search/proxyless/proxyless.h"
#include "search/strategy.h"

namespace hwnas::search {
namespace {

struct TargetSpec {
  std::string device;
  double ms = 0;
};

std::vector<TargetSpec> ParseTargets(const Config& config) {
  std::vector<TargetSpec> out;
  for (const std::string& t : config.evolution.targets) {  // checked by LoadConfig
    const size_t colon = t.rfind(':');
    out.push_back({t.substr(0, colon), std::stod(t.substr(colon + 1))});
  }
  return out;
}

// The config of one target's run: named NAME-DEVICE@MSms, on that device, with that one target.
Config TargetConfig(const Config& run_config, const std::string& name, const TargetSpec& t) {
  Config target = run_config;
  target.name = name + "-" + t.device + "@" + FormatSignificant(t.ms, 6) + "ms";
  target.device.name = t.device;
  target.evolution.targets = {StringPrintf("%s:%g", t.device.c_str(), t.ms)};
  return target;
}

std::string TargetLine(int64_t id, const Config& target_config, const TargetSpec& t,
                       const SpecializedNetwork& found) {
  const double accuracy =
      found.finetuned ? found.finetuned->test_accuracy : found.inherited_test_accuracy;
  const std::string measured = found.measured_ms ? StringPrintf("%.4f", *found.measured_ms) : "-";
  return StringPrintf("%-28s %-8s %9.4f %9.4f %9s %8.2f%% %8.2f%% %8.2f\n",
                      (std::to_string(id) + " " + target_config.name).c_str(), t.device.c_str(),
                      t.ms, found.estimated_ms, measured.c_str(), 100 * found.predicted_accuracy,
                      100 * accuracy, found.search_seconds) +
         StringPrintf("  %s\n", FormatArch(found.arch).c_str());
}

class EvolutionStrategy : public Strategy {
 public:
  void Prepare(const Config& config, RunServices& services, bool show_progress, int64_t) override;
  // The supernet's data split, so held-out images stay unseen.
  const Config& StoredConfig() const override { return run_config_; }
  std::optional<DatasetRecord> Data() const override {
    return DescribeData(data_, run_config_.data);
  }
  std::string Run(RunContext& context) override;

  bool resumable() const override { return true; }
  std::optional<int64_t> CheckpointSteps(const std::string& artifact_dir,
                                         const std::string& config_hash) const override {
    return EvolutionCheckpointSteps(artifact_dir, config_hash);
  }
  int64_t total_steps() const override { return config_.evolution.accuracy_samples; }
  std::string step_unit() const override { return "accuracy sample"; }

 private:
  void CheckTargetsReachable() const;
  void FitPredictor(RunContext& context, EvolutionCheckpoint& checkpoint);
  std::string RunTarget(size_t index, RunContext& context, EvolutionCheckpoint& checkpoint);

  Config config_, run_config_;
  SupernetSource source_;
  SearchSpace space_;
  DataSplits data_;
  std::vector<TargetSpec> targets_;
  std::map<std::string, DeviceLatency> devices_;
  std::unique_ptr<Specializer> specializer_;
};

void EvolutionStrategy::CheckTargetsReachable() const {
  for (const TargetSpec& t : targets_) {
    const double cheapest = CheapestCost(*devices_.at(t.device).costs);
    if (t.ms < cheapest)
      throw ConfigError({{config_.source_path, 0, 0, "", "evolution.targets",
                          "target " + t.device + ":" + FormatSignificant(t.ms) +
                              " is below the fastest network of space '" + space_.name + "' on " +
                              t.device + " (" + FormatSignificant(cheapest) + " ms)"}});
  }
}

void EvolutionStrategy::Prepare(const Config& config, RunServices& services, bool show_progress,
                                int64_t) {
  config_ = config;
  source_ = services.SupernetOf(config.evolution.supernet_run);
  run_config_ = config;
  run_config_.data = source_.config.data;
  run_config_.space = source_.config.space;
  data_ = LoadDataSplits(run_config_.data, source_.config.seed);
  space_ = FitSpaceToData(LoadSpace(source_.config.space), data_.train, config.source_path);
  targets_ = ParseTargets(config);
  for (const TargetSpec& t : targets_)  // every device checked before any run starts
    if (!devices_.count(t.device))
      devices_[t.device] =
          OpenDeviceLatency(services, space_, run_config_, t.device, show_progress);
  CheckTargetsReachable();
  specializer_ = std::make_unique<Specializer>(space_, run_config_, data_, source_.checkpoint);
}

// Samples (continuing a resumed run's) and fits the predictor, writing the checkpoint after each
// sample and once the predictor's metrics are stored.
void EvolutionStrategy::FitPredictor(RunContext& context, EvolutionCheckpoint& checkpoint) {
  const std::string hash = ConfigHash(run_config_);
  SamplingProgress progress{checkpoint.samples, [&](const std::vector<AccuracySample>& samples) {
                              checkpoint.samples = samples;
                              SaveEvolutionCheckpoint(checkpoint, context.artifact_dir, hash);
                            }};
  specializer_->FitPredictor(*context.reporter, context.show_progress, context.stop_requested,
                             progress, checkpoint.fit_reported);
  checkpoint.fit_reported = true;
  SaveEvolutionCheckpoint(checkpoint, context.artifact_dir, hash);
}

// Target `index` as its own run (again under its id when a stopped run left it unfinished);
// returns its summary line, kept in the checkpoint once the run finished.
std::string EvolutionStrategy::RunTarget(size_t index, RunContext& context,
                                         EvolutionCheckpoint& checkpoint) {
  TargetProgress& progress = checkpoint.targets[index];
  if (progress.done) return progress.line;
  const std::string hash = ConfigHash(run_config_);
  const TargetSpec& t = targets_[index];
  const Config target_config = TargetConfig(run_config_, config_.name, t);
  const LatencyTarget target =
      MakeLatencyTarget(devices_.at(t.device), t.ms, space_, config_.evolution.measure);
  SpecializedNetwork found;
  const auto body = [&](RunContext& nested) {
    progress.run = nested.run_id;
    SaveEvolutionCheckpoint(checkpoint, context.artifact_dir, hash);
    TrainContext train = TrainContextOf(nested);
    train.data_seed = source_.config.seed;  // the splits data_ was loaded with
    found = specializer_->Specialize(target, *nested.reporter, train);
  };
  const int64_t id = context.services->RunNested(target_config, body, progress.run);
  progress = {id, true, TargetLine(id, target_config, t, found)};
  SaveEvolutionCheckpoint(checkpoint, context.artifact_dir, hash);
  return progress.line;
}

std::string EvolutionStrategy::Run(RunContext& context) {
  EvolutionCheckpoint checkpoint;
  checkpoint.targets.resize(targets_.size());
  if (context.resume)
    checkpoint = LoadEvolutionCheckpoint(context.artifact_dir, ConfigHash(run_config_), space_,
                                         targets_.size());
  FitPredictor(context, checkpoint);
  std::string text = StringPrintf("  accuracy predictor of run %lld's supernet\n",
                                  static_cast<long long>(source_.run));
  text += StringPrintf("%-28s %-8s %9s %9s %9s %9s %9s %8s\n", "run", "device", "target",
                       "estimate", "measured", "predicted", "accuracy", "seconds");
  for (size_t i = 0; i < targets_.size(); ++i) {
    if (context.stop_requested != nullptr && context.stop_requested->load())
      throw Interrupted("evolution interrupted after " + std::to_string(i) + " of " +
                        std::to_string(targets_.size()) + " targets");
    text += RunTarget(i, context, checkpoint);
  }
  return text;
}

const bool registered =
    RegisterStrategy("evolution", [] { return std::make_unique<EvolutionStrategy>(); });

}  // namespace
}  // namespace hwnas::search
