#include "search/quant/calibration.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

namespace hwnas::quant {
namespace {

// KL(P || Q) of the first `n` bins: P is the histogram clipped there (its tail added to the last
// bin), Q the unclipped first n bins merged into `levels` chunks, each chunk's mass spread evenly
// over its non-empty bins. Q lacks the clipped mass, so clipping too much costs divergence.
double MergedDivergence(const std::vector<double>& hist, int64_t n, int64_t levels) {
  std::vector<double> p(hist.begin(), hist.begin() + n);
  for (size_t i = n; i < hist.size(); ++i) p[n - 1] += hist[i];  // the clipped tail
  std::vector<double> q(n, 0.0);
  for (int64_t level = 0; level < levels; ++level) {
    const int64_t start = level * n / levels, end = (level + 1) * n / levels;
    double mass = 0;
    int64_t nonzero = 0;
    for (int64_t i = start; i < end; ++i) mass += hist[i], nonzero += hist[i] > 0;
    for (int64_t i = start; i < end; ++i)
      if (hist[i] > 0) q[i] = mass / nonzero;
  }
  double p_total = 0, q_total = 0;
  for (int64_t i = 0; i < n; ++i) p_total += p[i], q_total += q[i];
  // HAQ's symmetric sum (Jeffreys divergence): sum (p - q) log(p / q), empty bins at a tiny share.
  double divergence = 0;
  for (int64_t i = 0; i < n; ++i) {
    const double pi = std::max(p[i] / p_total, 1e-12), qi = std::max(q[i] / q_total, 1e-12);
    if (p[i] > 0 || q[i] > 0) divergence += (pi - qi) * std::log(pi / qi);
  }
  return divergence;
}

}  // namespace

double ClipThreshold(const torch::Tensor& abs_values, int bits) {
  if (bits >= 5) return abs_values.max().item<double>();
  return KlThreshold(abs_values, bits);
}

double KlThreshold(const torch::Tensor& abs_values, int bits, int64_t bins) {
  const double max = abs_values.max().item<double>();
  if (max <= 0) return 0;
  // Zeros (most of a ReLU6 output) are exact at any threshold; left in, their one bin outweighs
  // the tail whose clipping the divergence is meant to price.
  const torch::Tensor nonzero = abs_values.masked_select(abs_values > 0).to(torch::kFloat);
  const torch::Tensor counts = torch::histc(nonzero, bins, 0, max);
  std::vector<double> hist(counts.data_ptr<float>(), counts.data_ptr<float>() + bins);
  const int64_t levels = (int64_t{1} << bits) - 1;
  int64_t best = bins;
  double best_kl = std::numeric_limits<double>::infinity();
  for (int64_t n = levels; n <= bins; ++n) {
    const double kl = MergedDivergence(hist, n, levels);
    if (kl < best_kl) best_kl = kl, best = n;
  }
  return max * static_cast<double>(best) / bins;
}

}  // namespace hwnas::quant
