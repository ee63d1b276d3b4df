// The ONNX importer's state while it walks the graph's nodes in order: every ONNX tensor seen so
// far as a Value (a constant, or the bnnc node computing it), and the bnnc graph built so far.
// One handler per ONNX op (import_<op>), picked by (domain, op type) in onnx_importer.cpp; the
// handlers live by family: onnx_import_layers.cpp (binary layers, pools, batchnorm, TopK),
// onnx_import_elementwise.cpp (affine ops, signs, quantizers) and onnx_shape_arithmetic.cpp
// (constants folded at import: Shape, Gather, Concat, Slice, Cast, Squeeze, Reshape, ...).
#pragma once

#include <fmt/format.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <onnx/onnx_pb.h>

#include "core/error.h"
#include "io/onnx_reader.h"
#include "ir/graph.h"

namespace bnnc::onnx_import {

// One ONNX tensor while importing: a constant (initializer or folded), or a bnnc node.
struct Value {
  bool is_constant = false;
  OnnxConstant constant;
  int node = -1;
  Shape dims;              // ONNX dims without the batch dim
  bool binary = false;     // ±1 values (a sign, possibly reshaped or pooled)
  bool raw_input = false;  // the network's uint8 input itself
  bool fixed = false;      // exact fixed-point values (a quantize table's output)
  // Non-empty: `dims` is the flatten of this C×H×W tensor, which bnnc still holds as H×W×C
  // (node); the flatten becomes a bnnc reshape plus a column permutation at the MatMul.
  Shape chw;
  bool is_label = false;
  // Non-zero: an ONNX Pad of `pad` pixels on every side that only a Conv may read; `dims` are the
  // padded ones, `node` the unpadded tensor, and the Conv takes the border as its own padding.
  int pad = 0;
  PadMode pad_mode = PadMode::Value;
  std::int64_t pad_value = 0;
  // Set: the boolean `node` ≥ t (or > t when strict; its negation when negated), per channel or
  // one t for all, from GreaterOrEqual/Greater/Less/LessOrEqual, which only a Where choosing
  // between +1 and −1 may read (a binarizer written as torch.where(x >= 0, 1., -1.)).
  struct Comparison {
    bool strict = false;
    bool negated = false;
    std::vector<float> t;
  };
  std::optional<Comparison> comparison;
};

class Importer {
 public:
  Importer(const onnx::ModelProto& model, std::string where)
      : model_(model), where_(std::move(where)) {}

  // The graph with inferred types, not streamlined.
  Graph run();

  // The handlers, one per ONNX op (a family of ops that differ by one step shares one).
  void import_constant(const onnx::NodeProto& node);
  void import_identity(const onnx::NodeProto& node);
  void import_shape(const onnx::NodeProto& node);
  void import_gather(const onnx::NodeProto& node);
  void import_concat(const onnx::NodeProto& node);
  void import_cast(const onnx::NodeProto& node);
  void import_constant_of_shape(const onnx::NodeProto& node);
  void import_slice(const onnx::NodeProto& node);
  void import_squeeze(const onnx::NodeProto& node);  // Squeeze and Unsqueeze
  void import_reshape(const onnx::NodeProto& node);  // Reshape and Flatten
  void import_transpose(const onnx::NodeProto& node);
  void import_sqrt(const onnx::NodeProto& node);
  void import_arithmetic(const onnx::NodeProto& node);  // Add, Sub, Mul, Div, Pow
  void import_sign(const onnx::NodeProto& node);        // Sign and BipolarQuant
  void import_comparison(const onnx::NodeProto& node);  // GreaterOrEqual, Greater, Less, ...
  void import_where(const onnx::NodeProto& node);
  void import_quant(const onnx::NodeProto& node);
  void import_multithreshold(const onnx::NodeProto& node);
  void import_matmul(const onnx::NodeProto& node);
  void import_gemm(const onnx::NodeProto& node);
  void import_conv(const onnx::NodeProto& node);
  void import_pad(const onnx::NodeProto& node);
  void import_maxpool(const onnx::NodeProto& node);
  void import_batchnorm(const onnx::NodeProto& node);
  // GlobalAveragePool, and ReduceMean over H and W: bnnc's globalsumpool, then ÷ H·W.
  void import_global_average(const onnx::NodeProto& node);
  void import_topk(const onnx::NodeProto& node);

 private:
  void import_node(const onnx::NodeProto& node);
  // No handler takes the node as it is (op, domain, or which of its inputs are constants).
  [[noreturn]] void reject_unknown_op(const onnx::NodeProto& node);
  bool all_constant(const onnx::NodeProto& node);

  template <typename... Args>
  [[noreturn]] void reject(const onnx::NodeProto& node, fmt::format_string<Args...> format,
                           Args&&... args) {
    fail("{}: node '{}' ({}{}): {}", where_, node_name(node), node.op_type(),
         node.domain().empty() ? "" : ", domain " + node.domain(),
         fmt::format(format, std::forward<Args>(args)...));
  }

  static std::string node_name(const onnx::NodeProto& node) {
    if (!node.name().empty()) return node.name();
    return node.output_size() > 0 ? node.output(0) : node.op_type();
  }

