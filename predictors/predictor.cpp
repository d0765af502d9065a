#include "predictors/predictor.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "core/atomic_file.h"
#include "core/errors.h"
#include "predictors/models.h"

namespace hwnas::predictors {

void Examples::Add(std::vector<double> row, double target) {
  if (row.size() != features.size())
    throw DataError("an example has " + std::to_string(row.size()) + " feature values, expected " +
                    std::to_string(features.size()));
  rows.push_back(std::move(row));
  targets.push_back(target);
}

void Predictor::Fit(const Examples& examples) {
  if (examples.size() < min_examples())
    throw DataError("too few examples to fit a " + kind() + " predictor (got " +
                    std::to_string(examples.size()) + "; expected at least " +
                    std::to_string(min_examples()) + ")");
  if (examples.targets.size() != examples.rows.size())
    throw DataError("examples have " + std::to_string(examples.rows.size()) + " rows but " +
                    std::to_string(examples.targets.size()) + " targets");
  for (const auto& row : examples.rows)
    if (row.size() != examples.features.size())
      throw DataError("an example has " + std::to_string(row.size()) +
                      " feature values, expected " + std::to_string(examples.features.size()));
  features_ = examples.features;
  FitRows(examples.rows, examples.targets);
  fitted_ = true;
}

double Predictor::Predict(const std::vector<double>& row) const {
  if (!fitted_) throw DataError("the " + kind() + " predictor has not been fitted");
  if (row.size() != features_.size())
    throw DataError("a row of " + std::to_string(row.size()) + " features for a predictor of " +
                    std::to_string(features_.size()));
  return PredictRow(row);
}

// Feature names must match the predictor's, in order: the first difference is named.
std::vector<double> Predictor::PredictAll(const Examples& examples) const {
  const size_t n = std::max(features_.size(), examples.features.size());
  for (size_t i = 0; i < n; ++i) {
    const std::string want = i < features_.size() ? features_[i] : "(none)";
    const std::string got = i < examples.features.size() ? examples.features[i] : "(none)";
    if (want != got)
      throw DataError("features do not match the predictor: feature " + std::to_string(i + 1) +
                      " is '" + got + "', the predictor was fitted with '" + want + "' (" +
                      std::to_string(features_.size()) + " features)");
  }
  return PredictRows(examples.rows);
}

std::vector<double> Predictor::PredictRows(const std::vector<std::vector<double>>& rows) const {
  if (!fitted_) throw DataError("the " + kind() + " predictor has not been fitted");
  for (const auto& row : rows)
    if (row.size() != features_.size())
      throw DataError("a row of " + std::to_string(row.size()) + " features for a predictor of " +
                      std::to_string(features_.size()));
  return PredictMany(rows);
}

std::vector<double> Predictor::PredictMany(const std::vector<std::vector<double>>& rows) const {
  std::vector<double> out;
  out.reserve(rows.size());
  for (const auto& row : rows) out.push_back(PredictRow(row));
  return out;
}

std::string Predictor::ToJson() const {
  if (!fitted_) throw DataError("the " + kind() + " predictor has not been fitted");
  nlohmann::json j{{"format", "hwnas-predictor"},
                   {"version", 1},
                   {"kind", kind()},
                   {"features", features_},
                   {"model", nlohmann::json::parse(ModelJson())}};
  return j.dump();
}

void Predictor::Save(const std::string& path) const {
  WriteFileAtomically(path, ToJson() + "\n", "predictor");
}

void Predictor::LoadInto(Predictor& part, const std::vector<std::string>& features,
                         const std::string& json) {
  part.features_ = features;
  part.LoadModelJson(json);
  part.fitted_ = true;
}

std::vector<std::string> PredictorKinds() { return {"ridge", "gbt", "ridge+gbt"}; }

std::unique_ptr<Predictor> MakePredictor(const std::string& kind) {
  if (kind == "ridge") return MakeRidge();
  if (kind == "gbt") return MakeGbt();
  if (kind == "ridge+gbt") return MakeRidgeGbt();
  std::string known;
  for (const std::string& k : PredictorKinds()) known += (known.empty() ? "" : ", ") + k;
  throw UsageError("unknown predictor '" + kind + "' (known: " + known + ")");
}

std::unique_ptr<Predictor> PredictorFromJson(const std::string& text, const std::string& what) {
  try {
    const nlohmann::json j = nlohmann::json::parse(text);
    if (!j.is_object() || j.value("format", "") != "hwnas-predictor")
      throw DataError(what + " is not an hwnas predictor (no \"format\": \"hwnas-predictor\")");
    std::unique_ptr<Predictor> p = MakePredictor(j.at("kind").get<std::string>());
    Predictor::LoadInto(*p, j.at("features").get<std::vector<std::string>>(), j.at("model").dump());
    return p;
  } catch (const nlohmann::json::exception& e) {
    throw DataError(what + ": " + e.what());
  } catch (const UsageError& e) {
    throw DataError(what + ": " + e.what());
  }
}

std::unique_ptr<Predictor> LoadPredictor(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw IoError("cannot read predictor '" + path + "'");
  std::stringstream text;
  text << in.rdbuf();
  return PredictorFromJson(text.str(), "'" + path + "'");
}

Agreement Evaluate(const Predictor& predictor, const Examples& test) {
  return CompareToTruth(predictor.PredictAll(test), test.targets);
}

}  // namespace hwnas::predictors
