// The HAQ hardware cost table: a NumPy .npy array of shape [layers, 8, 8] holding the cost of
// each layer at every (weight bits, activation bits) pair in 1..8, as shipped by mit-han-lab/haq
// (BISMO simulator, integer cost units). A minimal .npy reader and the table's validation.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace hwnas::latency {

struct HaqCostTable {
  static constexpr int kMaxBits = 8;

  int64_t layers = 0;
  std::vector<int64_t> cost;  // layers * 8 * 8, C order: index (layer * 8 + w - 1) * 8 + a - 1

  // Cost of `layer` (0-based) at w_bit, a_bit in 1..8; throws DataError when out of range.
  int64_t At(int64_t layer, int w_bit, int a_bit) const;
  // Sum over layers of At(i, bits[i].first, bits[i].second): the cost of a mixed-precision
  // policy, one (w_bit, a_bit) per layer. Throws DataError when bits.size() != layers.
  int64_t PolicyCost(const std::vector<std::pair<int, int>>& bits) const;
};

// Reads a .npy file: magic "\x93NUMPY", version 1.0, 2.0 or 3.0, a header dict with exactly
// 'descr', 'fortran_order' and 'shape'. Accepted: descr '<i8' (little-endian int64, HAQ's
// format) or '<f8' (little-endian float64 whose values are whole numbers), fortran_order False,
// shape (L, 8, 8) with L >= 1, and exactly L * 64 values after the header. The values must be
// >= 0 and non-decreasing in w_bit and in a_bit. Every problem is a DataError (exit code 65)
// naming the file and what is wrong, including an unreadable file.
HaqCostTable LoadHaqCostTable(const std::string& path);
// Same for the bytes of a file; `display_name` stands for the file in messages.
HaqCostTable ParseHaqCostTable(const std::string& bytes, const std::string& display_name);

}  // namespace hwnas::latency
