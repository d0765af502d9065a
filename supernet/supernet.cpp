#include "supernet/supernet.h"

#include <torch/csrc/autograd/custom_function.h>
#include <torch/nn/functional/activation.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <stdexcept>
#include <utility>

#include "core/errors.h"
#include "latency/estimator.h"
#include "latency/op_key.h"
#include "latency/table.h"

namespace hwnas::supernet {
namespace {

namespace nn = torch::nn;
using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

// ---- The layers of the space ----------------------------------------------------------------

// Every layer the supernet holds, exactly as ToNetSpec spells it out.
struct SpaceLayers {
  std::vector<LayerSpec> front;             // stem, first block
  std::vector<std::vector<LayerSpec>> ops;  // [block][op], the space's ops (never skip)
  std::vector<LayerSpec> head;              // mix (if any), classifier
};

SpaceLayers LayersOf(const SearchSpace& space) {
  const size_t n = Blocks(space).size();
  SpaceLayers out;
  out.ops.resize(n);
  for (const CandidateOp& op : space.candidates) {
    // With `op` in every block, ToNetSpec's layers are stem, first, the n blocks, then the head:
    // layer 2 + b is the layer ToNetSpec gives `op` at block b in any arch.
    const std::vector<LayerSpec> layers = ToNetSpec(space, UniformArch(space, op.name)).layers;
    for (size_t b = 0; b < n; ++b) out.ops[b].push_back(layers[2 + b]);
    out.front.assign(layers.begin(), layers.begin() + 2);
    out.head.assign(layers.begin() + 2 + static_cast<std::ptrdiff_t>(n), layers.end());
  }
  return out;
}

// Costs of every candidate (`cost(layer, where)`; skip 0) and of the fixed layers.
CandidateCosts CostsOf(const SearchSpace& space,
                       const std::function<double(const LayerSpec&, const std::string&)>& cost) {
  const SpaceLayers layers = LayersOf(space);
  const std::vector<BlockPosition> blocks = Blocks(space);
  CandidateCosts costs;
  for (const LayerSpec& l : layers.front) costs.fixed += cost(l, l.name);
  for (const LayerSpec& l : layers.head) costs.fixed += cost(l, l.name);
  for (size_t b = 0; b < blocks.size(); ++b) {
    std::vector<double> block_costs;
    for (size_t j = 0; j < space.candidates.size(); ++j)
      block_costs.push_back(
          cost(layers.ops[b][j], blocks[b].name + " " + space.candidates[j].name));
    if (blocks[b].skip_allowed) block_costs.push_back(0.0);
    costs.per_block.push_back(std::move(block_costs));
  }
  return costs;
}

// ---- Categorical draws ------------------------------------------------------------------------

std::vector<double> Softmax(const std::vector<double>& logits) {
  double top = logits.front();
  for (double a : logits) top = std::max(top, a);
  std::vector<double> p;
  double sum = 0;
  for (double a : logits) sum += p.emplace_back(std::exp(a - top));
  for (double& v : p) v /= sum;
  return p;
}

double LogSumExp(const std::vector<double>& values) {
  double top = values.front();
  for (double v : values) top = std::max(top, v);
  double sum = 0;
  for (double v : values) sum += std::exp(v - top);
  return top + std::log(sum);
}

// An index drawn with probability proportional to `weights` (by inversion; never a zero weight).
size_t Draw(const std::vector<double>& weights, Rng& rng) {
  double total = 0;
  for (double w : weights) total += w;
  double u = rng.Uniform() * total;
  size_t last = 0;
  for (size_t i = 0; i < weights.size(); ++i) {
    if (weights[i] <= 0) continue;
    last = i;
    if (u < weights[i]) return i;
    u -= weights[i];
  }
  return last;  // rounding left u >= the last weight
}

// ---- The binary gate --------------------------------------------------------------------------

// What the gate's backward pass needs, kept alive by the autograd graph: dL/dy -> dL/dalpha.
struct GateState : torch::CustomClassHolder {
  std::function<torch::Tensor(const torch::Tensor&)> alpha_grad;
};

// y = o_active(x) passes through unchanged (forward and backward); alpha, which the forward value
// does not depend on, gets the BinaryConnect estimate through the gates in the backward pass.
struct BinaryGate : torch::autograd::Function<BinaryGate> {
  static torch::Tensor forward(AutogradContext* ctx, torch::Tensor y, torch::Tensor alpha,
                               c10::intrusive_ptr<GateState> state) {
    ctx->saved_data["state"] = c10::IValue::make_capsule(std::move(state));
    return y;
  }

