// NetSpec: a concrete network as an ordered list of layers with every number spelled out.
// SearchSpace + Arch -> NetSpec; AMC rewrites its channel counts, HAQ its bit widths.
// FLOPs, parameters and model size are functions of a NetSpec alone (no LibTorch here).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace hwnas {

enum class LayerKind {
  kConv,    // k x k convolution + batch norm + ReLU6 (the stem, 1x1 mix layers)
  kMBConv,  // inverted residual: 1x1 expand (if mid != in), k x k depthwise, 1x1 project
  kLogits,  // global average pooling + fully connected classifier
};

const char* LayerKindName(LayerKind kind);

// Bit widths of one quantizable operator (a convolution or the classifier): its weights and the
// activations it reads. 32 = not quantized.
struct OpBits {
  int weight = 32;
  int activation = 32;
  bool operator==(const OpBits& o) const {
    return weight == o.weight && activation == o.activation;
  }
  bool operator!=(const OpBits& o) const { return !(*this == o); }
};

struct LayerSpec {
  LayerKind kind = LayerKind::kConv;
  std::string name;  // unique within the net, e.g. "stem", "stage2.block1", "classifier"
  int64_t in_channels = 0;
  int64_t out_channels = 0;  // classes for kLogits
  int64_t mid_channels = 0;  // kMBConv only: channels after the expand convolution
  int64_t kernel = 1;
  int64_t stride = 1;
  int64_t input_size = 0;  // spatial size (H = W) of the layer's input
  bool skip = false;       // kMBConv only: identity shortcut (needs stride 1, in == out)
  int weight_bits = 32;
  int activation_bits = 32;
  // Per quantizable operator, in QuantOpNames order, for mixed precision inside a block (HAQ);
  // empty = weight_bits / activation_bits for every operator of the layer.
  std::vector<OpBits> op_bits = {};

  // The bits of quantizable operator `op` (an index into QuantOpNames).
  OpBits bits(size_t op) const;
  int64_t output_size() const;  // spatial size after the stride ("same" padding)
  // Channels after expansion divided by input channels, when it is a whole number; else 0.
  int64_t expand_ratio() const;
};

struct NetSpec {
  std::string name;
  int64_t input_channels = 1;
  int64_t input_size = 28;
  int64_t num_classes = 10;
  std::vector<LayerSpec> layers;
};

// The quantizable operators of a layer in forward order: "conv"; "expand" (when mid != in),
// "depthwise", "project"; "logits" (the classifier).
std::vector<std::string> QuantOpNames(const LayerSpec& layer);
// Weight elements of each quantizable operator, in QuantOpNames order.
std::vector<double> QuantOpWeights(const LayerSpec& layer);

// A bit policy as text, one "wWaA" per quantizable operator separated by spaces ("w8a8 w4a6");
// ParseBitPolicy throws DataError naming the token and what is accepted (bits in [1, 8] for
// `max_bits` 8).
std::vector<OpBits> ParseBitPolicy(const std::string& text, int max_bits = 32);
std::string FormatBitPolicy(const std::vector<OpBits>& bits);

// Quantizable operators of the whole network (the sum of QuantOpNames over its layers).
size_t QuantOpCount(const NetSpec& net);
// `net` with bits[i] for its quantizable operator i, in forward order (per-operator op_bits of
// every layer). DataError when the policy has the wrong length, naming both counts.
NetSpec ApplyBitPolicy(const NetSpec& net, const std::vector<OpBits>& bits);
// The bits of every quantizable operator, in forward order.
std::vector<OpBits> BitPolicyOf(const NetSpec& net);

// Checks shapes chain from layer to layer and every number is in range; throws DataError
// naming the layer and the value otherwise. `source` names the file or origin in messages.
void ValidateNetSpec(const NetSpec& net, const std::string& source);

// Multiply-accumulate operations of one forward pass at batch 1 (convolutions and the
// classifier; batch norm is folded and activations are free, as in the ProxylessNAS count).
double LayerFlops(const LayerSpec& layer);
double NetFlops(const NetSpec& net);
// Trainable parameters, counting batch-norm scale and shift.
double LayerParams(const LayerSpec& layer);
double NetParams(const NetSpec& net);
// Model size: convolution/linear weights at their operator's weight bits, biases and batch-norm
// at 32 bits.
double NetSizeBits(const NetSpec& net);

// A short stable string, one token per layer: "conv3s2x16 k3e6x24 k5m40x24 logits10".
std::string ArchString(const NetSpec& net);

// JSON round trip for the store; FromJson throws DataError on malformed input.
std::string NetSpecToJson(const NetSpec& net);
NetSpec NetSpecFromJson(const std::string& json, const std::string& source);

}  // namespace hwnas
