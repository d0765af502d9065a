// The op-level latency model of one device: a predictor fitted on the entries of the device's
// table (op type, shapes, channels, mid channels, kernel, stride, bits, and the work they imply)
// that answers keys the table lacks, e.g. pruned channel counts or other resolutions on a phone
// whose table was imported. Answers are estimates and are marked predicted wherever they go.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "latency/table.h"
#include "predictors/predictor.h"

namespace hwnas::latency {

// The features of one op key; DataError for a malformed key.
std::vector<double> OpKeyFeatures(const std::string& key);
const std::vector<std::string>& OpKeyFeatureNames();

class OpLatencyModel {
 public:
  // Fits `kind` (predictors::MakePredictor) on log latency of every entry of `table` that is
  // not itself predicted. DataError when the table has too few entries.
  static OpLatencyModel Fit(const LatencyTable& table, const std::string& kind = "ridge+gbt");
  double PredictMs(const std::string& key) const;  // thread-safe
  size_t examples() const { return examples_; }

  // k-fold cross-validation on the table's own entries: each entry predicted by a model that
  // never saw it.
  static Agreement CrossValidate(const LatencyTable& table, const std::string& kind, int folds = 5);

 private:
  std::shared_ptr<const predictors::Predictor> predictor_;
  size_t examples_ = 0;
};

// Adds an entry marked predicted for every key of `keys` the table lacks; returns those keys.
std::vector<std::string> AddPredictedEntries(LatencyTable& table,
                                             const std::vector<std::string>& keys,
                                             const OpLatencyModel& model);

}  // namespace hwnas::latency
