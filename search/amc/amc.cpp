#include "search/amc/amc.h"

#include <torch/serialize.h>
#include <torch/utils.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>

#include "core/config.h"
#include "core/dataset.h"
#include "core/errors.h"
#include "core/rng.h"
#include "core/text.h"
#include "search/amc/channel_groups.h"
#include "search/amc/pruner.h"
#include "search/compression/episode_loop.h"
#include "search/compression/finetune.h"
#include "search/train_util.h"

namespace hwnas::search {
namespace {

// The AMC state's static part, per step (AMC's embedding with a role in place of conv/fc):
// index, role, input channels, channels, stride, kernel, FLOPs the group touches.
constexpr int64_t kStaticFeatures = 7;
constexpr int64_t kStateSize = kStaticFeatures + 3;  // + reduced, rest, previous action

}  // namespace

struct AmcProblem::Impl {
  Impl(const NetSpec& net, const std::string& weights, const Config& config, const DataSplits& data,
       CostModel cost);

  std::vector<int64_t> FullCounts() const;
  double CostOf(const std::vector<int64_t>& counts) const;
  // The cost with groups from `first` on at their minimum: what the budget must still allow.
  double CompletionCost(std::vector<int64_t> counts, size_t first) const;
  std::vector<float> State(size_t t, const std::vector<int64_t>& counts, double previous) const;
  std::vector<int64_t> CountsFor(size_t t, const std::vector<int64_t>& counts) const;
  int64_t ClipToBudget(size_t t, double action, std::vector<int64_t>& counts) const;
  std::pair<std::vector<int64_t>, double> UniformCounts() const;
  double EvaluateEpisode(supernet::Network& net) const;
  std::vector<int64_t> StepChannels(const std::vector<int64_t>& counts) const;
  void FindSteps();
  void CheckBudget();

