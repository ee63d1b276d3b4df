#include "io/onnx_importer.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <array>
#include <optional>
#include <string_view>

#include "core/error.h"
#include "io/onnx_importer_state.h"
#include "io/onnx_reader.h"
#include "io/onnx_shape_arithmetic.h"
#include "ir/infer_types.h"

namespace bnnc {

namespace onnx_import {

namespace {

// The op sets bnnc reads: standard ONNX, and the QONNX/FINN custom ops under any of their names.
enum class Domain { Standard, Qonnx };

std::optional<Domain> domain_of(const std::string& domain) {
  if (domain.empty() || domain == "ai.onnx") return Domain::Standard;
  if (domain == "onnx.brevitas" || domain == "qonnx.custom_op.general" ||
      domain == "finn.custom_op.general" || domain == "finn") {
    return Domain::Qonnx;
  }
  return std::nullopt;
}

struct OpHandler {
  Domain domain;
  std::string_view op;
  void (Importer::*import)(const onnx::NodeProto&);
};

constexpr std::array kHandlers{
    OpHandler{Domain::Standard, "Constant", &Importer::import_constant},
    OpHandler{Domain::Standard, "Identity", &Importer::import_identity},
    OpHandler{Domain::Standard, "Shape", &Importer::import_shape},
    OpHandler{Domain::Standard, "Gather", &Importer::import_gather},
    OpHandler{Domain::Standard, "Concat", &Importer::import_concat},
    OpHandler{Domain::Standard, "Cast", &Importer::import_cast},
    OpHandler{Domain::Standard, "ConstantOfShape", &Importer::import_constant_of_shape},
    OpHandler{Domain::Standard, "Slice", &Importer::import_slice},
    OpHandler{Domain::Standard, "Unsqueeze", &Importer::import_squeeze},
    OpHandler{Domain::Standard, "Squeeze", &Importer::import_squeeze},
    OpHandler{Domain::Standard, "Reshape", &Importer::import_reshape},
    OpHandler{Domain::Standard, "Flatten", &Importer::import_reshape},
    OpHandler{Domain::Standard, "Transpose", &Importer::import_transpose},
    OpHandler{Domain::Standard, "Add", &Importer::import_arithmetic},
    OpHandler{Domain::Standard, "Sub", &Importer::import_arithmetic},
    OpHandler{Domain::Standard, "Mul", &Importer::import_arithmetic},
    OpHandler{Domain::Standard, "Div", &Importer::import_arithmetic},
    OpHandler{Domain::Standard, "Pow", &Importer::import_arithmetic},
    OpHandler{Domain::Standard, "Sqrt", &Importer::import_sqrt},
    OpHandler{Domain::Standard, "Sign", &Importer::import_sign},
    OpHandler{Domain::Qonnx, "BipolarQuant", &Importer::import_sign},
    OpHandler{Domain::Standard, "GreaterOrEqual", &Importer::import_comparison},
    OpHandler{Domain::Standard, "Greater", &Importer::import_comparison},
    OpHandler{Domain::Standard, "LessOrEqual", &Importer::import_comparison},
    OpHandler{Domain::Standard, "Less", &Importer::import_comparison},
    OpHandler{Domain::Standard, "Where", &Importer::import_where},
    OpHandler{Domain::Qonnx, "Quant", &Importer::import_quant},
    OpHandler{Domain::Qonnx, "MultiThreshold", &Importer::import_multithreshold},
    OpHandler{Domain::Standard, "MatMul", &Importer::import_matmul},
    OpHandler{Domain::Standard, "Gemm", &Importer::import_gemm},
    OpHandler{Domain::Standard, "Conv", &Importer::import_conv},
    OpHandler{Domain::Standard, "Pad", &Importer::import_pad},
    OpHandler{Domain::Standard, "MaxPool", &Importer::import_maxpool},
    OpHandler{Domain::Standard, "BatchNormalization", &Importer::import_batchnorm},
    OpHandler{Domain::Standard, "GlobalAveragePool", &Importer::import_global_average},
    OpHandler{Domain::Standard, "ReduceMean", &Importer::import_global_average},
    OpHandler{Domain::Standard, "TopK", &Importer::import_topk},
};

// The ops the "unknown op" message promises; each must have a handler.
constexpr std::array<std::string_view, 25> kAdvertisedOps{"BipolarQuant",
                                                          "MultiThreshold",
                                                          "MatMul",
                                                          "Gemm",
                                                          "Conv",
                                                          "Pad",
                                                          "BatchNormalization",
                                                          "Add",
                                                          "Sub",
                                                          "Mul",
                                                          "Div",
                                                          "Sign",
                                                          "GreaterOrEqual",
                                                          "Greater",
                                                          "LessOrEqual",
                                                          "Less",
                                                          "Where",
                                                          "MaxPool",
                                                          "GlobalAveragePool",
                                                          "ReduceMean",
                                                          "Reshape",
                                                          "Flatten",
                                                          "Transpose",
                                                          "TopK",
                                                          "Identity"};

constexpr bool has_handler(std::string_view op) {
  for (const OpHandler& h : kHandlers) {
    if (h.op == op) return true;
  }
  return false;
}

// The table fails to compile when a (domain, op) has two handlers or an advertised op none.
constexpr bool table_is_sound() {
  for (std::size_t i = 0; i < kHandlers.size(); ++i) {
    for (std::size_t j = i + 1; j < kHandlers.size(); ++j) {
      if (kHandlers[i].domain == kHandlers[j].domain && kHandlers[i].op == kHandlers[j].op) {
        return false;
      }
    }
  }
  for (std::string_view op : kAdvertisedOps) {
    if (!has_handler(op)) return false;
  }
  return true;
}
static_assert(table_is_sound());

}  // namespace

Graph Importer::run() {
  const onnx::GraphProto& g = model_.graph();
  graph_.name = g.name().empty() ? "onnx" : g.name();
  for (const onnx::TensorProto& tensor : g.initializer()) {
    Value v;
    v.is_constant = true;
    v.constant =
        decode_onnx_tensor(tensor, fmt::format("{}: initializer '{}'", where_, tensor.name()));
    values_[tensor.name()] = std::move(v);
  }
  add_input();
  for (const onnx::NodeProto& node : g.node()) import_node(node);
  if (g.output_size() < 1) fail("{}: the graph has no output", where_);
  const Value& out = lookup(g.output(0).name(), nullptr);
  if (!out.is_label) {
    if (out.is_constant || squeezed(out.dims).size() > 1) {
      fail("{}: graph output '{}' must be a vector of class scores or a TopK index", where_,
           g.output(0).name());
    }
    graph_.add("label", LabelSelectAttrs{}, {materialize(out)});
  }
  infer_types(graph_);
  return graph_;
}

void Importer::import_node(const onnx::NodeProto& node) {
  const std::optional<Domain> domain = domain_of(node.domain());
  for (const OpHandler& h : kHandlers) {
    if (domain == h.domain && node.op_type() == h.op) return (this->*h.import)(node);
  }
  reject_unknown_op(node);
}

void Importer::reject_unknown_op(const onnx::NodeProto& node) {
  reject(node, "unknown op (bnnc imports {} and constant shape arithmetic)",
         fmt::join(kAdvertisedOps, ", "));
}

bool Importer::all_constant(const onnx::NodeProto& node) {
  for (const std::string& name : node.input()) {
    if (!name.empty() && !lookup(name, &node).is_constant) return false;
  }
  return true;
}

const Value& Importer::lookup(const std::string& name, const onnx::NodeProto* node) {
  const auto it = values_.find(name);
  if (it == values_.end()) {
    if (node != nullptr) reject(*node, "input '{}' is not produced by any node", name);
    fail("{}: graph output '{}' is not produced by any node", where_, name);
  }
  return it->second;
}

const Value& Importer::input(const onnx::NodeProto& node, int i) {
  if (i >= node.input_size() || node.input(i).empty()) reject(node, "input {} is missing", i);
  return lookup(node.input(i), &node);
}

const OnnxConstant& Importer::constant_input(const onnx::NodeProto& node, int i) {
  const Value& v = input(node, i);
  if (!v.is_constant) reject(node, "input {} ('{}') must be a constant", i, node.input(i));
  return v.constant;
}

const Value& Importer::runtime_input(const onnx::NodeProto& node, int i, bool padded_ok) {
  const Value& v = input(node, i);
  if (v.is_constant || v.is_label) {
    reject(node, "input {} ('{}') must be a tensor computed from the network's input", i,
           node.input(i));
  }
  if (v.comparison) {
    reject(node,
           "input {} ('{}') is a comparison, which bnnc reads only as the condition of a Where "
           "choosing between +1 and -1 (a binarizer)",
           i, node.input(i));
  }
  if (v.pad > 0 && !padded_ok) {
    reject(node,
           "input {} ('{}') is the output of a Pad, which bnnc supports only right before "
           "a Conv",
           i, node.input(i));
  }
  return v;
}

void Importer::set_output(const onnx::NodeProto& node, Value v, int i) {
  if (i >= node.output_size()) reject(node, "output {} is missing", i);
  values_[node.output(i)] = std::move(v);
}

void Importer::set_constant(const onnx::NodeProto& node, OnnxConstant c) {
  Value v;
  v.is_constant = true;
  v.constant = std::move(c);
  set_output(node, std::move(v));
}

void Importer::add_input() {
  const onnx::GraphProto& g = model_.graph();
  const onnx::ValueInfoProto* info = nullptr;
  for (const onnx::ValueInfoProto& candidate : g.input()) {
    if (values_.count(candidate.name()) == 0) {
      info = &candidate;
      break;
    }
  }
  if (info == nullptr) fail("{}: the graph has no input", where_);
  Shape dims;
  const auto& shape = info->type().tensor_type().shape();
  for (int i = 1; i < shape.dim_size(); ++i) {
    const std::int64_t d = shape.dim(i).dim_value();
    if (d <= 0 || d > kMaxDim) {
      fail("{}: input '{}' needs known positive dimensions after the batch", where_, info->name());
    }
    dims.push_back(static_cast<int>(d));
  }
  if (dims.size() != 1 && dims.size() != 3) {
    fail("{}: input '{}' must be [N,C,H,W] or [N,K], not {} dimensions", where_, info->name(),
         shape.dim_size());
  }
  const Shape bnnc_shape = dims.size() == 3 ? Shape{dims[1], dims[2], dims[0]} : dims;
  Value v;
  v.node = graph_.add("input", InputAttrs{bnnc_shape, DType::uint(8)});
  v.dims = dims;
  v.raw_input = true;
  // Raw pixels when the first op divides the input by 255 (FINN); else pixel/255 (Brevitas,
  // torchvision's ToTensor), computed as that float32 division.
  bool takes_raw = false;
  for (const onnx::NodeProto& node : g.node()) {
    if (std::find(node.input().begin(), node.input().end(), info->name()) == node.input().end())
      continue;
    if (node.op_type() == "Div" && node.input_size() == 2 && node.input(0) == info->name()) {
      const auto it = values_.find(node.input(1));
      takes_raw = it != values_.end() && it->second.constant.values.size() == 1 &&
                  it->second.constant.values[0] == 255.0;
    }
    // A Cast to an integer type: pixels used as indices (a bnnc export's quantize table).
    const std::int64_t to = onnx_int_attribute(node, "to", 0);
    if (node.op_type() == "Cast" &&
        (to == onnx::TensorProto::INT64 || to == onnx::TensorProto::INT32)) {
      takes_raw = true;
    }
    break;
  }
  if (!takes_raw) {
    v.node = graph_.add("input/255", AffineAttrs{AffineKind::Div, {255.0F}}, {v.node});
    v.raw_input = false;
  }
  values_[info->name()] = std::move(v);
}

// The bnnc node holding v in the layout its ONNX dims say (a pending flatten is done here).
int Importer::materialize(const Value& v) {
  if (v.chw.empty()) return v.node;
  return graph_.add(fmt::format("{}.flatten", graph_.nodes[v.node].name),
                    ReshapeAttrs{{v.chw[0] * v.chw[1] * v.chw[2]}}, {v.node});
}

}  // namespace onnx_import

Graph import_onnx_bytes(std::string_view bytes, const std::string& where) {
  const onnx::ModelProto model = parse_onnx_model(bytes, where);
  return onnx_import::Importer(model, where).run();
}

ImportedName split_imported_name(const std::string& name) {
  const std::size_t dot = name.rfind('.');
  if (dot == std::string::npos || dot == 0) return {name, ""};
  const std::string step = name.substr(dot + 1);
  const auto numbered = [&](std::string_view prefix) {
    return step.size() > prefix.size() && step.starts_with(prefix) &&
           std::all_of(step.begin() + static_cast<std::ptrdiff_t>(prefix.size()), step.end(),
                       [](char ch) { return ch >= '0' && ch <= '9'; });
  };
  static constexpr std::array<std::string_view, 6> kSteps = {"alpha",  "bias",  "mean",
                                                             "negate", "scale", "threshold"};
  const bool known = std::find(kSteps.begin(), kSteps.end(), step) != kSteps.end() ||
                     numbered("pixel_step") || numbered("real");
  if (!known) return {name, ""};
  return {name.substr(0, dot), step};
}

Graph import_onnx(const std::string& path) {
  const onnx::ModelProto model = read_onnx_model(path);
  return onnx_import::Importer(model, path).run();
}

}  // namespace bnnc
