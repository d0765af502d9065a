#include "deploy/onnx_writer.h"

#include <onnx/checker.h>
#include <onnx/onnx_pb.h>
#include <onnx/shape_inference/implementation.h>
#include <torch/types.h>

#include <cmath>

#include "core/errors.h"

namespace hwnas::deploy {
namespace {

// Appends nodes and initializers to one graph; every value gets a unique, readable name.
class GraphBuilder {
 public:
  explicit GraphBuilder(onnx::GraphProto& graph) : graph_(graph) {}

  std::string Node(const std::string& op_type, const std::vector<std::string>& inputs,
                   const std::string& name, onnx::NodeProto** node_out = nullptr) {
    onnx::NodeProto* node = graph_.add_node();
    node->set_op_type(op_type);
    node->set_name(name);
    for (const std::string& input : inputs) node->add_input(input);
    node->add_output(name);
    if (node_out != nullptr) *node_out = node;
    return name;
  }

  // A float initializer with the tensor's shape (or `shape` when given).
  std::string Floats(const std::string& name, const torch::Tensor& tensor,
                     std::vector<int64_t> shape = {}) {
    const torch::Tensor t = tensor.detach().to(torch::kFloat).contiguous();
    onnx::TensorProto* init =
        Initializer(name, onnx::TensorProto::FLOAT, shape.empty() ? t.sizes().vec() : shape);
    init->mutable_raw_data()->assign(static_cast<const char*>(t.data_ptr()), t.nbytes());
    return name;
  }

  std::string Scalar(const std::string& name, float value) {
    return Floats(name, torch::tensor(value), std::vector<int64_t>{});
  }

  // An integer initializer of `type` (INT8 / UINT8) from values already in its range.
  std::string Ints(const std::string& name, const torch::Tensor& values, int type,
                   const std::vector<int64_t>& shape) {
    const auto dtype = type == onnx::TensorProto::INT8 ? torch::kInt8 : torch::kUInt8;
    const torch::Tensor t = values.to(dtype).contiguous();
    onnx::TensorProto* init = Initializer(name, type, shape);
    init->mutable_raw_data()->assign(static_cast<const char*>(t.data_ptr()), t.nbytes());
    return name;
  }

 private:
  onnx::TensorProto* Initializer(const std::string& name, int type,
                                 const std::vector<int64_t>& shape) {
    onnx::TensorProto* init = graph_.add_initializer();
    init->set_name(name);
    init->set_data_type(type);
    for (int64_t d : shape) init->add_dims(d);
    return init;
  }

  onnx::GraphProto& graph_;
};

void SetInts(onnx::NodeProto* node, const std::string& name, const std::vector<int64_t>& values) {
  onnx::AttributeProto* a = node->add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::INTS);
  for (int64_t v : values) a->add_ints(v);
}

void SetInt(onnx::NodeProto* node, const std::string& name, int64_t value) {
  onnx::AttributeProto* a = node->add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::INT);
  a->set_i(value);
}

// min(max(x, 0), 6) as 6 - Relu(6 - Relu(x)): OpenCV 4.6's DNN reads Clip only in its opset-6
// form (bounds as attributes) and Min / Max only between two computed tensors, so the opset-13
// Clip would not load there. Exact except for x in (0, 3), where 6 - x rounds (by < 2.4e-7).
std::string Relu6(GraphBuilder& g, const std::string& x, const std::string& name) {
  const std::string six = "relu6.max";
  const std::string r = g.Node("Relu", {x}, name + "/relu");
  const std::string m =
      g.Node("Relu", {g.Node("Sub", {six, r}, name + "/relu6_a")}, name + "/relu6_b");
  return g.Node("Sub", {six, m}, name + "/relu6");
}

