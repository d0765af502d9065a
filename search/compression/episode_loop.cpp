#include "search/compression/episode_loop.h"

#include <torch/utils.h>

#include <nlohmann/json.hpp>

#include <ATen/CPUGeneratorImpl.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdio>
#include <mutex>
#include <stdexcept>

#include "core/errors.h"
#include "core/progress.h"
#include "core/reporter.h"
#include "core/timing.h"
#include "search/checkpoint.h"
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

constexpr int64_t kEpisodeCheckpointFormat = 2;  // 2: the best episode as ScoreJson

// What the loop carries from episode to episode besides the agent and the environment.
struct LoopState {
  int64_t done = 0;            // episodes completed
  EpisodeScore best;           // the first with the best reward
  EpisodeTimes times;          // summed over the completed episodes
  double earlier_seconds = 0;  // wall time of the episodes before this process
  bool closed = false;         // the closing metrics are stored
  LoopState() { best.reward = -1e300; }
};

// The episode times as a 5-vector (agent, budget, prepare, evaluate, earlier wall seconds).
torch::Tensor TimesTensor(const LoopState& s) {
  const EpisodeTimes& t = s.times;
  return torch::tensor(
      std::vector<double>{t.agent, t.budget, t.prepare, t.evaluate, s.earlier_seconds},
      torch::kFloat64);
}

// Random operations inside episodes (dropout in HAQ's short fine-tuning, networks built before
// their weights are copied in) draw from LibTorch's global generator: its state goes into the
// checkpoint so that a resumed run draws what the uninterrupted one would, then and after the loop.
torch::Tensor GlobalGeneratorState() {
  at::Generator generator = at::detail::getDefaultCPUGenerator();
  std::lock_guard<std::mutex> lock(generator.mutex());
  return generator.get_state();
}

void SetGlobalGeneratorState(const torch::Tensor& state) {
  at::Generator generator = at::detail::getDefaultCPUGenerator();
  std::lock_guard<std::mutex> lock(generator.mutex());
  generator.set_state(state);
}

void SaveLoopCheckpoint(const std::string& path, const Config& config, const LoopState& s,
                        const rl::DdpgAgent& agent, const CompressionEnvironment& env) {
  torch::serialize::OutputArchive archive, agent_archive;
  archive.write("config_hash", c10::IValue(ConfigHash(config)));
  archive.write("steps_done", c10::IValue(s.done));
  archive.write("closed", c10::IValue(s.closed));
  archive.write("best", c10::IValue(ScoreJson(s.best).dump()));
  archive.write("times", TimesTensor(s));
  archive.write("torch_generator", GlobalGeneratorState());
  archive.write("environment", c10::IValue(env.SaveState()));
  agent.Save(agent_archive);
  archive.write("agent", agent_archive);
  WriteCheckpoint(archive, kEpisodeCheckpointFormat, path);
}

// Restores the agent, the environment and LibTorch's generator; returns the loop's state.
LoopState LoadLoopCheckpoint(const std::string& path, const Config& config,
                             const CompressionOptions& options, rl::DdpgAgent& agent,
                             CompressionEnvironment& env) {
  torch::serialize::InputArchive archive =
      OpenRunCheckpoint(path, kEpisodeCheckpointFormat, ConfigHash(config));
  LoopState s;
  s.done = ReadValue(archive, "steps_done", path).toInt();
  if (s.done < 1 || s.done > options.episodes)
    throw DataError("search checkpoint " + path + " is inconsistent (" + std::to_string(s.done) +
                    " of " + std::to_string(options.episodes) + " episodes)");
  s.closed = ReadValue(archive, "closed", path).toBool();
  s.best = ScoreOfJson(nlohmann::json::parse(ReadValue(archive, "best", path).toStringRef()));
  const torch::Tensor times = ReadValue(archive, "times", path).toTensor().contiguous();
  const double* t = times.data_ptr<double>();
  s.times = {t[0], t[1], t[2], t[3], 0};
  s.earlier_seconds = t[4];
  try {
    torch::serialize::InputArchive agent_archive = ReadArchive(archive, "agent", path);
    agent.Load(agent_archive);
    env.LoadState(ReadValue(archive, "environment", path).toStringRef());
  } catch (const std::exception& e) {
    throw DataError("search checkpoint " + path + " does not fit this run (" + e.what() + ")");
  }
  SetGlobalGeneratorState(ReadValue(archive, "torch_generator", path).toTensor());
  return s;
}

}  // namespace

