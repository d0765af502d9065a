// Throughput of the batch pipeline on Fashion-MNIST: one epoch at batch 128 with augmentation
// (crop with padding 2, horizontal flip), 1 and 2 threads, with a consumer that only drains.
// Usage: hwnas_data_pipeline_bench [fashion-mnist-dir]
#include <chrono>
#include <cstdio>
#include <exception>
#include <string>

#include "core/batch_pipeline.h"
#include "core/dataset.h"

namespace {

using Clock = std::chrono::steady_clock;

double Seconds(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

void RunEpoch(const hwnas::Dataset& data, int64_t threads) {
  hwnas::DataOptions options;
  options.batch_size = 128;
  options.augment.crop_padding = 2;
  options.augment.horizontal_flip = true;
  hwnas::BatchPipeline pipeline(data,
                                hwnas::BatchPipelineOptions::ForTraining(options, threads, 1));
  const Clock::time_point start = Clock::now();
  pipeline.StartEpoch(0);
  double checksum = 0;  // touch every batch so that nothing is optimised away
  while (std::optional<hwnas::Batch> batch = pipeline.Next()) checksum += batch->images[0];
  const double wall = Seconds(start);
  const hwnas::PipelineStats stats = pipeline.stats();
  std::printf(
      "threads=%lld batches=%lld images=%lld  %.0f images/s  %.3f ms/batch (wall)  "
      "%.3f ms/batch (producer)  consumer waited %.1f ms  [checksum %.3f]\n",
      static_cast<long long>(threads), static_cast<long long>(stats.batches),
      static_cast<long long>(stats.images), stats.images / wall, 1e3 * wall / stats.batches,
      1e3 * stats.producer_seconds / stats.batches, 1e3 * stats.consumer_wait_seconds, checksum);
}

}  // namespace

int main(int argc, char** argv) {
  try {
    const Clock::time_point start = Clock::now();
    hwnas::Dataset train =
        hwnas::LoadFashionMnist(argc > 1 ? argv[1] : "", hwnas::DataPart::kTrain);
    std::printf("loaded %s: %lld images in %.2f s\n", train.name.c_str(),
                static_cast<long long>(train.size()), Seconds(start));
    for (int64_t threads : {1, 2, 1, 2}) RunEpoch(train, threads);  // second round: warm
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
}
