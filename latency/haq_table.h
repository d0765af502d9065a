// HAQ hardware cost tables ([layers, 8, 8], see npy.h) once imported: a table device whose
// entries are "haq-layer:I-wbits:W-abits:A". A NetSpec pairs with such a table when its
// quantizable operators (QuantOpNames, forward order) are the table's layers; the cost of its
// bit policy is the sum of each operator's entry at its bits.
#pragma once

#include <cstdint>
#include <string>

#include "core/netspec.h"
#include "latency/table.h"

namespace hwnas::latency {

// "haq-layer:I-wbits:W-abits:A", the key of layer I at W weight and A activation bits.
std::string HaqLayerKey(int64_t layer, int weight_bits, int activation_bits);
// Whether `key` is such a key (layer >= 0, bits in 1..8, written exactly as HaqLayerKey does).
bool IsHaqLayerKey(const std::string& key);

// Whether `table` was imported from a HAQ .npy file, and its layer count (0 if not).
int64_t HaqTableLayers(const LatencyTable& table);

// DataError when the table's layer count differs from the network's quantizable operators, or
// an operator's bits lie outside 1..8 (naming the operator).
double HaqPolicyCost(const LatencyTable& table, const NetSpec& net);

}  // namespace hwnas::latency
