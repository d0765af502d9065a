// Exporting a trained network: (NetSpec, weights file, the data it was trained on) -> one ONNX or
// TorchScript file that takes pixels in [0, 1] and returns logits, with the normalisation inside
// and hwnas's metadata beside the graph (deploy/metadata.h). docs/export.md is the user's view.
#pragma once

#include <string>
#include <vector>

#include "core/netspec.h"
#include "core/reporter.h"

namespace hwnas::deploy {

struct ExportInput {
  NetSpec net;
  std::string weights_path;  // torch::save of a supernet::Network built from `net`
  DatasetRecord data;        // shape, class names and normalisation the network expects
  std::string source;        // where it came from, e.g. "run 12 (final)"
};

enum class ExportFormat { kOnnx, kTorchScript };

// "onnx" | "torchscript".
const char* ExportFormatName(ExportFormat format);
// UsageError listing the known names when `name` is none of them.
ExportFormat ParseExportFormat(const std::string& name);
std::vector<std::string> ExportFormatNames();

// Writes `out_path` atomically (nothing is left behind on failure). Throws DataError when the
// NetSpec is invalid, does not fit `input.data` (channels, size, classes, mean / stddev
// lengths), the weights do not match it, or an activation quantizer was never calibrated;
// IoError when the weights or the output cannot be read or written.
void ExportNetwork(const ExportInput& input, ExportFormat format, const std::string& out_path);

}  // namespace hwnas::deploy
