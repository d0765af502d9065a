#include "search/evolution/device_latency.h"

#include <algorithm>
#include <cstdio>

#include "latency/builder.h"
#include "latency/op_key.h"
#include "latency/op_predictor.h"

namespace hwnas::search {

DeviceLatency OpenDeviceLatency(RunServices& services, const SearchSpace& space,
                                const Config& config, const std::string& device, bool show) {
  Config c = config;
  c.device.name = device;
  latency::DeviceTable table = services.CompleteTable(space, c);
  DeviceLatency out;
  out.device = device;
  if (!table.device) {
    std::vector<std::string> keys;
    for (const LayerSpec& layer : AllCandidateLayers(space)) keys.push_back(latency::OpKey(layer));
    const auto missing = table.table.MissingKeys(keys);
    if (!missing.empty()) {
      const auto model = latency::OpLatencyModel::Fit(table.table);
      out.predicted_keys =
          static_cast<int64_t>(latency::AddPredictedEntries(table.table, keys, model).size());
      if (show)
        std::fprintf(stderr,
                     "%s: %lld of %zu op keys of %s are not in its table; predicted by the op "
                     "latency model (ridge+gbt on its %zu entries)\n",
                     device.c_str(), static_cast<long long>(out.predicted_keys), keys.size(),
                     space.name.c_str(), model.examples());
    }
  }
  out.costs =
      std::make_shared<supernet::CandidateCosts>(supernet::CandidateLatencies(space, table.table));
  if (table.device && table.device->kind() == latency::DeviceKind::kMeasurable)
    out.measurer = std::shared_ptr<latency::Device>(std::move(table.device));
  return out;
}

LatencyTarget MakeLatencyTarget(const DeviceLatency& d, double ms, const SearchSpace& space,
                                bool measure) {
  LatencyTarget t;
  t.device = d.device;
  t.target_ms = ms;
  auto costs = d.costs;
  std::vector<std::vector<std::string>> names;
  for (const BlockPosition& b : Blocks(space)) names.push_back(CandidateNames(space, b));
  t.latency_ms = [costs, names](const Arch& a) {
    double total = costs->fixed;
    for (size_t b = 0; b < a.choices.size(); ++b) {
      const auto& n = names[b];
      total += costs->per_block[b][std::find(n.begin(), n.end(), a.choices[b]) - n.begin()];
    }
    return total;
  };
  if (measure && d.measurer) {
    auto device = d.measurer;
    t.measure_ms = [device](const NetSpec& net) {
      latency::BuildOptions options;
      options.show_progress = false;
      return latency::MeasureNetworks(*device, {net}, options, "").ms[0];
    };
  }
  return t;
}

}  // namespace hwnas::search
