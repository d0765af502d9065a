// `hwnas search CONFIG` for strategy haq: chooses per-operator weight and activation bit widths
// of a trained network (a NetSpec file with its weights, or a finished run's final network) with
// HAQ under a latency/energy budget on a device that costs bits, or a model-size budget;
// fine-tunes the best policy and stores the run with every episode.
#include <cstdio>
#include <memory>

#include "cli/compression_common.h"
#include "cli/haq_cmd.h"
#include "cli/latency_common.h"
#include "core/dataset.h"
#include "core/errors.h"
#include "latency/estimator.h"
#include "latency/haq_table.h"
#include "measure/devices.h"
#include "results/store.h"
#include "search/haq/haq.h"

namespace hwnas::cli {
namespace {

// The latency (or energy) of a bit policy: computed by a model device (bitserial-bismo,
// roofline-example), or summed from an imported HAQ [layers, 8, 8] table whose layers are the
// network's quantizable operators. Measurable devices run every layer in float and cannot tell
// bit widths apart.
search::CostModel DeviceCost(results::Store& store, const Config& config, const NetSpec& net) {
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
  auto table = std::make_shared<DeviceTable>(
      OpenDeviceTable(store, name, latency::MeasureOptionsOf(config), ""));
  if (latency::HaqTableLayers(table->table) == 0)
    throw UsageError("device '" + name +
                     "' has an imported table of op keys, which cannot cost bit widths; HAQ needs "
                     "a model device (e.g. bitserial-bismo) or an imported HAQ [layers, 8, 8] "
                     "table (hwnas latency import FILE.npy --device NAME)");
  latency::HaqPolicyCost(table->table, net);  // the layer count must match: checked now
  return {"cost", [table](const NetSpec& n) { return latency::HaqPolicyCost(table->table, n); }};
}

std::string CostText(double value, const std::string& unit) {
  char text[64];
  if (unit == "bits")
    std::snprintf(text, sizeof text, "%.4g KiB", value / 8 / 1024);
  else
    std::snprintf(text, sizeof text, "%.4g %s", value, unit.c_str());
  return text;
}

void PrintSummary(int64_t run_id, const Config& config, const search::HaqProblem& problem,
                  const search::HaqResult& r, const std::string& unit) {
  const search::QuantizedNetwork& b = r.best;
  std::printf("run %lld finished: %s\n", static_cast<long long>(run_id), config.name.c_str());
  std::printf("  bits           %s\n", FormatBitPolicy(b.bits).c_str());
  std::printf("  cost           %s = %.1f%% of all 8-bit (budget %s)\n",
              CostText(b.cost, unit).c_str(), 100 * b.cost_ratio,
              CostText(problem.budget(), unit).c_str());
  std::printf("  size           %.4g KiB (%.4g KiB at 32 bits)\n", NetSizeBits(b.net) / 8 / 1024,
              NetSizeBits(ApplyBitPolicy(b.net, std::vector<OpBits>(b.bits.size()))) / 8 / 1024);
  std::printf(
      "  accuracy       %.2f%% held-out before fine-tuning (full precision %.2f%% on the "
      "episodes' images), %.2f%% test after %lld epoch(s)\n",
      100 * b.holdout_accuracy, 100 * r.full_precision_accuracy, 100 * b.finetuned.test_accuracy,
      static_cast<long long>(config.haq.finetune_epochs));
  const int uniform_bits =
      config.haq.budget_bits > 0 ? static_cast<int>(config.haq.budget_bits) : 4;
  if (r.uniform)
    std::printf("  uniform w%da%d  %s, %.2f%% held-out before, %.2f%% test after fine-tuning\n",
                uniform_bits, uniform_bits, CostText(r.uniform->cost, unit).c_str(),
                100 * r.uniform->holdout_accuracy, 100 * r.uniform->finetuned.test_accuracy);
  std::printf("query it with:   hwnas results show %lld\n", static_cast<long long>(run_id));
}

}  // namespace

void RunHaqSearch(const Config& config, const GlobalOptions& global) {
  // Everything that can fail on bad input is checked before the run is stored.
  const TrainedNetwork source =
      ResolveTrainedNetwork(config, global, config.haq.source_run, config.haq.weights, "haq");
  const DataSplits data = LoadDataSplits(config.data, config.seed);
  auto store = results::Store::Open(global.db_path);
  const search::CostModel cost = config.haq.cost == HaqCost::kSize
                                     ? search::SizeCost()
                                     : DeviceCost(*store, config, source.net);
  search::HaqProblem problem(source.net, source.weights, config, data, cost);
  search::HaqResult result;
  const int64_t run_id = RunCompression(*store, config, global,
                                        [&](int64_t, const search::CompressionContext& context) {
                                          result = search::RunHaq(problem, context);
                                        });
  PrintSummary(run_id, config, problem, result, cost.unit);
}

}  // namespace hwnas::cli