  const Value& lookup(const std::string& name, const onnx::NodeProto* node);

  const Value& input(const onnx::NodeProto& node, int i);

  const OnnxConstant& constant_input(const onnx::NodeProto& node, int i);

  const Value& runtime_input(const onnx::NodeProto& node, int i, bool padded_ok = false);

  void set_output(const onnx::NodeProto& node, Value v, int i = 0);

  void set_constant(const onnx::NodeProto& node, OnnxConstant c);

  void add_input();

  // The bnnc node holding v in the layout its ONNX dims say (a pending flatten is done here).
  int materialize(const Value& v);

  // The constant as one value per channel of x (or one for all): 1 or C floats.
  std::vector<float> per_channel(const onnx::NodeProto& node, const OnnxConstant& c,
                                 const Value& x);

  // Add of two activations: bnnc's add, in float until streamlined.
  Value residual_add(const onnx::NodeProto& node);

  Value affine(const onnx::NodeProto& node, const Value& x, AffineKind kind,
               std::vector<float> constant, const std::string& suffix = "");

  // bnnc's sign (0 → +1), or ONNX's Sign (0 → 0: refused by the streamliner where it can occur).
  Value sign(const onnx::NodeProto& node, const Value& x, bool zero_gives_zero = false);

  // Weights ±s_m, one s_m > 0 per output m → the magnitudes (one value when all are equal).
  std::vector<float> weight_scales(const onnx::NodeProto& node, const OnnxConstant& w,
                                   std::int64_t outputs, bool output_is_row);

  // The tensor a binary-weight layer reads: bits, fixed point, or the raw pixels, whose scalar
  // steps (pixel/255, an offset) go to `pixel_steps` for finish_layer.
  Value layer_input(const onnx::NodeProto& node, const Value& x,
                    std::vector<AffineAttrs>& pixel_steps);

  // After a binary layer: the pixels' steps, a weight scale other than 1, then a bias.
  Value finish_layer(const onnx::NodeProto& node, Value out,
                     const std::vector<AffineAttrs>& pixel_steps, const BinaryMatrix& weights,
                     std::vector<float> scale, std::vector<float> bias);

  // x · W with W [K, M] (row k of W multiplies input element k).
  Value dense(const onnx::NodeProto& node, const Value& x, const OnnxConstant& w, bool transposed,
              std::vector<float> bias);

  Value conv(const onnx::NodeProto& node, const Value& x);

  // table[pixel] with a 256-entry constant table: bnnc's quantize, in the fixed-point format with
  // the fewest fraction bits that holds every entry exactly.
  Value quantize(const onnx::NodeProto& node, const OnnxConstant& table, const Value& x);

  // A constant Pad of H and W alike, kept pending for the Conv that must read it: the border
  // becomes that Conv's padding with the constant as its pad value (±1 on bits: the 1-bit
  // datapath; 0 on bits: zero padding; raw pixels or fixed point: the raw value).
  Value pad(const onnx::NodeProto& node, const Value& x);

  Value maxpool(const onnx::NodeProto& node, const Value& x);

  // Adds a bnnc reshape to [size] of node `from`, but before the scalar affines that end the
  // graph so far (e.g. the input's /255): the streamliner folds an unbroken float chain into
  // a threshold, and scalar steps mean the same on either side of a reshape.
  int flatten_before_scalars(const std::string& name, int from, int size);

  // Reshape/Flatten/Squeeze/Unsqueeze of a runtime tensor to ONNX dims `to` (without batch).
  Value reshape(const onnx::NodeProto& node, const Value& x, const Shape& to);

  static std::vector<std::int64_t> with_axes(const onnx::NodeProto& node,
                                             const std::vector<std::int64_t>& from_input);

  // Dims after Squeeze/Unsqueeze (`full` includes the batch dim).
  std::vector<std::int64_t> squeeze_dims(const onnx::NodeProto& node,
                                         std::vector<std::int64_t> full,
                                         std::vector<std::int64_t> axes, bool unsqueeze);

  std::vector<std::int64_t> batch_dims(const Value& x);

  Shape without_batch(const onnx::NodeProto& node, const std::vector<std::int64_t>& full);

  std::vector<std::int64_t> reshape_target(const onnx::NodeProto& node,
                                           const std::vector<std::int64_t>& full,
                                           const OnnxConstant& shape);

  // Element-wise ops on constants, with scalar broadcast.
  OnnxConstant fold_binary(const onnx::NodeProto& node, const OnnxConstant& a,
                           const OnnxConstant& b);

  // A tensor of the given shape filled with the `value` attribute (one element, default 0.0).
  OnnxConstant constant_of_shape(const onnx::NodeProto& node, const OnnxConstant& shape);

  // Slice of a constant (ONNX opset 10+: starts, ends, axes, steps as inputs), e.g. the pads a
  // torch.onnx export computes for F.pad.
  OnnxConstant slice(const onnx::NodeProto& node);

  OnnxConstant transpose(const onnx::NodeProto& node, const OnnxConstant& c);

  const onnx::ModelProto& model_;
  std::string where_;
  Graph graph_;
  std::map<std::string, Value> values_;
};

}  // namespace bnnc::onnx_import
