// The DDPG episode loop that AMC (channel pruning) and HAQ (bit widths) both run, and the
// environment interface each implements. Per episode: a state and an action per step (uniform
// during the agent's warm-up, then the actor's with decaying noise), the policy fitted to the
// budget, its network built and scored, one reward for every step. The loop owns the agent and
// the order of its random draws, the best episode, the episode times and the episode reports;
// an environment owns what a policy is, its budget, its scores and, after the loop, its export.
// After every episode the loop writes a checkpoint (agent, LibTorch's global generator, the best
// episode and the environment's kept state) from which a resumed run continues exactly.
#pragma once

#include <nlohmann/json_fwd.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/options.h"
#include "core/reporter.h"
#include "search/compression/compression.h"
#include "supernet/network.h"

namespace hwnas::search {

// How an environment names itself in progress lines, messages and metrics.
struct EnvironmentNames {
  std::string strategy;        // "amc": progress bar, summary line; "AMC interrupted after ..."
  std::string prepare;         // "prune+reconstruct": the part of the episode times that builds
  std::string prepare_metric;  // "prune_seconds": its metric
};

// What the agent's action at one step became.
struct StepOutcome {
  double replayed = 0;  // the action the agent learns from
  double observed = 0;  // the previous action in the next step's state
};

// One finished episode as the loop sees it; the policy itself stays with the environment.
struct EpisodeScore {
  int64_t index = 0;
  double accuracy = 0;  // held-out, on the environment's evaluation images
  double cost = 0;
  double reward = 0;
  double critic_loss = 0;
};

class CompressionEnvironment {
 public:
  virtual ~CompressionEnvironment() = default;

  virtual EnvironmentNames names() const = 0;
  virtual int64_t steps() const = 0;  // agent decisions per episode
  virtual int64_t state_size() const = 0;
  virtual double reference_cost() const = 0;  // what episode cost ratios are relative to

  // Starts the episode's policy from the uncompressed network.
  virtual void BeginEpisode() = 0;
  // The agent's state at `step`; `previous` is the last step's StepOutcome::observed (1 first).
  virtual std::vector<float> State(int64_t step, double previous) const = 0;
  // Applies the agent's `action` at `step` to the policy.
  virtual StepOutcome Step(int64_t step, double action) = 0;
  // Fits the finished policy to the budget; returns its cost.
  virtual double FitToBudget() = 0;
  // The policy's network, ready to be scored.
  virtual supernet::Network Build() = 0;
  virtual double Evaluate(supernet::Network& net) = 0;  // held-out accuracy
  virtual double Reward(double accuracy) const = 0;
  // The policy as stored with the episode (EpisodeRecord::policy_json).
  virtual std::string PolicyJson() const = 0;
  // Keeps what the export needs of the finished episode.
  virtual void EndEpisode(const EpisodeScore& score) = 0;
  // The best episode in progress and summary lines, e.g. "reward 0.9 (90% held-out, ...)".
  virtual std::string Describe(const EpisodeScore& best) const = 0;
  // What EndEpisode kept so far, as text for the loop's checkpoint, and back.
  virtual std::string SaveState() const = 0;
  virtual void LoadState(const std::string& state) = 0;
  // Metrics stored once, after the last episode, beside the episode times.
  virtual MetricValues ClosingMetrics() const { return {}; }
};

// An episode's score in an environment's saved state (doubles round-trip exactly), and back.
nlohmann::json ScoreJson(const EpisodeScore& e);
EpisodeScore ScoreOfJson(const nlohmann::json& j);

// The episodes the checkpoint in `artifact_dir` completed; nullopt without one. Throws DataError
// when it belongs to another config or cannot be read.
std::optional<int64_t> EpisodeCheckpointSteps(const std::string& artifact_dir,
                                              const std::string& config_hash);

// Runs options.episodes episodes of `env` with a DDPG agent seeded from `config`, reporting
// every episode and the times. With context.resume it continues from the checkpoint in
// context.artifact_dir. Throws std::invalid_argument for a context without reporter or artifact
// directory, and Interrupted when context.stop_requested is set between episodes.
EpisodeSummary RunEpisodes(CompressionEnvironment& env, const Config& config,
                           const CompressionOptions& options, const CompressionContext& context);

// The static part of an agent's state: every column of `rows` (one row per step) scaled to [0, 1]
// across the rows, as AMC and HAQ embed layers; a constant column stays as it is.
std::vector<std::vector<float>> MinMaxScaled(std::vector<std::vector<double>> rows);

}  // namespace hwnas::search
