// Internal to deploy/: a lowered network as an ONNX model (opset 13) built with libonnx's
// protobuf classes, checked (onnx::checker) and shape-inferred before it is serialized.
// Float operators fold batch norm into the convolution; quantized operators keep their weights on
// the grid (8 bits: int8 + per-channel DequantizeLinear) with batch norm as Mul / Add; 8-bit
// activations are QuantizeLinear / DequantizeLinear pairs, fewer bits Mul / Round / Clip / Mul.
#pragma once

#include <string>
#include <vector>

#include "deploy/lowered_net.h"
#include "deploy/metadata.h"

namespace hwnas::deploy {

inline constexpr int kOnnxOpset = 13;
inline constexpr char kOnnxInputName[] = "pixels";
inline constexpr char kOnnxOutputName[] = "logits";

// The serialized ModelProto. DataError if the checker or shape inference rejects the graph (a
// bug in this writer, reported with the checker's message).
std::string OnnxModelBytes(const std::vector<LoweredLayer>& layers, const ExportMetadata& metadata);

}  // namespace hwnas::deploy
