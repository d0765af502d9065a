#include "predictors/predictor.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <random>

#include "core/errors.h"

namespace hwnas::predictors {
namespace {

std::string MessageOf(const std::function<void()>& f) {
  try {
    f();
  } catch (const std::exception& e) {
    return e.what();
  }
  return "(no exception)";
}

// y = 3 + 2a - b + noise-free, a and b uniform in [0, 10).
Examples Linear(size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(0, 10);
  Examples e;
  e.features = {"a", "b"};
  for (size_t i = 0; i < n; ++i) {
    const double a = u(rng), b = u(rng);
    e.Add({a, b}, 3 + 2 * a - b);
  }
  return e;
}

// y = a * b: an interaction no linear model of a and b can represent.
Examples Product(size_t n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(1, 10);
  Examples e;
  e.features = {"a", "b"};
  for (size_t i = 0; i < n; ++i) {
    const double a = u(rng), b = u(rng);
    e.Add({a, b}, a * b);
  }
  return e;
}

TEST(RidgeTest, LearnsALinearFunction) {
  auto ridge = MakePredictor("ridge");
  ridge->Fit(Linear(200, 1));
  // Targets reach -7: percentage errors are undefined, rank and RMSE are not.
  const Examples test = Linear(100, 2);
  const Agreement e = CompareScaleFree(ridge->PredictAll(test), test.targets);
  EXPECT_DOUBLE_EQ(e.kendall_tau, 1.0);
  EXPECT_LT(e.rmse, 0.05);  // only the small L2 shrinkage
  EXPECT_NEAR(ridge->Predict({5, 5}), 8.0, 0.05);
}

TEST(GbtTest, LearnsAnInteractionRidgeCannot) {
  const Examples train = Product(400, 3), test = Product(200, 4);
  auto ridge = MakePredictor("ridge"), gbt = MakePredictor("gbt"),
       both = MakePredictor("ridge+gbt");
  ridge->Fit(train);
  gbt->Fit(train);
  both->Fit(train);
  const Agreement r = Evaluate(*ridge, test), g = Evaluate(*gbt, test), b = Evaluate(*both, test);
  EXPECT_LT(g.rmse, 0.5 * r.rmse);
  EXPECT_LT(b.rmse, 0.5 * r.rmse);
  EXPECT_GT(g.kendall_tau, 0.9);
}

TEST(PredictorTest, SaveAndLoadGiveTheSamePredictions) {
  const std::string dir = HWNAS_TEST_TMP "/predictors";
  std::filesystem::create_directories(dir);
  const Examples train = Product(100, 5), test = Product(20, 6);
  for (const std::string& kind : PredictorKinds()) {
    auto p = MakePredictor(kind);
    p->Fit(train);
    const std::string path = dir + "/" + kind + ".json";
    p->Save(path);
    auto loaded = LoadPredictor(path);
    EXPECT_EQ(loaded->kind(), kind);
    EXPECT_EQ(loaded->features(), train.features);
    const std::vector<double> a = p->PredictAll(test), b = loaded->PredictAll(test);
    for (size_t i = 0; i < a.size(); ++i) EXPECT_NEAR(a[i], b[i], 1e-5 * std::abs(a[i])) << kind;
  }
}

TEST(PredictorTest, BadInputIsRefusedWithAClearMessage) {
  auto ridge = MakePredictor("ridge");
  EXPECT_EQ(MessageOf([&] { ridge->Fit(Linear(1, 1)); }),
            "too few examples to fit a ridge predictor (got 1; expected at least 2)");
  EXPECT_EQ(MessageOf([&] { MakePredictor("gbt")->Fit(Linear(4, 1)); }),
            "too few examples to fit a gbt predictor (got 4; expected at least 5)");
  EXPECT_EQ(MessageOf([&] { MakePredictor("forest"); }),
            "unknown predictor 'forest' (known: ridge, gbt, ridge+gbt)");
  EXPECT_EQ(MessageOf([&] { ridge->Predict({1, 2}); }), "the ridge predictor has not been fitted");
  ridge->Fit(Linear(10, 1));
  Examples other = Linear(3, 2);
  other.features = {"a", "c"};
  EXPECT_EQ(MessageOf([&] { ridge->PredictAll(other); }),
            "features do not match the predictor: feature 2 is 'c', the predictor was fitted "
            "with 'b' (2 features)");
  EXPECT_EQ(MessageOf([&] { ridge->Predict({1}); }), "a row of 1 features for a predictor of 2");
  Examples e;
  e.features = {"a"};
  EXPECT_THROW(e.Add({1, 2}, 0), DataError);
}

TEST(PredictorTest, LoadRefusesAFileThatIsNoPredictor) {
  const std::string path = HWNAS_TEST_TMP "/predictors/not-a-predictor.json";
  std::filesystem::create_directories(HWNAS_TEST_TMP "/predictors");
  { std::ofstream(path) << "{\"kind\": \"ridge\"}\n"; }
  EXPECT_EQ(MessageOf([&] { LoadPredictor(path); }),
            "'" + path + "' is not an hwnas predictor (no \"format\": \"hwnas-predictor\")");
  EXPECT_THROW(LoadPredictor(path + ".missing"), IoError);
}

}  // namespace
}  // namespace hwnas::predictors
