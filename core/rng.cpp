#include "core/rng.h"

#include <cmath>

namespace hwnas {
namespace {

constexpr uint64_t kGolden = 0x9E3779B97F4A7C15ULL;
constexpr double kTwoPi = 6.283185307179586476925286766559;

}  // namespace

uint64_t Mix64(uint64_t x) {
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}

uint64_t DeriveSeed(uint64_t seed, uint64_t stream, uint64_t index) {
  // Each step is a bijection of the running hash for fixed other inputs, so distinct
  // (stream, index) pairs under one seed give distinct, uncorrelated sub-seeds.
  uint64_t h = Mix64(seed + kGolden);
  h = Mix64(h ^ (stream * kGolden + 0x632BE59BD9B4E019ULL));
  return Mix64(h ^ (index * 0xD1B54A32D192ED03ULL + 0x8CB92BA72F3D8DD7ULL));
}

Rng::result_type Rng::operator()() {
  state_ += kGolden;
  return Mix64(state_);
}

double Rng::Uniform() { return static_cast<double>((*this)() >> 11) * 0x1.0p-53; }

double Rng::Uniform(double lo, double hi) { return lo + (hi - lo) * Uniform(); }

uint64_t Rng::UniformInt(uint64_t n) {
  // Multiply-shift (Lemire); the bias is below n / 2^64, irrelevant for dataset-sized n.
  return static_cast<uint64_t>((static_cast<unsigned __int128>((*this)()) * n) >> 64);
}

double Rng::Normal() {
  double u1 = 1.0 - Uniform();  // (0, 1], so the log is finite
  double u2 = Uniform();
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(kTwoPi * u2);
}

bool Rng::Bernoulli(double p) { return Uniform() < p; }

}  // namespace hwnas
