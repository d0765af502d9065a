#include "predictors/experiment.h"

#include <chrono>
#include <numeric>

#include "core/errors.h"
#include "core/rng.h"
#include "predictors/arch_encoding.h"

namespace hwnas::predictors {
namespace {

Examples WithPrior(Examples examples, const std::vector<double>& prior, const std::string& name) {
  examples.features = {"prior:" + name, "prior:" + name + "^2"};
  for (size_t i = 0; i < examples.rows.size(); ++i)
    examples.rows[i] = {prior[i], prior[i] * prior[i]};
  return examples;
}

std::vector<double> PriorPredictions(const MeasuredArchs& data, size_t column) {
  const Examples all = ColumnExamples(data, column);
  auto prior = MakePredictor("ridge+gbt");
  prior->Fit(all);
  return prior->PredictAll(all);
}

// The mean over `repeats` splits of `model` fitted on `train` examples.
SplitResult ScoreSplits(const Examples& all, const std::string& model, int64_t train,
                        const SplitOptions& options) {
  if (train < 1 || static_cast<size_t>(train) >= all.size())
    throw DataError("a training set of " + std::to_string(train) + " leaves no test examples (" +
                    std::to_string(all.size()) + " in all)");
  SplitResult result;
  result.train = train;
  result.model = model;
  Agreement& mean = result.mean;
  const double repeats = static_cast<double>(options.repeats);
  for (int64_t r = 0; r < options.repeats; ++r) {
    const Split split =
        RandomSplit(all, static_cast<size_t>(train), options.seed, static_cast<uint64_t>(r));
    auto predictor = MakePredictor(model);
    const auto start = std::chrono::steady_clock::now();
    predictor->Fit(split.train);
    result.fit_seconds +=
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() / repeats;
    const Agreement e = Evaluate(*predictor, split.test);
    mean.count = e.count;
    mean.kendall_tau += e.kendall_tau / repeats;
    mean.within_5 += e.within_5 / repeats;
    mean.within_10 += e.within_10 / repeats;
    mean.mape += e.mape / repeats;
    mean.max_ape += e.max_ape / repeats;
    mean.rmse += e.rmse / repeats;
  }
  return result;
}

}  // namespace

Split RandomSplit(const Examples& all, size_t train, uint64_t seed, uint64_t index) {
  if (train > all.size())
    throw DataError("cannot train on " + std::to_string(train) + " of " +
                    std::to_string(all.size()) + " examples");
  std::vector<size_t> order(all.size());
  std::iota(order.begin(), order.end(), 0);
  Rng rng(DeriveSeed(seed, rng_stream::kPredictorSplit, index));
  Shuffle(order, rng);
  Split split;
  split.train.features = split.test.features = all.features;
  for (size_t k = 0; k < order.size(); ++k)
    (k < train ? split.train : split.test).Add(all.rows[order[k]], all.targets[order[k]]);
  return split;
}

Examples ColumnExamples(const MeasuredArchs& data, size_t column) {
  return ArchEncoder(data.layout).Encode(data.samples, data.latency.at(column));
}

std::vector<SplitResult> RepeatedSplits(const MeasuredArchs& data, const SplitOptions& options,
                                        const std::function<void(const SplitResult&)>& on_result) {
  for (const std::string& m : options.models) MakePredictor(m);  // unknown names before any fit
  std::vector<double> prior;
  if (options.prior) prior = PriorPredictions(data, *options.prior);
  std::vector<SplitResult> results;
  for (size_t column : options.columns) {
    if (options.prior && column == *options.prior) continue;
    Examples all = ColumnExamples(data, column);
    if (options.prior) all = WithPrior(std::move(all), prior, data.columns[*options.prior]);
    for (int64_t n : options.train)
      for (const std::string& model : options.models) {
        results.push_back(ScoreSplits(all, model, n, options));
        results.back().column = column;
        if (on_result) on_result(results.back());
      }
  }
  return results;
}

FittedPredictor FitColumn(const MeasuredArchs& data, size_t column, const std::string& model,
                          size_t train, uint64_t seed) {
  const Split split = RandomSplit(ColumnExamples(data, column), train, seed);
  FittedPredictor fitted{MakePredictor(model), std::nullopt};
  fitted.predictor->Fit(split.train);
  if (split.test.size() > 0) fitted.held_out = Evaluate(*fitted.predictor, split.test);
  return fitted;
}

}  // namespace hwnas::predictors
