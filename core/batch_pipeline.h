// Batches of normalised float images, prepared on a background thread (parallel over samples in
// a TBB arena of an explicit size) while the model trains. The content of every batch (order
// and augmentation) depends only on (seed, epoch, position), never on threads or timing.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <exception>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include <tbb/task_arena.h>

#include "core/dataset.h"
#include "core/options.h"
#include "core/rng.h"

namespace hwnas {

struct BatchPipelineOptions {
  int64_t batch_size = 128;
  bool shuffle = true;
  // Random crop (of the zero-padded image) and horizontal flip; {0, false} = no augmentation.
  AugmentOptions augment{0, false};
  // Drop a final partial batch, unless it would be the only batch of the epoch (a dataset
  // smaller than one batch still trains).
  bool drop_last = false;
  int64_t prefetch = 4;  // batches prepared ahead of the consumer, >= 1
  int64_t threads = 1;   // size of the TBB arena preparing a batch, >= 1
  uint64_t seed = 1;
  // Data-parallel sharding: every batch is the batch of a single process (`batch_size` images of
  // the same order and augmentation), of which this process takes part `shard_index` of
  // `shard_count` equal parts (sizes differ by at most one image for a partial batch).
  int64_t shard_index = 0;
  int64_t shard_count = 1;

  // Training: shuffled, augmented as `data.augment` says, partial last batch dropped.
  static BatchPipelineOptions ForTraining(const DataOptions& data, int64_t threads, uint64_t seed);
  // Evaluation: file order, no augmentation, every sample once (last batch may be partial).
  static BatchPipelineOptions ForEvaluation(const DataOptions& data, int64_t threads);
};

struct Batch {
  int64_t size = 0;
  int64_t height = 0;
  int64_t width = 0;
  int64_t channels = 0;
  std::vector<float> images;     // size x height x width x channels, normalised, channels last
  std::vector<int64_t> labels;   // size
  std::vector<int64_t> indices;  // dataset index of each sample
  int64_t global_size = 0;       // images of the whole batch, over all shards (= size unsharded)
};

struct PipelineStats {
  double consumer_wait_seconds = 0;  // time the consumer spent inside Next()
  double producer_seconds = 0;       // time spent preparing batches (not waiting for room)
  int64_t batches = 0;               // batches handed out by Next()
  int64_t images = 0;
};

class BatchPipeline {
 public:
  // `data` must outlive the pipeline. Throws std::invalid_argument for bad options or a dataset
  // whose layout is inconsistent.
  BatchPipeline(const Dataset& data, BatchPipelineOptions options);
  ~BatchPipeline();  // stops the producer, also mid-epoch
  BatchPipeline(const BatchPipeline&) = delete;
  BatchPipeline& operator=(const BatchPipeline&) = delete;

  // Starts preparing the batches of `epoch` (abandoning any unfinished epoch).
  void StartEpoch(int64_t epoch);
  // The next batch of the epoch, waiting for it if needed; nullopt after the last one. An
  // exception thrown while preparing a batch is rethrown here, after the batches before it.
  std::optional<Batch> Next();

  int64_t BatchesPerEpoch() const;
  PipelineStats stats() const;  // cumulative since construction
  const BatchPipelineOptions& options() const { return options_; }

 private:
  void StopProducer();
  void Produce(int64_t epoch, std::vector<int64_t> order);
  Batch MakeBatch(int64_t epoch, const std::vector<int64_t>& order, int64_t first) const;
  void FillSample(int64_t epoch, int64_t position, int64_t index, float* out) const;
  void EraseRectangle(Rng& rng, float* out) const;

  const Dataset& data_;
  BatchPipelineOptions options_;
  std::vector<float> lookup_;  // normalised value of each (channel, pixel byte)
  mutable tbb::task_arena arena_;

  mutable std::mutex mutex_;
  std::condition_variable ready_;  // a batch, the end or an error is available
  std::condition_variable room_;   // the queue has room, or the producer must stop
  std::deque<Batch> queue_;
  bool started_ = false;
  bool producer_done_ = false;
  bool cancel_ = false;
  std::exception_ptr error_;
  PipelineStats stats_;
  std::thread producer_;
};

}  // namespace hwnas
