#include "latency/network_correction.h"

#include <nlohmann/json.hpp>

#include "core/errors.h"
#include "latency/estimator.h"
#include "latency/op_key.h"

namespace hwnas::latency {

const std::vector<std::string>& NetworkFeatureNames() {
  static const std::vector<std::string> names = {"sum_ms",       "conv_ms", "mbconv_ms",
                                                 "logits_ms",    "layers",  "mbconvs",
                                                 "skip_mbconvs", "mmacs",   "mparams"};
  return names;
}

std::vector<double> NetworkFeatures(const NetSpec& net, const LatencyTable& table) {
  double sum = 0, conv = 0, mbconv = 0, logits = 0, mbconvs = 0, skips = 0;
  for (const LayerSpec& layer : net.layers) {
    const std::string key = OpKey(layer);
    const LatencyEntry* stats = table.Find(key);
    if (stats == nullptr)
      throw DataError("latency table of device '" + table.info().device + "' lacks " + key);
    const double ms = EntryMs(*stats);
    sum += ms;
    if (layer.kind == LayerKind::kConv) conv += ms;
    if (layer.kind == LayerKind::kLogits) logits += ms;
    if (layer.kind == LayerKind::kMBConv) {
      mbconv += ms;
      mbconvs += 1;
      skips += layer.skip ? 1 : 0;
    }
  }
  return {sum,
          conv,
          mbconv,
          logits,
          static_cast<double>(net.layers.size()),
          mbconvs,
          skips,
          NetFlops(net) / 1e6,
          NetParams(net) / 1e6};
}

NetworkCorrection NetworkCorrection::Fit(const std::vector<NetSpec>& nets,
                                         const std::vector<double>& measured_ms,
                                         const LatencyTable& table, const std::string& kind) {
  predictors::Examples examples;
  examples.features = NetworkFeatureNames();
  for (size_t i = 0; i < nets.size() && i < measured_ms.size(); ++i)
    examples.Add(NetworkFeatures(nets[i], table), measured_ms[i]);
  auto predictor = predictors::MakePredictor(kind);
  predictor->Fit(examples);
  NetworkCorrection c;
  c.predictor_ = std::move(predictor);
  return c;
}

std::optional<NetworkCorrection> NetworkCorrection::Of(const LatencyTable& table) {
  const auto properties = nlohmann::json::parse(table.info().properties_json, nullptr, false);
  if (!properties.is_object() || !properties.contains("network_correction")) return std::nullopt;
  NetworkCorrection c;
  c.predictor_ = predictors::PredictorFromJson(
      properties["network_correction"].dump(),
      "the network correction of table " + std::to_string(table.info().store_id));
  return c;
}

void NetworkCorrection::StoreIn(LatencyTable& table, int64_t networks) const {
  auto properties = nlohmann::json::parse(table.info().properties_json, nullptr, false);
  if (!properties.is_object()) properties = nlohmann::json::object();
  properties["network_correction"] = nlohmann::json::parse(predictor_->ToJson());
  properties["correction_networks"] = networks;
  table.mutable_info().properties_json = properties.dump();
}

double NetworkCorrection::CorrectedMs(const NetSpec& net, const LatencyTable& table) const {
  return predictor_->Predict(NetworkFeatures(net, table));
}

}  // namespace hwnas::latency
