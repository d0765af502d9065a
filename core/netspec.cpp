#include "core/netspec.h"

#include <nlohmann/json.hpp>

#include <cstdio>
#include <set>

#include "core/errors.h"

namespace hwnas {
namespace {

using nlohmann::json;

[[noreturn]] void Fail(const std::string& source, const LayerSpec& layer, const std::string& what) {
  throw DataError(source + ": layer '" + layer.name + "': " + what);
}

void ValidateLayerNumbers(const LayerSpec& l, const std::string& source) {
  if (l.in_channels < 1 || l.out_channels < 1)
    Fail(source, l,
         "channels must be >= 1 (got in " + std::to_string(l.in_channels) + ", out " +
             std::to_string(l.out_channels) + ")");
  if (l.kind != LayerKind::kLogits && (l.kernel < 1 || l.kernel % 2 == 0))
    Fail(source, l, "kernel must be an odd number >= 1 (got " + std::to_string(l.kernel) + ")");
  if (l.stride < 1 || l.stride > 4)
    Fail(source, l, "stride must be in 1..4 (got " + std::to_string(l.stride) + ")");
  if (l.weight_bits < 1 || l.weight_bits > 32 || l.activation_bits < 1 || l.activation_bits > 32)
    Fail(source, l, "bits must be in 1..32");
  const size_t ops = QuantOpNames(l).size();
  if (!l.op_bits.empty() && l.op_bits.size() != ops)
    Fail(source, l,
         "op_bits has " + std::to_string(l.op_bits.size()) + " entries but the layer has " +
             std::to_string(ops) + " quantizable operators");
  for (const OpBits& b : l.op_bits)
    if (b.weight < 1 || b.weight > 32 || b.activation < 1 || b.activation > 32)
      Fail(source, l, "op_bits must be in 1..32 (got " + FormatBitPolicy({b}) + ")");
  if (l.kind == LayerKind::kMBConv && l.mid_channels < 1)
    Fail(source, l, "mid_channels must be >= 1 (got " + std::to_string(l.mid_channels) + ")");
  if (l.skip && (l.kind == LayerKind::kLogits || l.stride != 1 || l.in_channels != l.out_channels))
    Fail(source, l,
         "an identity shortcut needs a conv or MBConv layer with stride 1 and equal widths");
}

}  // namespace

const char* LayerKindName(LayerKind kind) {
  switch (kind) {
    case LayerKind::kConv:
      return "conv";
    case LayerKind::kMBConv:
      return "mbconv";
    case LayerKind::kLogits:
      return "logits";
  }
  return "?";
}

OpBits LayerSpec::bits(size_t op) const {
  if (op < op_bits.size()) return op_bits[op];
  return {weight_bits, activation_bits};
}

std::vector<std::string> QuantOpNames(const LayerSpec& l) {
  switch (l.kind) {
    case LayerKind::kConv:
      return {"conv"};
    case LayerKind::kMBConv:
      if (l.mid_channels != l.in_channels) return {"expand", "depthwise", "project"};
      return {"depthwise", "project"};
    case LayerKind::kLogits:
      return {"logits"};
  }
  return {};
}

std::vector<double> QuantOpWeights(const LayerSpec& l) {
  const double k2 = static_cast<double>(l.kernel) * l.kernel;
  const double in = static_cast<double>(l.in_channels), out = static_cast<double>(l.out_channels);
  const double mid = static_cast<double>(l.mid_channels);
  switch (l.kind) {
    case LayerKind::kConv:
      return {k2 * in * out};
    case LayerKind::kMBConv:
      if (l.mid_channels != l.in_channels) return {in * mid, k2 * mid, mid * out};
      return {k2 * mid, mid * out};
    case LayerKind::kLogits:
      return {in * out};
  }
  return {};
}

std::vector<OpBits> ParseBitPolicy(const std::string& text, int max_bits) {
  std::vector<OpBits> bits;
  size_t at = 0;
  while ((at = text.find_first_not_of(" \t\n,", at)) != std::string::npos) {
    const size_t end = text.find_first_of(" \t\n,", at);
    const std::string token = text.substr(at, end == std::string::npos ? end : end - at);
    at = end;
    int w = 0, a = 0;
    char extra = 0;
    if (std::sscanf(token.c_str(), "w%da%d%c", &w, &a, &extra) != 2 || w < 1 || a < 1 ||
        w > max_bits || a > max_bits)
      throw DataError("bit policy: operator " + std::to_string(bits.size() + 1) + " is '" + token +
                      "' (expected wWaA with W and A in [1, " + std::to_string(max_bits) +
                      "], e.g. w8a8)");
    bits.push_back({w, a});
  }
  return bits;
}

std::string FormatBitPolicy(const std::vector<OpBits>& bits) {
  std::string text;
  for (const OpBits& b : bits)
    text += (text.empty() ? "" : " ") + std::string("w") + std::to_string(b.weight) + "a" +
            std::to_string(b.activation);
  return text;
}

size_t QuantOpCount(const NetSpec& net) {
  size_t count = 0;
  for (const LayerSpec& l : net.layers) count += QuantOpNames(l).size();
  return count;
}

NetSpec ApplyBitPolicy(const NetSpec& net, const std::vector<OpBits>& bits) {
  if (bits.size() != QuantOpCount(net))
    throw DataError("a bit policy for network '" + net.name + "' needs " +
                    std::to_string(QuantOpCount(net)) + " operators (one wWaA each); got " +
                    std::to_string(bits.size()));
  NetSpec out = net;
  size_t next = 0;
  for (LayerSpec& l : out.layers) {
    const size_t ops = QuantOpNames(l).size();
    l.op_bits.assign(bits.begin() + next, bits.begin() + next + ops);
    next += ops;
  }
  ValidateNetSpec(out, "network '" + net.name + "' with a bit policy");
  return out;
}

std::vector<OpBits> BitPolicyOf(const NetSpec& net) {
  std::vector<OpBits> bits;
  for (const LayerSpec& l : net.layers)
    for (size_t op = 0; op < QuantOpNames(l).size(); ++op) bits.push_back(l.bits(op));
  return bits;
}

int64_t LayerSpec::output_size() const {
  if (kind == LayerKind::kLogits) return 1;
  return (input_size - 1) / stride + 1;
}

int64_t LayerSpec::expand_ratio() const {
  if (in_channels <= 0 || mid_channels % in_channels != 0) return 0;
  return mid_channels / in_channels;
}

void ValidateNetSpec(const NetSpec& net, const std::string& source) {
  if (net.layers.empty()) throw DataError(source + ": the network has no layers");
  if (net.layers.back().kind != LayerKind::kLogits)
    throw DataError(source + ": the last layer must be of kind 'logits'");
  int64_t channels = net.input_channels;
  int64_t size = net.input_size;
  std::set<std::string> names;
  for (const LayerSpec& l : net.layers) {
    if (!names.insert(l.name).second) Fail(source, l, "duplicate layer name");
    ValidateLayerNumbers(l, source);
    if (l.in_channels != channels)
      Fail(source, l,
           "in_channels is " + std::to_string(l.in_channels) + " but the previous layer outputs " +
               std::to_string(channels));
    if (l.input_size != size)
      Fail(source, l,
           "input_size is " + std::to_string(l.input_size) + " but the previous layer outputs " +
               std::to_string(size));
    if (l.kind == LayerKind::kLogits && &l != &net.layers.back())
      Fail(source, l, "a 'logits' layer must be the last layer");
    channels = l.out_channels;
    size = l.output_size();
  }
  if (channels != net.num_classes)
    throw DataError(source + ": the classifier outputs " + std::to_string(channels) +
                    " classes but the net declares num_classes " + std::to_string(net.num_classes));
}

double LayerFlops(const LayerSpec& l) {
  const double in_area = static_cast<double>(l.input_size) * l.input_size;
  const double out_area = static_cast<double>(l.output_size()) * l.output_size();
  const double k2 = static_cast<double>(l.kernel) * l.kernel;
  switch (l.kind) {
    case LayerKind::kConv:
      return out_area * k2 * l.in_channels * l.out_channels;
    case LayerKind::kMBConv: {
      const double expand =
          l.mid_channels != l.in_channels ? in_area * l.in_channels * l.mid_channels : 0.0;
      return expand + out_area * k2 * l.mid_channels + out_area * l.mid_channels * l.out_channels;
    }
    case LayerKind::kLogits:
      return static_cast<double>(l.in_channels) * l.out_channels;
  }
  return 0;
}

// Weights of convolutions and the classifier, and the 32-bit extras (biases, batch norm).
static std::pair<double, double> LayerWeightsAndExtras(const LayerSpec& l) {
  const double k2 = static_cast<double>(l.kernel) * l.kernel;
  switch (l.kind) {
    case LayerKind::kConv:
      return {k2 * l.in_channels * l.out_channels, 2.0 * l.out_channels};
    case LayerKind::kMBConv: {
      const bool has_expand = l.mid_channels != l.in_channels;
      const double weights = (has_expand ? 1.0 * l.in_channels * l.mid_channels : 0.0) +
                             k2 * l.mid_channels + 1.0 * l.mid_channels * l.out_channels;
      const double bn = 2.0 * ((has_expand ? l.mid_channels : 0) + l.mid_channels + l.out_channels);
      return {weights, bn};
    }
    case LayerKind::kLogits:
      return {1.0 * l.in_channels * l.out_channels, 1.0 * l.out_channels};
  }
  return {0, 0};
}

double LayerParams(const LayerSpec& l) {
  auto [weights, extras] = LayerWeightsAndExtras(l);
  return weights + extras;
}

double NetFlops(const NetSpec& net) {
  double total = 0;
  for (const auto& l : net.layers) total += LayerFlops(l);
  return total;
}

double NetParams(const NetSpec& net) {
  double total = 0;
  for (const auto& l : net.layers) total += LayerParams(l);
  return total;
}

double NetSizeBits(const NetSpec& net) {
  double bits = 0;
  for (const auto& l : net.layers) {
    const std::vector<double> weights = QuantOpWeights(l);
    for (size_t op = 0; op < weights.size(); ++op) bits += weights[op] * l.bits(op).weight;
    bits += LayerWeightsAndExtras(l).second * 32.0;
  }
  return bits;
}

std::string ArchString(const NetSpec& net) {
  std::string text;
  for (const auto& l : net.layers) {
    if (!text.empty()) text += ' ';
    const std::string out = "x" + std::to_string(l.out_channels);
    const std::string stride = l.stride > 1 ? "s" + std::to_string(l.stride) : "";
    switch (l.kind) {
      case LayerKind::kConv:
        text += "conv" + std::to_string(l.kernel) + stride + out;
        break;
      case LayerKind::kMBConv: {
        const int64_t e = l.expand_ratio();
        text += "k" + std::to_string(l.kernel) +
                (e > 0 ? "e" + std::to_string(e) : "m" + std::to_string(l.mid_channels)) + stride +
                out;
        break;
      }
      case LayerKind::kLogits:
        text += "logits" + std::to_string(l.out_channels);
        break;
    }
  }
  return text;
}

std::string NetSpecToJson(const NetSpec& net) {
  json layers = json::array();
  for (const auto& l : net.layers) {
    layers.push_back({{"kind", LayerKindName(l.kind)},
                      {"name", l.name},
                      {"in_channels", l.in_channels},
                      {"out_channels", l.out_channels},
                      {"mid_channels", l.mid_channels},
                      {"kernel", l.kernel},
                      {"stride", l.stride},
                      {"input_size", l.input_size},
                      {"skip", l.skip},
                      {"weight_bits", l.weight_bits},
                      {"activation_bits", l.activation_bits}});
    if (!l.op_bits.empty()) layers.back()["op_bits"] = FormatBitPolicy(l.op_bits);
  }
  json j = {{"name", net.name},
            {"input_channels", net.input_channels},
            {"input_size", net.input_size},
            {"num_classes", net.num_classes},
            {"layers", layers}};
  return j.dump();
}

static LayerKind LayerKindFromName(const std::string& name, const std::string& source) {
  for (LayerKind k : {LayerKind::kConv, LayerKind::kMBConv, LayerKind::kLogits})
    if (name == LayerKindName(k)) return k;
  throw DataError(source + ": unknown layer kind '" + name + "' (expected conv, mbconv or logits)");
}

NetSpec NetSpecFromJson(const std::string& text, const std::string& source) {
  try {
    json j = json::parse(text);
    NetSpec net;
    net.name = j.at("name").get<std::string>();
    net.input_channels = j.at("input_channels").get<int64_t>();
    net.input_size = j.at("input_size").get<int64_t>();
    net.num_classes = j.at("num_classes").get<int64_t>();
    for (const json& jl : j.at("layers")) {
      LayerSpec l;
      l.kind = LayerKindFromName(jl.at("kind").get<std::string>(), source);
      l.name = jl.at("name").get<std::string>();
      l.in_channels = jl.at("in_channels").get<int64_t>();
      l.out_channels = jl.at("out_channels").get<int64_t>();
      l.mid_channels = jl.value("mid_channels", int64_t{0});
      l.kernel = jl.value("kernel", int64_t{1});
      l.stride = jl.value("stride", int64_t{1});
      l.input_size = jl.at("input_size").get<int64_t>();
      l.skip = jl.value("skip", false);
      l.weight_bits = jl.value("weight_bits", 32);
      l.activation_bits = jl.value("activation_bits", 32);
      if (jl.contains("op_bits")) l.op_bits = ParseBitPolicy(jl.at("op_bits").get<std::string>());
      net.layers.push_back(l);
    }
    ValidateNetSpec(net, source);
    return net;
  } catch (const json::exception& e) {
    throw DataError(source + ": malformed NetSpec JSON: " + e.what());
  }
}

}  // namespace hwnas
