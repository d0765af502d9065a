#include "search/rl/ddpg.h"

#include <torch/nn/functional/loss.h>
#include <torch/nn/module.h>
#include <torch/nn/modules/linear.h>
#include <torch/optim/adam.h>
#include <torch/serialize/input-archive.h>
#include <torch/serialize/output-archive.h>

#include <ATen/CPUGeneratorImpl.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "core/rng.h"
#include "search/checkpoint.h"

namespace hwnas::rl {
namespace {

namespace nn = torch::nn;

// AMC's initialisation: hidden layers uniform in +-1/sqrt(fan-in), the output layer in +-3e-3 so
// that the first actions sit near the sigmoid's middle and the first Q values near zero.
// Drawn from the agent's own generator, so the seed alone decides the initial networks.
void InitLinear(nn::Linear& layer, double bound, at::Generator& generator) {
  torch::NoGradGuard no_grad;
  layer->weight.uniform_(-bound, bound, generator);
  layer->bias.uniform_(-bound, bound, generator);
}

double FanInBound(const nn::Linear& layer) {
  return 1.0 / std::sqrt(static_cast<double>(layer->options.in_features()));
}

struct ActorImpl : nn::Module {
  ActorImpl(int64_t state_size, int64_t hidden)
      : fc1(register_module("fc1", nn::Linear(state_size, hidden))),
        fc2(register_module("fc2", nn::Linear(hidden, hidden))),
        fc3(register_module("fc3", nn::Linear(hidden, 1))) {}
  void Init(at::Generator& generator) {
    InitLinear(fc1, FanInBound(fc1), generator);
    InitLinear(fc2, FanInBound(fc2), generator);
    InitLinear(fc3, 3e-3, generator);
  }
  torch::Tensor forward(const torch::Tensor& state) {
    return torch::sigmoid(fc3(torch::relu(fc2(torch::relu(fc1(state))))));
  }
  nn::Linear fc1, fc2, fc3;
};
TORCH_MODULE(Actor);

// The action joins at the first hidden layer: relu(W_s s + W_a a).
struct CriticImpl : nn::Module {
  CriticImpl(int64_t state_size, int64_t hidden)
      : fc11(register_module("fc11", nn::Linear(state_size, hidden))),
        fc12(register_module("fc12", nn::Linear(1, hidden))),
        fc2(register_module("fc2", nn::Linear(hidden, hidden))),
        fc3(register_module("fc3", nn::Linear(hidden, 1))) {}
  void Init(at::Generator& generator) {
    InitLinear(fc11, FanInBound(fc11), generator);
    InitLinear(fc12, FanInBound(fc12), generator);
    InitLinear(fc2, FanInBound(fc2), generator);
    InitLinear(fc3, 3e-3, generator);
  }
  torch::Tensor forward(const torch::Tensor& state, const torch::Tensor& action) {
    return fc3(torch::relu(fc2(torch::relu(fc11(state) + fc12(action)))));
  }
  nn::Linear fc11, fc12, fc2, fc3;
};
TORCH_MODULE(Critic);

void CopyParameters(const nn::Module& from, nn::Module& to, double tau) {
  torch::NoGradGuard no_grad;
  const auto source = from.parameters();
  auto target = to.parameters();
  for (size_t i = 0; i < source.size(); ++i) target[i].mul_(1.0 - tau).add_(source[i], tau);
}

struct Stored {
  std::vector<float> state, next_state;
  float action = 0, reward = 0, not_last = 0;
};

torch::Tensor Rows(const std::vector<std::vector<float>>& rows) {
  const int64_t n = static_cast<int64_t>(rows.size());
  const int64_t width = static_cast<int64_t>(rows.front().size());
  torch::Tensor t = torch::empty({n, width});
  for (int64_t i = 0; i < n; ++i) std::copy(rows[i].begin(), rows[i].end(), t[i].data_ptr<float>());
  return t;
}

// A replay buffer column (or all states) as a tensor and back; floats stay exact.
torch::Tensor Column(const std::vector<Stored>& replay, float Stored::*field) {
  std::vector<float> values;
  for (const Stored& s : replay) values.push_back(s.*field);
  return torch::tensor(values);
}

std::vector<std::vector<float>> RowsOf(const torch::Tensor& t) {
  std::vector<std::vector<float>> rows;
  const torch::Tensor c = t.contiguous();
  for (int64_t i = 0; i < c.size(0); ++i)
    rows.emplace_back(c[i].data_ptr<float>(), c[i].data_ptr<float>() + c.size(1));
  return rows;
}

void SaveModule(const nn::Module& module, const std::string& key,
                torch::serialize::OutputArchive& archive) {
  torch::serialize::OutputArchive part;
  module.save(part);
  archive.write(key, part);
}

void LoadModule(nn::Module& module, const std::string& key,
                torch::serialize::InputArchive& archive) {
  torch::serialize::InputArchive part;
  archive.read(key, part);
  module.load(part);
}

}  // namespace

struct DdpgAgent::Impl {
  Impl(int64_t state_size, int64_t steps, const DdpgOptions& o)
      : options(o),
        state_size(state_size),
        capacity(std::max<int64_t>(1, o.replay_per_step * steps)),
        actor(state_size, o.hidden),
        actor_target(state_size, o.hidden),
        critic(state_size, o.hidden),
        critic_target(state_size, o.hidden),
        actor_optimizer(actor->parameters(), torch::optim::AdamOptions(o.actor_learning_rate)),
        critic_optimizer(critic->parameters(), torch::optim::AdamOptions(o.critic_learning_rate)),
        rng(DeriveSeed(o.seed, rng_stream::kAgent)) {
    at::Generator generator =
        at::make_generator<at::CPUGeneratorImpl>(DeriveSeed(o.seed, rng_stream::kAgent, 1));
    actor->Init(generator);
    critic->Init(generator);
    CopyParameters(*actor, *actor_target, 1.0);  // hard copy at the start
    CopyParameters(*critic, *critic_target, 1.0);
  }
  double Update();
  void Store(Stored item);
  void SaveReplay(torch::serialize::OutputArchive& archive) const;
  void LoadReplay(torch::serialize::InputArchive& archive);

