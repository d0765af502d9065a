#include "deploy/torchscript_writer.h"

#include <torch/csrc/jit/api/module.h>
#include <torch/types.h>

#include <cstdio>
#include <sstream>

namespace hwnas::deploy {
namespace {

// A double as a TorchScript float literal that parses back to the same value.
std::string FloatLiteral(double value) {
  char text[40];
  std::snprintf(text, sizeof(text), "%.17g", value);
  std::string literal = text;
  if (literal.find_first_of(".en") == std::string::npos) literal += ".0";
  return literal;
}

// Builds the forward source line by line and registers each tensor it reads as a buffer.
class ForwardBuilder {
 public:
  explicit ForwardBuilder(torch::jit::Module& module) : module_(module) {}

  void Line(const std::string& code) { source_ << "    " << code << "\n"; }

  // Registers `tensor` under a name unique to (layer, op, what) and returns "self.<name>".
  std::string Buffer(size_t layer, const std::string& op, const std::string& what,
                     const torch::Tensor& tensor) {
    const std::string name = "l" + std::to_string(layer) + "_" + op + "_" + what;
    module_.register_buffer(name, tensor.detach().clone().contiguous());
    return "self." + name;
  }

  // The same call supernet::FakeQuantActivation makes (scale as a double, zero point 0).
  void Quantizer(const LoweredOp& op) {
    if (op.bits.activation >= 32) return;
    const int64_t levels = op.levels();
    Line("x = torch.fake_quantize_per_tensor_affine(x, " +
         FloatLiteral(op.clip / static_cast<double>(levels)) + ", 0, " +
         std::to_string(op.is_signed ? -levels : 0) + ", " + std::to_string(levels) + ")");
  }

  void Conv(size_t layer, const std::string& op_name, const LoweredOp& op) {
    Quantizer(op);
    const std::string s = std::to_string(op.stride), p = std::to_string(op.padding);
    const std::string tail = ", [" + s + ", " + s + "], [" + p + ", " + p + "], [1, 1], " +
                             std::to_string(op.groups) + ")";
    if (op.folds_batch_norm()) {
      const torch::Tensor weight = op.folded_weight().to(torch::kFloat);
      Line("x = torch.conv2d(x, " + Buffer(layer, op_name, "weight", weight) + ", " +
           Buffer(layer, op_name, "bias", op.bn_shift().to(torch::kFloat)) + tail);
    } else {
      Line("x = torch.conv2d(x, " + Buffer(layer, op_name, "weight", op.weight) + ", None" + tail);
      Line("x = torch.batch_norm(x, " + Buffer(layer, op_name, "bn_gamma", op.bn_gamma) + ", " +
           Buffer(layer, op_name, "bn_beta", op.bn_beta) + ", " +
           Buffer(layer, op_name, "bn_mean", op.bn_mean) + ", " +
           Buffer(layer, op_name, "bn_var", op.bn_var) + ", False, 0.1, " +
           FloatLiteral(op.bn_eps) + ", False)");
    }
    if (op.relu6) Line("x = torch.hardtanh(x, 0.0, 6.0)");
  }

  void Logits(size_t layer, const LoweredOp& op) {
    Line("x = x.mean([2, 3])");
    Quantizer(op);
    Line("x = torch.linear(x, " + Buffer(layer, "logits", "weight", op.weight) + ", " +
         Buffer(layer, "logits", "bias", op.bias) + ")");
  }

  std::string Source() const {
    return "def forward(self, x):\n" + source_.str() + "    return x\n";
  }

 private:
  torch::jit::Module& module_;
  std::ostringstream source_;
};

void AddLayer(ForwardBuilder& forward, size_t index, const LoweredLayer& layer) {
  forward.Line("# " + layer.name);
  if (layer.kind == LayerKind::kLogits) return forward.Logits(index, layer.ops.front());
  if (layer.skip) forward.Line("shortcut = x");
  for (const LoweredOp& op : layer.ops)
    forward.Conv(index, op.name.substr(layer.name.size() + 1), op);
  if (layer.skip) forward.Line("x = x + shortcut");
}

}  // namespace

std::string TorchScriptBytes(const std::vector<LoweredLayer>& layers,
                             const ExportMetadata& metadata) {
  torch::jit::Module module("hwnas.ExportedNetwork");
  const int64_t channels = static_cast<int64_t>(metadata.data.mean.size());
  auto stat = [&](const std::vector<float>& values) {
    return torch::tensor(values, torch::kFloat).reshape({1, channels, 1, 1});
  };
  module.register_buffer("input_mean", stat(metadata.data.mean));
  module.register_buffer("input_stddev", stat(metadata.data.stddev));
  module.register_attribute("class_names", c10::ListType::ofStrings(),
                            c10::List<std::string>(metadata.data.class_names));
  ForwardBuilder forward(module);
  forward.Line("x = (x - self.input_mean) / self.input_stddev");
  for (size_t i = 0; i < layers.size(); ++i) AddLayer(forward, i, layers[i]);
  module.define(forward.Source());
  module.eval();
  std::ostringstream bytes;
  module.save(bytes, {{kTorchScriptMetadataFile, MetadataToJson(metadata)}});
  return bytes.str();
}

}  // namespace hwnas::deploy