  static variable_list backward(AutogradContext* ctx, variable_list grad) {
    torch::Tensor alpha_grad;
    if (ctx->needs_input_grad(1)) {
      auto state =
          c10::static_intrusive_pointer_cast<GateState>(ctx->saved_data["state"].toCapsule());
      alpha_grad = state->alpha_grad(grad[0]);
    }
    return {grad[0], alpha_grad, torch::Tensor()};
  }
};

}  // namespace

// ---- MixedOp ----------------------------------------------------------------------------------

// One searchable block: its candidate MBConvs (the zero op, last where allowed, has no module),
// its alpha and its gates. Candidate outputs include the block's identity shortcut (MBConv adds
// it), so the zero op outputs x. Against ProxylessNAS's o_j (without shortcut) every dL/dg_j
// gains the same <x, dL/dy>, which cancels in sum_j dL/dg_j p_j (delta_ij - p_i) because the
// p_j over the gated candidates sum to 1: the alpha gradient is the same.
class MixedOpImpl : public nn::Module {
 public:
  MixedOpImpl(std::vector<std::string> names, const std::vector<LayerSpec>& layers)
      : names_(std::move(names)) {
    for (size_t j = 0; j < layers.size(); ++j) {
      ops_.push_back(MakeLayerModule(layers[j]));
      register_module(names_[j], ops_.back().ptr());
    }
    alpha_ = register_parameter("alpha", torch::zeros({static_cast<int64_t>(names_.size())}));
  }

  torch::Tensor forward(torch::Tensor x) {
    if (IsSkip(active_)) return x;  // zero op + identity shortcut
    torch::Tensor y = ops_[active_].forward(x);
    if (gated_.empty() || !torch::GradMode::is_enabled() || !alpha_.requires_grad()) return y;
    return BinaryGate::apply(y, alpha_, MakeGateState(x, y));
  }

  const std::vector<std::string>& names() const { return names_; }
  const torch::Tensor& alpha() const { return alpha_; }
  size_t active() const { return active_; }
  std::shared_ptr<nn::Module> op(size_t j) const { return ops_.at(j).ptr(); }
  bool IsSkip(size_t j) const { return j == ops_.size(); }

  std::vector<double> AlphaValues() const {
    torch::Tensor a = alpha_.detach().to(torch::kDouble).contiguous();
    return std::vector<double>(a.data_ptr<double>(), a.data_ptr<double>() + a.numel());
  }

  // A fixed active path with no architecture gradient (warm-up, SetActive).
  void SetPath(size_t active, bool keep_gradients = false) {
    ResetGates(keep_gradients);
    active_ = active;
  }

  void SampleFromAlpha(Rng& rng, GateMode mode) {
    ResetGates();
    const std::vector<double> a = AlphaValues();
    const std::vector<double> p = Softmax(a);
    if (mode == GateMode::kTwo && names_.size() >= 2) {
      // multinomial(p, 2) without replacement, then the active one by the pair's softmax.
      const size_t first = Draw(p, rng);
      std::vector<double> rest = p;
      rest[first] = 0;
      size_t second = Draw(rest, rng);
      if (second == first) second = (first + 1) % names_.size();  // every other p underflowed
      pair_ = {first, second};
      pair_alpha_before_ = {a[pair_[0]], a[pair_[1]]};
      active_ = pair_[Draw(Softmax(pair_alpha_before_), rng)];
      gated_ = pair_;
    } else {
      active_ = Draw(p, rng);
      if (mode != GateMode::kPathOnly)
        for (size_t j = 0; j < names_.size(); ++j) gated_.push_back(j);
    }
    // ProxylessNAS sets alpha.grad = None when the zero op is active: no step for this block.
    skip_frozen_ = IsSkip(active_) && mode != GateMode::kPathOnly;
    if (skip_frozen_) {
      gated_.clear();
      alpha_.mutable_grad() = torch::Tensor();
    }
  }