  Config config;
  const DataSplits& data;
  NetSpec net;
  CostModel cost;
  amc::ChannelGroups groups;
  std::vector<int> steps;  // the groups the agent decides, in forward order
  std::vector<std::vector<float>> static_state;
  std::vector<double> step_flops;  // FLOPs of the layers each step's group touches
  double full_flops = 0, full_cost = 0, cheapest = 0, budget = 0;
  std::unique_ptr<amc::ChannelPruner> pruner;
  std::vector<std::pair<torch::Tensor, torch::Tensor>> eval_batches;
};

AmcProblem::Impl::Impl(const NetSpec& n, const std::string& weights, const Config& c,
                       const DataSplits& d, CostModel cost_model)
    : config(c), data(d), net(n), cost(std::move(cost_model)), groups(amc::FindChannelGroups(n)) {
  ValidateNetSpec(net, "network '" + net.name + "'");
  if (data.train.channels != net.input_channels || data.train.height != net.input_size ||
      data.train.num_classes != net.num_classes)
    ThrowAt(config, config.net.empty() ? "amc.source_run" : "net",
            "network '" + net.name + "' does not fit the dataset (got " +
                std::to_string(net.input_size) + "x" + std::to_string(net.input_size) + "x" +
                std::to_string(net.input_channels) + " images, " + std::to_string(net.num_classes) +
                " classes; expected " + std::to_string(data.train.height) + "x" +
                std::to_string(data.train.width) + "x" + std::to_string(data.train.channels) +
                " images, " + std::to_string(data.train.num_classes) + " classes)");
  if (data.holdout.size() == 0)
    ThrowAt(config, "data.holdout_fraction",
            "AMC scores every episode on held-out data, but none is held out (expected a value "
            "> 0 that leaves at least one image)");
  if (!std::filesystem::is_regular_file(weights))
    throw DataError("no weights file at " + weights + " for network '" + net.name + "'");
  FindSteps();
  CheckBudget();
  supernet::Network trained(net);
  LoadNetworkWeights(trained, weights);
  const auto calibration = CollectBatches(data.train, config.amc.calibration_images, config, false);
  std::vector<torch::Tensor> images;
  for (const auto& batch : calibration) images.push_back(batch.first);
  pruner = std::make_unique<amc::ChannelPruner>(net, trained, groups, torch::cat(images),
                                                config.amc.points_per_image,
                                                DeriveSeed(config.seed, rng_stream::kCalibration));
  eval_batches =
      CollectBatches(data.holdout, config.amc.eval_images, config, config.train.channels_last);
}

// Every prunable group with more than one allowed count is a step; its static state describes
// the layer that first writes it. Columns are min-max scaled across steps, as in AMC.
void AmcProblem::Impl::FindSteps() {
  const AmcOptions& o = config.amc;
  std::vector<std::vector<double>> rows;
  for (size_t g = 0; g < groups.groups.size(); ++g) {
    const amc::ChannelGroup& group = groups.groups[g];
    if (amc::AllowedCounts(group, o.min_preserve, o.channel_multiple).size() < 2) continue;
    const LayerSpec& first = net.layers[group.first_layer];
    double touched = 0;
    for (size_t i = 0; i < net.layers.size(); ++i) {
      const amc::LayerGroups& lg = groups.layers[i];
      if (lg.in == static_cast<int>(g) || lg.mid == static_cast<int>(g) ||
          lg.out == static_cast<int>(g))
        touched += LayerFlops(net.layers[i]);
    }
    const bool mid = group.role == amc::GroupRole::kExpand;
    const bool project = group.role == amc::GroupRole::kProject;
    rows.push_back({static_cast<double>(steps.size()),
                    mid       ? 1.0
                    : project ? 2.0
                              : 0.0,
                    static_cast<double>(first.in_channels), static_cast<double>(group.channels),
                    project ? 1.0 : static_cast<double>(first.stride),
                    project ? 1.0 : static_cast<double>(first.kernel), touched});
    steps.push_back(static_cast<int>(g));
    step_flops.push_back(touched);
  }
  if (steps.empty())
    throw DataError("network '" + net.name +
                    "' has no channel group AMC can prune: every group is tied to the input "
                    "image or the classes, or keeps too few channels for amc.channel_multiple " +
                    std::to_string(o.channel_multiple) + " at amc.min_preserve " +
                    FormatSignificant(o.min_preserve));
  static_state = MinMaxScaled(rows);
}

std::vector<int64_t> AmcProblem::Impl::FullCounts() const {
  std::vector<int64_t> counts;
  for (const amc::ChannelGroup& g : groups.groups) counts.push_back(g.channels);
  return counts;
}

double AmcProblem::Impl::CostOf(const std::vector<int64_t>& counts) const {
  return cost.cost(amc::ApplyChannelCounts(net, groups, counts));
}

double AmcProblem::Impl::CompletionCost(std::vector<int64_t> counts, size_t first) const {
  amc::FillLowest(net, groups, first, config.amc.min_preserve, config.amc.channel_multiple, counts);
  return CostOf(counts);
}

// The budget must lie between the cheapest network the lower bound allows and the whole one.
void AmcProblem::Impl::CheckBudget() {
  const AmcOptions& o = config.amc;
  full_flops = NetFlops(net);
  full_cost = cost.cost(net);
  cheapest = CompletionCost(FullCounts(), 0);
  const bool latency = o.target_kind == AmcTarget::kLatency;
  budget = latency ? o.target_ms : o.flops_ratio * full_cost;
  if (budget >= cheapest) return;
  if (latency)
    ThrowAt(config, "amc.target_ms",
            "below the cheapest pruned network (got " + FormatSignificant(o.target_ms) +
                " ms; expected at least " + FormatSignificant(cheapest) + " ms on device " +
                config.device.name + ", every channel group at amc.min_preserve " +
                FormatSignificant(o.min_preserve) + "; the unpruned network takes " +
                FormatSignificant(full_cost) + " ms)");
  ThrowAt(config, "amc.flops_ratio",
          "below the cheapest pruned network (got " + FormatSignificant(o.flops_ratio) +
              "; expected at least " + FormatSignificant(cheapest / full_cost) + " = " +
              FormatSignificant(cheapest / 1e6) + " of " + FormatSignificant(full_cost / 1e6) +
              " M MACs, every channel group at amc.min_preserve " +
              FormatSignificant(o.min_preserve) + ")");
}

// Static features, then the FLOPs removed so far, the FLOPs of the later steps' layers, and the
// previous action (AMC's "reduced", "rest" and a_{t-1}).
std::vector<float> AmcProblem::Impl::State(size_t t, const std::vector<int64_t>& counts,
                                           double previous) const {
  std::vector<float> state = static_state[t];
  double rest = 0;
  for (size_t later = t + 1; later < steps.size(); ++later) rest += step_flops[later];
  state.push_back(static_cast<float>(1.0 - amc::CountsFlops(net, groups, counts) / full_flops));
  state.push_back(static_cast<float>(rest / full_flops));
  state.push_back(static_cast<float>(previous));
  return state;
}

std::vector<int64_t> AmcProblem::Impl::CountsFor(size_t t,
                                                 const std::vector<int64_t>& counts) const {
  return amc::AllowedCountsAfter(net, groups, steps[t], counts, config.amc.min_preserve,
                                 config.amc.channel_multiple);
}

// AMC's resource-constrained action: the largest allowed count at or below the action's whose
// cost, with every later group at its minimum, stays within the budget.
int64_t AmcProblem::Impl::ClipToBudget(size_t t, double action,
                                       std::vector<int64_t>& counts) const {
  const int g = steps[t];
  const int64_t wanted = amc::CountForRatio(groups.groups[g], action, config.amc.min_preserve,
                                            config.amc.channel_multiple);
  const std::vector<int64_t> allowed = CountsFor(t, counts);
  for (auto c = allowed.rbegin(); c != allowed.rend(); ++c) {
    if (*c > wanted) continue;
    counts[g] = *c;
    if (CompletionCost(counts, g + 1) <= budget) return *c;
  }
  return counts[g] = allowed.front();  // the budget check guarantees the minimum fits
}

// Uniform pruning for comparison: the largest single preserve ratio (in steps of 0.01) whose
// network fits the budget.
std::pair<std::vector<int64_t>, double> AmcProblem::Impl::UniformCounts() const {
  const AmcOptions& o = config.amc;
  for (int percent = 100; percent >= 1; --percent) {
    const double ratio = std::max(percent / 100.0, o.min_preserve);
    std::vector<int64_t> counts =
        amc::UniformCounts(net, groups, ratio, o.min_preserve, o.channel_multiple);
    if (CostOf(counts) <= budget) return {counts, ratio};
  }
  std::vector<int64_t> lowest = FullCounts();
  amc::FillLowest(net, groups, 0, o.min_preserve, o.channel_multiple, lowest);
  return {lowest, o.min_preserve};
}

double AmcProblem::Impl::EvaluateEpisode(supernet::Network& pruned) const {
  if (config.train.channels_last) supernet::ToChannelsLast(*pruned);
  return HoldoutAccuracyOnEveryRank(pruned, eval_batches, config, config.amc.eval_images);
}

std::vector<int64_t> AmcProblem::Impl::StepChannels(const std::vector<int64_t>& counts) const {
  std::vector<int64_t> channels;
  for (int g : steps) channels.push_back(counts[g]);
  return channels;
}

AmcProblem::AmcProblem(const NetSpec& net, const std::string& weights, const Config& config,
                       const DataSplits& data, CostModel cost)
    : impl_(std::make_unique<Impl>(net, weights, config, data, std::move(cost))) {}
AmcProblem::~AmcProblem() = default;
int64_t AmcProblem::steps() const { return static_cast<int64_t>(impl_->steps.size()); }
double AmcProblem::budget() const { return impl_->budget; }
double AmcProblem::full_cost() const { return impl_->full_cost; }
double AmcProblem::cheapest_cost() const { return impl_->cheapest; }
const CostModel& AmcProblem::cost_model() const { return impl_->cost; }

namespace {

// One finished episode's policy and scores, kept for the export.
struct AmcEpisode {
  std::vector<int64_t> counts;
  EpisodeScore score;
};

std::string PolicyJsonOf(const AmcProblem::Impl& p, const std::vector<int64_t>& counts) {
  nlohmann::json groups = nlohmann::json::array(), channels = nlohmann::json::array(),
                 preserve = nlohmann::json::array();
  for (int g : p.steps) {
    groups.push_back(p.groups.groups[g].name);
    channels.push_back(counts[g]);
    preserve.push_back(static_cast<double>(counts[g]) / p.groups.groups[g].channels);
  }
  nlohmann::json policy{{"groups", groups},
                        {"channels", channels},
                        {"preserve", preserve},
                        {"flops", amc::CountsFlops(p.net, p.groups, counts)}};
  if (p.cost.unit == "ms") policy["latency_ms"] = p.CostOf(counts);
  return policy.dump();
}

// AMC in the episode loop: a step keeps a number of channels of one group, clipped at once so
// that the budget can still be met with every later group at its minimum; the agent learns
// from the preserve ratio it got, not the one it asked for. Episodes score the pruned and
// reconstructed network without fine-tuning.
class AmcEnvironment : public CompressionEnvironment {
 public:
  explicit AmcEnvironment(AmcProblem::Impl& p) : p_(p) {}

