// Throughput of the batch pipeline on Fashion-MNIST as a Google Benchmark: one epoch per
// iteration at batch 128 with augmentation (crop with padding 2, horizontal flip), on 1 and 2
// threads, with a consumer that only drains; also the loading of the training split.
//   build/bench/hwnas_data_pipeline_bench [--benchmark_filter=epoch] [fashion-mnist-dir]
#include <benchmark/benchmark.h>

#include <cstdio>
#include <exception>
#include <optional>
#include <string>

#include "core/batch_pipeline.h"
#include "core/dataset.h"

namespace {

void Load(benchmark::State& state, const std::string* dir) {
  int64_t images = 0;
  for (auto _ : state) images = hwnas::LoadFashionMnist(*dir, hwnas::DataPart::kTrain).size();
  state.counters["images"] = static_cast<double>(images);
}

// Per epoch: images/s (items_per_second), the producer's ms per batch and the time the
// consumer waited inside Next().
void Epoch(benchmark::State& state, const hwnas::Dataset* data) {
  const int64_t threads = state.range(0);
  hwnas::DataOptions options;
  options.batch_size = 128;
  options.augment.crop_padding = 2;
  options.augment.horizontal_flip = true;
  hwnas::PipelineStats total;
  double checksum = 0;  // touch every batch so that nothing is optimised away
  for (auto _ : state) {
    hwnas::BatchPipeline pipeline(*data,
                                  hwnas::BatchPipelineOptions::ForTraining(options, threads, 1));
    pipeline.StartEpoch(0);
    while (std::optional<hwnas::Batch> batch = pipeline.Next()) checksum += batch->images[0];
    const hwnas::PipelineStats stats = pipeline.stats();
    total.batches += stats.batches;
    total.images += stats.images;
    total.producer_seconds += stats.producer_seconds;
    total.consumer_wait_seconds += stats.consumer_wait_seconds;
  }
  benchmark::DoNotOptimize(checksum);
  state.SetItemsProcessed(total.images);
  state.counters["producer_ms_per_batch"] = 1e3 * total.producer_seconds / total.batches;
  state.counters["consumer_wait_ms"] =
      benchmark::Counter(1e3 * total.consumer_wait_seconds, benchmark::Counter::kAvgIterations);
}

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);  // leaves the arguments it does not know
  static const std::string dir = argc > 1 ? argv[1] : "";
  try {
    static const hwnas::Dataset train = hwnas::LoadFashionMnist(dir, hwnas::DataPart::kTrain);
    benchmark::RegisterBenchmark("load_fashion_mnist", Load, &dir)
        ->Unit(benchmark::kMillisecond)
        ->Iterations(1);
    benchmark::RegisterBenchmark("epoch", Epoch, &train)
        ->ArgName("threads")
        ->Arg(1)
        ->Arg(2)
        ->Unit(benchmark::kMillisecond)
        ->UseRealTime();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
