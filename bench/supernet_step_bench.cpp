// Supernet step throughput: the weight step and the architecture step (full_v2 and two-path
// binary gates) of a search space's ProxylessNAS supernet on the CPU at batch 128, channels-last.
// bench/supernet_step.py runs the same steps in PyTorch's Python API; bench/supernet_speed.sh
// puts both side by side.
//   build/bench/hwnas_supernet_step_bench [threads=2] [steps=20]
//       [configs/spaces/fmnist-mbconv.yaml]
// A plain program, not Google Benchmark: the .sh studies parse its output next to PyTorch's.
#include <torch/nn/functional/loss.h>
#include <torch/optim/adam.h>
#include <torch/optim/sgd.h>
#include <torch/types.h>
#include <torch/utils.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>
#include <string>

#include "core/rng.h"
#include "core/search_space.h"
#include "supernet/network.h"
#include "supernet/supernet.h"
#include "supernet/threads.h"

namespace {

namespace sn = hwnas::supernet;

constexpr int64_t kBatch = 128;
constexpr int kWarmup = 3;
// The latency term's weight and target, in millions of multiply-accumulates: the costs are the
// candidates' MACs, a fixed stand-in for a latency table that needs no measurement.
constexpr double kLatencyWeight = 0.1;
constexpr double kTargetMMacs = 10.0;

// Gradient values a weight step produces (the sampled path's), summed over the steps: what a
// data-parallel weight step all-reduces.
double gradient_values = 0;
int64_t weight_steps = 0;

enum class StepKind { kWeight, kArchFullV2, kArchTwo };

const char* Name(StepKind kind) {
  switch (kind) {
    case StepKind::kWeight:
      return "weight";
    case StepKind::kArchFullV2:
      return "arch-full_v2";
    case StepKind::kArchTwo:
      return "arch-two";
  }
  return "?";
}

// A fresh seeded supernet per measurement, so the step kinds do not depend on each other's order.
double ImagesPerSecond(const hwnas::SearchSpace& space, StepKind kind, int steps) {
  torch::manual_seed(0);
  hwnas::Rng rng(1);
  sn::SuperNet net(space);
  sn::ToChannelsLast(*net);
  torch::optim::SGD weight_optimizer(net->WeightParameters(),
                                     torch::optim::SGDOptions(0.01).momentum(0.9));
  // beta1 = 0 as in ProxylessNAS: the sampled gates make successive alpha gradients unrelated.
  torch::optim::Adam arch_optimizer(net->ArchParameters(),
                                    torch::optim::AdamOptions(1e-3).betas({0.0, 0.999}));
  sn::CandidateCosts costs = sn::CandidateFlops(space);
  for (auto& block : costs.per_block)
    for (double& c : block) c /= 1e6;
  costs.fixed /= 1e6;

  auto images = torch::randn({kBatch, space.input_channels, space.input_size, space.input_size})
                    .contiguous(at::MemoryFormat::ChannelsLast);
  auto labels = torch::randint(space.num_classes, {kBatch}, torch::kInt64);

  std::function<void()> step;
  if (kind == StepKind::kWeight) {
    step = [&] {
      net->SampleFromAlpha(rng, sn::GateMode::kPathOnly);
      auto loss = torch::nn::functional::cross_entropy(net->forward(images), labels);
      weight_optimizer.zero_grad();
      loss.backward();
      for (const torch::Tensor& p : net->WeightParameters())
        if (p.grad().defined()) gradient_values += p.grad().numel();
      ++weight_steps;
      weight_optimizer.step();
    };
  } else {
    const sn::GateMode mode =
        kind == StepKind::kArchTwo ? sn::GateMode::kTwo : sn::GateMode::kFullV2;
    step = [&, mode] {
      net->SampleFromAlpha(rng, mode);
      auto ce = torch::nn::functional::cross_entropy(net->forward(images), labels);
      auto latency = net->ExpectedLatency(costs);
      auto loss = ce + kLatencyWeight * (latency - kTargetMMacs) / kTargetMMacs;
      arch_optimizer.zero_grad();
      loss.backward();
      arch_optimizer.step();
      if (mode == sn::GateMode::kTwo) net->RescaleAfterArchStep();
    };
  }
  for (int i = 0; i < kWarmup; ++i) step();
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < steps; ++i) step();
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return steps * kBatch / seconds;
}

}  // namespace

int main(int argc, char** argv) {
  const int threads = argc > 1 ? std::stoi(argv[1]) : 2;
  const int steps = argc > 2 ? std::stoi(argv[2]) : 20;
  const std::string path = argc > 3 ? argv[3] : "configs/spaces/fmnist-mbconv.yaml";
  hwnas::supernet::SetThreads(threads);
  const hwnas::SearchSpace space = hwnas::LoadSearchSpaceFile(path);
  // The same layout as bench/supernet_step.py, which bench/supernet_speed.sh parses.
  std::printf("# C++ supernet %s, batch %lld, %d warm-up + %d timed steps, channels-last\n",
              space.name.c_str(), static_cast<long long>(kBatch), kWarmup, steps);
  std::printf("%-13s %7s %9s\n", "step", "threads", "images/s");
  for (StepKind kind : {StepKind::kWeight, StepKind::kArchFullV2, StepKind::kArchTwo}) {
    std::printf("%-13s %7d %9.0f\n", Name(kind), threads, ImagesPerSecond(space, kind, steps));
    std::fflush(stdout);
  }
  std::printf("# weight step gradients: %.2f M values (%.1f MB in float32) on average\n",
              gradient_values / std::max<int64_t>(weight_steps, 1) / 1e6,
              4 * gradient_values / std::max<int64_t>(weight_steps, 1) / 1e6);
  return 0;
}
