#include "core/batch_pipeline.h"

#include <tbb/blocked_range.h>
#include <tbb/parallel_for.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <numeric>
#include <stdexcept>
#include <string>

#include "core/errors.h"
#include "core/rng.h"
#include "core/timing.h"

namespace hwnas {
namespace {

using Clock = std::chrono::steady_clock;

BatchPipelineOptions Validated(BatchPipelineOptions options) {
  auto require = [](bool ok, const std::string& what) {
    if (!ok) throw std::invalid_argument("BatchPipeline: " + what);
  };
  require(options.batch_size >= 1, "batch_size must be >= 1");
  require(options.prefetch >= 1, "prefetch must be >= 1");
  require(options.threads >= 1, "threads must be >= 1");
  require(options.augment.crop_padding >= 0, "augment.crop_padding must be >= 0");
  require(options.shard_count >= 1 && options.shard_index >= 0 &&
              options.shard_index < options.shard_count,
          "shard_index must be in [0, shard_count)");
  return options;
}

// Normalised float of every (channel, byte) pair: one table lookup per pixel later.
std::vector<float> NormalisationTable(const Dataset& data) {
  std::vector<float> table(data.channels * 256);
  for (int64_t c = 0; c < data.channels; ++c) {
    for (int v = 0; v < 256; ++v) {
      table[c * 256 + v] = (static_cast<float>(v) / 255.0f - data.mean[c]) / data.stddev[c];
    }
  }
  return table;
}

}  // namespace

BatchPipelineOptions BatchPipelineOptions::ForTraining(const DataOptions& data, int64_t threads,
                                                       uint64_t seed) {
  BatchPipelineOptions options;
  options.batch_size = data.batch_size;
  options.shuffle = true;
  options.augment = data.augment;
  options.drop_last = true;
  options.prefetch = data.prefetch_batches;
  options.threads = threads;
  options.seed = seed;
  return options;
}

BatchPipelineOptions BatchPipelineOptions::ForEvaluation(const DataOptions& data, int64_t threads) {
  BatchPipelineOptions options;
  options.batch_size = data.batch_size;
  options.shuffle = false;
  options.augment = AugmentOptions{0, false};
  options.drop_last = false;
  options.prefetch = data.prefetch_batches;
  options.threads = threads;
  return options;
}

BatchPipeline::BatchPipeline(const Dataset& data, BatchPipelineOptions options)
    : data_(data),
      options_(Validated(std::move(options))),
      arena_(static_cast<int>(options_.threads)) {
  CheckDatasetLayout(data_);
  lookup_ = NormalisationTable(data_);
}

BatchPipeline::~BatchPipeline() { StopProducer(); }

int64_t BatchPipeline::BatchesPerEpoch() const {
  const int64_t full = data_.size() / options_.batch_size;
  const bool partial = data_.size() % options_.batch_size != 0;
  if (!partial || (options_.drop_last && full > 0)) return full;
  return full + 1;
}

PipelineStats BatchPipeline::stats() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return stats_;
}

void BatchPipeline::StopProducer() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    cancel_ = true;
  }
  room_.notify_all();
  if (producer_.joinable()) producer_.join();
}

void BatchPipeline::StartEpoch(int64_t epoch) {
  StopProducer();
  std::vector<int64_t> order(data_.size());
  std::iota(order.begin(), order.end(), int64_t{0});
  if (options_.shuffle) {
    Rng rng(DeriveSeed(options_.seed, rng_stream::kBatchOrder, static_cast<uint64_t>(epoch)));
    Shuffle(order, rng);
  }
  {
    std::lock_guard<std::mutex> lock(mutex_);
    queue_.clear();
    cancel_ = false;
    producer_done_ = false;
    error_ = nullptr;
    started_ = true;
  }
  producer_ = std::thread(&BatchPipeline::Produce, this, epoch, std::move(order));
}

std::optional<Batch> BatchPipeline::Next() {
  const Clock::time_point start = Clock::now();
  std::unique_lock<std::mutex> lock(mutex_);
  if (!started_) throw std::logic_error("BatchPipeline::Next() called before StartEpoch()");
  ready_.wait(lock, [this] { return !queue_.empty() || producer_done_; });
  stats_.consumer_wait_seconds += SecondsSince(start);
  if (!queue_.empty()) {
    Batch batch = std::move(queue_.front());
    queue_.pop_front();
    stats_.batches += 1;
    stats_.images += batch.size;
    lock.unlock();
    room_.notify_one();
    return batch;
  }
  if (error_) {
    std::exception_ptr error = error_;
    error_ = nullptr;  // reported once; later calls see the end of the epoch
    std::rethrow_exception(error);
  }
  return std::nullopt;
}

void BatchPipeline::Produce(int64_t epoch, std::vector<int64_t> order) {
  const int64_t batches = BatchesPerEpoch();
  try {
    for (int64_t b = 0; b < batches; ++b) {
      {
        std::unique_lock<std::mutex> lock(mutex_);
        room_.wait(lock, [this] {
          return cancel_ || static_cast<int64_t>(queue_.size()) < options_.prefetch;
        });
        if (cancel_) break;
      }
      const Clock::time_point start = Clock::now();
      Batch batch = MakeBatch(epoch, order, b * options_.batch_size);
      {
        std::lock_guard<std::mutex> lock(mutex_);
        stats_.producer_seconds += SecondsSince(start);
        queue_.push_back(std::move(batch));
      }
      ready_.notify_one();
    }
  } catch (...) {
    std::lock_guard<std::mutex> lock(mutex_);
    error_ = std::current_exception();
  }
  {
    std::lock_guard<std::mutex> lock(mutex_);
    producer_done_ = true;
  }
  ready_.notify_all();
}

