// What an exported model says about itself besides its graph: the data it expects (class names,
// normalisation, input shape), where it came from, its architecture and each operator's bits.
// One JSON object; ONNX stores each key as metadata_props "hwnas.<key>", TorchScript the whole
// object as the extra file "hwnas.json". docs/export.md lists the keys.
#pragma once

#include <string>
#include <vector>

#include "core/netspec.h"
#include "core/reporter.h"

namespace hwnas::deploy {

inline constexpr char kMetadataPrefix[] = "hwnas.";
inline constexpr char kTorchScriptMetadataFile[] = "hwnas.json";

// One quantizable operator and its bits, e.g. {"stage1.block1.expand", {8, 8}}.
struct OperatorBits {
  std::string op;
  OpBits bits;
};

struct ExportMetadata {
  DatasetRecord data;  // shape, class names, mean, stddev (the train split it was trained on)
  std::string source;  // e.g. "run 12 (final)"
  std::string arch;    // ArchString of the network
  std::string netspec_json;
  std::vector<OperatorBits> operator_bits;
  std::string hwnas_version;
};

// The metadata of `net` trained on `data`.
ExportMetadata MakeMetadata(const NetSpec& net, const DatasetRecord& data,
                            const std::string& source);

// The human-readable input convention, e.g. "float32 N x 3 x 32 x 32, RGB pixels in [0, 1]; ...".
std::string InputDescription(const DatasetRecord& data);

// Key -> value text pairs in a stable order; strings stay plain, lists and objects are JSON.
std::vector<std::pair<std::string, std::string>> MetadataEntries(const ExportMetadata& metadata);
// The inverse; keys without the entries' names are ignored. DataError naming `source` when a
// value is malformed or class_names / mean / stddev are missing.
ExportMetadata MetadataFromEntries(const std::vector<std::pair<std::string, std::string>>& entries,
                                   const std::string& source);

// The whole metadata as one JSON object (TorchScript's hwnas.json), and back.
std::string MetadataToJson(const ExportMetadata& metadata);
ExportMetadata MetadataFromJson(const std::string& json, const std::string& source);

}  // namespace hwnas::deploy
