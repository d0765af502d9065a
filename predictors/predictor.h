// Learned regressors over named numeric features: the Predictor interface (fit, predict, save,
// load, report its error) and the factory of implementations by name. The figures a predictor
// is judged by (Kendall tau, share within 10%, RMSE, MAPE) are core/metrics.h. Torch-free.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/metrics.h"

namespace hwnas::predictors {

// Training or test data: one row of feature values per example, in the order of `features`.
struct Examples {
  std::vector<std::string> features;
  std::vector<std::vector<double>> rows;
  std::vector<double> targets;

  size_t size() const { return rows.size(); }
  void Add(std::vector<double> row, double target);  // throws DataError on a wrong row length
};

class Predictor {
 public:
  virtual ~Predictor() = default;
  virtual std::string kind() const = 0;  // its factory name
  // Throws DataError when there are fewer examples than min_examples() or rows do not match.
  void Fit(const Examples& examples);
  // Throws DataError when the row's length differs from features().
  double Predict(const std::vector<double>& row) const;
  std::vector<double> PredictAll(const Examples& examples) const;  // checks the feature names
  std::vector<double> PredictRows(const std::vector<std::vector<double>>& rows) const;
  const std::vector<std::string>& features() const { return features_; }
  virtual size_t min_examples() const { return 2; }

  // A JSON file {kind, features, model}; written atomically.
  void Save(const std::string& path) const;
  std::string ToJson() const;  // the same text

 protected:
  virtual void FitRows(const std::vector<std::vector<double>>& rows,
                       const std::vector<double>& targets) = 0;
  virtual double PredictRow(const std::vector<double>& row) const = 0;
  virtual std::vector<double> PredictMany(const std::vector<std::vector<double>>& rows) const;
  virtual std::string ModelJson() const = 0;  // the fitted model, as JSON text
  virtual void LoadModelJson(const std::string& json) = 0;
  friend std::unique_ptr<Predictor> PredictorFromJson(const std::string& text,
                                                      const std::string& what);
  // For predictors built from others (ridge+gbt): a part's model, and loading one into a part.
  static std::string ModelOf(const Predictor& part) { return part.ModelJson(); }
  static void LoadInto(Predictor& part, const std::vector<std::string>& features,
                       const std::string& json);

  std::vector<std::string> features_;
  bool fitted_ = false;
};

// "ridge": least squares on standardized features with an L2 penalty (few examples, additive
// effects); "gbt": gradient-boosted trees (XGBoost) for interactions once there are many
// examples; "ridge+gbt": trees fitted to the ridge model's residuals. Throws UsageError listing
// the known names.
std::unique_ptr<Predictor> MakePredictor(const std::string& kind);
std::vector<std::string> PredictorKinds();
// Throws DataError naming the file when it is not a saved predictor.
std::unique_ptr<Predictor> LoadPredictor(const std::string& path);
// From ToJson text; `what` names its origin in errors.
std::unique_ptr<Predictor> PredictorFromJson(const std::string& text, const std::string& what);

// The predictor's agreement with the test targets (CompareToTruth: targets must be > 0).
Agreement Evaluate(const Predictor& predictor, const Examples& test);

}  // namespace hwnas::predictors