  DdpgOptions options;
  int64_t state_size;
  int64_t capacity;
  Actor actor, actor_target;
  Critic critic, critic_target;
  torch::optim::Adam actor_optimizer, critic_optimizer;
  Rng rng;
  std::vector<Stored> replay;
  int64_t next_slot = 0;
  bool has_baseline = false;
  double baseline = 0;
};

void DdpgAgent::Impl::Store(Stored item) {
  if (static_cast<int64_t>(replay.size()) < capacity) {
    replay.push_back(std::move(item));
    return;
  }
  replay[static_cast<size_t>(next_slot)] = std::move(item);
  next_slot = (next_slot + 1) % capacity;
}

// One DDPG step on a uniform sample: critic towards r - baseline + discount * Q'(s', mu'(s')),
// actor up the critic's gradient, then soft target updates.
double DdpgAgent::Impl::Update() {
  const int64_t n = std::min<int64_t>(options.batch_size, replay.size());
  std::vector<std::vector<float>> states, next_states;
  std::vector<float> actions, rewards, not_last;
  for (int64_t i = 0; i < n; ++i) {
    const Stored& s = replay[rng.UniformInt(replay.size())];
    states.push_back(s.state);
    next_states.push_back(s.next_state);
    actions.push_back(s.action);
    rewards.push_back(s.reward);
    not_last.push_back(s.not_last);
  }
  const torch::Tensor reward = torch::tensor(rewards).unsqueeze(1);
  const double mean = reward.mean().item<double>();
  baseline =
      has_baseline ? (1 - options.baseline_alpha) * baseline + options.baseline_alpha * mean : mean;
  has_baseline = true;
  const torch::Tensor state = Rows(states), next_state = Rows(next_states);
  const torch::Tensor action = torch::tensor(actions).unsqueeze(1);
  torch::Tensor target;
  {
    torch::NoGradGuard no_grad;
    const torch::Tensor next_q = critic_target(next_state, actor_target(next_state));
    target = reward - baseline + options.discount * torch::tensor(not_last).unsqueeze(1) * next_q;
  }
  critic_optimizer.zero_grad();
  const torch::Tensor critic_loss = torch::mse_loss(critic(state, action), target);
  critic_loss.backward();
  critic_optimizer.step();

  actor_optimizer.zero_grad();
  const torch::Tensor actor_loss = -critic(state, actor(state)).mean();
  actor_loss.backward();
  actor_optimizer.step();

  CopyParameters(*actor, *actor_target, options.tau);
  CopyParameters(*critic, *critic_target, options.tau);
  return critic_loss.item<double>();
}

void DdpgAgent::Impl::SaveReplay(torch::serialize::OutputArchive& archive) const {
  std::vector<std::vector<float>> states, next_states;
  for (const Stored& s : replay) states.push_back(s.state), next_states.push_back(s.next_state);
  const bool empty = replay.empty();
  archive.write("replay_states", empty ? torch::empty({0, state_size}) : Rows(states));
  archive.write("replay_next_states", empty ? torch::empty({0, state_size}) : Rows(next_states));
  archive.write("replay_actions", Column(replay, &Stored::action));
  archive.write("replay_rewards", Column(replay, &Stored::reward));
  archive.write("replay_not_last", Column(replay, &Stored::not_last));
  archive.write("replay_next_slot", c10::IValue(next_slot));
}

void DdpgAgent::Impl::LoadReplay(torch::serialize::InputArchive& archive) {
  torch::Tensor states, next_states, actions, rewards, not_lasts;
  archive.read("replay_states", states);
  archive.read("replay_next_states", next_states);
  archive.read("replay_actions", actions);
  archive.read("replay_rewards", rewards);
  archive.read("replay_not_last", not_lasts);
  if (states.dim() != 2 || states.size(1) != state_size || states.size(0) > capacity)
    throw std::runtime_error("the saved agent's replay buffer does not fit this agent");
  const std::vector<std::vector<float>> s = RowsOf(states), next = RowsOf(next_states);
  const torch::Tensor a = actions.contiguous(), r = rewards.contiguous(),
                      n = not_lasts.contiguous();
  replay.clear();
  for (size_t i = 0; i < s.size(); ++i)
    replay.push_back(
        {s[i], next[i], a.data_ptr<float>()[i], r.data_ptr<float>()[i], n.data_ptr<float>()[i]});
  c10::IValue slot;
  archive.read("replay_next_slot", slot);
  next_slot = slot.toInt();
}

void DdpgAgent::Save(torch::serialize::OutputArchive& archive) const {
  Impl& a = *impl_;
  SaveModule(*a.actor, "actor", archive);
  SaveModule(*a.actor_target, "actor_target", archive);
  SaveModule(*a.critic, "critic", archive);
  SaveModule(*a.critic_target, "critic_target", archive);
  torch::serialize::OutputArchive actor_optimizer, critic_optimizer;
  a.actor_optimizer.save(actor_optimizer);
  a.critic_optimizer.save(critic_optimizer);
  archive.write("actor_optimizer", actor_optimizer);
  archive.write("critic_optimizer", critic_optimizer);
  a.SaveReplay(archive);
  archive.write("rng", c10::IValue(search::RngState(a.rng)));
  archive.write("has_baseline", c10::IValue(a.has_baseline));
  archive.write("baseline", c10::IValue(a.baseline));
}

void DdpgAgent::Load(torch::serialize::InputArchive& archive) {
  Impl& a = *impl_;
  LoadModule(*a.actor, "actor", archive);
  LoadModule(*a.actor_target, "actor_target", archive);
  LoadModule(*a.critic, "critic", archive);
  LoadModule(*a.critic_target, "critic_target", archive);
  torch::serialize::InputArchive actor_optimizer, critic_optimizer;
  archive.read("actor_optimizer", actor_optimizer);
  archive.read("critic_optimizer", critic_optimizer);
  a.actor_optimizer.load(actor_optimizer);
  a.critic_optimizer.load(critic_optimizer);
  a.LoadReplay(archive);
  c10::IValue rng, has_baseline, baseline;
  archive.read("rng", rng);
  archive.read("has_baseline", has_baseline);
  archive.read("baseline", baseline);
  a.rng = search::RngFromState(rng.toInt());
  a.has_baseline = has_baseline.toBool();
  a.baseline = baseline.toDouble();
}

DdpgAgent::DdpgAgent(int64_t state_size, int64_t steps_per_episode, const DdpgOptions& options) {
  if (state_size < 1 || steps_per_episode < 1)
    throw std::invalid_argument("DdpgAgent needs a state and at least one step per episode");
  impl_ = std::make_unique<Impl>(state_size, steps_per_episode, options);
}

DdpgAgent::~DdpgAgent() = default;
DdpgAgent::DdpgAgent(DdpgAgent&&) noexcept = default;
DdpgAgent& DdpgAgent::operator=(DdpgAgent&&) noexcept = default;

const DdpgOptions& DdpgAgent::options() const { return impl_->options; }

double DdpgAgent::sigma(int64_t episode) const {
  const DdpgOptions& o = impl_->options;
  return o.initial_sigma * std::pow(o.sigma_decay, static_cast<double>(std::max<int64_t>(
                                                       0, episode - o.warmup_episodes)));
}

double DdpgAgent::Policy(const std::vector<float>& state) {
  torch::NoGradGuard no_grad;
  return impl_->actor(Rows({state})).item<double>();
}

// Truncated normal on [0, 1] around the policy's action (rejection sampling; a clip after 100
// rejections, which only a vanishing sigma far outside [0, 1] could need).
double DdpgAgent::Act(const std::vector<float>& state, int64_t episode) {
  if (static_cast<int64_t>(state.size()) != impl_->state_size)
    throw std::invalid_argument("DdpgAgent::Act: state of the wrong size");
  if (episode < impl_->options.warmup_episodes) return impl_->rng.Uniform();
  const double mu = Policy(state);
  const double s = sigma(episode);
  for (int attempt = 0; attempt < 100; ++attempt) {
    const double a = mu + s * impl_->rng.Normal();
    if (a >= 0 && a <= 1) return a;
  }
  return std::clamp(mu, 0.0, 1.0);
}

double DdpgAgent::EndEpisode(const std::vector<Transition>& steps, double reward, int64_t episode) {
  for (const Transition& t : steps)
    impl_->Store({t.state, t.next_state.empty() ? t.state : t.next_state,
                  static_cast<float>(t.action), static_cast<float>(reward), t.last ? 0.0f : 1.0f});
  if (episode < impl_->options.warmup_episodes) return 0;
  double loss = 0;
  for (size_t i = 0; i < steps.size(); ++i) loss += impl_->Update();
  return steps.empty() ? 0 : loss / steps.size();
}

}  // namespace hwnas::rl
