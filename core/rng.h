// Seeded random numbers. Every random draw in hwnas derives from the one config seed through
// SplitMix64 sub-seeds keyed by (stream, index), so a result depends only on what is drawn and
// never on thread count or scheduling. Distributions are implemented here rather than taken from
// <random>, whose distributions differ between standard libraries.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <utility>
#include <vector>

namespace hwnas {

// Named streams for DeriveSeed. Add new ones at the end; never renumber (results would change).
namespace rng_stream {
inline constexpr uint64_t kDataSplit = 1;       // train shuffle, train_limit, holdout split
inline constexpr uint64_t kSyntheticTrain = 2;  // synthetic train images, index = sample
inline constexpr uint64_t kSyntheticTest = 3;   // synthetic test images, index = sample
inline constexpr uint64_t kBatchOrder = 4;      // sample order of an epoch, index = epoch
inline constexpr uint64_t kAugment = 5;         // augmentation, index = epoch, then position
inline constexpr uint64_t kMeasureOrder = 6;    // order in which latency entries are measured
inline constexpr uint64_t kArchSample = 7;      // ProxylessNAS path sampling of the supernet
inline constexpr uint64_t kAgent = 8;           // DDPG exploration and replay sampling
inline constexpr uint64_t kCalibration = 9;  // AMC: feature-map points sampled for reconstruction
inline constexpr uint64_t kEvolution = 10;   // evolution: index = generation, then child
inline constexpr uint64_t kAccuracySample = 11;  // architectures scored to fit a predictor
inline constexpr uint64_t kPredictorSplit = 12;  // predictor train/test splits, index = repeat
inline constexpr uint64_t kFolderSplit = 13;  // image folders: test split and test order (seed 0)
}  // namespace rng_stream

// The SplitMix64 finaliser: a bijective 64-bit mix with full avalanche.
uint64_t Mix64(uint64_t x);

// An independent sub-seed for item `index` of `stream` under `seed`. Nest calls for more levels,
// e.g. DeriveSeed(DeriveSeed(seed, kAugment, epoch), kAugment, position).
uint64_t DeriveSeed(uint64_t seed, uint64_t stream, uint64_t index = 0);

// SplitMix64 generator: 8 bytes of state, so creating one per sample is free. Satisfies
// UniformRandomBitGenerator.
class Rng {
 public:
  using result_type = uint64_t;

  explicit Rng(uint64_t seed) : state_(seed) {}

  static constexpr result_type min() { return 0; }
  static constexpr result_type max() { return std::numeric_limits<result_type>::max(); }
  result_type operator()();

  double Uniform();  // [0, 1)
  double Uniform(double lo, double hi);
  uint64_t UniformInt(uint64_t n);  // [0, n); n must be > 0
  double Normal();                  // standard normal (Box-Muller)
  bool Bernoulli(double p);         // true with probability p

 private:
  uint64_t state_;
};

// Fisher-Yates shuffle with Rng, identical on every platform (std::shuffle is not).
template <typename T>
void Shuffle(std::vector<T>& items, Rng& rng) {
  for (std::size_t i = items.size(); i > 1; --i) {
    std::size_t j = static_cast<std::size_t>(rng.UniformInt(i));
    std::swap(items[i - 1], items[j]);
  }
}

}  // namespace hwnas
