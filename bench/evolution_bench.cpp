// Evolutionary search throughput (strategy evolution's inner loop) serial and through TBB: the
// proxyless-mobile space on the imported Pixel 1 table (keys it lacks predicted by the op latency
// model, as `hwnas search` does), fitness from an accuracy predictor fitted on stand-in accuracies
// (a fixed function of the architecture: only the cost of predicting matters here).
//   build/bench/hwnas_evolution_bench [../shared/data/luts/proxylessnas-mobile-pixel1.yaml]
#include <tbb/task_arena.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "core/rng.h"
#include "core/search_space.h"
#include "latency/op_key.h"
#include "latency/op_predictor.h"
#include "latency/table.h"
#include "search/evolution/accuracy_predictor.h"
#include "search/evolution/evolution.h"
#include "supernet/supernet.h"

namespace {

using hwnas::Arch;
using hwnas::SearchSpace;
namespace search = hwnas::search;

constexpr int kRepeats = 5;
constexpr int64_t kSamples = 300;

struct Case {
  int64_t population, generations;
  std::string predictor;
};

// Stand-in accuracy: grows with the network's latency, with a per-choice effect so that the
// predictor has something to learn beyond one number.
double StandInAccuracy(const Arch& arch, double latency_ms) {
  double effect = 0;
  for (size_t b = 0; b < arch.choices.size(); ++b)
    effect += static_cast<double>(std::hash<std::string>()(arch.choices[b]) % 7) * 1e-3;
  return 0.6 + 0.1 * std::log1p(latency_ms) + effect;
}

double Seconds(const search::EvolutionProblem& problem, search::EvolutionSettings settings,
               int threads, bool parallel) {
  settings.parallel = parallel;
  tbb::task_arena arena(threads);
  double best = 1e300;
  for (int r = 0; r < kRepeats; ++r) {
    const auto start = std::chrono::steady_clock::now();
    arena.execute([&] { search::Evolve(problem, settings); });
    best = std::min(
        best, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  return best;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string table_path =
      argc > 1
          ? argv[1]
          : std::string(HWNAS_SOURCE_DIR) + "/../shared/data/luts/proxylessnas-mobile-pixel1.yaml";
  const SearchSpace space = hwnas::LoadSearchSpaceFile(std::string(HWNAS_SOURCE_DIR) +
                                                       "/configs/spaces/proxyless-mobile.yaml");
  hwnas::latency::TableInfo info;
  info.device = "pixel1";
  hwnas::latency::LatencyTable table = hwnas::latency::ImportProxylessYaml(table_path, info);
  std::vector<std::string> keys;
  for (const auto& layer : hwnas::AllCandidateLayers(space))
    keys.push_back(hwnas::latency::OpKey(layer));
  if (!table.MissingKeys(keys).empty())
    hwnas::latency::AddPredictedEntries(table, keys, hwnas::latency::OpLatencyModel::Fit(table));
  const auto costs = hwnas::supernet::CandidateLatencies(space, table);

  search::EvolutionProblem problem;
  for (const auto& block : hwnas::Blocks(space))
    problem.choices.push_back(hwnas::CandidateNames(space, block));
  problem.latency_ms = [&](const Arch& a) {
    double total = costs.fixed;
    for (size_t b = 0; b < a.choices.size(); ++b) {
      const auto& names = problem.choices[b];
      total +=
          costs.per_block[b][std::find(names.begin(), names.end(), a.choices[b]) - names.begin()];
    }
    return total;
  };
  hwnas::Rng rng(7);
  std::vector<search::AccuracySample> samples;
  for (int64_t i = 0; i < kSamples; ++i) {
    Arch arch = hwnas::RandomArch(space, rng);
    samples.push_back({arch, StandInAccuracy(arch, problem.latency_ms(arch))});
  }
  std::printf("proxyless-mobile on pixel1, best of %d runs, target = median random latency\n",
              kRepeats);
  std::vector<double> latencies;
  for (const auto& s : samples) latencies.push_back(problem.latency_ms(s.arch));
  std::nth_element(latencies.begin(), latencies.begin() + kSamples / 2, latencies.end());
  problem.target_ms = latencies[kSamples / 2];

  std::printf(
      "predictor  population generations | serial s | 1 thread TBB s | 2 threads s | "
      "speedup\n");
  for (const Case& c : {Case{100, 50, "ridge"}, Case{100, 50, "ridge+gbt"}, Case{1000, 50, "ridge"},
                        Case{1000, 50, "ridge+gbt"}, Case{5000, 20, "ridge+gbt"}}) {
    const search::AccuracyModel model =
        search::FitAccuracyModel(space, samples, c.predictor, 0.2, 1);
    problem.accuracy = [&model](const std::vector<Arch>& archs) { return model.Predict(archs); };
    search::EvolutionSettings settings;
    settings.population = c.population;
    settings.generations = c.generations;
    const double serial = Seconds(problem, settings, 1, false);
    const double one = Seconds(problem, settings, 1, true);
    const double two = Seconds(problem, settings, 2, true);
    std::printf("%-10s %10lld %11lld | %8.4f | %14.4f | %11.4f | %.2fx\n", c.predictor.c_str(),
                static_cast<long long>(c.population), static_cast<long long>(c.generations), serial,
                one, two, serial / two);
  }
  return 0;
}
