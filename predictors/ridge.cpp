// Ridge regression: least squares on standardized features with an L2 penalty chosen by
// leave-one-out error, solved by a Cholesky factorisation of the normal equations. With few
// examples and additive effects (the latency of a network is close to a sum over its blocks) it
// generalises better than trees.
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>

#include "core/errors.h"
#include "predictors/models.h"

namespace hwnas::predictors {
namespace {

// The Cholesky factor L (lower, row-major n x n) of a symmetric positive definite matrix.
std::vector<double> Cholesky(std::vector<double> a, size_t n) {
  for (size_t j = 0; j < n; ++j) {
    double d = a[j * n + j];
    for (size_t k = 0; k < j; ++k) d -= a[j * n + k] * a[j * n + k];
    if (d <= 0) throw DataError("ridge: the normal equations are not positive definite");
    a[j * n + j] = std::sqrt(d);
    for (size_t i = j + 1; i < n; ++i) {
      double s = a[i * n + j];
      for (size_t k = 0; k < j; ++k) s -= a[i * n + k] * a[j * n + k];
      a[i * n + j] = s / a[j * n + j];
    }
  }
  return a;
}

std::vector<double> ForwardSolve(const std::vector<double>& l, std::vector<double> b, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    for (size_t k = 0; k < i; ++k) b[i] -= l[i * n + k] * b[k];
    b[i] /= l[i * n + i];
  }
  return b;
}

std::vector<double> BackSolve(const std::vector<double>& l, std::vector<double> b, size_t n) {
  for (size_t i = n; i-- > 0;) {
    for (size_t k = i + 1; k < n; ++k) b[i] -= l[k * n + i] * b[k];
    b[i] /= l[i * n + i];
  }
  return b;
}

// The penalties tried; the one with the smallest leave-one-out error wins.
constexpr double kLambdas[] = {0.01, 0.03, 0.1, 0.3, 1, 3, 10, 30, 100, 300, 1000};

class Ridge : public Predictor {
 public:
  Ridge() = default;
  std::string kind() const override { return "ridge"; }

 protected:
  void FitRows(const std::vector<std::vector<double>>& rows,
               const std::vector<double>& targets) override {
    const size_t n = rows.size(), d = rows.front().size();
    mean_.assign(d, 0);
    scale_.assign(d, 0);
    for (const auto& row : rows)
      for (size_t j = 0; j < d; ++j) mean_[j] += row[j] / n;
    for (const auto& row : rows)
      for (size_t j = 0; j < d; ++j) scale_[j] += (row[j] - mean_[j]) * (row[j] - mean_[j]) / n;
    for (double& s : scale_) s = s > 1e-24 ? std::sqrt(s) : 0;  // constant features drop out
    intercept_ = 0;
    for (double t : targets) intercept_ += t / n;
    std::vector<std::vector<double>> z;
    for (const auto& row : rows) z.push_back(Standardized(row));
    std::vector<double> gram(d * d, 0), rhs(d, 0);
    for (size_t i = 0; i < n; ++i)
      for (size_t a = 0; a < d; ++a) {
        rhs[a] += z[i][a] * (targets[i] - intercept_);
        for (size_t b = 0; b < d; ++b) gram[a * d + b] += z[i][a] * z[i][b];
      }
    double best_error = -1;
    for (double lambda : kLambdas) {
      std::vector<double> penalised = gram;
      for (size_t a = 0; a < d; ++a) penalised[a * d + a] += lambda;
      const std::vector<double> l = Cholesky(std::move(penalised), d);
      std::vector<double> w = BackSolve(l, ForwardSolve(l, rhs, d), d);
      const double error = LeaveOneOutError(l, w, z, targets);
      if (best_error < 0 || error < best_error) {
        best_error = error;
        lambda_ = lambda;
        weights_ = std::move(w);
      }
    }
  }

  // Ridge's closed-form leave-one-out error: residual_i / (1 - h_i - 1/n), h_i = z_i' A^-1 z_i
  // (the 1/n for the intercept, which is the mean).
  double LeaveOneOutError(const std::vector<double>& l, const std::vector<double>& w,
                          const std::vector<std::vector<double>>& z,
                          const std::vector<double>& targets) const {
    const size_t n = z.size(), d = w.size();
    double sum = 0;
    for (size_t i = 0; i < n; ++i) {
      double fitted = intercept_;
      for (size_t j = 0; j < d; ++j) fitted += w[j] * z[i][j];
      double h = 1.0 / n;
      for (double v : ForwardSolve(l, z[i], d)) h += v * v;
      const double residual = (targets[i] - fitted) / std::max(1 - h, 1e-6);
      sum += residual * residual;
    }
    return sum / n;
  }

  double PredictRow(const std::vector<double>& row) const override {
    const std::vector<double> z = Standardized(row);
    double y = intercept_;
    for (size_t j = 0; j < z.size(); ++j) y += weights_[j] * z[j];
    return y;
  }

  std::string ModelJson() const override {
    return nlohmann::json{{"lambda", lambda_},
                          {"intercept", intercept_},
                          {"mean", mean_},
                          {"scale", scale_},
                          {"weights", weights_}}
        .dump();
  }
  void LoadModelJson(const std::string& text) override {
    const nlohmann::json j = nlohmann::json::parse(text);
    lambda_ = j.at("lambda").get<double>();
    intercept_ = j.at("intercept").get<double>();
    mean_ = j.at("mean").get<std::vector<double>>();
    scale_ = j.at("scale").get<std::vector<double>>();
    weights_ = j.at("weights").get<std::vector<double>>();
    if (mean_.size() != features_.size() || scale_.size() != features_.size() ||
        weights_.size() != features_.size())
      throw DataError("ridge model of " + std::to_string(weights_.size()) + " weights for " +
                      std::to_string(features_.size()) + " features");
  }

 private:
  std::vector<double> Standardized(const std::vector<double>& row) const {
    std::vector<double> z(row.size(), 0);
    for (size_t j = 0; j < row.size(); ++j)
      if (scale_[j] > 0) z[j] = (row[j] - mean_[j]) / scale_[j];
    return z;
  }

  double lambda_ = 1;  // chosen by leave-one-out error when fitted
  double intercept_ = 0;
  std::vector<double> mean_, scale_, weights_;
};

}  // namespace

std::unique_ptr<Predictor> MakeRidge() { return std::make_unique<Ridge>(); }

}  // namespace hwnas::predictors
