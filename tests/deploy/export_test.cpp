// Exports three networks (float MBConv with skips, AMC-style pruned, HAQ mixed precision) to ONNX
// and TorchScript and checks that independent runtimes reproduce LibTorch's eval-mode logits on
// real Fashion-MNIST test images: OpenCV's DNN and torch::jit::load here, torch.jit.load and an
// ONNX-spec NumPy evaluator in tests/deploy/check_exported.py, and the Python snippets of
// docs/export.md on an image file.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <torch/serialize.h>
#include <torch/types.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <regex>

#include "core/atomic_file.h"
#include "core/dataset.h"
#include "core/errors.h"
#include "deploy/exported_model.h"
#include "supernet/network.h"
#include "tests/support/run_command.h"

namespace hwnas::deploy {
namespace {

constexpr int64_t kImages = 32;
// Float networks: BN folded into the convolutions and OpenCV's own kernels differ from LibTorch
// only by float rounding.
constexpr double kFloatTolerance = 1e-4;

LayerSpec Layer(LayerKind kind, const std::string& name, int64_t in, int64_t out, int64_t mid,
                int64_t kernel, int64_t stride, int64_t size, bool skip = false) {
  LayerSpec l{kind, name, in, out, mid, kernel, stride, size};
  l.skip = skip;
  return l;
}

NetSpec FloatNet() {
  NetSpec net{"float-mbconv", 1, 28, 10, {}};
  net.layers = {Layer(LayerKind::kConv, "stem", 1, 8, 0, 3, 1, 28),
                Layer(LayerKind::kMBConv, "stage1.block1", 8, 8, 24, 3, 1, 28, true),
                Layer(LayerKind::kMBConv, "stage2.block1", 8, 16, 48, 5, 2, 28),
                Layer(LayerKind::kMBConv, "stage2.block2", 16, 16, 16, 3, 1, 14, true),
                Layer(LayerKind::kLogits, "classifier", 16, 10, 0, 1, 1, 14)};
  return net;
}

// As AMC leaves a network: odd channel counts everywhere.
NetSpec PrunedNet() {
  NetSpec net{"amc-pruned", 1, 28, 10, {}};
  net.layers = {Layer(LayerKind::kConv, "stem", 1, 7, 0, 3, 2, 28),
                Layer(LayerKind::kMBConv, "stage1.block1", 7, 7, 19, 3, 1, 14, true),
                Layer(LayerKind::kMBConv, "stage2.block1", 7, 13, 23, 5, 2, 14),
                Layer(LayerKind::kLogits, "classifier", 13, 10, 0, 1, 1, 7)};
  return net;
}

// ResNet-style: dense convolutions, two of them adding their input back.
NetSpec ResidualConvNet() {
  NetSpec net{"residual-conv", 1, 28, 10, {}};
  net.layers = {Layer(LayerKind::kConv, "stem", 1, 8, 0, 3, 1, 28),
                Layer(LayerKind::kConv, "stage1.conv1", 8, 8, 0, 3, 1, 28, true),
                Layer(LayerKind::kConv, "stage2.down", 8, 16, 0, 3, 2, 28),
                Layer(LayerKind::kConv, "stage2.conv1", 16, 16, 0, 3, 1, 14, true),
                Layer(LayerKind::kLogits, "classifier", 16, 10, 0, 1, 1, 14)};
  return net;
}

// Mixed precision as HAQ writes it: w8a8, w4a6, w32a32 and other mixes per operator.
NetSpec HaqNet() {
  NetSpec net = FloatNet();
  net.name = "haq-mixed";
  // stem; expand, depthwise, project; expand, depthwise, project; depthwise, project; logits
  return ApplyBitPolicy(net,
                        ParseBitPolicy("w8a8  w4a6 w8a8 w32a32  w4a6 w8a8 w6a4  w8a8 w2a5  w4a6"));
}

// Non-trivial batch-norm statistics (fresh ones are the identity) and calibrated quantizers.
supernet::Network TrainedLike(const NetSpec& spec, const torch::Tensor& normalized) {
  torch::manual_seed(7);
  supernet::Network net(spec);
  torch::NoGradGuard no_grad;
  for (auto& item : net->named_buffers()) {
    if (item.key().find("running_mean") != std::string::npos) item.value().normal_(0, 0.2);
    if (item.key().find("running_var") != std::string::npos) item.value().uniform_(0.5, 2.0);
  }
  for (auto& item : net->named_parameters()) {
    if (item.key().find("bn.weight") != std::string::npos) item.value().uniform_(0.7, 1.3);
    if (item.key().find("bn.bias") != std::string::npos) item.value().normal_(0, 0.1);
  }
  supernet::CalibrateActivations(net, normalized, [](const torch::Tensor& values, int) {
    return values.max().item<double>() * 0.8;  // clips some values, as a real threshold does
  });
  net->eval();
  return net;
}

float MaxAbsDiff(const std::vector<float>& a, const torch::Tensor& b) {
  const torch::Tensor t = torch::tensor(a).reshape(b.sizes());
  return (t - b).abs().max().item<float>();
}

void WriteFloats(const std::string& path, const float* data, int64_t count) {
  WriteFileAtomically(path,
                      std::string(reinterpret_cast<const char*>(data), count * sizeof(float)));
}

// A python3 that has PyTorch (Debian's python3-torch lives in /usr/bin's python).
std::string PythonWithTorch() {
  for (const char* candidate : {"/usr/bin/python3", "/usr/local/bin/python3"})
    if (std::filesystem::exists(candidate) &&
        testing::RunProgram(candidate, {"-c", "import torch, cv2, onnx, numpy"}).exit_code == 0)
      return candidate;
  return "";
}

class ExportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    try {
      data_ = LoadFashionMnist("", DataPart::kTest);
    } catch (const DataError& e) {
      GTEST_SKIP() << "Fashion-MNIST not installed (" << kFashionMnistPackage << "): " << e.what();
    }
    dir_ = testing::MakeTempDir("deploy");
    pixels_.resize(kImages * data_.image_bytes());
    for (size_t i = 0; i < pixels_.size(); ++i) pixels_[i] = data_.pixels[i] / 255.0f;  // C = 1
    images_ = torch::tensor(pixels_).reshape({kImages, 1, data_.height, data_.width});
    const auto stat = [](const std::vector<float>& v) {
      return torch::tensor(v).reshape({1, -1, 1, 1});
    };
    normalized_ = (images_ - stat(data_.mean)) / stat(data_.stddev);
    record_ = DescribeData(DataSplits{data_, {}, {}}, DataOptions{});
    WriteFloats(dir_ + "/images.f32", pixels_.data(), static_cast<int64_t>(pixels_.size()));
  }

