// Strategy amc: prunes the channels of a trained network with AMC under a FLOPs or latency
// budget (search/amc/amc.h), fine-tunes the best policy's network, and stores every episode.
#include <cstdio>

#include "core/dataset.h"
#include "core/errors.h"
#include "core/text.h"
#include "search/amc/amc.h"
#include "search/amc/latency_cost.h"
#include "search/compression/compression_run.h"
#include "search/compression/episode_loop.h"
#include "search/strategy.h"

namespace hwnas::search {
namespace {

std::string CostText(double value, const std::string& unit) {
  return unit == "ms" ? StringPrintf("%.3f ms", value) : StringPrintf("%.4g M MACs", value / 1e6);
}

std::string Summary(const Config& config, const NetSpec& original, const AmcResult& r,
                    const std::string& unit) {
  const PrunedNetwork& b = r.best;
  std::string text = StringPrintf("  pruned         %s\n  from           %s\n",
                                  ArchString(b.net).c_str(), ArchString(original).c_str());
  const double budget = config.amc.target_kind == AmcTarget::kLatency
                            ? config.amc.target_ms
                            : config.amc.flops_ratio * NetFlops(original);
  text += StringPrintf("  cost           %s = %.1f%% of the original (budget %s)\n",
                       CostText(b.cost, unit).c_str(), 100 * b.cost_ratio,
                       CostText(budget, unit).c_str());
  text += StringPrintf("  FLOPs          %.4g M MACs of %.4g M (%.1f%%)\n", NetFlops(b.net) / 1e6,
                       NetFlops(original) / 1e6, 100 * NetFlops(b.net) / NetFlops(original));
  text += StringPrintf(
      "  accuracy       %.2f%% held-out before fine-tuning, %.2f%% test after %lld "
      "epoch(s)\n",
      100 * b.holdout_accuracy, 100 * b.finetuned.test_accuracy,
      static_cast<long long>(config.amc.finetune_epochs));
  if (r.measured_ms)
    text += StringPrintf(
        "  latency        %.3f ms measured end to end on %s (fastest of %d rounds at the "
        "probe's reference speed; %lld networks timed)\n",
        *r.measured_ms, config.device.name.c_str(), kAmcLatencyRounds,
        static_cast<long long>(r.measured_candidates));
  else
    text += StringPrintf("  latency        %.3f ms measured on this cpu\n", b.finetuned.latency_ms);
  if (r.uniform)
    text += StringPrintf(
        "  uniform %.2f    %s, %.2f%% held-out before, %.2f%% test after fine-tuning\n",
        r.uniform_ratio, CostText(r.uniform->cost, unit).c_str(), 100 * r.uniform->holdout_accuracy,
        100 * r.uniform->finetuned.test_accuracy);
  return text;
}

class AmcStrategy : public Strategy {
 public:
  void Prepare(const Config& config, RunServices& services, bool show_progress,
               int64_t resumed_run) override {
    config_ = config;
    source_ =
        ResolveTrainedNetwork(config, services, config.amc.source_run, config.amc.weights, "amc");
    data_ = LoadDataSplits(config.data, config.seed);
    CostModel cost = FlopsCost();
    if (config.amc.target_kind == AmcTarget::kLatency) {
      latency_ = std::make_shared<AmcLatencyCost>();
      latency_->table =
          services.OpenTable(config.device.name, latency::MeasureOptionsOf(config), "");
      if (!latency_->table.device)
        throw UsageError("device '" + config.device.name +
                         "' has only an imported latency table, which holds the shapes it was "
                         "measured at, not pruned channel counts; an AMC latency budget needs a "
                         "device that measures (cpu, cuda) or computes (configs/devices/) "
                         "latency");
      const auto stored = [&](const std::string& name) {
        return services.StoredMetric(resumed_run, name);
      };
      if (resumed_run == 0 || !RestoreAmcLatencyLine(*latency_, stored))
        FitAmcLatencyLine(*latency_, config, source_.net, show_progress);
      else if (show_progress)
        std::fprintf(stderr, "amc: the run's latency line kept: %.4f x table sum %+.4f ms\n",
                     latency_->slope, latency_->intercept);
      services.SaveTable(latency_->table);
      cost = AmcLatencyCostModel(latency_);
    }
    problem_ = std::make_unique<AmcProblem>(source_.net, source_.weights, config, data_, cost);
  }
  const Config& StoredConfig() const override { return config_; }
  bool resumable() const override { return true; }
  std::optional<int64_t> CheckpointSteps(const std::string& artifact_dir,
                                         const std::string& config_hash) const override {
    return EpisodeCheckpointSteps(artifact_dir, config_hash);
  }
  int64_t total_steps() const override { return config_.amc.episodes; }
  std::string step_unit() const override { return "episode"; }
  std::optional<DatasetRecord> Data() const override { return DescribeData(data_, config_.data); }

  std::string Run(RunContext& context) override {
    if (latency_ && !context.resume)
      context.reporter->OnMetrics(0, AmcLatencyLineMetrics(*latency_));
    const AmcResult result = RunAmc(*problem_, TrainContextOf(context));
    return Summary(config_, source_.net, result, problem_->cost_model().unit);
  }

  // Scoring episodes on a measurable or model device may have added table entries.
  void AfterRun(RunServices& services) override {
    if (latency_) services.SaveTable(latency_->table);
  }

 private:
  Config config_;
  TrainedNetwork source_;
  DataSplits data_;
  std::shared_ptr<AmcLatencyCost> latency_;
  std::unique_ptr<AmcProblem> problem_;
};

const bool registered = RegisterStrategy("amc", [] { return std::make_unique<AmcStrategy>(); });

}  // namespace
}  // namespace hwnas::search
