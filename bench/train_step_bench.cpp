// Training-step throughput of a NetSpec network on the CPU at batch 128, for 1 and 2 threads,
// in the default (contiguous NCHW) and channels-last memory formats; channels-last is timed with
// the depthwise weight gradient of oneDNN and of supernet/depthwise_conv.h in turn, `rounds` times.
//   build/bench/hwnas_train_step_bench [configs/nets/fmnist-cnn.yaml] [steps] [rounds]
// A plain program, not Google Benchmark: a training loop whose output allocator_study.sh reads.
#include <torch/nn/functional/loss.h>
#include <torch/optim/sgd.h>
#include <torch/types.h>
#include <torch/utils.h>

#include <chrono>
#include <cstdio>
#include <string>

#include "core/netspec_yaml.h"
#include "supernet/depthwise_conv.h"
#include "supernet/network.h"
#include "supernet/threads.h"

namespace {

double ImagesPerSecond(const hwnas::NetSpec& spec, int threads, bool channels_last, int steps) {
  hwnas::supernet::SetThreads(threads);
  torch::manual_seed(0);
  hwnas::supernet::Network net(spec);
  if (channels_last) hwnas::supernet::ToChannelsLast(*net);
  torch::optim::SGD optimizer(net->parameters(), torch::optim::SGDOptions(0.01).momentum(0.9));
  const int64_t batch = 128;
  auto images = torch::randn({batch, spec.input_channels, spec.input_size, spec.input_size});
  if (channels_last) images = images.contiguous(at::MemoryFormat::ChannelsLast);
  auto labels = torch::randint(spec.num_classes, {batch}, torch::kInt64);
  auto step = [&] {
    auto loss = torch::nn::functional::cross_entropy(net->forward(images), labels);
    optimizer.zero_grad();
    loss.backward();
    optimizer.step();
  };
  for (int i = 0; i < 3; ++i) step();
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < steps; ++i) step();
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return steps * batch / seconds;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string path = argc > 1 ? argv[1] : "configs/nets/fmnist-cnn.yaml";
  const int steps = argc > 2 ? std::stoi(argv[2]) : 30;
  const int rounds = argc > 3 ? std::stoi(argv[3]) : 1;
  const hwnas::NetSpec spec = hwnas::LoadNetSpecFile(path);
  const bool own_available = hwnas::supernet::OwnDepthwiseGradient();
  std::printf("network %s, batch 128, %d steps\n", spec.name.c_str(), steps);
  std::printf("threads  format         depthwise dW  images/s\n");
  for (int threads : {1, 2}) {
    hwnas::supernet::SetOwnDepthwiseGradient(false);
    std::printf("%7d  %-13s  %-12s  %8.0f\n", threads, "contiguous", "oneDNN",
                ImagesPerSecond(spec, threads, false, steps));
    for (int round = 0; round < rounds; ++round) {
      double rate[2] = {0, 0};
      for (bool own : {false, true}) {
        if (own && !own_available) continue;
        hwnas::supernet::SetOwnDepthwiseGradient(own);
        rate[own] = ImagesPerSecond(spec, threads, true, steps);
        std::printf("%7d  %-13s  %-12s  %8.0f\n", threads, "channels-last", own ? "own" : "oneDNN",
                    rate[own]);
      }
      if (own_available) std::printf("         own / oneDNN: x%.3f\n", rate[1] / rate[0]);
    }
  }
  return 0;
}