  EnvironmentNames names() const override { return {"amc", "prune+reconstruct", "prune_seconds"}; }
  int64_t steps() const override { return static_cast<int64_t>(p_.steps.size()); }
  int64_t state_size() const override { return kStateSize; }
  double reference_cost() const override { return p_.full_cost; }

  void BeginEpisode() override { counts_ = p_.FullCounts(); }
  std::vector<float> State(int64_t step, double previous) const override {
    return p_.State(static_cast<size_t>(step), counts_, previous);
  }
  StepOutcome Step(int64_t step, double action) override {
    const auto t = static_cast<size_t>(step);
    const int64_t kept = p_.ClipToBudget(t, action, counts_);
    const double ratio = static_cast<double>(kept) / p_.groups.groups[p_.steps[t]].channels;
    return {ratio, ratio};
  }
  double FitToBudget() override { return p_.CostOf(counts_); }  // every step fits already
  supernet::Network Build() override { return p_.pruner->Prune(counts_); }
  double Evaluate(supernet::Network& pruned) override { return p_.EvaluateEpisode(pruned); }
  double Reward(double accuracy) const override {
    if (p_.config.amc.reward == AmcReward::kAccFlops)
      return -(1.0 - accuracy) * std::log(amc::CountsFlops(p_.net, p_.groups, counts_));
    return accuracy;
  }
  std::string PolicyJson() const override { return PolicyJsonOf(p_, counts_); }
  void EndEpisode(const EpisodeScore& score) override { history_.push_back({counts_, score}); }
  std::string Describe(const EpisodeScore& best) const override {
    return "reward " + FormatSignificant(best.reward) + ", " +
           FormatSignificant(100 * best.accuracy) + "% held-out, " + FormatSignificant(best.cost) +
           " " + p_.cost.unit;
  }

