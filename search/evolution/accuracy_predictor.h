// The accuracy predictor of a trained supernet: random architectures scored with inherited
// weights (batch norm recomputed per path) on held-out images, encoded as per-block one-hot
// choices plus per-stage counts, and a predictor fitted on most of them; the rest report its
// RMSE and Kendall tau on architectures it did not see.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "core/metrics.h"
#include "core/search_space.h"
#include "predictors/arch_encoding.h"
#include "predictors/predictor.h"

namespace hwnas {
struct Config;
struct DataSplits;

namespace search {

struct AccuracySample {
  Arch arch;
  double accuracy = 0;  // held-out, inherited weights
};

// Where sampling continues from: the samples a stopped run scored, and what is called after
// each new one (the run reports it and writes its checkpoint).
struct SamplingProgress {
  std::vector<AccuracySample> scored;
  std::function<void(const std::vector<AccuracySample>&)> on_sample;
};

// Scores `count` random architectures of the supernet in `checkpoint_path` (a proxyless run's
// search checkpoint) on the first eval_images held-out images, after progress.scored (whose
// architectures must be the first ones drawn; DataError otherwise). Throws Interrupted when *stop.
std::vector<AccuracySample> SampleAccuracies(const SearchSpace& space, const Config& config,
                                             const DataSplits& data,
                                             const std::string& checkpoint_path, int64_t count,
                                             int64_t eval_images, bool show_progress,
                                             const std::atomic<bool>* stop,
                                             const SamplingProgress& progress = {});

predictors::EncodingLayout AccuracyLayout(const SearchSpace& space);

struct AccuracyModel {
  predictors::ArchEncoder encoder;
  std::unique_ptr<predictors::Predictor> predictor;
  size_t train_count = 0;
  // On the held-back samples: count, RMSE and Kendall tau (CompareScaleFree: an accuracy may be
  // 0); count 0 when none.
  Agreement test;

  std::vector<double> Predict(const std::vector<Arch>& archs) const;  // thread-safe
};

// Fits `kind` on the samples but a seeded random test_share of them.
AccuracyModel FitAccuracyModel(const SearchSpace& space, const std::vector<AccuracySample>& samples,
                               const std::string& kind, double test_share, uint64_t seed);

}  // namespace search
}  // namespace hwnas
