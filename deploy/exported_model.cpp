#include "deploy/exported_model.h"

#include <onnx/onnx_pb.h>
#include <torch/csrc/jit/serialization/import.h>
#include <torch/types.h>
#include <opencv2/dnn.hpp>

#include <fstream>
#include <mutex>
#include <sstream>

#include "core/errors.h"

namespace hwnas::deploy {

class ExportedModel::Runtime {
 public:
  virtual ~Runtime() = default;
  virtual ExportFormat format() const = 0;
  // `nchw` holds n images of the metadata's shape; returns n x classes logits.
  virtual std::vector<float> Run(const std::vector<float>& nchw,
                                 const std::vector<int64_t>& shape) = 0;
};

namespace {

class OpenCvRuntime : public ExportedModel::Runtime {
 public:
  explicit OpenCvRuntime(cv::dnn::Net net) : net_(std::move(net)) {}
  ExportFormat format() const override { return ExportFormat::kOnnx; }

  std::vector<float> Run(const std::vector<float>& nchw,
                         const std::vector<int64_t>& shape) override {
    const std::vector<int> dims(shape.begin(), shape.end());
    // OpenCV only reads the blob; the Mat header cannot say so.
    const cv::Mat blob(4, dims.data(), CV_32F, const_cast<float*>(nchw.data()));
    std::lock_guard<std::mutex> lock(mutex_);  // cv::dnn::Net keeps per-call state
    net_.setInput(blob);
    const cv::Mat out = net_.forward().clone();
    return std::vector<float>(out.ptr<float>(), out.ptr<float>() + out.total());
  }

 private:
  cv::dnn::Net net_;
  std::mutex mutex_;
};

class TorchScriptRuntime : public ExportedModel::Runtime {
 public:
  explicit TorchScriptRuntime(torch::jit::Module module) : module_(std::move(module)) {
    module_.eval();
  }
  ExportFormat format() const override { return ExportFormat::kTorchScript; }

  std::vector<float> Run(const std::vector<float>& nchw,
                         const std::vector<int64_t>& shape) override {
    torch::InferenceMode inference;
    const torch::Tensor x = torch::from_blob(const_cast<float*>(nchw.data()), shape, torch::kFloat);
    const torch::Tensor out = module_.forward({x}).toTensor().to(torch::kFloat).contiguous();
    return std::vector<float>(out.data_ptr<float>(), out.data_ptr<float>() + out.numel());
  }

 private:
  torch::jit::Module module_;
};

std::string ReadBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw IoError("cannot read exported model " + path + " (missing or unreadable)");
  std::ostringstream bytes;
  bytes << in.rdbuf();
  return bytes.str();
}

// TorchScript files are zip archives; ONNX files are protobuf messages.
bool IsZip(const std::string& bytes) { return bytes.rfind("PK\x03\x04", 0) == 0; }

std::pair<std::unique_ptr<ExportedModel::Runtime>, ExportMetadata> LoadTorchScript(
    const std::string& path, const std::string& bytes) {
  std::istringstream in(bytes);
  torch::jit::ExtraFilesMap extra{{kTorchScriptMetadataFile, ""}};
  torch::jit::Module module;
  try {
    module = torch::jit::load(in, torch::kCPU, extra);
  } catch (const c10::Error& e) {
    throw DataError(path + ": TorchScript cannot load it (" + e.what_without_backtrace() + ")");
  }
  if (extra[kTorchScriptMetadataFile].empty())
    throw DataError(path + ": a TorchScript file without " + kTorchScriptMetadataFile +
                    " (not exported by hwnas)");
  return {std::make_unique<TorchScriptRuntime>(std::move(module)),
          MetadataFromJson(extra[kTorchScriptMetadataFile], path)};
}

std::pair<std::unique_ptr<ExportedModel::Runtime>, ExportMetadata> LoadOnnx(
    const std::string& path, const std::string& bytes) {
  onnx::ModelProto model;
  if (!model.ParseFromString(bytes) || !model.has_graph())
    throw DataError(path + ": neither an ONNX model nor a TorchScript archive");
  std::vector<std::pair<std::string, std::string>> entries;
  const std::string prefix = kMetadataPrefix;
  for (const auto& prop : model.metadata_props())
    if (prop.key().rfind(prefix, 0) == 0)
      entries.emplace_back(prop.key().substr(prefix.size()), prop.value());
  if (entries.empty())
    throw DataError(path + ": an ONNX model without hwnas metadata (not exported by hwnas)");
  ExportMetadata metadata = MetadataFromEntries(entries, path);
  // Known before OpenCV tries (and logs its own parse errors): see docs/export.md.
  for (const OperatorBits& op : metadata.operator_bits)
    if (op.bits.weight < 32 || op.bits.activation < 32)
      throw DataError(path + ": a quantized ONNX model (operator " + op.op + " at w" +
                      std::to_string(op.bits.weight) + "a" + std::to_string(op.bits.activation) +
                      "), which OpenCV " CV_VERSION
                      "'s DNN module cannot run; use the TorchScript export (hwnas export RUN "
                      "--format torchscript) or an ONNX runtime with QuantizeLinear support");
  try {
    cv::dnn::Net net = cv::dnn::readNetFromONNX(bytes.data(), bytes.size());
    net.setPreferableBackend(cv::dnn::DNN_BACKEND_OPENCV);
    net.setPreferableTarget(cv::dnn::DNN_TARGET_CPU);
    return {std::make_unique<OpenCvRuntime>(std::move(net)), std::move(metadata)};
  } catch (const cv::Exception& e) {
    throw DataError(path + ": OpenCV " CV_VERSION " DNN cannot load this ONNX model (" + e.what() +
                    "); docs/export.md lists what it runs");
  }
}

}  // namespace

ExportedModel::ExportedModel(std::unique_ptr<Runtime> runtime, ExportMetadata metadata)
    : runtime_(std::move(runtime)), metadata_(std::move(metadata)) {}
ExportedModel::ExportedModel(ExportedModel&&) noexcept = default;
ExportedModel& ExportedModel::operator=(ExportedModel&&) noexcept = default;
ExportedModel::~ExportedModel() = default;

ExportedModel ExportedModel::Load(const std::string& path) {
  const std::string bytes = ReadBytes(path);
  auto [runtime, metadata] = IsZip(bytes) ? LoadTorchScript(path, bytes) : LoadOnnx(path, bytes);
  return ExportedModel(std::move(runtime), std::move(metadata));
}

ExportFormat ExportedModel::format() const { return runtime_->format(); }
const ExportMetadata& ExportedModel::metadata() const { return metadata_; }

std::vector<float> ExportedModel::Run(const std::vector<float>& nchw, int64_t n) const {
  const DatasetRecord& d = data();
  const std::vector<int64_t> shape = {n, d.channels, d.height, d.width};
  if (n < 1 || static_cast<int64_t>(nchw.size()) != n * d.channels * d.height * d.width)
    throw DataError("exported model input: " + std::to_string(nchw.size()) + " floats for " +
                    std::to_string(n) + " images of " + std::to_string(d.channels) + " x " +
                    std::to_string(d.height) + " x " + std::to_string(d.width));
  return runtime_->Run(nchw, shape);
}

}  // namespace hwnas::deploy
