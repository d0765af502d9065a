#include "latency/estimator.h"

#include <algorithm>
#include <cmath>

#include <nlohmann/json.hpp>

#include "core/errors.h"
#include "latency/builder.h"
#include "latency/network_correction.h"
#include "latency/op_key.h"
#include "latency/op_predictor.h"

namespace hwnas::latency {
namespace {

[[noreturn]] void ThrowMissing(const LatencyTable& table, const std::vector<std::string>& missing) {
  std::string message = "latency table of device '" + table.info().device + "'";
  if (!table.info().space.empty()) message += " (" + table.info().space + ")";
  message += " lacks " + std::to_string(missing.size()) + " key(s) this network needs:";
  const size_t shown = std::min<size_t>(missing.size(), 3);
  for (size_t i = 0; i < shown; ++i) message += "\n  " + missing[i];
  if (missing.size() > shown)
    message += "\n  ... and " + std::to_string(missing.size() - shown) + " more";
  message +=
      "\nmeasure them on a measurable device ('hwnas latency build'), or import a table that "
      "covers them";
  throw DataError(message);
}

}  // namespace

const char* EntrySourceName(EntrySource source) {
  switch (source) {
    case EntrySource::kTable:
      return "table";
    case EntrySource::kMeasured:
      return "measured";
    case EntrySource::kModel:
      return "model";
    case EntrySource::kPredicted:
      return "predicted";
  }
  return "?";
}

double NetworkScale(const LatencyTable& table) {
  const auto properties = nlohmann::json::parse(table.info().properties_json, nullptr, false);
  if (!properties.is_object() || !properties.contains("network_scale")) return 1.0;
  return properties["network_scale"].get<double>();
}

void SetNetworkScale(LatencyTable& table, double scale, int64_t calibration_networks) {
  auto properties = nlohmann::json::parse(table.info().properties_json, nullptr, false);
  if (!properties.is_object()) properties = nlohmann::json::object();
  properties["network_scale"] = scale;
  properties["calibration_networks"] = calibration_networks;
  table.mutable_info().properties_json = properties.dump();
}

double EntryMs(const LatencyEntry& stats) {
  return std::isfinite(stats.median) && stats.median > 0 ? stats.median : stats.mean;
}

void LatencyEstimator::AddMissing(const NetSpec& net, const std::vector<std::string>& keys,
                                  Estimate& estimate) {
  if (device_ == nullptr || device_->kind() == DeviceKind::kTable) {
    if (op_model_ == nullptr) ThrowMissing(table_, keys);
    for (const std::string& key : AddPredictedEntries(table_, keys, *op_model_))
      estimate.added_keys.push_back(key);
    return;
  }
  // Measured the way a table is built, so the new entries are at the speed of the table's probe.
  std::vector<LayerSpec> layers;
  for (const LayerSpec& layer : net.layers)
    if (!table_.Contains(OpKey(layer))) layers.push_back(layer);
  BuildOptions options;
  options.rounds = 1;
  options.show_progress = false;
  FillTable(*device_, layers, table_, options);
  estimate.added_keys = keys;
}

Estimate LatencyEstimator::Run(const NetSpec& net) {
  Estimate estimate;
  const std::vector<std::string> keys = NetOpKeys(net);
  const std::vector<std::string> missing = table_.MissingKeys(keys);
  if (!missing.empty()) AddMissing(net, missing, estimate);
  const EntrySource added_source = device_ != nullptr && device_->kind() == DeviceKind::kModel
                                       ? EntrySource::kModel
                                       : EntrySource::kMeasured;
  for (size_t i = 0; i < net.layers.size(); ++i) {
    const bool added = std::find(estimate.added_keys.begin(), estimate.added_keys.end(), keys[i]) !=
                       estimate.added_keys.end();
    const LatencyEntry& stats = table_.At(keys[i]);
    const double ms = EntryMs(stats);
    const EntrySource source = stats.predicted ? EntrySource::kPredicted
                               : added         ? added_source
                                               : EntrySource::kTable;
    estimate.predicted_layers += stats.predicted ? 1 : 0;
    estimate.layers.push_back({net.layers[i].name, keys[i], ms, source});
    estimate.layers_sum_ms += ms;
  }
  estimate.network_scale = NetworkScale(table_);
  estimate.total_ms = estimate.layers_sum_ms * estimate.network_scale;
  if (!correction_read_) correction_ = NetworkCorrection::Of(table_), correction_read_ = true;
  if (correction_) estimate.corrected_ms = correction_->CorrectedMs(net, table_);
  return estimate;
}

}  // namespace hwnas::latency
