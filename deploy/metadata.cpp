#include "deploy/metadata.h"

#include <nlohmann/json.hpp>

#include <functional>
#include <set>

#include "core/errors.h"

namespace hwnas::deploy {
namespace {

using nlohmann::json;

// Bumped when a key changes meaning, so readers can tell old files apart.
constexpr int kFormatVersion = 1;

// Keys whose values are plain text in ONNX metadata_props; all others are JSON there.
const std::set<std::string>& TextKeys() {
  static const std::set<std::string> keys = {"source", "arch", "dataset", "input", "hwnas_version"};
  return keys;
}

json ToJsonObject(const ExportMetadata& m) {
  json bits = json::array();
  for (const OperatorBits& b : m.operator_bits)
    bits.push_back({{"op", b.op}, {"weight", b.bits.weight}, {"activation", b.bits.activation}});
  return {{"format_version", kFormatVersion},
          {"source", m.source},
          {"arch", m.arch},
          {"dataset", m.data.name},
          {"input", InputDescription(m.data)},
          {"input_shape", {m.data.channels, m.data.height, m.data.width}},
          {"class_names", m.data.class_names},
          {"mean", m.data.mean},
          {"stddev", m.data.stddev},
          {"operator_bits", bits},
          {"netspec", m.netspec_json.empty() ? json::object() : json::parse(m.netspec_json)},
          {"hwnas_version", m.hwnas_version}};
}

ExportMetadata FromJsonObject(const json& j) {
  ExportMetadata m;
  m.source = j.value("source", "");
  m.arch = j.value("arch", "");
  m.hwnas_version = j.value("hwnas_version", "");
  m.data.name = j.value("dataset", "");
  m.data.class_names = j.at("class_names").get<std::vector<std::string>>();
  m.data.mean = j.at("mean").get<std::vector<float>>();
  m.data.stddev = j.at("stddev").get<std::vector<float>>();
  if (j.contains("input_shape")) {
    const auto shape = j.at("input_shape").get<std::vector<int64_t>>();
    if (shape.size() != 3) throw json::other_error::create(501, "input_shape needs 3 numbers", &j);
    m.data.channels = shape[0];
    m.data.height = shape[1];
    m.data.width = shape[2];
  }
  if (j.contains("operator_bits"))
    for (const json& b : j.at("operator_bits"))
      m.operator_bits.push_back({b.at("op").get<std::string>(),
                                 {b.at("weight").get<int>(), b.at("activation").get<int>()}});
  if (j.contains("netspec") && !j.at("netspec").empty()) m.netspec_json = j.at("netspec").dump();
  return m;
}

ExportMetadata Parse(const std::string& source, const std::function<json()>& read) {
  try {
    return FromJsonObject(read());
  } catch (const json::exception& e) {
    throw DataError(source + ": hwnas metadata is malformed (" + e.what() + ")");
  }
}

}  // namespace

ExportMetadata MakeMetadata(const NetSpec& net, const DatasetRecord& data,
                            const std::string& source) {
  ExportMetadata m;
  m.data = data;
  m.source = source;
  m.arch = ArchString(net);
  m.netspec_json = NetSpecToJson(net);
  for (const LayerSpec& layer : net.layers) {
    const std::vector<std::string> names = QuantOpNames(layer);
    for (size_t i = 0; i < names.size(); ++i)
      m.operator_bits.push_back({layer.name + "." + names[i], layer.bits(i)});
  }
  m.hwnas_version = HWNAS_VERSION;
  return m;
}

std::string InputDescription(const DatasetRecord& data) {
  const std::string order = data.channels == 3 ? "RGB " : "";
  return "float32 N x " + std::to_string(data.channels) + " x " + std::to_string(data.height) +
         " x " + std::to_string(data.width) + ", " + order +
         "pixels in [0, 1] (pixel / 255); the model subtracts the mean and divides by the "
         "stddev itself; output: N x " +
         std::to_string(data.class_names.size()) + " logits";
}

std::vector<std::pair<std::string, std::string>> MetadataEntries(const ExportMetadata& metadata) {
  std::vector<std::pair<std::string, std::string>> entries;
  const json object = ToJsonObject(metadata);
  for (const auto& [key, value] : object.items())
    entries.emplace_back(key, value.is_string() ? value.get<std::string>() : value.dump());
  return entries;
}

ExportMetadata MetadataFromEntries(const std::vector<std::pair<std::string, std::string>>& entries,
                                   const std::string& source) {
  return Parse(source, [&] {
    json j = json::object();
    for (const auto& [key, value] : entries)
      j[key] = TextKeys().count(key) ? json(value) : json::parse(value);
    return j;
  });
}

std::string MetadataToJson(const ExportMetadata& metadata) {
  return ToJsonObject(metadata).dump(2);
}

ExportMetadata MetadataFromJson(const std::string& text, const std::string& source) {
  return Parse(source, [&] { return json::parse(text); });
}

}  // namespace hwnas::deploy
