#include "search/evolution/evolution.h"

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

#include <algorithm>
#include <chrono>
#include <numeric>

#include "core/errors.h"
#include "core/rng.h"
#include "core/text.h"

namespace hwnas::search {
namespace {

Arch RandomChoice(const EvolutionProblem& p, Rng& rng) {
  Arch a;
  for (const auto& c : p.choices) a.choices.push_back(c[rng.UniformInt(c.size())]);
  return a;
}

Arch Mutant(const EvolutionProblem& p, const Arch& parent, double prob, Rng& rng) {
  Arch a = parent;
  for (size_t b = 0; b < a.choices.size(); ++b)
    if (rng.Bernoulli(prob)) a.choices[b] = p.choices[b][rng.UniformInt(p.choices[b].size())];
  return a;
}

Arch Crossover(const Arch& x, const Arch& y, Rng& rng) {
  Arch a = x;
  for (size_t b = 0; b < a.choices.size(); ++b)
    if (rng.Bernoulli(0.5)) a.choices[b] = y.choices[b];
  return a;
}

// One individual, drawn until it meets the target; each has its own seed, so the population is
// the same whatever the number of threads.
Candidate Feasible(const EvolutionProblem& p, const std::function<Arch(Rng&)>& draw, uint64_t seed,
                   int64_t* draws) {
  Rng rng(seed);
  for (int64_t k = 1; k <= p.max_draws; ++k) {
    Candidate c{draw(rng), 0, 0};
    c.latency_ms = p.latency_ms(c.arch);
    if (c.latency_ms <= p.target_ms) {
      *draws = k;
      return c;
    }
  }
  throw DataError("no architecture at or under the latency target " +
                  FormatSignificant(p.target_ms) + " ms in " + std::to_string(p.max_draws) +
                  " draws (the target is too low for the space)");
}

// Individuals [from, to) of a generation, each drawn by `make(index, rng)`.
std::vector<Candidate> Draw(const EvolutionProblem& p, bool parallel, size_t count,
                            uint64_t generation_seed, const std::function<Arch(size_t, Rng&)>& make,
                            int64_t* evaluated) {
  std::vector<Candidate> out(count);
  std::vector<int64_t> draws(count, 0);
  auto body = [&](size_t i) {
    out[i] = Feasible(
        p, [&](Rng& rng) { return make(i, rng); }, DeriveSeed(generation_seed, 0, i), &draws[i]);
  };
  if (parallel)
    tbb::parallel_for(size_t{0}, count, body);
  else
    for (size_t i = 0; i < count; ++i) body(i);
  *evaluated += std::accumulate(draws.begin(), draws.end(), int64_t{0});
  return out;
}

void Score(const EvolutionProblem& p, bool parallel, std::vector<Candidate>& pop) {
  std::vector<Arch> archs;
  for (const Candidate& c : pop) archs.push_back(c.arch);
  std::vector<double> accuracy(pop.size());
  const size_t chunk = 64;
  auto body = [&](size_t from) {
    const size_t to = std::min(pop.size(), from + chunk);
    const std::vector<Arch> part(archs.begin() + from, archs.begin() + to);
    const std::vector<double> scores = p.accuracy(part);
    std::copy(scores.begin(), scores.end(), accuracy.begin() + from);
  };
  const size_t chunks = (pop.size() + chunk - 1) / chunk;
  if (parallel)
    tbb::parallel_for(size_t{0}, chunks, [&](size_t k) { body(k * chunk); });
  else
    for (size_t k = 0; k < chunks; ++k) body(k * chunk);
  for (size_t i = 0; i < pop.size(); ++i) pop[i].accuracy = accuracy[i];
  // Best first; ties by latency, then by the architecture's text, so the order is total.
  std::sort(pop.begin(), pop.end(), [](const Candidate& a, const Candidate& b) {
    if (a.accuracy != b.accuracy) return a.accuracy > b.accuracy;
    if (a.latency_ms != b.latency_ms) return a.latency_ms < b.latency_ms;
    return a.arch.choices < b.arch.choices;
  });
}

}  // namespace

EvolutionResult Evolve(const EvolutionProblem& p, const EvolutionOptions& o, uint64_t seed,
                       bool parallel) {
  const auto start = std::chrono::steady_clock::now();
  EvolutionResult result;
  const size_t size = static_cast<size_t>(o.population);
  const size_t parents = std::max<size_t>(1, static_cast<size_t>(o.parent_ratio * size));
  const size_t mutants = static_cast<size_t>(o.mutation_ratio * (size - parents));
  std::vector<Candidate> pop = Draw(
      p, parallel, size, DeriveSeed(seed, rng_stream::kEvolution, 0),
      [&](size_t, Rng& rng) { return RandomChoice(p, rng); }, &result.evaluated);
  Score(p, parallel, pop);
  for (int64_t g = 1; g <= o.generations; ++g) {
    pop.resize(parents);
    const std::vector<Candidate> kept = pop;
    auto child = [&](size_t i, Rng& rng) {
      if (i < mutants) return Mutant(p, kept[rng.UniformInt(parents)].arch, o.mutate_prob, rng);
      return Crossover(kept[rng.UniformInt(parents)].arch, kept[rng.UniformInt(parents)].arch, rng);
    };
    std::vector<Candidate> children =
        Draw(p, parallel, size - parents, DeriveSeed(seed, rng_stream::kEvolution, g), child,
             &result.evaluated);
    Score(p, parallel, children);
    pop.insert(pop.end(), children.begin(), children.end());
    std::stable_sort(pop.begin(), pop.end(), [](const Candidate& a, const Candidate& b) {
      return a.accuracy > b.accuracy;
    });
  }
  result.best = pop.front();
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return result;
}

}  // namespace hwnas::search
