#include "latency/model_device.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <utility>

#include "core/errors.h"
#include "core/text.h"
#include "core/yaml_reader.h"

namespace hwnas::latency {
namespace {

using yaml::IntRange;
using yaml::Presence;
using yaml::RealRange;

constexpr double kInfinity = std::numeric_limits<double>::infinity();

// One parameter as printed in fingerprints and properties.
struct Param {
  const char* name;
  double value;
};

std::string Fingerprint(const std::string& name, const std::string& kind,
                        const std::vector<Param>& params) {
  std::string text = name + "|" + kind;
  for (const Param& p : params) text += std::string("|") + p.name + "=" + FormatExact(p.value);
  return text;
}

std::string PropertiesJson(const std::string& kind, const std::vector<Param>& params) {
  nlohmann::ordered_json json;
  json["kind"] = kind;
  for (const Param& p : params) {
    if (p.value == std::floor(p.value) && std::fabs(p.value) < 1e15) {
      json[p.name] = static_cast<int64_t>(p.value);
    } else {
      json[p.name] = p.value;
    }
  }
  return json.dump();
}

std::vector<Param> RooflineList(const RooflineParams& p) {
  return {{"peak_gflops", p.peak_gflops},
          {"memory_bandwidth_gbs", p.memory_bandwidth_gbs},
          {"per_op_overhead_ms", p.per_op_overhead_ms},
          {"bytes_per_element", p.bytes_per_element},
          {"per_network_overhead_ms", p.per_network_overhead_ms}};
}

std::vector<Param> BitSerialList(const BitSerialParams& p) {
  return {{"pe_rows", static_cast<double>(p.pe_rows)},
          {"pe_cols", static_cast<double>(p.pe_cols)},
          {"dot_product_bits", static_cast<double>(p.dot_product_bits)},
          {"clock_mhz", p.clock_mhz},
          {"memory_bandwidth_gbs", p.memory_bandwidth_gbs},
          {"per_op_overhead_ms", p.per_op_overhead_ms},
          {"batch", static_cast<double>(p.batch)},
          {"per_network_overhead_ms", p.per_network_overhead_ms}};
}

// Parameters a device object accepts; names the first that is not.
void RequireParam(const std::string& device, const char* param, bool ok, double value,
                  const char* expected) {
  if (ok) return;
  ConfigDiagnostic d;
  d.file = device;
  d.key = param;
  d.message = "out of range (got " + FormatExact(value) + "; expected " + expected + ")";
  throw ConfigError({d});
}

bool Positive(double v) { return std::isfinite(v) && v > 0; }
bool NonNegative(double v) { return std::isfinite(v) && v >= 0; }

LatencyStats ExactStats(double ms) {
  LatencyStats stats;
  stats.mean = stats.median = stats.p10 = stats.p90 = ms;
  stats.count = 1;
  return stats;
}

// ---- Device files ---------------------------------------------------------------------------

const RealRange kPositive{0, kInfinity, true, false};
const RealRange kNonNegative = RealRange::AtLeast(0);

yaml::Schema<RooflineParams> RooflineSchema() {
  yaml::Schema<RooflineParams> s;
  s.Real("peak_gflops", &RooflineParams::peak_gflops, kPositive, "peak compute, GFLOP/s",
         Presence::kRequired);
  s.Real("memory_bandwidth_gbs", &RooflineParams::memory_bandwidth_gbs, kPositive,
         "memory bandwidth, GB/s", Presence::kRequired);
  s.Real("per_op_overhead_ms", &RooflineParams::per_op_overhead_ms, kNonNegative,
         "fixed time per operator, ms");
  s.Real("bytes_per_element", &RooflineParams::bytes_per_element, kPositive,
         "bytes of one element of a 32-bit layer");
  s.Real("per_network_overhead_ms", &RooflineParams::per_network_overhead_ms, kNonNegative,
         "fixed time per network, ms");
  return s;
}

yaml::Schema<BitSerialParams> BitSerialSchema() {
  const IntRange kCount = IntRange::Between(1, 1 << 20);
  yaml::Schema<BitSerialParams> s;
  s.Integer("pe_rows", &BitSerialParams::pe_rows, kCount, "PE array rows", Presence::kRequired);
  s.Integer("pe_cols", &BitSerialParams::pe_cols, kCount, "PE array columns", Presence::kRequired);
  s.Integer("dot_product_bits", &BitSerialParams::dot_product_bits, kCount,
            "binary dot-product width of one PE per cycle", Presence::kRequired);
  s.Real("clock_mhz", &BitSerialParams::clock_mhz, kPositive, "clock, MHz", Presence::kRequired);
  s.Real("memory_bandwidth_gbs", &BitSerialParams::memory_bandwidth_gbs, kPositive,
         "memory bandwidth, GB/s", Presence::kRequired);
  s.Real("per_op_overhead_ms", &BitSerialParams::per_op_overhead_ms, kNonNegative,
         "fixed time per operator, ms");
  s.Integer("batch", &BitSerialParams::batch, kCount, "images per inference");
  s.Real("per_network_overhead_ms", &BitSerialParams::per_network_overhead_ms, kNonNegative,
         "fixed time per network, ms");
  return s;
}

// Declares every parameter of both kinds, so that a file with a bad kind reports only the kind.
void DeclareAllParameters(const yaml::Mapping& root) {
  for (const Param& p : RooflineList({})) root.Declare(p.name);
  for (const Param& p : BitSerialList({})) root.Declare(p.name);
}

std::unique_ptr<ModelDevice> ReadDevice(yaml::Document& doc) {
  std::string name;
  std::optional<std::string> kind;
  RooflineParams roofline;
  BitSerialParams bitserial;
  if (auto root = doc.Root()) {
    root->Require("name", "a non-empty string");
    name = root->String("name", yaml::StringRule::kNonEmpty).value_or("");
    root->String("description");
    root->Require("kind", "one of roofline, bitserial");
    kind = root->Choice("kind", {"roofline", "bitserial"});
    if (kind == "roofline") {
      RooflineSchema().Read(*root, &roofline);
    } else if (kind == "bitserial") {
      BitSerialSchema().Read(*root, &bitserial);
    } else {
      DeclareAllParameters(*root);
    }
  }
  doc.ThrowIfErrors();
  if (kind == "roofline") return std::make_unique<RooflineDevice>(name, roofline);
  return std::make_unique<BitSerialDevice>(name, bitserial);
}

}  // namespace

// ---- Work per operator --------------------------------------------------------------------------

static std::vector<OpWork> LayerOps(const LayerSpec& l) {
  const double in_area = static_cast<double>(l.input_size) * l.input_size;
  const double out_area = static_cast<double>(l.output_size()) * l.output_size();
  const double k2 = static_cast<double>(l.kernel) * l.kernel;
  const double cin = static_cast<double>(l.in_channels);
  const double cout = static_cast<double>(l.out_channels);
  const double mid = static_cast<double>(l.mid_channels);
  switch (l.kind) {
    case LayerKind::kConv:
      return {{"conv", out_area * k2 * cin * cout, k2 * cin * cout,
               in_area * cin * (l.skip ? 2 : 1), out_area * cout}};
    case LayerKind::kMBConv: {
      std::vector<OpWork> ops;
      if (l.mid_channels != l.in_channels) {
        ops.push_back({"expand", in_area * cin * mid, cin * mid, in_area * cin, in_area * mid});
      }
      ops.push_back({"depthwise", out_area * k2 * mid, k2 * mid, in_area * mid, out_area * mid});
      const double shortcut = l.skip ? in_area * cin : 0.0;
      ops.push_back({"project", out_area * mid * cout, mid * cout, out_area * mid + shortcut,
                     out_area * cout});
      return ops;
    }
    case LayerKind::kLogits:
      return {{"logits", cin * cout, cin * cout, in_area * cin, cout}};
  }
  return {};
}

std::vector<OpWork> LayerWork(const LayerSpec& l) {
  std::vector<OpWork> ops = LayerOps(l);
  for (size_t i = 0; i < ops.size(); ++i) ops[i].bits = l.bits(i);
  return ops;
}

// ---- ModelDevice --------------------------------------------------------------------------------

double ModelDevice::LayerCostMs(const LayerSpec& layer) const {
  double total = 0;
  for (const OpWork& op : LayerWork(layer)) total += OpCostMs(op, layer);
  return total;
}

double ModelDevice::NetworkCostMs(const NetSpec& net) const {
  double total = per_network_overhead_ms_;
  for (const LayerSpec& layer : net.layers) total += LayerCostMs(layer);
  return total;
}

LatencyStats ModelDevice::Measure(const LayerSpec& layer) { return ExactStats(LayerCostMs(layer)); }

LatencyStats ModelDevice::MeasureNetwork(const NetSpec& net) {
  return ExactStats(NetworkCostMs(net));
}

// ---- Roofline -----------------------------------------------------------------------------------

RooflineDevice::RooflineDevice(std::string name, const RooflineParams& p)
    : ModelDevice(std::move(name), p.per_network_overhead_ms), params_(p) {
  const std::string& n = this->name();
  RequireParam(n, "peak_gflops", Positive(p.peak_gflops), p.peak_gflops, "a number > 0");
  RequireParam(n, "memory_bandwidth_gbs", Positive(p.memory_bandwidth_gbs), p.memory_bandwidth_gbs,
               "a number > 0");
  RequireParam(n, "per_op_overhead_ms", NonNegative(p.per_op_overhead_ms), p.per_op_overhead_ms,
               "a number >= 0");
  RequireParam(n, "bytes_per_element", Positive(p.bytes_per_element), p.bytes_per_element,
               "a number > 0");
  RequireParam(n, "per_network_overhead_ms", NonNegative(p.per_network_overhead_ms),
               p.per_network_overhead_ms, "a number >= 0");
}

std::string RooflineDevice::fingerprint() const {
  return Fingerprint(name(), kind_name(), RooflineList(params_));
}

std::string RooflineDevice::properties_json() const {
  return PropertiesJson(kind_name(), RooflineList(params_));
}

double RooflineDevice::OpCostMs(const OpWork& op, const LayerSpec& layer) const {
  const double weight_bytes =
      op.bits.weight == 32 ? params_.bytes_per_element : op.bits.weight / 8.0;
  const double activation_bytes =
      op.bits.activation == 32 ? params_.bytes_per_element : op.bits.activation / 8.0;
  const double bytes = op.weights * weight_bytes + (op.inputs + op.outputs) * activation_bytes;
  // GFLOP/s and GB/s are 1e6 FLOPs and bytes per millisecond.
  const double compute_ms = 2.0 * op.macs / (params_.peak_gflops * 1e6);
  const double memory_ms = bytes / (params_.memory_bandwidth_gbs * 1e6);
  return std::max(compute_ms, memory_ms) + params_.per_op_overhead_ms;
}

// ---- Bit-serial ---------------------------------------------------------------------------------

BitSerialDevice::BitSerialDevice(std::string name, const BitSerialParams& p)
    : ModelDevice(std::move(name), p.per_network_overhead_ms), params_(p) {
  const std::string& n = this->name();
  RequireParam(n, "pe_rows", p.pe_rows >= 1, static_cast<double>(p.pe_rows), "an integer >= 1");
  RequireParam(n, "pe_cols", p.pe_cols >= 1, static_cast<double>(p.pe_cols), "an integer >= 1");
  RequireParam(n, "dot_product_bits", p.dot_product_bits >= 1,
               static_cast<double>(p.dot_product_bits), "an integer >= 1");
  RequireParam(n, "clock_mhz", Positive(p.clock_mhz), p.clock_mhz, "a number > 0");
  RequireParam(n, "memory_bandwidth_gbs", Positive(p.memory_bandwidth_gbs), p.memory_bandwidth_gbs,
               "a number > 0");
  RequireParam(n, "per_op_overhead_ms", NonNegative(p.per_op_overhead_ms), p.per_op_overhead_ms,
               "a number >= 0");
  RequireParam(n, "batch", p.batch >= 1, static_cast<double>(p.batch), "an integer >= 1");
  RequireParam(n, "per_network_overhead_ms", NonNegative(p.per_network_overhead_ms),
               p.per_network_overhead_ms, "a number >= 0");
}

std::string BitSerialDevice::fingerprint() const {
  return Fingerprint(name(), kind_name(), BitSerialList(params_));
}

std::string BitSerialDevice::properties_json() const {
  return PropertiesJson(kind_name(), BitSerialList(params_));
}

double BitSerialDevice::OpCostMs(const OpWork& op, const LayerSpec& layer) const {
  const double batch = static_cast<double>(params_.batch);
  const double w_bits = op.bits.weight;
  const double a_bits = op.bits.activation;
  const double binary_ops_per_cycle =
      static_cast<double>(params_.pe_rows) * params_.pe_cols * params_.dot_product_bits;
  const double cycles = op.macs * batch * w_bits * a_bits / binary_ops_per_cycle;
  const double compute_ms = cycles / (params_.clock_mhz * 1e3);  // MHz = 1e3 cycles per ms
  const double bytes = (op.weights * w_bits + (op.inputs + op.outputs) * batch * a_bits) / 8.0;
  const double memory_ms = bytes / (params_.memory_bandwidth_gbs * 1e6);
  return compute_ms + memory_ms + params_.per_op_overhead_ms;
}

// ---- Loading ------------------------------------------------------------------------------------

std::unique_ptr<ModelDevice> LoadModelDevice(const std::string& path) {
  yaml::Document doc = yaml::Document::FromFile(path);
  return ReadDevice(doc);
}

std::unique_ptr<ModelDevice> ModelDeviceFromYamlString(const std::string& text,
                                                       const std::string& display_name) {
  yaml::Document doc = yaml::Document::FromString(text, display_name);
  return ReadDevice(doc);
}

}  // namespace hwnas::latency
