// The DDPG agent that AMC (channel pruning) and HAQ (bit widths) share: a continuous action in
// [0, 1] per layer, chosen by an actor MLP and judged by a critic MLP, trained from a replay
// buffer of whole episodes whose final reward is given to every step (He et al., 2018).
// Owns the networks, the replay buffer and the exploration; environments live elsewhere.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "core/options.h"

namespace torch::serialize {
class InputArchive;
class OutputArchive;
}  // namespace torch::serialize

namespace hwnas::rl {

using hwnas::DdpgOptions;

// One step of an episode: the state the action was chosen in, the action, the next state.
struct Transition {
  std::vector<float> state;
  double action = 0;
  std::vector<float> next_state;
  bool last = false;  // the episode's last step: no bootstrap from next_state
};

class DdpgAgent {
 public:
  DdpgAgent(int64_t state_size, int64_t steps_per_episode, const DdpgOptions& options);
  ~DdpgAgent();
  DdpgAgent(DdpgAgent&&) noexcept;
  DdpgAgent& operator=(DdpgAgent&&) noexcept;

  // The action for `state` in episode `episode` (0-based): uniform during the warm-up, then the
  // actor's output with truncated-normal noise of sigma(episode) on [0, 1].
  double Act(const std::vector<float>& state, int64_t episode);
  // The actor's output without noise (the learned policy).
  double Policy(const std::vector<float>& state);
  // Stores the episode's steps with its final reward and, after the warm-up, runs one policy
  // update per step. Returns the mean critic loss of those updates (0 during the warm-up).
  double EndEpisode(const std::vector<Transition>& steps, double reward, int64_t episode);

  // Everything later actions and updates depend on: the four networks, both optimizers, the
  // replay buffer, the exploration and replay Rng and the reward baseline. An agent loaded
  // into one of the same shape continues exactly as the saved one would have.
  void Save(torch::serialize::OutputArchive& archive) const;
  // Throws std::runtime_error when `archive` holds another agent's shape.
  void Load(torch::serialize::InputArchive& archive);

  double sigma(int64_t episode) const;
  const DdpgOptions& options() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace hwnas::rl
