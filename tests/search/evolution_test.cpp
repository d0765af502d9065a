#include "search/evolution/evolution.h"

#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <map>

#include "core/errors.h"
#include "search/evolution/accuracy_predictor.h"

namespace hwnas::search {
namespace {

// Six blocks with choices a, b, c: latency 1, 2, 3 ms each, accuracy 0, 1, 3 points each
// (block 0 counts double), so the best architecture under a target is known by enumeration.
const std::map<std::string, double> kMs = {{"a", 1}, {"b", 2}, {"c", 3}};
const std::map<std::string, double> kGain = {{"a", 0}, {"b", 1}, {"c", 3}};

EvolutionProblem ToyProblem(double target) {
  EvolutionProblem p;
  p.choices.assign(6, {"a", "b", "c"});
  p.latency_ms = [](const Arch& arch) {
    double ms = 0;
    for (const auto& c : arch.choices) ms += kMs.at(c);
    return ms;
  };
  p.accuracy = [](const std::vector<Arch>& archs) {
    std::vector<double> out;
    for (const Arch& a : archs) {
      double v = kGain.at(a.choices[0]);  // the first block counts double
      for (const auto& c : a.choices) v += kGain.at(c);
      out.push_back(v);
    }
    return out;
  };
  p.target_ms = target;
  return p;
}

double BestByEnumeration(const EvolutionProblem& p) {
  double best = -1;
  for (int code = 0; code < 729; ++code) {
    Arch a;
    for (int b = 0, c = code; b < 6; ++b, c /= 3) a.choices.push_back(p.choices[b][c % 3]);
    if (p.latency_ms(a) <= p.target_ms) best = std::max(best, p.accuracy({a})[0]);
  }
  return best;
}

TEST(EvolutionTest, FindsTheBestArchitectureUnderTheTarget) {
  for (double target : {8.0, 11.0, 14.0}) {
    const EvolutionProblem p = ToyProblem(target);
    EvolutionOptions s;
    s.population = 40;
    s.generations = 30;
    const EvolutionResult r = Evolve(p, s, 1);
    EXPECT_LE(r.best.latency_ms, target);
    EXPECT_DOUBLE_EQ(r.best.accuracy, BestByEnumeration(p)) << "target " << target;
    EXPECT_DOUBLE_EQ(r.best.latency_ms, p.latency_ms(r.best.arch));
    EXPECT_GE(r.evaluated, s.population * (s.generations + 1) * 3 / 4);
  }
}

TEST(EvolutionTest, TheSameResultWithAndWithoutThreads) {
  const EvolutionProblem p = ToyProblem(10);
  EvolutionOptions s;
  s.population = 30;
  s.generations = 10;
  const EvolutionResult serial = Evolve(p, s, 1, /*parallel=*/false);
  const EvolutionResult parallel = Evolve(p, s, 1, /*parallel=*/true);
  EXPECT_EQ(serial.best.arch, parallel.best.arch);
  EXPECT_EQ(serial.evaluated, parallel.evaluated);
}

TEST(EvolutionTest, ATargetNoArchitectureMeetsIsAnError) {
  EvolutionProblem p = ToyProblem(5.5);  // the cheapest architecture takes 6 ms
  p.max_draws = 50;
  try {
    Evolve(p, EvolutionOptions(), 1);
    FAIL() << "no error";
  } catch (const DataError& e) {
    EXPECT_STREQ(e.what(),
                 "no architecture at or under the latency target 5.5 ms in 50 draws (the target "
                 "is too low for the space)");
  }
}

// The accuracy predictor learns an additive accuracy over a real space's blocks from samples
// and ranks architectures it did not see.
TEST(AccuracyModelTest, RanksUnseenArchitectures) {
  const SearchSpace space =
      LoadSearchSpaceFile(HWNAS_SOURCE_DIR "/configs/spaces/fmnist-mbconv.yaml");
  Rng rng(3);
  std::vector<AccuracySample> samples;
  for (int i = 0; i < 300; ++i) {
    AccuracySample s{RandomArch(space, rng), 0.5};
    for (size_t b = 0; b < s.arch.choices.size(); ++b) {
      const std::string& c = s.arch.choices[b];
      s.accuracy += (c == "k5e3"   ? 0.01
                     : c == "k3e6" ? 0.02
                     : c == "skip" ? -0.03
                                   : 0) *
                    (1 + 0.2 * static_cast<double>(b));
    }
    samples.push_back(s);
  }
  const AccuracyModel model = FitAccuracyModel(space, samples, "ridge", 0.25, 1);
  EXPECT_EQ(model.train_count, 225u);
  EXPECT_EQ(model.test.count, 75u);
  EXPECT_GT(model.test.kendall_tau, 0.95);
  EXPECT_LT(model.test.rmse, 0.002);
}

}  // namespace
}  // namespace hwnas::search
