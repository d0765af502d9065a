#include "latency/op_predictor.h"

#include <cmath>

#include "core/errors.h"
#include "latency/estimator.h"
#include "latency/op_key.h"

namespace hwnas::latency {
namespace {

double Log(double v) { return std::log1p(std::max(0.0, v)); }

// Multiply-accumulates of the op a key names, by part: (expand, depthwise or conv, project).
struct OpWork {
  double expand = 0, spatial = 0, project = 0;
};

OpWork WorkOf(const ParsedKey& k) {
  OpWork w;
  const double in_hw = static_cast<double>(k.input.h * k.input.w);
  const double out_hw = static_cast<double>(k.output.h * k.output.w);
  const double kernel = static_cast<double>(k.kernel.value_or(k.op == "Conv_1" ? 1 : 3));
  if (k.op == "expanded_conv") {
    const double mid = static_cast<double>(k.MidChannels());
    if (mid != static_cast<double>(k.input.c)) w.expand = in_hw * k.input.c * mid;
    w.spatial = out_hw * mid * kernel * kernel;
    w.project = out_hw * mid * k.output.c;
  } else if (k.op == "Logits") {
    w.spatial = in_hw * k.input.c;  // global pooling
    w.project = static_cast<double>(k.input.c * k.classes);
  } else if (k.op == "AvgPool2D") {
    w.spatial = in_hw * k.input.c;
  } else {
    w.spatial = out_hw * k.input.c * k.output.c * kernel * kernel;
  }
  return w;
}

}  // namespace

const std::vector<std::string>& OpKeyFeatureNames() {
  static const std::vector<std::string> names = {"op=conv",
                                                 "op=expanded_conv",
                                                 "op=logits",
                                                 "op=pool",
                                                 "log_macs",
                                                 "log_expand",
                                                 "log_spatial",
                                                 "log_project",
                                                 "log_in_elems",
                                                 "log_out_elems",
                                                 "log_mid_elems",
                                                 "kernel",
                                                 "stride",
                                                 "idskip",
                                                 "se",
                                                 "hs",
                                                 "log_weight_bits",
                                                 "log_activation_bits"};
  return names;
}

std::vector<double> OpKeyFeatures(const std::string& key) {
  const ParsedKey k = ParseOpKey(key);
  const OpWork w = WorkOf(k);
  const bool conv = k.op == "Conv" || k.op == "Conv_1" || k.op == "Conv_2";
  const double out_hw = static_cast<double>(k.output.h * k.output.w);
  double weight_bits = k.weight_bits.value_or(32), activation_bits = k.activation_bits.value_or(32);
  if (!k.op_bits.empty()) {  // per-operator bits: their means
    weight_bits = activation_bits = 0;
    for (const OpBits& b : k.op_bits) {
      weight_bits += b.weight / static_cast<double>(k.op_bits.size());
      activation_bits += b.activation / static_cast<double>(k.op_bits.size());
    }
  }
  return {conv ? 1.0 : 0.0,
          k.op == "expanded_conv" ? 1.0 : 0.0,
          k.op == "Logits" ? 1.0 : 0.0,
          k.op == "AvgPool2D" ? 1.0 : 0.0,
          Log(w.expand + w.spatial + w.project),
          Log(w.expand),
          Log(w.spatial),
          Log(w.project),
          Log(static_cast<double>(k.input.h * k.input.w * k.input.c)),
          Log(out_hw * k.output.c),
          Log(out_hw * k.MidChannels()),
          static_cast<double>(k.kernel.value_or(0)),
          static_cast<double>(k.stride.value_or(1)),
          k.idskip.value_or(false) ? 1.0 : 0.0,
          k.se.value_or(false) ? 1.0 : 0.0,
          k.hs.value_or(false) ? 1.0 : 0.0,
          std::log(weight_bits),
          std::log(activation_bits)};
}

namespace {

predictors::Examples TableExamples(const LatencyTable& table) {
  predictors::Examples e;
  e.features = OpKeyFeatureNames();
  for (const auto& [key, stats] : table.entries())
    if (!stats.predicted && EntryMs(stats) > 0) e.Add(OpKeyFeatures(key), std::log(EntryMs(stats)));
  return e;
}

}  // namespace

OpLatencyModel OpLatencyModel::Fit(const LatencyTable& table, const std::string& kind) {
  const predictors::Examples examples = TableExamples(table);
  auto predictor = predictors::MakePredictor(kind);
  try {
    predictor->Fit(examples);
  } catch (const DataError& e) {
    throw DataError("cannot fit an op latency model on the table of device '" +
                    table.info().device + "': " + e.what());
  }
  OpLatencyModel model;
  model.predictor_ = std::move(predictor);
  model.examples_ = examples.size();
  return model;
}

double OpLatencyModel::PredictMs(const std::string& key) const {
  return std::exp(predictor_->Predict(OpKeyFeatures(key)));
}

Agreement OpLatencyModel::CrossValidate(const LatencyTable& table, const std::string& kind,
                                        int folds) {
  const predictors::Examples all = TableExamples(table);
  std::vector<double> predicted(all.size()), measured(all.size());
  for (int f = 0; f < folds; ++f) {
    predictors::Examples train, test;
    train.features = test.features = all.features;
    for (size_t i = 0; i < all.size(); ++i)
      (static_cast<int>(i % folds) == f ? test : train).Add(all.rows[i], all.targets[i]);
    if (test.size() == 0) continue;
    auto predictor = predictors::MakePredictor(kind);
    predictor->Fit(train);
    const std::vector<double> p = predictor->PredictAll(test);
    for (size_t i = f, k = 0; i < all.size(); i += folds, ++k) {
      predicted[i] = std::exp(p[k]);
      measured[i] = std::exp(all.targets[i]);
    }
  }
  return CompareToTruth(predicted, measured);
}

std::vector<std::string> AddPredictedEntries(LatencyTable& table,
                                             const std::vector<std::string>& keys,
                                             const OpLatencyModel& model) {
  std::vector<std::string> added;
  for (const std::string& key : table.MissingKeys(keys)) {
    if (table.Contains(key)) continue;  // a key listed twice
    LatencyEntry stats;
    stats.mean = stats.median = stats.p10 = stats.p90 = model.PredictMs(key);
    stats.count = 0;
    stats.predicted = true;
    table.Set(key, stats);
    added.push_back(key);
  }
  return added;
}

}  // namespace hwnas::latency
