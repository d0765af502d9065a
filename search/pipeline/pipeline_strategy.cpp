// Strategy pipeline: search -> retrain -> prune -> quantize -> export as one run. Each stage is a
// child run of the strategy that does it (proxyless, train, amc, haq; export writes files),
// configured by that strategy's section and fed the previous stage's network through
// source_run. The pipeline run holds the stage table: per stage the child's final network
// (accuracy, measured latency, MACs, parameters, size) and the time taken. Resuming continues
// from the first unfinished stage; a child of a resumable strategy continues from its checkpoint.
#include <algorithm>
#include <cstdio>
#include <filesystem>

#include "core/atomic_file.h"
#include "core/config.h"
#include "core/errors.h"
#include "core/netspec_yaml.h"
#include "core/progress.h"
#include "core/text.h"
#include "search/strategy.h"

namespace hwnas::search {
namespace {

// The strategy that does each stage; export is done by the run services.
const char* StageStrategy(const std::string& stage) {
  if (stage == "search") return "proxyless";
  if (stage == "retrain") return "train";
  if (stage == "prune") return "amc";
  if (stage == "quantize") return "haq";
  return "export";
}

// The newest child of `stage` among `children`, if any.
const StageRun* NewestChild(const std::vector<StageRun>& children, const std::string& stage) {
  const StageRun* found = nullptr;
  for (const StageRun& child : children)
    if (child.stage == stage) found = &child;
  return found;
}

// "91.58%  0.589 ms cpu  4.21 M MACs  0.112 M params  3.5 Mbit  62.0 s" for the stage table.
std::string StageLine(const std::string& stage, const StageRun& child) {
  std::string text =
      StringPrintf("  %-9s run %-4lld", stage.c_str(), static_cast<long long>(child.run));
  if (const auto& a = child.final_arch) {
    text += a->accuracy ? StringPrintf("  %6.2f%%", 100.0 * *a->accuracy) : "        -";
    // A model device (a bit-cost accelerator) computes latency instead of timing it.
    const std::optional<double> ms =
        a->measured_latency_ms ? a->measured_latency_ms : a->estimated_latency_ms;
    text +=
        ms ? StringPrintf("  %8.3f ms %-16s", *ms,
                          (a->latency_device + (a->measured_latency_ms ? "" : " (model)")).c_str())
           : std::string(30, ' ');
    text += StringPrintf("  %7.2f M MACs  %6.3f M params  %7.3f Mbit", a->flops / 1e6,
                         a->params / 1e6, a->size_bits / 1e6);
  }
  return text + "  " + FormatDuration(child.seconds) + "\n";
}

class PipelineStrategy : public Strategy {
 public:
  // Checks what the first stage starts from before the pipeline is stored; every stage's own
  // checks run when it starts (a failure there fails the pipeline with the stage's message).
  void Prepare(const Config& config, RunServices& services, bool show_progress,
               int64_t /*resumed_run*/) override {
    config_ = config;
    services_ = &services;
    show_progress_ = show_progress;
    const std::string& first = config.pipeline.stages.front();
    if (first == "search") LoadSpace(config.space);
    if (first == "prune" && !config.amc.source_run.empty())
      services.TrainedNetworkOf(config.amc.source_run, config, "amc");
    if (first == "quantize" && !config.haq.source_run.empty())
      services.TrainedNetworkOf(config.haq.source_run, config, "haq");
  }
  const Config& StoredConfig() const override { return config_; }
  std::string Run(RunContext& context) override;
  bool resumable() const override { return true; }
  // The stage records of the pipeline run are written afresh on every resume (finished
  // children are reused), so none is kept.
  std::optional<int64_t> CheckpointSteps(const std::string&, const std::string&) const override {
    return 0;
  }
  std::string step_unit() const override { return "stage"; }
  int64_t total_steps() const override {
    return static_cast<int64_t>(config_.pipeline.stages.size());
  }

 private:
  Config StageConfig(const std::string& stage, std::optional<int64_t> input,
                     const RunContext& context) const;
  StageRun RunOrReuse(size_t index, std::optional<int64_t> input, RunContext& context);
  void RecordStage(size_t index, const StageRun& child, RunContext& context) const;

