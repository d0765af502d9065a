// Evolutionary search throughput (strategy evolution's inner loop) serial and through TBB, as a
// Google Benchmark: the proxyless-mobile space on the imported Pixel 1 table (keys it lacks
// predicted by the op latency model, as `hwnas search` does), fitness from an accuracy predictor
// fitted on stand-in accuracies (a fixed function of the architecture: only the cost of
// predicting matters here), target = the median latency of random architectures. One case per
// predictor, population x generations and mode (serial, TBB on 1 thread, TBB on 2 threads):
//   build/bench/hwnas_evolution_bench [--benchmark_filter=ridge/100x50]
//       [--benchmark_repetitions=5] [TABLE.yaml (default proxylessnas-mobile-pixel1.yaml)]
#include <benchmark/benchmark.h>
#include <tbb/task_arena.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <string>
#include <vector>

#include "core/options.h"
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

constexpr int64_t kSamples = 300;

struct Case {
  int64_t population, generations;
  std::string predictor;
};

enum class Mode { kSerial, kTbbOneThread, kTbbTwoThreads };

// Stand-in accuracy: grows with the network's latency, with a per-choice effect so that the
// predictor has something to learn beyond one number.
double StandInAccuracy(const Arch& arch, double latency_ms) {
  double effect = 0;
  for (size_t b = 0; b < arch.choices.size(); ++b)
    effect += static_cast<double>(std::hash<std::string>()(arch.choices[b]) % 7) * 1e-3;
  return 0.6 + 0.1 * std::log1p(latency_ms) + effect;
}

// The problem without its accuracy, and the accuracy models of every predictor kind.
struct Study {
  search::EvolutionProblem problem;
  std::map<std::string, search::AccuracyModel> models;
};

search::EvolutionProblem LatencyProblem(const SearchSpace& space, const std::string& table_path) {
  hwnas::latency::TableInfo info;
  info.device = "pixel1";
  hwnas::latency::LatencyTable table = hwnas::latency::ImportProxylessYaml(table_path, info);
  std::vector<std::string> keys;
  for (const auto& layer : hwnas::AllCandidateLayers(space))
    keys.push_back(hwnas::latency::OpKey(layer));
  if (!table.MissingKeys(keys).empty())
    hwnas::latency::AddPredictedEntries(table, keys, hwnas::latency::OpLatencyModel::Fit(table));
  search::EvolutionProblem problem;
  for (const auto& block : hwnas::Blocks(space))
    problem.choices.push_back(hwnas::CandidateNames(space, block));
  problem.latency_ms = [costs = hwnas::supernet::CandidateLatencies(space, table),
                        choices = problem.choices](const Arch& a) {
    double total = costs.fixed;
    for (size_t b = 0; b < a.choices.size(); ++b) {
      const auto& names = choices[b];
      total +=
          costs.per_block[b][std::find(names.begin(), names.end(), a.choices[b]) - names.begin()];
    }
    return total;
  };
  return problem;
}

Study MakeStudy(const std::string& table_path) {
  const SearchSpace space = hwnas::LoadSearchSpaceFile(std::string(HWNAS_SOURCE_DIR) +
                                                       "/configs/spaces/proxyless-mobile.yaml");
  Study study{LatencyProblem(space, table_path), {}};
  hwnas::Rng rng(7);
  std::vector<search::AccuracySample> samples;
  std::vector<double> latencies;
  for (int64_t i = 0; i < kSamples; ++i) {
    Arch arch = hwnas::RandomArch(space, rng);
    latencies.push_back(study.problem.latency_ms(arch));
    samples.push_back({arch, StandInAccuracy(arch, latencies.back())});
  }
  std::nth_element(latencies.begin(), latencies.begin() + kSamples / 2, latencies.end());
  study.problem.target_ms = latencies[kSamples / 2];
  for (const std::string kind : {"ridge", "ridge+gbt"})
    study.models.emplace(kind, search::FitAccuracyModel(space, samples, kind, 0.2, 1));
  return study;
}

void RunEvolution(benchmark::State& state, const Study* study, const Case& c, Mode mode) {
  search::EvolutionProblem problem = study->problem;
  const search::AccuracyModel& model = study->models.at(c.predictor);
  problem.accuracy = [&model](const std::vector<Arch>& archs) { return model.Predict(archs); };
  hwnas::EvolutionOptions options;
  options.population = c.population;
  options.generations = c.generations;
  tbb::task_arena arena(mode == Mode::kTbbTwoThreads ? 2 : 1);
  const bool parallel = mode != Mode::kSerial;
  int64_t evaluated = 0;
  for (auto _ : state) {
    arena.execute([&] { evaluated = search::Evolve(problem, options, 1, parallel).evaluated; });
  }
  state.counters["evaluated"] = static_cast<double>(evaluated);
}

void RegisterCases(const Study& study) {
  const std::map<Mode, std::string> modes = {
      {Mode::kSerial, "serial"}, {Mode::kTbbOneThread, "tbb1"}, {Mode::kTbbTwoThreads, "tbb2"}};
  for (const Case& c : {Case{100, 50, "ridge"}, Case{100, 50, "ridge+gbt"}, Case{1000, 50, "ridge"},
                        Case{1000, 50, "ridge+gbt"}, Case{5000, 20, "ridge+gbt"}}) {
    for (const auto& [mode, mode_name] : modes) {
      const std::string name = "evolve/" + c.predictor + "/" + std::to_string(c.population) + "x" +
                               std::to_string(c.generations) + "/" + mode_name;
      benchmark::RegisterBenchmark(name.c_str(), RunEvolution, &study, c, mode)
          ->Unit(benchmark::kMillisecond)
          ->UseRealTime();
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);  // leaves the arguments it does not know
  const std::string table_path =
      argc > 1
          ? argv[1]
          : std::string(HWNAS_SOURCE_DIR) + "/../shared/data/luts/proxylessnas-mobile-pixel1.yaml";
  static const Study study = MakeStudy(table_path);
  RegisterCases(study);
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