  // The probabilities E[cost] weighs this block's candidates with (see ExpectedLatency).
  torch::Tensor PathProbabilities() const {
    torch::Tensor p = torch::softmax(alpha_, 0);
    if (!pair_.empty()) {
      const torch::Tensor index =
          torch::tensor({static_cast<int64_t>(pair_[0]), static_cast<int64_t>(pair_[1])});
      p = torch::zeros_like(alpha_).index_put({index},
                                              torch::softmax(alpha_.index_select(0, index), 0));
    }
    return skip_frozen_ ? p.detach() : p;
  }

  // ProxylessNAS rescale_updated_arch_param: both sampled alphas -= log(sum exp(new) /
  // sum exp(old)), so the pair's total probability mass (and every other p) is unchanged.
  void RescalePair() {
    if (pair_.empty()) return;
    const std::vector<double> a = AlphaValues();
    const std::vector<double> now = {a[pair_[0]], a[pair_[1]]};
    const double offset = LogSumExp(now) - LogSumExp(pair_alpha_before_);
    torch::NoGradGuard no_grad;
    for (size_t j : pair_) alpha_[static_cast<int64_t>(j)].sub_(offset);
    pair_alpha_before_ = {now[0] - offset, now[1] - offset};
  }

 private:
  void ResetGates(bool keep_gradients = false) {
    active_ = 0;
    gated_.clear();
    pair_.clear();
    pair_alpha_before_.clear();
    skip_frozen_ = false;
    if (keep_gradients) return;
    // ProxylessNAS clears candidate gradients at every binarize (against over-regularisation).
    for (auto& p : parameters())
      if (!p.is_same(alpha_)) p.mutable_grad() = torch::Tensor();
  }

  // Captures this forward's input, output, gates and probabilities for BinaryGate's backward.
  c10::intrusive_ptr<GateState> MakeGateState(const torch::Tensor& x, const torch::Tensor& y) {
    std::vector<double> logits;
    const std::vector<double> a = AlphaValues();
    for (size_t j : gated_) logits.push_back(a[j]);
    auto state = c10::make_intrusive<GateState>();
    state->alpha_grad = [self = std::static_pointer_cast<MixedOpImpl>(shared_from_this()),
                         x = x.detach(), y = y.detach(), active = active_, gated = gated_,
                         p = Softmax(logits)](const torch::Tensor& grad_y) {
      return self->AlphaGradient(x, y, active, gated, p, grad_y);
    };
    return state;
  }

  // dL/dalpha_i = sum_j dL/dg_j p_j (delta_ij - p_i) over the gated candidates i, j, with
  // dL/dg_j = <o_j(x), dL/dy>. Unsampled candidates run here, under no-grad, so their
  // activations never live in the forward graph (ProxylessNAS full_v2).
  torch::Tensor AlphaGradient(const torch::Tensor& x, const torch::Tensor& y, size_t active,
                              const std::vector<size_t>& gated, const std::vector<double>& p,
                              const torch::Tensor& grad_y) {
    torch::NoGradGuard no_grad;
    std::vector<double> gate_grad;
    for (size_t j : gated) {
      const torch::Tensor o = j == active ? y : IsSkip(j) ? x : ops_[j].forward(x);
      gate_grad.push_back((o * grad_y).sum(torch::kDouble).item<double>());
    }
    std::vector<double> grad(names_.size(), 0.0);
    for (size_t i = 0; i < gated.size(); ++i) {
      for (size_t j = 0; j < gated.size(); ++j)
        grad[gated[i]] += gate_grad[j] * p[j] * ((i == j ? 1.0 : 0.0) - p[i]);
    }
    return torch::tensor(grad, torch::kDouble).to(alpha_.scalar_type());
  }