// The operator's input quantizer, computing what supernet::FakeQuantActivation computes.
std::string Quantize(GraphBuilder& g, const std::string& x, const LoweredOp& op) {
  if (op.bits.activation >= 32) return x;
  const std::string n = op.name + "/act";
  const int64_t levels = op.levels();
  const float scale = static_cast<float>(op.clip / static_cast<double>(levels));
  const std::string s = g.Scalar(n + ".scale", scale);
  if (op.bits.activation == 8) {
    std::string in = x;
    if (op.is_signed)  // int8 saturates at -128; the grid stops at -127 (= -clip)
      in =
          g.Node("Clip", {x, g.Scalar(n + ".min", -127 * scale), g.Scalar(n + ".max", 127 * scale)},
                 n + "/clip");
    const int type = op.is_signed ? onnx::TensorProto::INT8 : onnx::TensorProto::UINT8;
    const std::string zero = g.Ints(n + ".zero_point", torch::zeros({}), type, {});
    return g.Node("DequantizeLinear", {g.Node("QuantizeLinear", {in, s, zero}, n + "/q"), s, zero},
                  n + "/dq");
  }
  // LibTorch's fake-quantize kernel multiplies by the float reciprocal of the float scale, rounds
  // half to even and clamps to the levels; the same steps here give the same grid point.
  const std::string inv = g.Scalar(n + ".inv_scale", 1.0f / scale);
  const std::string q = g.Node("Round", {g.Node("Mul", {x, inv}, n + "/scaled")}, n + "/round");
  const std::string lo = g.Scalar(n + ".qmin", op.is_signed ? -static_cast<float>(levels) : 0.f);
  const std::string hi = g.Scalar(n + ".qmax", static_cast<float>(levels));
  return g.Node("Mul", {g.Node("Clip", {q, lo, hi}, n + "/levels"), s}, n + "/fq");
}

// The weights as an ONNX value: int8 + per-output-channel DequantizeLinear at 8 bits, the
// on-grid floats below, the float weights (with batch norm folded in, if `fold`) at 32.
std::string Weights(GraphBuilder& g, const LoweredOp& op, bool fold) {
  const std::string n = op.name + ".weight";
  if (op.bits.weight != 8) return g.Floats(n, fold ? op.folded_weight() : op.weight);
  std::vector<int64_t> shape(op.weight.dim(), 1);
  shape[0] = op.weight.size(0);
  const torch::Tensor q = torch::round(op.weight / op.weight_scale.reshape(shape));
  const std::string zero =
      g.Ints(n + ".zero_point", torch::zeros({shape[0]}), onnx::TensorProto::INT8, {shape[0]});
  onnx::NodeProto* node = nullptr;
  const std::string w =
      g.Node("DequantizeLinear",
             {g.Ints(n + ".int8", q, onnx::TensorProto::INT8, op.weight.sizes().vec()),
              g.Floats(n + ".scale", op.weight_scale), zero},
             n, &node);
  SetInt(node, "axis", 0);
  return w;
}

std::string Conv(GraphBuilder& g, std::string x, const LoweredOp& op) {
  x = Quantize(g, x, op);
  const bool fold = op.folds_batch_norm();
  std::vector<std::string> inputs = {x, Weights(g, op, fold)};
  if (fold) inputs.push_back(g.Floats(op.name + ".bias", op.bn_shift()));
  onnx::NodeProto* node = nullptr;
  x = g.Node("Conv", inputs, op.name + "/conv", &node);
  const int64_t k = op.weight.size(2), s = op.stride, p = op.padding;
  SetInts(node, "kernel_shape", {k, k});
  SetInts(node, "strides", {s, s});
  SetInts(node, "pads", {p, p, p, p});
  SetInt(node, "group", op.groups);
  if (!fold) {
    const int64_t c = op.weight.size(0);
    x = g.Node("Mul", {x, g.Floats(op.name + ".bn_scale", op.bn_scale(), {1, c, 1, 1})},
               op.name + "/bn_mul");
    x = g.Node("Add", {x, g.Floats(op.name + ".bn_shift", op.bn_shift(), {1, c, 1, 1})},
               op.name + "/bn");
  }
  return op.relu6 ? Relu6(g, x, op.name) : x;
}

