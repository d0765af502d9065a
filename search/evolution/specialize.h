// Specialization of one trained supernet to many (device, latency target) pairs, Once-for-All
// style: the accuracy predictor is fitted once, then each target gets an evolutionary search on
// the predictor and the device's latency estimate (seconds, no training), and the network found
// is scored with inherited weights or fine-tuned. Reports through Reporter only.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "core/reporter.h"
#include "core/search_space.h"
#include "search/evolution/accuracy_predictor.h"
#include "search/evolution/evolution.h"
#include "search/trainer.h"

namespace hwnas {
struct Config;
struct DataSplits;

namespace search {

struct LatencyTarget {
  std::string device;
  double target_ms = 0;
  std::function<double(const Arch&)> latency_ms;  // the device's estimate; thread-safe
  // Times a network end to end on the device (empty: the device cannot be measured here).
  std::function<double(const NetSpec&)> measure_ms;
};

struct SpecializedNetwork {
  Arch arch;
  NetSpec net;
  double predicted_accuracy = 0;
  double estimated_ms = 0;
  double inherited_test_accuracy = 0;  // supernet weights, batch norm recomputed for the path
  double search_seconds = 0;           // the evolutionary search alone
  int64_t evaluated = 0;               // latency estimates it made
  std::optional<TrainResult> finetuned;
  std::optional<double> measured_ms;  // end to end, when the target can be measured
};

class Specializer {
 public:
  // `config` is the evolution config with the data options of the supernet's run (the same
  // held-out split); `checkpoint` the run's search checkpoint.
  Specializer(const SearchSpace& space, const Config& config, const DataSplits& data,
              std::string checkpoint);
  ~Specializer();

  // Samples and fits the accuracy predictor; reports each new sample as it is scored (role
  // "sample", step = its index, accuracy = held-out with inherited weights; then
  // progress.on_sample) and, unless `fit_reported`, the predictor's error metrics.
  const AccuracyModel& FitPredictor(Reporter& reporter, bool show_progress,
                                    const std::atomic<bool>* stop,
                                    const SamplingProgress& progress = {},
                                    bool fit_reported = false);
  // One target (after FitPredictor): evolution, then the network scored or fine-tuned; its final
  // architecture and metrics go to `reporter`; target.measure_ms times it.
  SpecializedNetwork Specialize(const LatencyTarget& target, Reporter& reporter,
                                const TrainContext& context);

 private:
  const SearchSpace& space_;
  const Config& config_;
  const DataSplits& data_;
  std::string checkpoint_;
  std::optional<AccuracyModel> model_;
};

}  // namespace search
}  // namespace hwnas
