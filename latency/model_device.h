// Model devices compute latency analytically from documented parameters instead of timing
// anything: a roofline device (compute- or memory-bound per operator) and a BISMO-like
// bit-serial accelerator whose cost grows with weight bits x activation bits, for HAQ.
// Both are loaded from configs/devices/NAME.yaml; all times are in milliseconds.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/netspec.h"
#include "latency/device.h"

namespace hwnas::latency {

// The work of one operator (one kernel) of a layer, at batch 1: what the cost models count.
// A layer decomposes as
//   conv:   one op "conv":   k*k*Cin*Cout weights, reads Hin*Win*Cin, writes Hout*Wout*Cout
//   mbconv: "expand" (only when mid != in; 1x1: Cin*M weights, reads Hin*Win*Cin, writes
//           Hin*Win*M), "depthwise" (k*k*M weights, reads Hin*Win*M, writes Hout*Wout*M),
//           "project" (M*Cout weights, reads Hout*Wout*M, writes Hout*Wout*Cout; with an identity
//           shortcut it also reads the block input Hin*Win*Cin for the add)
//   logits: one op "logits" (global pooling + classifier): Cin*N weights, reads the feature map
//           Hin*Win*Cin, writes N
// Multiply-accumulates are those of LayerFlops (their sum over a layer's ops equals it);
// batch norm is folded, biases, activations and pooling adds are free.
struct OpWork {
  std::string name;
  double macs = 0;     // multiply-accumulates
  double weights = 0;  // weight elements
  double inputs = 0;   // activation elements read
  double outputs = 0;  // activation elements written
  OpBits bits = {};    // the operator's weight and activation bits (LayerSpec::bits)
};
std::vector<OpWork> LayerWork(const LayerSpec& layer);

class ModelDevice : public Device {
 public:
  explicit ModelDevice(std::string name, double per_network_overhead_ms)
      : name_(std::move(name)), per_network_overhead_ms_(per_network_overhead_ms) {}

  std::string name() const override { return name_; }
  DeviceKind kind() const override { return DeviceKind::kModel; }
  // mean = median = p10 = p90 = LayerCostMs, std 0, count 1.
  LatencyStats Measure(const LayerSpec& layer) override;
  // The same statistics of NetworkCostMs.
  LatencyStats MeasureNetwork(const NetSpec& net) override;

  virtual std::string kind_name() const = 0;  // "roofline", "bitserial"
  // Milliseconds of one operator of `layer` (op.bits are its bit widths).
  virtual double OpCostMs(const OpWork& op, const LayerSpec& layer) const = 0;
  double LayerCostMs(const LayerSpec& layer) const;  // sum over LayerWork(layer)
  // Sum over layers plus per_network_overhead_ms.
  double NetworkCostMs(const NetSpec& net) const;

 protected:
  double per_network_overhead_ms() const { return per_network_overhead_ms_; }

 private:
  std::string name_;
  double per_network_overhead_ms_;
};

// op time = max(2 * macs / peak, bytes / bandwidth) + per_op_overhead_ms, with
// bytes = weights * weight element size + (inputs + outputs) * activation element size; an
// element is bytes_per_element bytes at 32 bits, else bits / 8 bytes (packed).
struct RooflineParams {
  double peak_gflops = 0;              // > 0, GFLOP/s (a multiply-accumulate is 2 FLOPs)
  double memory_bandwidth_gbs = 0;     // > 0, GB/s (1e9 bytes per second)
  double per_op_overhead_ms = 0;       // >= 0, added once per operator (kernel launch)
  double bytes_per_element = 4;        // > 0, bytes of a 32-bit-layer element (2 for fp16)
  double per_network_overhead_ms = 0;  // >= 0, added once per network
};

class RooflineDevice : public ModelDevice {
 public:
  // Throws ConfigError (naming `name`) when a parameter is out of range.
  RooflineDevice(std::string name, const RooflineParams& params);
  const RooflineParams& params() const { return params_; }

  std::string kind_name() const override { return "roofline"; }
  // "NAME|roofline|peak_gflops=...|memory_bandwidth_gbs=...|per_op_overhead_ms=...|
  //  bytes_per_element=...|per_network_overhead_ms=..." (numbers in shortest exact form)
  std::string fingerprint() const override;
  // {"kind": "roofline", "peak_gflops": ..., ...}: every parameter.
  std::string properties_json() const override;
  double OpCostMs(const OpWork& op, const LayerSpec& layer) const override;

 private:
  RooflineParams params_;
};

// A BISMO-like bit-serial matrix engine: pe_rows x pe_cols processing elements, each doing a
// dot_product_bits-wide binary dot product per cycle; a w-bit x a-bit MAC takes w * a binary
// passes. For `batch` images:
//   compute ms = macs * batch * w_bits * a_bits / (pe_rows * pe_cols * dot_product_bits)
//                / (clock_mhz * 1e3)
//   memory ms  = (weights * w_bits + (inputs + outputs) * batch * a_bits) / 8 bytes
//                / (memory_bandwidth_gbs * 1e6)
//   op time    = compute + memory + per_op_overhead_ms (no overlap: fetch, execute and write
//                back are counted one after another)
// A 32-bit layer runs as 32 bit-planes (slow on purpose: quantize it).
struct BitSerialParams {
  int64_t pe_rows = 0;                 // >= 1
  int64_t pe_cols = 0;                 // >= 1
  int64_t dot_product_bits = 0;        // >= 1, binary operations per PE per cycle
  double clock_mhz = 0;                // > 0
  double memory_bandwidth_gbs = 0;     // > 0, GB/s
  double per_op_overhead_ms = 0;       // >= 0, per operator (instruction setup, sync)
  int64_t batch = 1;                   // >= 1, images per inference
  double per_network_overhead_ms = 0;  // >= 0
};

class BitSerialDevice : public ModelDevice {
 public:
  // Throws ConfigError (naming `name`) when a parameter is out of range.
  BitSerialDevice(std::string name, const BitSerialParams& params);
  const BitSerialParams& params() const { return params_; }

  std::string kind_name() const override { return "bitserial"; }
  std::string fingerprint() const override;      // "NAME|bitserial|pe_rows=16|..."
  std::string properties_json() const override;  // {"kind": "bitserial", "pe_rows": 16, ...}
  double OpCostMs(const OpWork& op, const LayerSpec& layer) const override;

 private:
  BitSerialParams params_;
};

// Reads a device file: `name` (non-empty), `kind` (roofline | bitserial), an optional
// `description`, and the parameters of that kind (the field names of RooflineParams or
// BitSerialParams; the required ones are those without a default above). Unknown keys, missing
// or out-of-range values are reported together as a ConfigError (exit code 78) with
// FILE:LINE:COL per problem.
std::unique_ptr<ModelDevice> LoadModelDevice(const std::string& path);
std::unique_ptr<ModelDevice> ModelDeviceFromYamlString(const std::string& text,
                                                       const std::string& display_name);

}  // namespace hwnas::latency
