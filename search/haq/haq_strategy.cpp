// Strategy haq: chooses per-operator weight and activation bit widths of a trained network with
// HAQ (search/haq/haq.h) under a latency/energy budget on a device that costs bits, or a
// model-size budget; fine-tunes the best policy and stores every episode.
#include "core/config.h"
#include "core/dataset.h"
#include "core/errors.h"
#include "core/text.h"
#include "latency/estimator.h"
#include "latency/haq_table.h"
#include "measure/devices.h"
#include "search/compression/compression_run.h"
#include "search/compression/episode_loop.h"
#include "search/haq/haq.h"
#include "search/strategy.h"

namespace hwnas::search {
namespace {

// The latency (or energy) of a bit policy: computed by a model device (bitserial-bismo,
// roofline-example), or summed from an imported HAQ [layers, 8, 8] table whose layers are the
// network's quantizable operators. Measurable devices run every layer in float and cannot tell
// bit widths apart.
CostModel DeviceCost(RunServices& services, const Config& config, const NetSpec& net) {
  const std::string& name = config.device.name;
  std::shared_ptr<latency::Device> device =
      latency::MakeDevice({name, latency::MeasureOptionsOf(config), ConfigsDir()});
  if (device && device->kind() == latency::DeviceKind::kModel)
    return {"ms",
            [device](const NetSpec& n) { return latency::EntryMs(device->MeasureNetwork(n)); }};
  if (device)
    throw UsageError("device '" + name +
                     "' runs every layer in 32-bit floating point and cannot cost bit widths; "
                     "HAQ needs a model device (e.g. bitserial-bismo) or an imported HAQ table");
  auto table = std::make_shared<latency::DeviceTable>(
      services.OpenTable(name, latency::MeasureOptionsOf(config), ""));
  if (latency::HaqTableLayers(table->table) == 0)
    throw UsageError("device '" + name +
                     "' has an imported table of op keys, which cannot cost bit widths; HAQ needs "
                     "a model device (e.g. bitserial-bismo) or an imported HAQ [layers, 8, 8] "
                     "table (hwnas latency import FILE.npy --device NAME)");
  latency::HaqPolicyCost(table->table, net);  // the layer count must match: checked now
  return {"cost", [table](const NetSpec& n) { return latency::HaqPolicyCost(table->table, n); }};
}

std::string CostText(double value, const std::string& unit) {
  if (unit == "bits") return StringPrintf("%.4g KiB", value / 8 / 1024);
  return StringPrintf("%.4g %s", value, unit.c_str());
}

std::string Summary(const Config& config, const HaqProblem& problem, const HaqResult& r,
                    const std::string& unit) {
  const QuantizedNetwork& b = r.best;
  std::string text = StringPrintf("  bits           %s\n", FormatBitPolicy(b.bits).c_str());
  text += StringPrintf("  cost           %s = %.1f%% of all 8-bit (budget %s)\n",
                       CostText(b.cost, unit).c_str(), 100 * b.cost_ratio,
                       CostText(problem.budget(), unit).c_str());
  text += StringPrintf(
      "  size           %.4g KiB (%.4g KiB at 32 bits)\n", NetSizeBits(b.net) / 8 / 1024,
      NetSizeBits(ApplyBitPolicy(b.net, std::vector<OpBits>(b.bits.size()))) / 8 / 1024);
  text += StringPrintf(
      "  accuracy       %.2f%% held-out before fine-tuning (full precision %.2f%% on the "
      "episodes' images), %.2f%% test after %lld epoch(s)\n",
      100 * b.holdout_accuracy, 100 * r.full_precision_accuracy, 100 * b.finetuned.test_accuracy,
      static_cast<long long>(config.haq.finetune_epochs));
  const int uniform_bits =
      config.haq.budget_bits > 0 ? static_cast<int>(config.haq.budget_bits) : 4;
  if (r.uniform)
    text += StringPrintf(
        "  uniform w%da%d  %s, %.2f%% held-out before, %.2f%% test after fine-tuning\n",
        uniform_bits, uniform_bits, CostText(r.uniform->cost, unit).c_str(),
        100 * r.uniform->holdout_accuracy, 100 * r.uniform->finetuned.test_accuracy);
  return text;
}

class HaqStrategy : public Strategy {
 public:
  void Prepare(const Config& config, RunServices& services, bool, int64_t) override {
    config_ = config;
    const TrainedNetwork source =
        ResolveTrainedNetwork(config, services, config.haq.source_run, config.haq.weights, "haq");
    data_ = LoadDataSplits(config.data, config.seed);
    const CostModel cost =
        config.haq.cost == HaqCost::kSize ? SizeCost() : DeviceCost(services, config, source.net);
    unit_ = cost.unit;
    problem_ = std::make_unique<HaqProblem>(source.net, source.weights, config, data_, cost);
  }
  const Config& StoredConfig() const override { return config_; }
  bool resumable() const override { return true; }
  std::optional<int64_t> CheckpointSteps(const std::string& artifact_dir,
                                         const std::string& config_hash) const override {
    return EpisodeCheckpointSteps(artifact_dir, config_hash);
  }
  int64_t total_steps() const override { return config_.haq.episodes; }
  std::string step_unit() const override { return "episode"; }
  std::optional<DatasetRecord> Data() const override { return DescribeData(data_, config_.data); }

  std::string Run(RunContext& context) override {
    const HaqResult result = RunHaq(*problem_, TrainContextOf(context));
    return Summary(config_, *problem_, result, unit_);
  }

 private:
  Config config_;
  DataSplits data_;
  std::string unit_;
  std::unique_ptr<HaqProblem> problem_;
};

const bool registered = RegisterStrategy("haq", [] { return std::make_unique<HaqStrategy>(); });

}  // namespace
}  // namespace hwnas::search