Batch BatchPipeline::MakeBatch(int64_t epoch, const std::vector<int64_t>& order,
                               int64_t first) const {
  Batch batch;
  // This shard's part [lo, hi) of the whole batch at `first`.
  batch.global_size = std::min<int64_t>(options_.batch_size, data_.size() - first);
  const int64_t lo = batch.global_size * options_.shard_index / options_.shard_count;
  const int64_t hi = batch.global_size * (options_.shard_index + 1) / options_.shard_count;
  first += lo;
  batch.size = hi - lo;
  batch.height = data_.height;
  batch.width = data_.width;
  batch.channels = data_.channels;
  // Labels are checked serially, so a bad one is reported the same way for any thread count.
  for (int64_t i = 0; i < batch.size; ++i) {
    const int64_t index = order[first + i];
    const int64_t label = data_.labels[index];
    if (label < 0 || label >= data_.num_classes) {
      throw DataError(data_.name + ": sample " + std::to_string(index) + " has label " +
                      std::to_string(label) + ", expected 0.." +
                      std::to_string(data_.num_classes - 1));
    }
    batch.labels.push_back(label);
    batch.indices.push_back(index);
  }
  const int64_t floats = data_.image_bytes();
  batch.images.resize(batch.size * floats);
  arena_.execute([&] {
    tbb::parallel_for(tbb::blocked_range<int64_t>(0, batch.size, 8),
                      [&](const tbb::blocked_range<int64_t>& range) {
                        for (int64_t i = range.begin(); i < range.end(); ++i) {
                          FillSample(epoch, first + i, batch.indices[i],
                                     batch.images.data() + i * floats);
                        }
                      });
  });
  return batch;
}

void BatchPipeline::FillSample(int64_t epoch, int64_t position, int64_t index, float* out) const {
  const uint8_t* src = data_.image(index);
  const int64_t h = data_.height, w = data_.width, c = data_.channels;
  const AugmentOptions& aug = options_.augment;
  if (aug.crop_padding == 0 && !aug.horizontal_flip && aug.random_erasing == 0) {
    for (int64_t k = 0; k < h * w * c; ++k) out[k] = lookup_[(k % c) * 256 + src[k]];
    return;
  }
  // One generator per (seed, epoch, position): the same draw whichever thread runs it.
  const uint64_t epoch_seed =
      DeriveSeed(options_.seed, rng_stream::kAugment, static_cast<uint64_t>(epoch));
  Rng rng(DeriveSeed(epoch_seed, rng_stream::kAugment, static_cast<uint64_t>(position)));
  const int64_t pad = aug.crop_padding;
  const int64_t dy = pad > 0 ? static_cast<int64_t>(rng.UniformInt(2 * pad + 1)) - pad : 0;
  const int64_t dx = pad > 0 ? static_cast<int64_t>(rng.UniformInt(2 * pad + 1)) - pad : 0;
  const bool flip = aug.horizontal_flip && rng.Bernoulli(0.5);
  // Crop (of the zero-padded image), then flip: out(y, x) = in(y + dy, x' + dx), with
  // x' = w - 1 - x when flipped. Padding is a zero pixel byte, normalised like any other.
  float* pixel = out;
  for (int64_t y = 0; y < h; ++y) {
    const int64_t sy = y + dy;
    for (int64_t x = 0; x < w; ++x) {
      const int64_t sx = (flip ? w - 1 - x : x) + dx;
      const bool inside = sy >= 0 && sy < h && sx >= 0 && sx < w;
      const int64_t offset = inside ? (sy * w + sx) * c : 0;
      for (int64_t k = 0; k < c; ++k) *pixel++ = lookup_[k * 256 + (inside ? src[offset + k] : 0)];
    }
  }
  // Drawn after the crop and flip, so a config without erasing keeps its earlier images.
  if (aug.random_erasing > 0 && rng.Bernoulli(aug.random_erasing)) EraseRectangle(rng, out);
}

// Random erasing (Zhong et al. 2017, Algorithm 1): a rectangle of 2-40% of the image with an
// aspect ratio in [0.3, 1/0.3], placed where it fits (up to 100 tries), is filled with random
// pixel bytes. The tries use the sample's own generator, so the result is deterministic.
void BatchPipeline::EraseRectangle(Rng& rng, float* out) const {
  const int64_t h = data_.height, w = data_.width, c = data_.channels;
  for (int attempt = 0; attempt < 100; ++attempt) {
    const double area = rng.Uniform(0.02, 0.4) * static_cast<double>(h * w);
    const double aspect = std::exp(rng.Uniform(std::log(0.3), std::log(1 / 0.3)));
    const auto eh = static_cast<int64_t>(std::lround(std::sqrt(area * aspect)));
    const auto ew = static_cast<int64_t>(std::lround(std::sqrt(area / aspect)));
    if (eh < 1 || ew < 1 || eh >= h || ew >= w) continue;
    const auto top = static_cast<int64_t>(rng.UniformInt(static_cast<uint64_t>(h - eh + 1)));
    const auto left = static_cast<int64_t>(rng.UniformInt(static_cast<uint64_t>(w - ew + 1)));
    for (int64_t y = top; y < top + eh; ++y) {
      for (int64_t x = left; x < left + ew; ++x) {
        for (int64_t k = 0; k < c; ++k)
          out[(y * w + x) * c + k] = lookup_[k * 256 + rng.UniformInt(256)];
      }
    }
    return;
  }
}

}  // namespace hwnas
