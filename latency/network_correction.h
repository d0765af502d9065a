// The network-level latency correction of one table: a predictor fitted on networks measured
// end to end (`hwnas latency validate` runs) from what the table says about them (the plain sum
// of their entries, the sums per layer kind, layer counts, work) to what they measured. It
// learns what a sum of isolated layers misses: caches evicted between layers, per-layer overhead.
// Kept in the table's properties, so every estimate on the table can report it.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/netspec.h"
#include "latency/table.h"
#include "predictors/predictor.h"

namespace hwnas::latency {

const std::vector<std::string>& NetworkFeatureNames();
// DataError naming the first key the table lacks.
std::vector<double> NetworkFeatures(const NetSpec& net, const LatencyTable& table);

class NetworkCorrection {
 public:
  // Throws DataError on too few networks or a key the table lacks.
  static NetworkCorrection Fit(const std::vector<NetSpec>& nets,
                               const std::vector<double>& measured_ms, const LatencyTable& table,
                               const std::string& kind = "ridge");
  // The one kept in the table's properties, if any (DataError if it cannot be read).
  static std::optional<NetworkCorrection> Of(const LatencyTable& table);
  void StoreIn(LatencyTable& table, int64_t networks) const;

  double CorrectedMs(const NetSpec& net, const LatencyTable& table) const;

 private:
  std::shared_ptr<const predictors::Predictor> predictor_;
};

}  // namespace hwnas::latency
