// Clipping thresholds for activation quantization, chosen from the values a layer reads on
// calibration images: below 5 bits the threshold whose quantized distribution of |x| is closest
// to the original in symmetric KL divergence (HAQ's KL-J sum), from 5 bits the range.
#pragma once

#include <torch/types.h>

#include <cstdint>

namespace hwnas::quant {

// max |x| for bits >= 5, else KlThreshold.
double ClipThreshold(const torch::Tensor& abs_values, int bits);

// Over a `bins`-bin histogram of the non-zero |x| on [0, max]: for every candidate threshold from
// 2^bits - 1 bins up, the distribution below it (with the clipped tail added to its last bin)
// against the unclipped one merged into 2^bits - 1 levels and spread back; the threshold of
// least divergence sum (p - q) log(p / q), at the upper edge of its bin. One-sided KL let a
// ReLU6 layer of the Fashion-MNIST network clip at 0.66 of 6 (uniform w4a4: 32% held-out);
// the symmetric sum keeps 5.96 there (85%).
double KlThreshold(const torch::Tensor& abs_values, int bits, int64_t bins = 512);

}  // namespace hwnas::quant
