#include "latency/haq_table.h"

#include <nlohmann/json.hpp>

#include <cstdio>

#include "core/errors.h"

namespace hwnas::latency {

std::string HaqLayerKey(int64_t layer, int weight_bits, int activation_bits) {
  return "haq-layer:" + std::to_string(layer) + "-wbits:" + std::to_string(weight_bits) +
         "-abits:" + std::to_string(activation_bits);
}

bool IsHaqLayerKey(const std::string& key) {
  long long layer = -1;
  int w = 0, a = 0;
  if (std::sscanf(key.c_str(), "haq-layer:%lld-wbits:%d-abits:%d", &layer, &w, &a) != 3)
    return false;
  return layer >= 0 && w >= 1 && w <= 8 && a >= 1 && a <= 8 && HaqLayerKey(layer, w, a) == key;
}

int64_t HaqTableLayers(const LatencyTable& table) {
  const auto properties = nlohmann::json::parse(table.info().properties_json, nullptr, false);
  if (!properties.is_object() || properties.value("format", "") != "haq-npy") return 0;
  return properties.value("layers", int64_t{0});
}

double HaqPolicyCost(const LatencyTable& table, const NetSpec& net) {
  const int64_t layers = HaqTableLayers(table);
  const std::string name = "HAQ table of device '" + table.info().device + "'";
  if (layers != static_cast<int64_t>(QuantOpCount(net)))
    throw DataError(name + " has " + std::to_string(layers) + " layers, but network '" + net.name +
                    "' has " + std::to_string(QuantOpCount(net)) +
                    " quantizable operators (a HAQ table indexes them in forward order)");
  double total = 0;
  int64_t index = 0;
  for (const LayerSpec& l : net.layers) {
    const std::vector<std::string> ops = QuantOpNames(l);
    for (size_t op = 0; op < ops.size(); ++op, ++index) {
      const OpBits b = l.bits(op);
      if (b.weight < 1 || b.weight > 8 || b.activation < 1 || b.activation > 8)
        throw DataError(name + " holds bits 1..8, but operator " + l.name + "." + ops[op] +
                        " has " + FormatBitPolicy({b}));
      total += table.At(HaqLayerKey(index, b.weight, b.activation)).mean;
    }
  }
  return total;
}

}  // namespace hwnas::latency