  // Saves weights for `spec`, exports both formats and returns LibTorch's logits.
  torch::Tensor ExportBoth(const NetSpec& spec) {
    supernet::Network net = TrainedLike(spec, normalized_);
    torch::save(net, dir_ + "/" + spec.name + ".pt");
    const ExportInput input{spec, dir_ + "/" + spec.name + ".pt", record_, "test " + spec.name};
    ExportNetwork(input, ExportFormat::kOnnx, Path(spec, ExportFormat::kOnnx));
    ExportNetwork(input, ExportFormat::kTorchScript, Path(spec, ExportFormat::kTorchScript));
    torch::NoGradGuard no_grad;
    const torch::Tensor logits = net->forward(normalized_).contiguous();
    WriteFloats(dir_ + "/" + spec.name + ".ref.f32", logits.data_ptr<float>(), logits.numel());
    return logits;
  }

  std::string Path(const NetSpec& spec, ExportFormat format) const {
    return dir_ + "/" + spec.name + (format == ExportFormat::kOnnx ? ".onnx" : ".torchscript.pt");
  }

  // Runs check_exported.py MODE MODEL and returns the max |diff| it printed.
  double PythonCheck(const std::string& mode, const NetSpec& spec, ExportFormat format,
                     double tol) {
    const auto result = testing::RunProgram(
        python_, {std::string(HWNAS_SOURCE_DIR) + "/tests/deploy/check_exported.py", mode,
                  Path(spec, format), dir_ + "/images.f32", dir_ + "/" + spec.name + ".ref.f32",
                  std::to_string(kImages), std::to_string(tol)});
    EXPECT_EQ(result.exit_code, 0) << result.out << result.err;
    std::smatch m;
    const bool found = std::regex_search(result.out, m, std::regex("max_abs_diff ([0-9.e+-]+)"));
    return found ? std::stod(m[1]) : 1e9;
  }

