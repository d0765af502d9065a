#include "report/networks.h"

#include <algorithm>

#include "latency/estimator.h"
#include "latency/op_key.h"
#include "latency/table.h"

namespace hwnas::report {
namespace {

const LayerSpec* FindLayer(const NetSpec& net, const std::string& name) {
  for (const LayerSpec& layer : net.layers)
    if (layer.name == name) return &layer;
  return nullptr;
}

double Ratio(int64_t kept, int64_t full) {
  return full > 0 ? static_cast<double>(kept) / static_cast<double>(full) : 1.0;
}

}  // namespace

std::vector<PolicyBar> PreserveRatios(const NetSpec& source, const NetSpec& pruned,
                                      const std::string& policy) {
  std::vector<PolicyBar> bars;
  for (const LayerSpec& layer : pruned.layers) {
    const LayerSpec* full = FindLayer(source, layer.name);
    if (full == nullptr || layer.kind == LayerKind::kLogits) continue;
    if (layer.kind == LayerKind::kMBConv && full->mid_channels != full->in_channels) {
      bars.push_back({layer.name + ".expand", policy, "preserve",
                      Ratio(layer.mid_channels, full->mid_channels)});
    }
    bars.push_back(
        {layer.name + ".out", policy, "preserve", Ratio(layer.out_channels, full->out_channels)});
  }
  return bars;
}

std::vector<PolicyBar> BitWidths(const NetSpec& net, const std::string& policy) {
  std::vector<PolicyBar> bars;
  for (const LayerSpec& layer : net.layers) {
    const std::vector<std::string> ops = QuantOpNames(layer);
    for (size_t i = 0; i < ops.size(); ++i) {
      const OpBits bits = layer.bits(i);
      const std::string item = layer.name + "." + ops[i];
      bars.push_back({item, policy, "weight bits", static_cast<double>(bits.weight)});
      bars.push_back({item, policy, "activation bits", static_cast<double>(bits.activation)});
    }
  }
  return bars;
}

std::optional<LayerBreakdown> EstimateLayers(const results::Store& store, const NetSpec& net,
                                             const std::string& device) {
  std::vector<results::LatencyTableRecord> tables = store.ListLatencyTables();
  std::stable_sort(tables.begin(), tables.end(),
                   [](const auto& a, const auto& b) { return a.created_at > b.created_at; });
  const std::vector<std::string> keys = latency::NetOpKeys(net);
  for (const auto& listed : tables) {
    if (listed.device.name != device) continue;
    latency::LatencyTable table = latency::FromRecord(store.LoadLatencyTable(listed.id));
    if (!table.MissingKeys(keys).empty()) continue;
    const latency::Estimate estimate = latency::LatencyEstimator(table, nullptr).Run(net);
    LayerBreakdown breakdown;
    breakdown.total_ms = estimate.total_ms;
    for (const auto& layer : estimate.layers)
      breakdown.layers.push_back({layer.layer, layer.key, layer.ms});
    return breakdown;
  }
  return std::nullopt;
}

}  // namespace hwnas::report