  std::vector<std::string> names_;
  std::vector<nn::AnyModule> ops_;
  torch::Tensor alpha_;
  size_t active_ = 0;
  std::vector<size_t> gated_;  // candidates whose gates backward differentiates; empty: none
  std::vector<size_t> pair_;   // kTwo: the two sampled candidates
  std::vector<double> pair_alpha_before_;
  bool skip_frozen_ = false;  // sampled from alpha for an arch step, and skip is active
};

// ---- SuperNet ---------------------------------------------------------------------------------

SuperNetImpl::SuperNetImpl(const SearchSpace& space) : space_(space), blocks_(Blocks(space)) {
  const SpaceLayers layers = LayersOf(space_);
  for (const LayerSpec& l : layers.front) {
    front_.push_back({l.name, MakeLayerModule(l)});
    register_module(ModuleName(l.name), front_.back().module.ptr());
  }
  for (size_t b = 0; b < blocks_.size(); ++b) {
    mixed_.push_back(register_module(
        ModuleName(blocks_[b].name),
        std::make_shared<MixedOpImpl>(CandidateNames(space_, blocks_[b]), layers.ops[b])));
  }
  for (const LayerSpec& l : layers.head) {
    head_.push_back({l.name, MakeLayerModule(l)});
    register_module(ModuleName(l.name), head_.back().module.ptr());
  }
}

SuperNetImpl::~SuperNetImpl() = default;

torch::Tensor SuperNetImpl::forward(torch::Tensor x) {
  for (FixedLayer& l : front_) x = l.module.forward(x);
  for (auto& op : mixed_) x = op->forward(x);
  for (FixedLayer& l : head_) x = l.module.forward(x);
  return x;
}

const std::vector<std::string>& SuperNetImpl::candidates(size_t b) const {
  return mixed_.at(b)->names();
}

std::vector<torch::Tensor> SuperNetImpl::WeightParameters() const {
  std::vector<torch::Tensor> weights;
  for (const torch::Tensor& p : parameters()) {
    bool is_alpha = false;
    for (const auto& op : mixed_) is_alpha = is_alpha || p.is_same(op->alpha());
    if (!is_alpha) weights.push_back(p);
  }
  return weights;
}

std::vector<torch::Tensor> SuperNetImpl::ArchParameters() const {
  std::vector<torch::Tensor> alphas;
  for (const auto& op : mixed_) alphas.push_back(op->alpha());
  return alphas;
}

void SuperNetImpl::SampleUniform(Rng& rng) {
  for (auto& op : mixed_) op->SetPath(static_cast<size_t>(rng.UniformInt(op->names().size())));
}

void SuperNetImpl::SampleFromAlpha(Rng& rng, GateMode mode) {
  for (auto& op : mixed_) op->SampleFromAlpha(rng, mode);
}

void SuperNetImpl::SetActive(const Arch& arch, bool keep_gradients) {
  ToNetSpec(space_, arch);  // DataError naming the bad choice
  for (size_t b = 0; b < mixed_.size(); ++b) {
    const std::vector<std::string>& names = mixed_[b]->names();
    mixed_[b]->SetPath(
        static_cast<size_t>(std::find(names.begin(), names.end(), arch.choices[b]) - names.begin()),
        keep_gradients);
  }
}

Arch SuperNetImpl::ActiveArch() const {
  Arch arch;
  for (const auto& op : mixed_) arch.choices.push_back(op->names()[op->active()]);
  return arch;
}

void SuperNetImpl::RescaleAfterArchStep() {
  for (auto& op : mixed_) op->RescalePair();
}

torch::Tensor SuperNetImpl::ExpectedLatency(const std::vector<std::vector<double>>& candidate_ms,
                                            double fixed_ms) const {
  if (candidate_ms.size() != mixed_.size())
    throw std::invalid_argument("ExpectedLatency: " + std::to_string(candidate_ms.size()) +
                                " cost vectors for " + std::to_string(mixed_.size()) + " blocks");
  torch::Tensor total = torch::tensor(fixed_ms, torch::kDouble);
  for (size_t b = 0; b < mixed_.size(); ++b) {
    if (candidate_ms[b].size() != mixed_[b]->names().size())
      throw std::invalid_argument("ExpectedLatency: block " + blocks_[b].name + " has " +
                                  std::to_string(mixed_[b]->names().size()) + " candidates, got " +
                                  std::to_string(candidate_ms[b].size()) + " costs");
    const torch::Tensor p = mixed_[b]->PathProbabilities().to(torch::kDouble);
    total = total + (p * torch::tensor(candidate_ms[b], torch::kDouble)).sum();
  }
  return total;
}

torch::Tensor SuperNetImpl::ExpectedLatency(const CandidateCosts& costs) const {
  return ExpectedLatency(costs.per_block, costs.fixed);
}

Arch SuperNetImpl::Derive() const {
  Arch arch;
  for (const auto& op : mixed_) {
    const std::vector<double> a = op->AlphaValues();
    size_t best = 0;
    for (size_t j = 1; j < a.size(); ++j)
      if (a[j] > a[best]) best = j;  // strict: ties keep the lowest index
    arch.choices.push_back(op->names()[best]);
  }
  return arch;
}

std::vector<std::vector<double>> SuperNetImpl::Probabilities() const {
  std::vector<std::vector<double>> probabilities;
  for (const auto& op : mixed_) probabilities.push_back(Softmax(op->AlphaValues()));
  return probabilities;
}

std::vector<double> SuperNetImpl::Entropies() const {
  std::vector<double> entropies;
  for (const std::vector<double>& p : Probabilities()) {
    double h = 0;
    for (double v : p)
      if (v > 0) h -= v * std::log(v);
    entropies.push_back(h);
  }
  return entropies;
}

// ---- Weight inheritance -----------------------------------------------------------------------

namespace {

// Copies parameters and buffers between two modules of the same layer spec.
void CopyState(const nn::Module& from, nn::Module& to, const std::string& layer) {
  torch::NoGradGuard no_grad;
  const auto copy = [&](const auto& source, auto target) {
    if (source.size() != target.size())
      throw std::invalid_argument("CopyWeightsTo: layer " + layer + " differs in structure");
    for (const auto& item : source) {
      torch::Tensor* dst = target.find(item.key());
      if (dst == nullptr || !dst->sizes().equals(item.value().sizes()))
        throw std::invalid_argument("CopyWeightsTo: layer " + layer + " has no tensor " +
                                    item.key() + " of the same shape");
      dst->copy_(item.value());
    }
  };
  copy(from.named_parameters(), to.named_parameters());
  copy(from.named_buffers(), to.named_buffers());
}

}  // namespace

std::shared_ptr<nn::Module> SuperNetImpl::SourceLayer(const std::string& name,
                                                      const Arch& arch) const {
  for (const std::vector<FixedLayer>* part : {&front_, &head_})
    for (const FixedLayer& l : *part)
      if (l.name == name) return l.module.ptr();
  for (size_t b = 0; b < blocks_.size(); ++b) {
    if (blocks_[b].name != name) continue;
    const std::vector<std::string>& names = mixed_[b]->names();
    return mixed_[b]->op(static_cast<size_t>(
        std::find(names.begin(), names.end(), arch.choices[b]) - names.begin()));
  }
  throw std::invalid_argument("CopyWeightsTo: the supernet has no layer " + name);
}

void SuperNetImpl::CopyWeightsTo(const Arch& arch, Network& net) const {
  const NetSpec expected = ToNetSpec(space_, arch);  // DataError naming a bad choice
  if (ArchString(expected) != ArchString(net->spec()))
    throw std::invalid_argument("CopyWeightsTo: the network (" + ArchString(net->spec()) +
                                ") is not the arch's (" + ArchString(expected) + ")");
  const std::shared_ptr<nn::Module> layers = net->named_children()["layers"];
  const auto targets = layers->named_children();
  for (const LayerSpec& l : expected.layers)
    CopyState(*SourceLayer(l.name, arch), *targets[ModuleName(l.name)], l.name);
}

// ---- Candidate costs --------------------------------------------------------------------------

CandidateCosts CandidateLatencies(const SearchSpace& space, const latency::LatencyTable& table) {
  const double scale = latency::NetworkScale(table);
  return CostsOf(space, [&](const LayerSpec& layer, const std::string& where) {
    const std::string key = latency::OpKey(layer);
    const auto* stats = table.Find(key);
    if (stats == nullptr)
      throw DataError("latency table '" + table.info().device + "' has no entry for op key '" +
                      key + "' (" + where + " of space '" + space.name + "')");
    return latency::EntryMs(*stats) * scale;
  });
}

CandidateCosts CandidateFlops(const SearchSpace& space) {
  return CostsOf(space,
                 [](const LayerSpec& layer, const std::string&) { return LayerFlops(layer); });
}

}  // namespace hwnas::supernet
