// Gradient-boosted regression trees through XGBoost's C API (Debian's libxgboost), and the
// ridge+gbt stack: trees fitted to what a ridge model leaves unexplained. Trees capture
// interactions (a block's cost depending on the resolution, on its neighbours) once there are
// enough examples; on a handful they overfit, which is why ridge exists beside them.
#include <xgboost/c_api.h>

#include <nlohmann/json.hpp>

#include <memory>

#include "core/errors.h"
#include "predictors/models.h"

namespace hwnas::predictors {
namespace {

void Check(int status, const char* what) {
  if (status != 0) throw DataError(std::string("xgboost: ") + what + ": " + XGBGetLastError());
}

struct MatrixDeleter {
  void operator()(void* m) const { XGDMatrixFree(m); }
};
using Matrix = std::unique_ptr<void, MatrixDeleter>;

Matrix DenseMatrix(const std::vector<std::vector<double>>& rows) {
  const size_t d = rows.empty() ? 0 : rows.front().size();
  std::vector<float> flat;
  flat.reserve(rows.size() * d);
  for (const auto& row : rows)
    for (double v : row) flat.push_back(static_cast<float>(v));
  DMatrixHandle handle = nullptr;
  Check(XGDMatrixCreateFromMat(flat.data(), rows.size(), d, std::nanf(""), &handle),
        "building a matrix");
  return Matrix(handle);
}

class Gbt : public Predictor {
 public:
  Gbt() = default;
  ~Gbt() override {
    if (booster_ != nullptr) XGBoosterFree(booster_);
  }
  std::string kind() const override { return "gbt"; }
  size_t min_examples() const override { return 5; }

 protected:
  void FitRows(const std::vector<std::vector<double>>& rows,
               const std::vector<double>& targets) override {
    Matrix train = DenseMatrix(rows);
    std::vector<float> labels(targets.begin(), targets.end());
    Check(XGDMatrixSetFloatInfo(train.get(), "label", labels.data(), labels.size()), "labels");
    Reset();
    DMatrixHandle matrices[] = {train.get()};
    Check(XGBoosterCreate(matrices, 1, &booster_), "creating a booster");
    // One thread and a fixed seed: the same examples give the same trees.
    const std::pair<const char*, const char*> params[] = {{"objective", "reg:squarederror"},
                                                          {"max_depth", "4"},
                                                          {"eta", "0.05"},
                                                          {"subsample", "0.8"},
                                                          {"min_child_weight", "2"},
                                                          {"lambda", "1"},
                                                          {"nthread", "1"},
                                                          {"seed", "1"},
                                                          {"verbosity", "0"}};
    for (const auto& [key, value] : params)
      Check(XGBoosterSetParam(booster_, key, value), "setting a parameter");
    for (int round = 0; round < kRounds; ++round)
      Check(XGBoosterUpdateOneIter(booster_, round, train.get()), "training");
  }

  double PredictRow(const std::vector<double>& row) const override {
    return PredictMany({row}).front();
  }

  std::vector<double> PredictMany(const std::vector<std::vector<double>>& rows) const override {
    if (rows.empty()) return {};
    Matrix m = DenseMatrix(rows);
    bst_ulong length = 0;
    const float* out = nullptr;
    Check(XGBoosterPredict(booster_, m.get(), 0, 0, 0, &length, &out), "predicting");
    return std::vector<double>(out, out + length);
  }

  std::string ModelJson() const override {
    bst_ulong length = 0;
    const char* bytes = nullptr;
    Check(XGBoosterSaveModelToBuffer(booster_, R"({"format": "json"})", &length, &bytes), "saving");
    return std::string(bytes, length);
  }

  void LoadModelJson(const std::string& json) override {
    Reset();
    Check(XGBoosterCreate(nullptr, 0, &booster_), "creating a booster");
    Check(XGBoosterLoadModelFromBuffer(booster_, json.data(), json.size()), "loading");
  }

 private:
  static constexpr int kRounds = 300;
  void Reset() {
    if (booster_ != nullptr) XGBoosterFree(booster_);
    booster_ = nullptr;
  }
  BoosterHandle booster_ = nullptr;
};

class RidgeGbt : public Predictor {
 public:
  std::string kind() const override { return "ridge+gbt"; }
  size_t min_examples() const override { return 5; }

 protected:
  void FitRows(const std::vector<std::vector<double>>& rows,
               const std::vector<double>& targets) override {
    Examples examples{features_, rows, targets};
    ridge_->Fit(examples);
    const std::vector<double> base = ridge_->PredictRows(rows);
    for (size_t i = 0; i < rows.size(); ++i) examples.targets[i] -= base[i];
    trees_->Fit(examples);
  }
  double PredictRow(const std::vector<double>& row) const override {
    return ridge_->Predict(row) + trees_->Predict(row);
  }
  std::vector<double> PredictMany(const std::vector<std::vector<double>>& rows) const override {
    std::vector<double> y = ridge_->PredictRows(rows);
    const std::vector<double> residual = trees_->PredictRows(rows);
    for (size_t i = 0; i < y.size(); ++i) y[i] += residual[i];
    return y;
  }
  std::string ModelJson() const override {
    return nlohmann::json{{"ridge", nlohmann::json::parse(ModelOf(*ridge_))},
                          {"gbt", nlohmann::json::parse(ModelOf(*trees_))}}
        .dump();
  }
  void LoadModelJson(const std::string& text) override {
    const nlohmann::json j = nlohmann::json::parse(text);
    LoadInto(*ridge_, features_, j.at("ridge").dump());
    LoadInto(*trees_, features_, j.at("gbt").dump());
  }

 private:
  std::unique_ptr<Predictor> ridge_ = MakeRidge();
  std::unique_ptr<Predictor> trees_ = MakeGbt();
};

}  // namespace

std::unique_ptr<Predictor> MakeGbt() { return std::make_unique<Gbt>(); }
std::unique_ptr<Predictor> MakeRidgeGbt() { return std::make_unique<RidgeGbt>(); }

}  // namespace hwnas::predictors