  void CheckMetadata(const ExportedModel& model, const NetSpec& spec) {
    EXPECT_EQ(model.data().class_names, data_.class_names);
    EXPECT_EQ(model.data().mean, data_.mean);
    EXPECT_EQ(model.data().stddev, data_.stddev);
    EXPECT_EQ(model.data().height, 28);
    EXPECT_EQ(model.metadata().arch, ArchString(spec));
    EXPECT_EQ(model.metadata().source, "test " + spec.name);
    ASSERT_EQ(model.metadata().operator_bits.size(), QuantOpCount(spec));
    EXPECT_EQ(model.metadata().operator_bits.front().bits, BitPolicyOf(spec).front());
  }

  Dataset data_;
  DatasetRecord record_;  // what a run stores about its data
  std::string dir_;
  std::vector<float> pixels_;
  torch::Tensor images_, normalized_;
  std::string python_ = PythonWithTorch();
};

TEST_F(ExportTest, FloatNetworkMatchesInOpenCvAndTorchScript) {
  for (const NetSpec& spec : {FloatNet(), PrunedNet(), ResidualConvNet()}) {
    SCOPED_TRACE(spec.name);
    const torch::Tensor expected = ExportBoth(spec);
    for (ExportFormat format : {ExportFormat::kOnnx, ExportFormat::kTorchScript}) {
      const ExportedModel model = ExportedModel::Load(Path(spec, format));
      EXPECT_EQ(model.format(), format);
      CheckMetadata(model, spec);
      const float diff = MaxAbsDiff(model.Run(pixels_, kImages), expected);
      std::cout << spec.name << " " << ExportFormatName(format) << " max |diff| " << diff << "\n";
      EXPECT_LE(diff, kFloatTolerance);
    }
    if (python_.empty()) continue;
    std::cout << spec.name << " torch.jit.load max |diff| "
              << PythonCheck("torchscript", spec, ExportFormat::kTorchScript, kFloatTolerance)
              << "\n";
    std::cout << spec.name << " numpy onnx max |diff| "
              << PythonCheck("onnx", spec, ExportFormat::kOnnx, kFloatTolerance) << "\n";
  }
}

// OpenCV 4.6 cannot run the quantized graph (QuantizeLinear / DequantizeLinear on float tensors,
// Clip with bound inputs): the ONNX file is checked by the NumPy evaluator instead. Tolerance:
// the TorchScript module calls LibTorch's own kernels (measured: 0). In the ONNX graph the 8-bit
// QuantizeLinear divides by the scale where LibTorch multiplies by its reciprocal, and ReLU6 is
// rounded once (docs/export.md), so a value on a rounding boundary may land one grid step away;
// measured 1.2e-7 (no such flip on these images). 1e-3 leaves room for a few flips while a wrong
// scale, sign or zero point (>= 1e-2; the float network's logits differ by 0.06) still fails.
constexpr double kQuantizedOnnxTolerance = 1e-3;
TEST_F(ExportTest, HaqNetworkMatchesWithWeightsOnTheirGrid) {
  const NetSpec spec = HaqNet();
  const torch::Tensor expected = ExportBoth(spec);
  const ExportedModel script = ExportedModel::Load(Path(spec, ExportFormat::kTorchScript));
  CheckMetadata(script, spec);
  const float diff = MaxAbsDiff(script.Run(pixels_, kImages), expected);
  std::cout << "haq torchscript max |diff| " << diff << "\n";
  EXPECT_LE(diff, 1e-5);
  try {
    ExportedModel::Load(Path(spec, ExportFormat::kOnnx));
    ADD_FAILURE() << "OpenCV was expected to refuse the quantized graph";
  } catch (const DataError& e) {
    EXPECT_THAT(e.what(), ::testing::HasSubstr("a quantized ONNX model (operator "));
    EXPECT_THAT(e.what(), ::testing::HasSubstr("use the TorchScript export"));
  }
  if (python_.empty()) GTEST_SKIP() << "python3 with torch, cv2, onnx and numpy not installed";
  std::cout << "haq torch.jit.load max |diff| "
            << PythonCheck("torchscript", spec, ExportFormat::kTorchScript, 1e-5) << "\n";
  std::cout << "haq numpy onnx max |diff| "
            << PythonCheck("onnx", spec, ExportFormat::kOnnx, kQuantizedOnnxTolerance) << "\n";
}