std::string Logits(GraphBuilder& g, std::string x, const LoweredOp& op) {
  x = g.Node("GlobalAveragePool", {x}, op.name + "/pool");
  onnx::NodeProto* node = nullptr;
  x = g.Node("Flatten", {x}, op.name + "/flatten", &node);
  SetInt(node, "axis", 1);
  x = Quantize(g, x, op);
  x = g.Node("Gemm", {x, Weights(g, op, /*fold=*/false), g.Floats(op.name + ".bias", op.bias)},
             kOnnxOutputName, &node);
  SetInt(node, "transB", 1);
  return x;
}

void SetValueInfo(onnx::ValueInfoProto* info, const std::string& name,
                  const std::vector<int64_t>& dims) {
  info->set_name(name);
  auto* tensor = info->mutable_type()->mutable_tensor_type();
  tensor->set_elem_type(onnx::TensorProto::FLOAT);
  tensor->mutable_shape()->add_dim()->set_dim_param("N");
  for (int64_t d : dims) tensor->mutable_shape()->add_dim()->set_dim_value(d);
}

void BuildGraph(onnx::GraphProto& graph, const std::vector<LoweredLayer>& layers,
                const DatasetRecord& data) {
  GraphBuilder g(graph);
  const int64_t c = data.channels;
  g.Scalar("relu6.max", 6.0f);
  std::string x = g.Node(
      "Sub", {kOnnxInputName, g.Floats("input.mean", torch::tensor(data.mean), {1, c, 1, 1})},
      "input/centered");
  x = g.Node("Div", {x, g.Floats("input.stddev", torch::tensor(data.stddev), {1, c, 1, 1})},
             "input/normalized");
  for (const LoweredLayer& layer : layers) {
    if (layer.kind == LayerKind::kLogits) {
      x = Logits(g, x, layer.ops.front());
      continue;
    }
    const std::string shortcut = x;
    for (const LoweredOp& op : layer.ops) x = Conv(g, x, op);
    if (layer.skip) x = g.Node("Add", {x, shortcut}, layer.name + "/add");
  }
  SetValueInfo(graph.add_input(), kOnnxInputName, {c, data.height, data.width});
  SetValueInfo(graph.add_output(), kOnnxOutputName,
               {static_cast<int64_t>(data.class_names.size())});
}

}  // namespace

std::string OnnxModelBytes(const std::vector<LoweredLayer>& layers,
                           const ExportMetadata& metadata) {
  onnx::ModelProto model;
  model.set_ir_version(onnx::IR_VERSION);
  model.set_producer_name("hwnas");
  model.set_producer_version(metadata.hwnas_version);
  model.set_doc_string(InputDescription(metadata.data));
  onnx::OperatorSetIdProto* opset = model.add_opset_import();
  opset->set_domain("");
  opset->set_version(kOnnxOpset);
  for (const auto& [key, value] : MetadataEntries(metadata)) {
    onnx::StringStringEntryProto* entry = model.add_metadata_props();
    entry->set_key(kMetadataPrefix + key);
    entry->set_value(value);
  }
  onnx::GraphProto* graph = model.mutable_graph();
  graph->set_name(metadata.arch.empty() ? "hwnas" : metadata.arch);
  BuildGraph(*graph, layers, metadata.data);
  try {
    onnx::checker::check_model(model);
    onnx::shape_inference::InferShapes(model, onnx::OpSchemaRegistry::Instance(),
                                       onnx::ShapeInferenceOptions(true, 1));
  } catch (const std::exception& e) {
    throw DataError(std::string("the ONNX graph of ") + metadata.arch +
                    " failed ONNX's checker (a bug in hwnas's exporter): " + e.what());
  }
  return model.SerializeAsString();
}

}  // namespace hwnas::deploy
