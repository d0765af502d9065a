// SuperNet: the ProxylessNAS over-parameterised network of a SearchSpace. It owns the fixed layers
// (stem, first block, mix, classifier), one MixedOp per searchable block with every candidate
// MBConv (plus the zero op where skip is allowed), the architecture parameters alpha, and the
// binary gates that choose which path runs and which alphas get a gradient.
#pragma once

#include <torch/nn/module.h>
#include <torch/nn/modules/container/any.h>
#include <torch/nn/pimpl.h>

#include <memory>
#include <string>
#include <vector>

#include "core/rng.h"
#include "core/search_space.h"
#include "supernet/network.h"

namespace hwnas::latency {
class LatencyTable;
}  // namespace hwnas::latency

namespace hwnas::supernet {

class MixedOpImpl;  // supernet.cpp: one searchable block's candidates, alpha and gates

// How SampleFromAlpha sets the binary gates (ProxylessNAS --grad_binary_mode).
enum class GateMode {
  // One path from softmax(alpha); backward gives alpha the binary-gate gradient over all
  // candidates, each candidate's output recomputed under no-grad in the backward pass.
  kFullV2,
  // Two distinct paths from softmax(alpha), one of them active by the softmax over the pair;
  // the gradient and E[lat] use the pair softmax; call RescaleAfterArchStep after the step.
  kTwo,
  // One path from softmax(alpha) and no architecture gradient: the weight step of the joint
  // phase, which then costs one path forward and backward only.
  kPathOnly,
};

// Per-block candidate costs in CandidateNames order (skip costs 0) and the fixed layers' cost.
struct CandidateCosts {
  std::vector<std::vector<double>> per_block;
  double fixed = 0;
};

// Latency of every candidate at its block and of the fixed layers, from the table's entries
// (OpKey, EntryMs) times the table's NetworkScale, so E[lat] of a one-hot alpha equals what
// LatencyEstimator gives the same network. DataError naming the first key the table lacks.
CandidateCosts CandidateLatencies(const SearchSpace& space, const latency::LatencyTable& table);
// The same in multiply-accumulates (LayerFlops), for a FLOPs target.
CandidateCosts CandidateFlops(const SearchSpace& space);

class SuperNetImpl : public torch::nn::Module {
 public:
  // Alphas start at zero; every block's gate is on its first candidate, with no arch gradient.
  explicit SuperNetImpl(const SearchSpace& space);
  ~SuperNetImpl() override;

  // Runs the active path of every block (any memory format); returns N x classes logits.
  torch::Tensor forward(torch::Tensor x);

  const SearchSpace& space() const { return space_; }
  const std::vector<BlockPosition>& blocks() const { return blocks_; }
  // Block `b`'s choices: the space's ops, then "skip" where allowed (CandidateNames).
  const std::vector<std::string>& candidates(size_t b) const;

  // For separate optimizers: every weight and batch-norm parameter, and the alphas (one vector
  // per block, in block order). parameters() holds both.
  std::vector<torch::Tensor> WeightParameters() const;
  std::vector<torch::Tensor> ArchParameters() const;

  // Gates. Every call draws one active path per block and clears the gradients of all
  // candidate weights (undefined, as ProxylessNAS sets them to None) so that momentum and
  // weight decay never move a candidate that did not run.
  void SampleUniform(Rng& rng);  // warm-up: a uniform path, no arch gradient
  // A path from softmax(alpha). A block whose active op is skip gets no architecture gradient
  // at all, as in ProxylessNAS: its alpha gradient is reset to undefined here (so the
  // optimizer skips it), its gate is not differentiated and ExpectedLatency detaches it.
  void SampleFromAlpha(Rng& rng, GateMode mode);
  // A fixed path (e.g. Derive()), no arch gradient. keep_gradients: the candidate gradients of
  // the paths run since the last sampling stay, so that several paths add up in one step.
  void SetActive(const Arch& arch, bool keep_gradients = false);
  Arch ActiveArch() const;
  // kTwo: shifts each block's two sampled alphas by the same offset so that the sum of their
  // exponentials equals its value at sampling time; the other probabilities stay unchanged.
  // Call after the architecture optimizer's step; a no-op for blocks sampled otherwise.
  void RescaleAfterArchStep();

  // E[cost] = fixed + sum_b p_b . per_block[b], differentiable in alpha; a 0-d double tensor.
  // p_b is softmax(alpha_b); after SampleFromAlpha(kTwo) it is the pair softmax (zero
  // elsewhere), and a block whose active op came from SampleFromAlpha and is skip is detached.
  torch::Tensor ExpectedLatency(const std::vector<std::vector<double>>& candidate_ms,
                                double fixed_ms) const;
  torch::Tensor ExpectedLatency(const CandidateCosts& costs) const;

  Arch Derive() const;  // argmax alpha per block, ties to the lowest index
  std::vector<std::vector<double>> Probabilities() const;  // softmax(alpha) per block
  std::vector<double> Entropies() const;                   // of Probabilities(), in nats

  // Weight inheritance: copies the fixed layers' and the chosen candidates' parameters and
  // buffers into `net`, built from ToNetSpec(space(), arch).
  void CopyWeightsTo(const Arch& arch, Network& net) const;

 private:
  struct FixedLayer {
    std::string name;  // NetSpec layer name: "stem", "first", "mix", "classifier"
    torch::nn::AnyModule module;
  };
  std::shared_ptr<torch::nn::Module> SourceLayer(const std::string& name, const Arch& arch) const;

  SearchSpace space_;
  std::vector<BlockPosition> blocks_;
  std::vector<FixedLayer> front_;  // stem, first block
  std::vector<std::shared_ptr<MixedOpImpl>> mixed_;
  std::vector<FixedLayer> head_;  // mix (if any), classifier
};
TORCH_MODULE(SuperNet);

}  // namespace hwnas::supernet