// The two snippets of docs/export.md, run as written on an exported file and a PGM image.
TEST_F(ExportTest, DocsSnippetsPrintTheTopClass) {
  if (python_.empty()) GTEST_SKIP() << "python3 with torch, cv2, onnx and numpy not installed";
  const NetSpec spec = FloatNet();
  const torch::Tensor expected = ExportBoth(spec);
  const std::string image = dir_ + "/image0.pgm";
  WriteFileAtomically(image,
                      "P5\n28 28\n255\n" + std::string(data_.image(0), data_.image(0) + 784));
  const std::string top = data_.class_names[expected[0].argmax().item<int64_t>()];
  const std::string docs = testing::ReadFile(std::string(HWNAS_SOURCE_DIR) + "/docs/export.md");
  const std::regex block("```python\n([^`]*)```");
  int snippets = 0;
  for (std::sregex_iterator it(docs.begin(), docs.end(), block), end; it != end; ++it) {
    const std::string script = dir_ + "/snippet" + std::to_string(snippets++) + ".py";
    WriteFileAtomically(script, (*it)[1].str());
    const bool onnx = (*it)[1].str().find("readNetFromONNX") != std::string::npos;
    const auto result = testing::RunProgram(
        python_,
        {script, Path(spec, onnx ? ExportFormat::kOnnx : ExportFormat::kTorchScript), image});
    EXPECT_EQ(result.exit_code, 0) << result.err;
    EXPECT_EQ(result.out, top + "\n") << script;
  }
  EXPECT_EQ(snippets, 2);
}

TEST_F(ExportTest, UnwritablePathFailsAndLeavesNothing) {
  const NetSpec spec = PrunedNet();
  torch::save(TrainedLike(spec, normalized_), dir_ + "/w.pt");
  const ExportInput input{spec, dir_ + "/w.pt", record_, ""};
  WriteFileAtomically(dir_ + "/a-file", "x");
  for (const std::string& out : {dir_ + "/missing/dir/m.onnx", dir_ + "/a-file/m.onnx"}) {
    for (ExportFormat format : {ExportFormat::kOnnx, ExportFormat::kTorchScript})
      EXPECT_THROW(ExportNetwork(input, format, out), IoError) << out;
    EXPECT_FALSE(std::filesystem::exists(out));
  }
  EXPECT_THROW(ExportedModel::Load(dir_ + "/missing.onnx"), IoError);
  EXPECT_THROW(ExportedModel::Load(dir_ + "/w.pt"), DataError);  // weights, not an export
}

TEST_F(ExportTest, WeightsOfAnotherNetworkAreADataError) {
  torch::save(TrainedLike(FloatNet(), normalized_), dir_ + "/float.pt");
  const ExportInput input{PrunedNet(), dir_ + "/float.pt", record_, ""};
  const std::string out = dir_ + "/m.onnx";
  try {
    ExportNetwork(input, ExportFormat::kOnnx, out);
    FAIL() << "expected DataError";
  } catch (const DataError& e) {
    EXPECT_THAT(e.what(), ::testing::HasSubstr("does not hold weights for network"));
    EXPECT_THAT(e.what(), ::testing::HasSubstr("in the file, the NetSpec needs"));
  }
  EXPECT_FALSE(std::filesystem::exists(out));
  ExportInput wrong_classes{FloatNet(), dir_ + "/float.pt", record_, ""};
  wrong_classes.data.class_names.pop_back();
  EXPECT_THROW(ExportNetwork(wrong_classes, ExportFormat::kTorchScript, out), DataError);
  EXPECT_THROW(ParseExportFormat("tflite"), UsageError);
}

}  // namespace
}  // namespace hwnas::deploy
