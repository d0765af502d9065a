// LatencyEstimator: NetSpec -> milliseconds on one device, with a per-layer breakdown: the sum
// of the layers' table entries times the table's calibrated network scale. Table hits first. A key
// the table lacks is measured and added on a measurable device, and computed on a model device; on
// a table-only device it is an error that names the missing keys. Never a silent default.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "latency/device.h"
#include "latency/network_correction.h"
#include "latency/table.h"

namespace hwnas::latency {

enum class EntrySource { kTable, kMeasured, kModel, kPredicted };
// "table", "measured", "model", "predicted"
const char* EntrySourceName(EntrySource source);

struct LayerEstimate {
  std::string layer;  // NetSpec layer name
  std::string key;    // op key
  double ms = 0;
  EntrySource source = EntrySource::kTable;
};

struct Estimate {
  double total_ms = 0;       // layers_sum_ms x network_scale
  double layers_sum_ms = 0;  // the plain sum of the layers' entries
  double network_scale = 1;  // the table's calibrated network/sum ratio (1 when uncalibrated)
  std::vector<LayerEstimate> layers;
  std::vector<std::string> added_keys;  // entries measured, computed or predicted now
  int64_t predicted_layers = 0;         // layers whose entry is a prediction, not a measurement
  // The table's network-level correction (NetworkCorrection), when it has one.
  std::optional<double> corrected_ms;
};

class OpLatencyModel;

class LatencyEstimator {
 public:
  // `device` may be null: then only `table` answers. With `op_model`, a key a table-only device
  // lacks is predicted (and added to the table marked predicted) instead of being an error.
  // All must outlive the estimator.
  LatencyEstimator(LatencyTable& table, Device* device, const OpLatencyModel* op_model = nullptr)
      : table_(table), device_(device), op_model_(op_model) {}
  Estimate Run(const NetSpec& net);

 private:
  void AddMissing(const NetSpec& net, const std::vector<std::string>& keys, Estimate& estimate);

  LatencyTable& table_;
  Device* device_;
  const OpLatencyModel* op_model_;
  // The table's network correction, read from its properties once, on the first Run.
  bool correction_read_ = false;
  std::optional<NetworkCorrection> correction_;
};

// The latency an entry contributes: its median when known (robust to outliers), else its mean.
double EntryMs(const LatencyEntry& entry);

// The calibrated ratio of end-to-end latency to the sum of layer entries kept in a table's
// properties ("network_scale", see CalibrateNetworkScale); 1 when the table has none.
double NetworkScale(const LatencyTable& table);
void SetNetworkScale(LatencyTable& table, double scale, int64_t calibration_networks);

}  // namespace hwnas::latency
