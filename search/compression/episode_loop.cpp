#include "search/compression/episode_loop.h"

#include <torch/utils.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <stdexcept>

#include "core/errors.h"
#include "core/progress.h"
#include "core/reporter.h"
#include "core/timing.h"
#include "search/rl/ddpg.h"
#include "supernet/threads.h"

namespace hwnas::search {
namespace {

std::string Upper(std::string text) {
  for (char& c : text) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return text;
}

// Checks the context (reporter and artifact directory are required), seeds LibTorch and sets
// the thread count from `config`, and returns the agent seeded by config.seed.
rl::DdpgAgent StartAgent(const Config& config, const DdpgOptions& agent, int64_t state_size,
                         int64_t steps, const CompressionContext& context,
                         const std::string& strategy) {
  if (context.reporter == nullptr || context.artifact_dir.empty())
    throw std::invalid_argument("Run" + Upper(strategy.substr(0, 1)) + strategy.substr(1) +
                                " needs a reporter and an artifact directory");
  torch::manual_seed(config.seed);
  supernet::SetThreads(static_cast<int>(config.threads));
  DdpgOptions options = agent;
  options.seed = config.seed;
  return rl::DdpgAgent(state_size, steps, options);
}

// One episode: an action per step, then the network of the policy fitted to the budget, scored,
// and its reward given to every step. The agent's draws happen in step order, then its update.
EpisodeScore RunEpisode(CompressionEnvironment& env, rl::DdpgAgent& agent, int64_t index,
                        EpisodeTimes& times) {
  env.BeginEpisode();
  std::vector<rl::Transition> transitions;
  double previous = 1.0;
  for (int64_t t = 0; t < env.steps(); ++t) {
    Stopwatch watch;
    std::vector<float> state = env.State(t, previous);
    const double action = agent.Act(state, index);
    times.agent += watch.Lap();
    const StepOutcome outcome = env.Step(t, action);
    times.budget += watch.Lap();
    previous = outcome.observed;
    transitions.push_back({std::move(state), outcome.replayed, {}, t + 1 == env.steps()});
  }
  for (size_t t = 0; t + 1 < transitions.size(); ++t)
    transitions[t].next_state = transitions[t + 1].state;
  EpisodeScore e;
  e.index = index;
  Stopwatch watch;
  e.cost = env.FitToBudget();
  times.budget += watch.Lap();
  supernet::Network net = env.Build();
  times.prepare += watch.Lap();
  e.accuracy = env.Evaluate(net);
  times.evaluate += watch.Lap();
  e.reward = env.Reward(e.accuracy);
  e.critic_loss = agent.EndEpisode(transitions, e.reward, index);
  times.agent += watch.Lap();
  return e;
}

void ReportEpisode(const CompressionEnvironment& env, Reporter& reporter, const EpisodeScore& e,
                   double best_reward, double sigma) {
  reporter.OnEpisode(
      {e.index, e.reward, e.accuracy, e.cost, e.cost / env.reference_cost(), env.PolicyJson()});
  reporter.OnMetrics(e.index, {{"reward", e.reward},
                               {"holdout_accuracy", e.accuracy},
                               {"cost", e.cost},
                               {"best_reward", best_reward},
                               {"sigma", sigma},
                               {"critic_loss", e.critic_loss}});
}

// Turns the times summed over `episodes` episodes into averages, `total` from the wall time.
void AverageEpisodeTimes(EpisodeTimes& t, int64_t episodes, double wall_seconds) {
  const double n = static_cast<double>(std::max<int64_t>(episodes, 1));
  for (double* part : {&t.agent, &t.budget, &t.prepare, &t.evaluate}) *part /= n;
  t.total = wall_seconds / n;
}

// "per episode 1.0s: agent 89ms, budget 0ms, <prepare> 8ms, evaluate 906ms".
std::string FormatEpisodeTimes(const EpisodeTimes& t, const std::string& prepare) {
  char line[256];
  std::snprintf(line, sizeof line, "per episode %s: agent %s, budget %s, %s %s, evaluate %s",
                FormatDuration(t.total).c_str(), FormatDuration(t.agent).c_str(),
                FormatDuration(t.budget).c_str(), prepare.c_str(),
                FormatDuration(t.prepare).c_str(), FormatDuration(t.evaluate).c_str());
  return line;
}

// The averages as metrics at `step`: episode_seconds, agent_seconds, budget_seconds,
// <prepare_metric>, evaluate_seconds.
void ReportEpisodeTimes(Reporter& reporter, int64_t step, const EpisodeTimes& t,
                        const std::string& prepare_metric) {
  reporter.OnMetrics(step, {{"episode_seconds", t.total},
                            {"agent_seconds", t.agent},
                            {"budget_seconds", t.budget},
                            {prepare_metric, t.prepare},
                            {"evaluate_seconds", t.evaluate}});
}

}  // namespace

EpisodeSummary RunEpisodes(CompressionEnvironment& env, const Config& config,
                           const CompressionOptions& options, const CompressionContext& context) {
  const EnvironmentNames names = env.names();
  rl::DdpgAgent agent =
      StartAgent(config, options.agent, env.state_size(), env.steps(), context, names.strategy);
  const int64_t episodes = options.episodes;
  ProgressBar bar(names.strategy, episodes, context.show_progress);
  EpisodeSummary summary;
  EpisodeScore best;
  best.reward = -1e300;
  const auto start = std::chrono::steady_clock::now();
  for (int64_t index = 0; index < episodes; ++index) {
    if (context.stop_requested != nullptr && context.stop_requested->load())
      throw Interrupted(Upper(names.strategy) + " interrupted after " + std::to_string(index) +
                        " episodes");
    const EpisodeScore e = RunEpisode(env, agent, index, summary.times);
    if (e.reward > best.reward) best = e;
    env.EndEpisode(e);
    ReportEpisode(env, *context.reporter, e, best.reward, agent.sigma(index));
    bar.Update(index + 1, "best " + env.Describe(best));
  }
  AverageEpisodeTimes(summary.times, episodes, SecondsSince(start));
  bar.Finish(names.strategy + ": " + std::to_string(episodes) + " episodes, best " +
             std::to_string(best.index) + " (" + env.Describe(best) + "), " +
             FormatEpisodeTimes(summary.times, names.prepare));
  ReportEpisodeTimes(*context.reporter, episodes - 1, summary.times, names.prepare_metric);
  summary.best_reward = best.reward;
  summary.best_episode = best.index;
  return summary;
}

std::vector<std::vector<float>> MinMaxScaled(std::vector<std::vector<double>> rows) {
  const size_t columns = rows.empty() ? 0 : rows[0].size();
  for (size_t column = 0; column < columns; ++column) {
    double lo = rows[0][column], hi = rows[0][column];
    for (const auto& row : rows) lo = std::min(lo, row[column]), hi = std::max(hi, row[column]);
    for (auto& row : rows)
      if (hi > lo) row[column] = (row[column] - lo) / (hi - lo);
  }
  std::vector<std::vector<float>> scaled;
  for (const auto& row : rows) scaled.emplace_back(row.begin(), row.end());
  return scaled;
}

}  // namespace hwnas::search