  Config config_;
  RunServices* services_ = nullptr;
  bool show_progress_ = true;
};

// The pipeline's config with the stage's strategy and name, fed `input` (the previous stage's
// run), validated as that strategy's config would be.
Config PipelineStrategy::StageConfig(const std::string& stage, std::optional<int64_t> input,
                                     const RunContext& context) const {
  Config c = config_;
  c.strategy = StageStrategy(stage);
  c.name = config_.name + "." + stage;
  if (input) {
    c.net.clear();
    c.amc.weights.clear();
    c.haq.weights.clear();
    if (stage == "prune") c.amc.source_run = std::to_string(*input);
    if (stage == "quantize") c.haq.source_run = std::to_string(*input);
    if (stage == "retrain") {
      // train takes a NetSpec file: the searched network, written beside the pipeline's files.
      const TrainedNetwork searched =
          services_->TrainedNetworkOf(std::to_string(*input), config_, "pipeline");
      std::filesystem::create_directories(context.artifact_dir);
      c.net = context.artifact_dir + "/retrain-net.yaml";
      WriteFileAtomically(c.net, NetSpecToYaml(searched.net));
    }
  }
  if (stage == "quantize" && !config_.pipeline.quantize_device.empty())
    c.device.name = config_.pipeline.quantize_device;
  if (stage == "export") {
    c.strategy = config_.strategy;  // stored with the pipeline's config; nothing to validate
    return c;
  }
  return LoadConfigFromString(ConfigToYaml(c), config_.source_path + " (stage " + stage + ")");
}

// Reuses the stage's finished child, resumes an interrupted one of a resumable strategy, or
// starts a new one.
StageRun PipelineStrategy::RunOrReuse(size_t index, std::optional<int64_t> input,
                                      RunContext& context) {
  const std::string& stage = config_.pipeline.stages[index];
  const std::vector<StageRun> before = services_->StagesOf(context.run_id);
  const StageRun* existing = NewestChild(before, stage);
  if (existing != nullptr && existing->status == "finished") return *existing;
  StageRequest request{stage, StageConfig(stage, input, context), context.run_id, input, 0};
  if (existing != nullptr && existing->status == "interrupted" && stage != "export" &&
      MakeStrategy(existing->strategy)->resumable())
    request.resume_run = existing->run;
  if (show_progress_)
    std::fprintf(stderr, "pipeline stage %zu/%zu: %s%s\n", index + 1,
                 config_.pipeline.stages.size(), stage.c_str(),
                 request.resume_run
                     ? (" (resuming run " + std::to_string(request.resume_run) + ")").c_str()
                     : "");
  const int64_t id = services_->RunStage(request);
  for (const StageRun& child : services_->StagesOf(context.run_id))
    if (child.run == id) return child;
  throw std::logic_error("pipeline: stage run " + std::to_string(id) + " is not a child");
}

// The stage's row of the stage table: its network as role "stage:<name>" at step = stage index,
// and its time as the metric stage_seconds.
void PipelineStrategy::RecordStage(size_t index, const StageRun& child, RunContext& context) const {
  const int64_t step = static_cast<int64_t>(index);
  if (child.final_arch) {
    ArchitectureRecord record = *child.final_arch;
    record.role = "stage:" + child.stage;
    record.step = step;
    context.reporter->OnArchitecture(record);
  }
  context.reporter->OnMetrics(
      step, {{"stage_seconds", child.seconds}, {"stage_run", static_cast<double>(child.run)}});
}

std::string PipelineStrategy::Run(RunContext& context) {
  std::optional<int64_t> input;
  std::optional<ArchitectureRecord> final_arch;
  std::string table;
  const std::vector<std::string>& stages = config_.pipeline.stages;
  for (size_t i = 0; i < stages.size(); ++i) {
    const StageRun child = RunOrReuse(i, input, context);
    RecordStage(i, child, context);
    table += StageLine(stages[i], child);
    if (stages[i] != "export") input = child.run, final_arch = child.final_arch;
  }
  if (final_arch) {
    ArchitectureRecord record = *final_arch;
    record.role = "final";
    record.step = static_cast<int64_t>(stages.size()) - 1;
    context.reporter->OnArchitecture(record);
  }
  return "  stages         " + std::to_string(stages.size()) + " (lineage: hwnas results lineage " +
         std::to_string(context.run_id) + ")\n" + table;
}

const bool registered =
    RegisterStrategy("pipeline", [] { return std::make_unique<PipelineStrategy>(); });

}  // namespace
}  // namespace hwnas::search