nlohmann::json ScoreJson(const EpisodeScore& e) {
  return {{"index", e.index},
          {"accuracy", e.accuracy},
          {"cost", e.cost},
          {"reward", e.reward},
          {"critic_loss", e.critic_loss}};
}

EpisodeScore ScoreOfJson(const nlohmann::json& j) {
  return {j.at("index").get<int64_t>(), j.at("accuracy").get<double>(), j.at("cost").get<double>(),
          j.at("reward").get<double>(), j.at("critic_loss").get<double>()};
}

std::optional<int64_t> EpisodeCheckpointSteps(const std::string& artifact_dir,
                                              const std::string& config_hash) {
  return CheckpointSteps(CheckpointPath(artifact_dir), kEpisodeCheckpointFormat, config_hash);
}

namespace {

// After the last episode: the summary line and the closing metrics (once per run).
void CloseLoop(const CompressionEnvironment& env, const LoopState& s, ProgressBar& bar,
               EpisodeSummary& summary, const CompressionContext& context) {
  const EnvironmentNames names = env.names();
  bar.Finish(names.strategy + ": " + std::to_string(s.done) + " episodes, best " +
             std::to_string(s.best.index) + " (" + env.Describe(s.best) + "), " +
             FormatEpisodeTimes(summary.times, names.prepare));
  if (s.closed) return;
  ReportEpisodeTimes(*context.reporter, s.done - 1, summary.times, names.prepare_metric);
  const MetricValues closing = env.ClosingMetrics();
  if (!closing.empty()) context.reporter->OnMetrics(s.done - 1, closing);
}

}  // namespace

EpisodeSummary RunEpisodes(CompressionEnvironment& env, const Config& config,
                           const CompressionOptions& options, const CompressionContext& context) {
  const EnvironmentNames names = env.names();
  rl::DdpgAgent agent =
      StartAgent(config, options.agent, env.state_size(), env.steps(), context, names.strategy);
  const std::string checkpoint = CheckpointPath(context.artifact_dir);
  LoopState s;
  if (context.resume) s = LoadLoopCheckpoint(checkpoint, config, options, agent, env);
  const int64_t episodes = options.episodes;
  ProgressBar bar(names.strategy, episodes, context.show_progress);
  EpisodeSummary summary;
  const auto start = std::chrono::steady_clock::now();
  for (; s.done < episodes; ++s.done) {
    if (context.stop_requested != nullptr && context.stop_requested->load())
      throw Interrupted(Upper(names.strategy) + " interrupted after " + std::to_string(s.done) +
                        " episodes");
    const EpisodeScore e = RunEpisode(env, agent, s.done, s.times);
    if (e.reward > s.best.reward) s.best = e;
    env.EndEpisode(e);
    ReportEpisode(env, *context.reporter, e, s.best.reward, agent.sigma(s.done));
    bar.Update(s.done + 1, "best " + env.Describe(s.best));
    LoopState saved = s;
    ++saved.done;
    saved.earlier_seconds += SecondsSince(start);
    SaveLoopCheckpoint(checkpoint, config, saved, agent, env);
  }
  summary.times = s.times;
  AverageEpisodeTimes(summary.times, episodes, s.earlier_seconds + SecondsSince(start));
  CloseLoop(env, s, bar, summary, context);
  if (!s.closed) {
    s.closed = true;
    s.earlier_seconds += SecondsSince(start);
    SaveLoopCheckpoint(checkpoint, config, s, agent, env);
  }
  summary.best_reward = s.best.reward;
  summary.best_episode = s.best.index;
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
