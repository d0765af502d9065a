#include "deploy/export.h"

#include "core/atomic_file.h"
#include "core/errors.h"
#include "deploy/lowered_net.h"
#include "deploy/metadata.h"
#include "deploy/onnx_writer.h"
#include "deploy/torchscript_writer.h"

namespace hwnas::deploy {
namespace {

// The data record must describe the network's input and output, or the exported model would
// normalise with the wrong statistics or name the wrong classes.
void CheckFits(const NetSpec& net, const DatasetRecord& data, const std::string& source) {
  const auto classes = static_cast<int64_t>(data.class_names.size());
  std::string problem;
  if (data.channels != net.input_channels || data.height != net.input_size ||
      data.width != net.input_size)
    problem = "takes " + std::to_string(net.input_channels) + " x " +
              std::to_string(net.input_size) + " x " + std::to_string(net.input_size) +
              " images, the data has " + std::to_string(data.channels) + " x " +
              std::to_string(data.height) + " x " + std::to_string(data.width);
  else if (classes != net.num_classes)
    problem = "has " + std::to_string(net.num_classes) + " classes, the data names " +
              std::to_string(classes);
  else if (static_cast<int64_t>(data.mean.size()) != data.channels ||
           static_cast<int64_t>(data.stddev.size()) != data.channels)
    problem = "needs one mean and one stddev per channel (" + std::to_string(data.channels) + ")";
  for (float s : data.stddev)
    if (problem.empty() && !(s > 0))
      problem = "needs positive stddevs (got " + std::to_string(s) + ")";
  if (!problem.empty()) throw DataError(source + ": network " + ArchString(net) + " " + problem);
}

}  // namespace

const char* ExportFormatName(ExportFormat format) {
  return format == ExportFormat::kOnnx ? "onnx" : "torchscript";
}

std::vector<std::string> ExportFormatNames() { return {"onnx", "torchscript"}; }

ExportFormat ParseExportFormat(const std::string& name) {
  if (name == "onnx") return ExportFormat::kOnnx;
  if (name == "torchscript") return ExportFormat::kTorchScript;
  throw UsageError("unknown export format '" + name + "' (known: onnx, torchscript)");
}

void ExportNetwork(const ExportInput& input, ExportFormat format, const std::string& out_path) {
  const std::string source = input.source.empty() ? input.weights_path : input.source;
  ValidateNetSpec(input.net, source);
  CheckFits(input.net, input.data, source);
  const std::vector<LoweredLayer> layers = LowerNetwork(input.net, input.weights_path);
  const ExportMetadata metadata = MakeMetadata(input.net, input.data, input.source);
  const std::string bytes = format == ExportFormat::kOnnx ? OnnxModelBytes(layers, metadata)
                                                          : TorchScriptBytes(layers, metadata);
  WriteFileAtomically(out_path, bytes, std::string(ExportFormatName(format)) + " model");
}

}  // namespace hwnas::deploy
