// Experiments with latency predictors on architectures measured end to end (MeasuredArchs):
// seeded random train/test splits (core/rng.h), fits scored on the architectures they did not
// see and averaged over repeated splits, a predictor fitted on one column, and a saved one
// scored on a column. Columns are indices into MeasuredArchs::columns; naming them is the
// caller's. Torch-free.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/metrics.h"
#include "predictors/arch_csv.h"
#include "predictors/predictor.h"

namespace hwnas::predictors {

struct Split {
  Examples train;
  Examples test;
};

// `train` examples of `all` in a seeded random order, the rest as the test set. Split `index`
// of a seed is the same on every platform; different indices give independent splits. Throws
// DataError when `train` exceeds the examples.
Split RandomSplit(const Examples& all, size_t train, uint64_t seed, uint64_t index = 0);

// The examples of one latency column, encoded by data.layout.
Examples ColumnExamples(const MeasuredArchs& data, size_t column);

struct SplitOptions {
  std::vector<size_t> columns;
  std::vector<int64_t> train = {20, 100, 1000};  // training set sizes, each below the examples
  std::vector<std::string> models = {"ridge"};
  int64_t repeats = 3;  // random splits averaged: split r is RandomSplit index r
  uint64_t seed = 1;
  // Transfer from another device, as HELP does with its meta-training devices: a predictor
  // fitted on every architecture of this column answers for each architecture, and the other
  // columns only learn how their latency maps from that answer (a quadratic), which a handful
  // of examples can do where the whole encoding needs hundreds. The column itself is skipped.
  std::optional<size_t> prior;
};

struct SplitResult {
  size_t column = 0;
  int64_t train = 0;
  std::string model;
  Agreement mean;          // each figure averaged over the repeats; count: the test set's size
  double fit_seconds = 0;  // mean time to fit
};

// For every column, training set size and model, in that order: `repeats` predictors fitted
// on random splits and scored on their test sets. `on_result` (optional) sees each result as
// soon as it is known. Throws DataError when a training set leaves no test examples and
// UsageError on an unknown model.
std::vector<SplitResult> RepeatedSplits(const MeasuredArchs& data, const SplitOptions& options,
                                        const std::function<void(const SplitResult&)>& on_result);

struct FittedPredictor {
  std::unique_ptr<Predictor> predictor;
  std::optional<Agreement> held_out;  // on the examples not fitted on, when there are any
};

// `model` fitted on `train` examples of `column` drawn as RandomSplit(seed) draws them.
FittedPredictor FitColumn(const MeasuredArchs& data, size_t column, const std::string& model,
                          size_t train, uint64_t seed);

}  // namespace hwnas::predictors
