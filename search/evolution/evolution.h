// Once-for-All's evolutionary search (Cai et al., 2020) over the architectures of a search space:
// a population of feasible architectures (latency at or under the target; infeasible samples,
// mutants and crossovers are rejected and drawn again), the best share kept as parents, the
// rest replaced by mutants and crossovers of parents, fitness = predicted accuracy. Torch-free.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/options.h"
#include "core/search_space.h"

namespace hwnas::search {

struct Candidate {
  Arch arch;
  double accuracy = 0;  // predicted
  double latency_ms = 0;
};

struct EvolutionResult {
  Candidate best;
  int64_t evaluated = 0;  // architectures whose latency was estimated
  double seconds = 0;
};

// Both functions must be safe to call from several threads at once. `choices` holds every
// block's candidate names (CandidateNames). Throws DataError when no architecture under the
// target is found in max_draws random draws (the target is too low for the space).
struct EvolutionProblem {
  std::vector<std::vector<std::string>> choices;
  std::function<double(const Arch&)> latency_ms;
  std::function<std::vector<double>(const std::vector<Arch>&)> accuracy;
  double target_ms = 0;
  int64_t max_draws = 10000;  // rejected draws per individual before giving up
};

// The search's knobs are the config's own (population, generations, parent_ratio,
// mutation_ratio, mutate_prob of `evolution:`; the other fields are not read). `parallel`: children
// and scores through TBB (the result does not change).
EvolutionResult Evolve(const EvolutionProblem& problem, const EvolutionOptions& options,
                       uint64_t seed, bool parallel = true);

}  // namespace hwnas::search