  // Every episode's counts and score: the export picks the best, or times the best few.
  std::string SaveState() const override {
    nlohmann::json episodes = nlohmann::json::array();
    for (const AmcEpisode& e : history_)
      episodes.push_back({{"counts", e.counts}, {"score", ScoreJson(e.score)}});
    return episodes.dump();
  }
  void LoadState(const std::string& state) override {
    history_.clear();
    for (const nlohmann::json& e : nlohmann::json::parse(state))
      history_.push_back({e.at("counts").get<std::vector<int64_t>>(), ScoreOfJson(e.at("score"))});
  }

  const std::vector<AmcEpisode>& history() const { return history_; }

 private:
  AmcProblem::Impl& p_;
  std::vector<int64_t> counts_;  // the current episode's, per channel group
  std::vector<AmcEpisode> history_;
};

// Exports `counts` as a physically smaller network, scores it on the whole held-out split,
// fine-tunes it and stores it (ExportCompressed).
PrunedNetwork Export(AmcProblem::Impl& p, const std::vector<int64_t>& counts,
                     FineTuneRequest request, const AmcContext& context,
                     std::optional<double> measured_ms = std::nullopt) {
  supernet::Network pruned = p.pruner->Prune(counts);
  PrunedNetwork out;
  out.channels = p.StepChannels(counts);
  const double cost = p.CostOf(counts);
  if (p.cost.unit == "ms") request.estimated_latency_ms = cost;
  request.measured_latency_ms = measured_ms;
  static_cast<CompressedNetwork&>(out) =
      ExportCompressed(pruned, cost, p.full_cost, "pruned", request, p.config, p.data, context);
  return out;
}

// The estimate steers the search; whether a network meets a latency budget is decided by timing
// it. The best episodes (distinct policies, by reward) are timed in turn until one meets the
// budget (one over it is timed a second time first); if none of kCandidates does, the fastest of
// them is taken and a warning printed. The agent's episodes crowd at the estimated budget, so once
// a network times over its estimate, those the smallest such over-run seen would also push past the
// budget are passed over for ones with room to spare.
constexpr size_t kCandidates = 8;

std::vector<int64_t> MeasuredChoice(const AmcProblem::Impl& p, std::vector<AmcEpisode> episodes,
                                    AmcResult& result, bool verbose) {
  std::stable_sort(episodes.begin(), episodes.end(), [](const AmcEpisode& a, const AmcEpisode& b) {
    return a.score.reward > b.score.reward;
  });
  std::vector<std::vector<int64_t>> tried;
  std::vector<int64_t> fastest;
  double fastest_ms = 1e300;
  double over_run = 1;  // the smallest measured / estimated of the networks over the budget
  for (const AmcEpisode& e : episodes) {
    if (tried.size() == kCandidates) break;
    if (std::find(tried.begin(), tried.end(), e.counts) != tried.end()) continue;
    if (over_run > 1 && e.score.cost * over_run > p.budget) continue;
    tried.push_back(e.counts);
    const NetSpec net = amc::ApplyChannelCounts(p.net, p.groups, e.counts);
    double ms = p.cost.measure(net);
    // A slow period of a shared machine only adds time: one over the budget is timed again.
    if (ms > p.budget) ms = std::min(ms, p.cost.measure(net));
    result.measured_candidates = static_cast<int64_t>(tried.size());
    if (verbose)
      std::fprintf(stderr, "amc: candidate %zu (reward %.4g): %.4f ms estimated, %.4f measured\n",
                   tried.size(), e.score.reward, e.score.cost, ms);
    if (ms <= p.budget) {
      result.measured_ms = ms;
      return e.counts;
    }
    if (ms < fastest_ms) fastest_ms = ms, fastest = e.counts;
    const double ratio = ms / e.score.cost;
    if (ratio > 1) over_run = over_run > 1 ? std::min(over_run, ratio) : ratio;
  }
  std::fprintf(stderr,
               "warning: none of the %zu networks timed meets the %.4g ms budget; "
               "exporting the fastest of them (%.4f ms)\n",
               tried.size(), p.budget, fastest_ms);
  result.measured_ms = fastest_ms;
  return fastest;
}

}  // namespace

AmcResult RunAmc(AmcProblem& problem, const AmcContext& context) {
  AmcProblem::Impl& p = problem.impl();
  const AmcOptions& o = p.config.amc;
  AmcEnvironment env(p);
  AmcResult result;
  static_cast<EpisodeSummary&>(result) = RunEpisodes(env, p.config, o, context);
  result.solves = p.pruner->solves();
  std::vector<int64_t> chosen = env.history()[result.best_episode].counts;
  if (p.cost.measure) chosen = MeasuredChoice(p, env.history(), result, context.show_progress);
  result.best = Export(p, chosen, FinalRequest(o, context), context, result.measured_ms);
  if (o.compare_uniform) {
    auto [counts, ratio] = p.UniformCounts();
    result.uniform_ratio = ratio;
    result.uniform = Export(p, counts, BaselineRequest(o, context), context);
  }
  return result;
}

}  // namespace hwnas::search
