#include "core/netspec_yaml.h"

#include <yaml-cpp/yaml.h>

#include <filesystem>

#include "core/errors.h"
#include "core/yaml_reader.h"

namespace hwnas {
namespace {

using yaml::IntRange;

struct Cursor {  // the shape flowing from layer to layer
  int64_t channels;
  int64_t size;
};

LayerKind ReadKind(const yaml::Mapping& m) {
  m.Require("kind", "one of conv, mbconv, logits");
  const auto kind = m.Choice("kind", {"conv", "mbconv", "logits"});
  if (kind == "mbconv") return LayerKind::kMBConv;
  if (kind == "logits") return LayerKind::kLogits;
  return LayerKind::kConv;
}

// MBConv mid channels: `mid` if given, else in_channels x `expand` (default 6).
void ReadMidChannels(const yaml::Mapping& m, LayerSpec& l) {
  if (m.Has("mid") && m.Has("expand")) m.ReportError("mid", "give either mid or expand, not both");
  const auto mid = m.Integer("mid", IntRange::Between(1, 1 << 16));
  const auto expand = m.Integer("expand", IntRange::Between(1, 16));
  l.mid_channels = mid ? *mid : l.in_channels * expand.value_or(6);
}

void CheckSkip(const yaml::Mapping& m, const LayerSpec& l) {
  if (!l.skip) return;
  if (l.kind == LayerKind::kLogits || l.stride != 1 || l.in_channels != l.out_channels)
    m.ReportError("skip",
                  "an identity shortcut needs a conv or mbconv layer with stride 1 and equal "
                  "widths (got " +
                      std::string(LayerKindName(l.kind)) + ", stride " + std::to_string(l.stride) +
                      ", " + std::to_string(l.in_channels) + " -> " +
                      std::to_string(l.out_channels) + " channels)");
}

LayerSpec ReadLayer(const yaml::Mapping& m, size_t index, const Cursor& in, int64_t classes) {
  LayerSpec l;
  l.kind = ReadKind(m);
  l.name = m.String("name", yaml::StringRule::kNonEmpty).value_or("layer" + std::to_string(index));
  l.in_channels = in.channels;
  l.input_size = in.size;
  if (l.kind == LayerKind::kLogits) {
    l.out_channels = classes;
    l.kernel = 1;
    return l;
  }
  m.Require("out", "an integer >= 1");
  l.out_channels = m.Integer("out", IntRange::Between(1, 1 << 16)).value_or(1);
  l.kernel = m.Integer("kernel", IntRange::Between(1, 15)).value_or(3);
  if (l.kernel % 2 == 0)
    m.ReportError("kernel", "must be odd (got " + std::to_string(l.kernel) + ")");
  l.stride = m.Integer("stride", IntRange::Between(1, 4)).value_or(1);
  if (l.kind == LayerKind::kMBConv) ReadMidChannels(m, l);
  l.skip = m.Bool("skip").value_or(false);
  l.weight_bits = static_cast<int>(m.Integer("weight_bits", IntRange::Between(1, 32)).value_or(32));
  l.activation_bits =
      static_cast<int>(m.Integer("activation_bits", IntRange::Between(1, 32)).value_or(32));
  if (auto policy = m.String("op_bits")) {
    try {
      l.op_bits = ParseBitPolicy(*policy);
    } catch (const DataError& e) {
      m.ReportError("op_bits", e.what());
    }
    const size_t ops = QuantOpNames(l).size();
    if (!l.op_bits.empty() && l.op_bits.size() != ops)
      m.ReportError("op_bits", "got " + std::to_string(l.op_bits.size()) + " operators; expected " +
                                   std::to_string(ops) + " (" + std::to_string(ops) +
                                   " quantizable operators in this layer)");
  }
  CheckSkip(m, l);
  return l;
}

void ReadLayers(const yaml::Mapping& root, NetSpec& net) {
  root.Require("layers", "a list of layer mappings");
  const std::vector<yaml::Mapping> layers = root.MappingList("layers");
  Cursor cursor{net.input_channels, net.input_size};
  for (size_t i = 0; i < layers.size(); ++i) {
    LayerSpec l = ReadLayer(layers[i], i, cursor, net.num_classes);
    const bool last = i + 1 == layers.size();
    if (l.kind == LayerKind::kLogits && !last)
      layers[i].ReportError("kind", "a logits layer must be the last layer");
    if (last && l.kind != LayerKind::kLogits)
      layers[i].ReportError("kind", "the last layer must be of kind logits (got " +
                                        std::string(LayerKindName(l.kind)) + ")");
    cursor = {l.out_channels, l.output_size()};
    net.layers.push_back(l);
  }
}

NetSpec ReadNetSpec(yaml::Document& doc) {
  NetSpec net;
  if (auto root = doc.Root()) {
    net.name = root->String("name", yaml::StringRule::kNonEmpty).value_or(net.name);
    root->Require("input", "a mapping with channels and size");
    const yaml::Mapping input = root->Section("input");
    input.Require("channels", "an integer in [1, 64]");
    input.Require("size", "an integer in [1, 4096]");
    net.input_channels = input.Integer("channels", IntRange::Between(1, 64)).value_or(1);
    net.input_size = input.Integer("size", IntRange::Between(1, 4096)).value_or(1);
    root->Require("classes", "an integer in [2, 100000]");
    net.num_classes = root->Integer("classes", IntRange::Between(2, 100000)).value_or(2);
    ReadLayers(*root, net);
  }
  doc.ThrowIfErrors();
  if (net.name.empty()) net.name = std::filesystem::path(doc.display_name()).stem().string();
  ValidateNetSpec(net, doc.display_name());
  return net;
}

}  // namespace

NetSpec LoadNetSpecFile(const std::string& path) {
  yaml::Document doc = yaml::Document::FromFile(path);
  return ReadNetSpec(doc);
}

NetSpec NetSpecFromYamlString(const std::string& text, const std::string& display_name) {
  yaml::Document doc = yaml::Document::FromString(text, display_name);
  return ReadNetSpec(doc);
}

namespace {

void WriteLayer(const LayerSpec& l, YAML::Emitter& out) {
  out << YAML::Flow << YAML::BeginMap << YAML::Key << "kind" << YAML::Value << LayerKindName(l.kind)
      << YAML::Key << "name" << YAML::Value << l.name;
  if (l.kind != LayerKind::kLogits) {
    out << YAML::Key << "out" << YAML::Value << l.out_channels;
    if (l.kind == LayerKind::kMBConv) out << YAML::Key << "mid" << YAML::Value << l.mid_channels;
    out << YAML::Key << "kernel" << YAML::Value << l.kernel;
    out << YAML::Key << "stride" << YAML::Value << l.stride;
    if (l.skip) out << YAML::Key << "skip" << YAML::Value << true;
    if (l.weight_bits != 32) out << YAML::Key << "weight_bits" << YAML::Value << l.weight_bits;
    if (l.activation_bits != 32)
      out << YAML::Key << "activation_bits" << YAML::Value << l.activation_bits;
    if (!l.op_bits.empty())
      out << YAML::Key << "op_bits" << YAML::Value << FormatBitPolicy(l.op_bits);
  }
  out << YAML::EndMap;
}

}  // namespace

std::string NetSpecToYaml(const NetSpec& net) {
  YAML::Emitter out;
  out << YAML::BeginMap << YAML::Key << "name" << YAML::Value << net.name;
  out << YAML::Key << "input" << YAML::Value << YAML::Flow << YAML::BeginMap << YAML::Key
      << "channels" << YAML::Value << net.input_channels << YAML::Key << "size" << YAML::Value
      << net.input_size << YAML::EndMap;
  out << YAML::Key << "classes" << YAML::Value << net.num_classes;
  out << YAML::Key << "layers" << YAML::Value << YAML::BeginSeq;
  for (const LayerSpec& l : net.layers) WriteLayer(l, out);
  out << YAML::EndSeq << YAML::EndMap;
  return std::string(out.c_str()) + "\n";
}

}  // namespace hwnas
