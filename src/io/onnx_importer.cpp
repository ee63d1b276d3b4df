#include "io/onnx_importer.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <map>

#include "core/error.h"
#include "io/onnx_reader.h"
#include "ir/infer_types.h"
#include "passes/streamline.h"

namespace bnnc {

namespace {

constexpr std::int64_t kMaxDim = std::int64_t{1} << 24;

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
};

std::int64_t product(const std::vector<std::int64_t>& dims) {
  std::int64_t p = 1;
  for (std::int64_t d : dims) p *= d;
  return p;
}

// A constant's value as an integer (shape arithmetic), saturated far from overflow: ONNX writes
// "to the end" as INT64_MAX, which a double rounds up past it. NaN is 0.
std::int64_t to_index(double v) {
  constexpr double kLimit = 4611686018427387904.0;  // 2^62
  if (!(v == v)) return 0;
  return static_cast<std::int64_t>(std::clamp(v, -kLimit, kLimit));
}

Shape squeezed(const Shape& dims) {
  Shape out;
  for (int d : dims) {
    if (d != 1) out.push_back(d);
  }
  return out;
}

class Importer {
 public:
  Importer(const onnx::ModelProto& model, std::string where)
      : model_(model), where_(std::move(where)) {}

  Graph run() {
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
    return streamline(graph_);
  }

 private:
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

  const Value& lookup(const std::string& name, const onnx::NodeProto* node) {
    const auto it = values_.find(name);
    if (it == values_.end()) {
      if (node != nullptr) reject(*node, "input '{}' is not produced by any node", name);
      fail("{}: graph output '{}' is not produced by any node", where_, name);
    }
    return it->second;
  }

  const Value& input(const onnx::NodeProto& node, int i) {
    if (i >= node.input_size() || node.input(i).empty()) reject(node, "input {} is missing", i);
    return lookup(node.input(i), &node);
  }
  const OnnxConstant& constant_input(const onnx::NodeProto& node, int i) {
    const Value& v = input(node, i);
    if (!v.is_constant) reject(node, "input {} ('{}') must be a constant", i, node.input(i));
    return v.constant;
  }
  const Value& runtime_input(const onnx::NodeProto& node, int i, bool padded_ok = false) {
    const Value& v = input(node, i);
    if (v.is_constant || v.is_label) {
      reject(node, "input {} ('{}') must be a tensor computed from the network's input", i,
             node.input(i));
    }
    if (v.pad > 0 && !padded_ok) {
      reject(node,
             "input {} ('{}') is the output of a Pad, which bnnc supports only right before "
             "a Conv",
             i, node.input(i));
    }
    return v;
  }

  void set_output(const onnx::NodeProto& node, Value v, int i = 0) {
    if (i >= node.output_size()) reject(node, "output {} is missing", i);
    values_[node.output(i)] = std::move(v);
  }
  void set_constant(const onnx::NodeProto& node, OnnxConstant c) {
    Value v;
    v.is_constant = true;
    v.constant = std::move(c);
    set_output(node, std::move(v));
  }

  void add_input() {
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
        fail("{}: input '{}' needs known positive dimensions after the batch", where_,
             info->name());
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
  int materialize(const Value& v) {
    if (v.chw.empty()) return v.node;
    return graph_.add(fmt::format("{}.flatten", graph_.nodes[v.node].name),
                      ReshapeAttrs{{v.chw[0] * v.chw[1] * v.chw[2]}}, {v.node});
  }

  // The constant as one value per channel of x (or one for all): 1 or C floats.
  std::vector<float> per_channel(const onnx::NodeProto& node, const OnnxConstant& c,
                                 const Value& x) {
    if (c.values.size() == 1) return {static_cast<float>(c.values[0])};
    const std::size_t rank = x.dims.size() + 1;
    if (c.dims.size() > rank) reject(node, "constant of rank {} does not broadcast", c.dims.size());
    std::vector<std::int64_t> k(rank - c.dims.size(), 1);
    k.insert(k.end(), c.dims.begin(), c.dims.end());
    for (std::size_t axis = 0; axis < rank; ++axis) {
      if (axis != 1 && k[axis] != 1) {
        reject(node, "only scalar or per-channel constants are supported, not [{}]",
               fmt::join(c.dims, ","));
      }
    }
    if (!x.chw.empty() || k[1] != x.dims[0]) {
      reject(node, "only scalar or per-channel constants are supported, not [{}]",
             fmt::join(c.dims, ","));
    }
    std::vector<float> out;
    for (double v : c.values) out.push_back(static_cast<float>(v));
    return out;
  }

  Value affine(const onnx::NodeProto& node, const Value& x, AffineKind kind,
               std::vector<float> constant, const std::string& suffix = "") {
    for (float k : constant) {
      if (!std::isfinite(k) || (kind == AffineKind::Div && k == 0.0F)) {
        reject(node, "constant {} is not a finite number{}", k,
               kind == AffineKind::Div ? " other than 0" : "");
      }
    }
    Value out = x;
    out.node =
        graph_.add(node_name(node) + suffix, AffineAttrs{kind, std::move(constant)}, {x.node});
    out.binary = false;
    out.raw_input = false;
    return out;
  }

  Value sign(const onnx::NodeProto& node, const Value& x) {
    Value out = x;
    out.node = graph_.add(node_name(node), SignAttrs{}, {x.node});
    out.binary = true;
    out.raw_input = false;
    return out;
  }

  // Weights ±s (one s > 0 for the tensor) → bits and s.
  float weight_scale(const onnx::NodeProto& node, const OnnxConstant& w) {
    if (w.values.empty()) reject(node, "weights are empty");
    const double s = std::fabs(w.values[0]);
    for (double v : w.values) {
      if (std::fabs(v) != s || s == 0.0 || !std::isfinite(v)) {
        reject(node,
               "weights must be binary (±s with one s > 0); multi-bit weights are not "
               "supported yet");
      }
    }
    return static_cast<float>(s);
  }

  void check_layer_input(const onnx::NodeProto& node, const Value& x) {
    if (!x.binary && !x.raw_input && !x.fixed) {
      reject(node,
             "its input is neither binary (±1, after a sign or quantizer) nor the raw uint8 "
             "input; a binary-weight layer on real-valued input is not supported yet");
    }
  }

  // After a binary layer: a weight scale other than 1, then a bias.
  Value finish_layer(const onnx::NodeProto& node, Value out, float scale, std::vector<float> bias) {
    if (scale != 1.0F) out = affine(node, out, AffineKind::Mul, {scale}, ".scale");
    if (!bias.empty()) out = affine(node, out, AffineKind::Add, std::move(bias), ".bias");
    return out;
  }

  // x · W with W [K, M] (row k of W multiplies input element k).
  Value dense(const onnx::NodeProto& node, const Value& x, const OnnxConstant& w, bool transposed,
              std::vector<float> bias) {
    check_layer_input(node, x);
    if (w.dims.size() != 2) reject(node, "weights must be a matrix");
    const std::int64_t k = transposed ? w.dims[1] : w.dims[0];
    const std::int64_t m = transposed ? w.dims[0] : w.dims[1];
    const Shape in = squeezed(x.dims);  // [] for a vector of one element
    if (in.size() > 1 || (in.empty() ? 1 : in[0]) != k) {
      reject(node, "input [{}] does not match weights of {} rows", fmt::join(x.dims, ","), k);
    }
    const float scale = weight_scale(node, w);
    BinaryMatrix bits(static_cast<int>(m), static_cast<int>(k));
    // bnnc column j holds ONNX input element onnx_index(j): the identity, or for a pending
    // flatten of C×H×W, j = (y·W + x)·C + c ↔ c·H·W + y·W + x.
    const auto onnx_index = [&](std::int64_t j) {
      if (x.chw.empty()) return j;
      const std::int64_t c = j % x.chw[0], pixel = j / x.chw[0];
      return c * x.chw[1] * x.chw[2] + pixel;
    };
    for (std::int64_t j = 0; j < k; ++j) {
      const std::int64_t row = onnx_index(j);
      for (std::int64_t r = 0; r < m; ++r) {
        const double v = transposed ? w.values[r * k + row] : w.values[row * m + r];
        bits.set(static_cast<int>(r), static_cast<int>(j), v > 0);
      }
    }
    const int in_node = materialize(x);  // a vector, as bnnc's dense reads
    Value out;
    out.node = graph_.add(node_name(node), DenseAttrs{std::move(bits)}, {in_node});
    out.dims = {static_cast<int>(m)};
    return finish_layer(node, out, scale, std::move(bias));
  }

  Value conv(const onnx::NodeProto& node, const Value& x) {
    check_layer_input(node, x);
    const OnnxConstant& w = constant_input(node, 1);
    if (w.dims.size() != 4 || x.dims.size() != 3 || !x.chw.empty()) {
      reject(node, "only 2-D convolutions of [N,C,H,W] tensors are supported");
    }
    const std::int64_t m = w.dims[0], c = w.dims[1], kh = w.dims[2], kw = w.dims[3];
    if (c != x.dims[0]) reject(node, "weights for {} channels, input has {}", c, x.dims[0]);
    if (kh != kw) reject(node, "only square kernels are supported, not {}x{}", kh, kw);
    if (onnx_int_attribute(node, "group", 1) != 1)
      reject(node, "grouped convolutions are not supported");
    for (std::int64_t d : onnx_ints_attribute(node, "dilations")) {
      if (d != 1) reject(node, "dilations are not supported");
    }
    const std::vector<std::int64_t> strides = onnx_ints_attribute(node, "strides");
    const std::vector<std::int64_t> pads = onnx_ints_attribute(node, "pads");
    const std::int64_t stride = strides.empty() ? 1 : strides[0];
    for (std::int64_t s : strides) {
      if (s != stride || s < 1 || s > kMaxDim) reject(node, "strides must be equal and positive");
    }
    std::int64_t pad = pads.empty() ? 0 : pads[0];
    for (std::int64_t p : pads) {
      if (p != pad || p < 0 || p > kMaxDim) reject(node, "pads must be equal on every side");
    }
    if (onnx_string_attribute(node, "auto_pad", "NOTSET") != "NOTSET") {
      reject(node, "auto_pad is not supported (give pads)");
    }
    // ONNX pads with 0. On raw pixels or fixed point that is the raw value 0; ±1 activations
    // cannot hold it, so their convolution becomes a zero-padded one (ir/op.h, PadMode::Zero:
    // the padded synapses add nothing), exact in every engine. A Pad node before the Conv gives
    // the border its constant instead (−1/+1 stay on the plain 1-bit path).
    PadMode pad_mode = pad > 0 && x.binary ? PadMode::Zero : PadMode::Value;
    std::int64_t pad_value = 0;
    if (x.pad > 0) {
      if (pad > 0) reject(node, "a Pad before a padded Conv is not supported");
      pad = x.pad;
      pad_mode = x.pad_mode;
      pad_value = x.pad_value;
    }
    const float scale = weight_scale(node, w);
    BinaryMatrix bits(static_cast<int>(m), static_cast<int>(kh * kw * c));
    for (std::int64_t r = 0; r < m; ++r) {
      for (std::int64_t ch = 0; ch < c; ++ch) {
        for (std::int64_t ky = 0; ky < kh; ++ky) {
          for (std::int64_t kx = 0; kx < kw; ++kx) {
            const double v = w.values[((r * c + ch) * kh + ky) * kw + kx];
            bits.set(static_cast<int>(r), static_cast<int>((ky * kw + kx) * c + ch), v > 0);
          }
        }
      }
    }
    Conv2dAttrs attrs;
    attrs.weights = std::move(bits);
    attrs.kernel = static_cast<int>(kh);
    attrs.stride = static_cast<int>(stride);
    attrs.pad = static_cast<int>(pad);
    attrs.pad_value = pad_value;
    attrs.pad_mode = pad_mode;
    Value out;
    out.node = graph_.add(node_name(node), std::move(attrs), {x.node});
    // x.dims of a Pad's output already hold its border.
    const std::int64_t border = x.pad > 0 ? 0 : pad;
    const int size = static_cast<int>((x.dims[1] + 2 * border - kh) / stride + 1);
    const int width = static_cast<int>((x.dims[2] + 2 * border - kw) / stride + 1);
    if (size < 1 || width < 1) reject(node, "kernel does not fit the input");
    out.dims = {static_cast<int>(m), size, width};
    std::vector<float> bias;
    if (node.input_size() > 2 && !node.input(2).empty()) {
      const OnnxConstant& b = constant_input(node, 2);
      if (b.elements() != m) reject(node, "bias must have {} values", m);
      for (double v : b.values) bias.push_back(static_cast<float>(v));
    }
    return finish_layer(node, out, scale, std::move(bias));
  }

  // table[pixel] with a 256-entry constant table: bnnc's quantize, in the fixed-point format with
  // the fewest fraction bits that holds every entry exactly.
  Value quantize(const onnx::NodeProto& node, const OnnxConstant& table, const Value& x) {
    if (!x.raw_input || table.dims.size() != 1 || table.elements() != 256 ||
        onnx_int_attribute(node, "axis", 0) != 0) {
      reject(node, "only a 256-entry table indexed by the raw uint8 input is supported");
    }
    for (int frac = 0; frac <= 16; ++frac) {
      QuantizeAttrs q;
      std::int64_t lo = 0, hi = 0;
      for (double v : table.values) {
        const double raw = std::ldexp(v, frac);
        if (raw != std::floor(raw) || std::fabs(raw) > 32767) break;
        q.table.push_back(static_cast<std::int32_t>(raw));
        lo = std::min<std::int64_t>(lo, q.table.back());
        hi = std::max<std::int64_t>(hi, q.table.back());
      }
      if (q.table.size() != 256) continue;
      int bits = 1;
      while (-(std::int64_t{1} << (bits - 1)) > lo || (std::int64_t{1} << (bits - 1)) - 1 < hi) {
        ++bits;
      }
      q.dtype = DType::fixed(bits, frac);
      Value out = x;
      out.node = graph_.add(node_name(node), std::move(q), {x.node});
      out.raw_input = false;
      out.fixed = true;
      return out;
    }
    reject(node, "table entries are not fixed-point numbers of at most 16 fraction bits");
  }

  // A constant Pad of H and W alike, kept pending for the Conv that must read it: the border
  // becomes that Conv's padding with the constant as its pad value (±1 on bits: the 1-bit
  // datapath; 0 on bits: zero padding; raw pixels or fixed point: the raw value).
  Value pad(const onnx::NodeProto& node, const Value& x) {
    if (x.dims.size() != 3 || !x.chw.empty()) reject(node, "input must be [N,C,H,W]");
    if (onnx_string_attribute(node, "mode", "constant") != "constant") {
      reject(node, "only constant padding is supported");
    }
    std::vector<std::int64_t> pads;
    double constant = onnx_float_attribute(node, "value", 0.0F);  // opset < 11
    if (node.input_size() > 1 && !node.input(1).empty()) {
      for (double v : constant_input(node, 1).values) pads.push_back(to_index(v));
      if (node.input_size() > 2 && !node.input(2).empty()) {
        const OnnxConstant& c = constant_input(node, 2);
        if (c.values.size() != 1) reject(node, "constant_value must be one value");
        constant = c.values[0];
      }
    } else {
      pads = onnx_ints_attribute(node, "pads");
    }
    // [N, C, H, W] begins, then ends: only H and W, all alike.
    if (pads.size() != 8 || pads[0] != 0 || pads[1] != 0 || pads[4] != 0 || pads[5] != 0 ||
        pads[2] < 1 || pads[2] > kMaxDim || pads[3] != pads[2] || pads[6] != pads[2] ||
        pads[7] != pads[2]) {
      reject(node, "only pads of H and W, equal on every side, are supported");
    }
    Value out = x;
    out.pad = static_cast<int>(pads[2]);
    out.dims = {x.dims[0], x.dims[1] + 2 * out.pad, x.dims[2] + 2 * out.pad};
    if (x.binary && (constant == 1.0 || constant == -1.0)) {
      out.pad_value = constant > 0 ? 1 : 0;  // bit 1 = +1, bit 0 = −1
    } else if (x.binary && constant == 0.0) {
      out.pad_mode = PadMode::Zero;
    } else if (x.raw_input && constant >= 0 && constant <= 255 &&
               constant == std::floor(constant)) {
      out.pad_value = static_cast<std::int64_t>(constant);
    } else if (x.fixed && graph_.nodes[x.node].op() == Op::Quantize) {
      const int frac = graph_.nodes[x.node].as<QuantizeAttrs>().dtype.frac_bits;
      const double raw = std::ldexp(constant, frac);
      if (raw != std::floor(raw) || std::fabs(raw) > 32767) {
        reject(node, "constant {} is not a fixed-point value with {} fraction bits", constant,
               frac);
      }
      out.pad_value = static_cast<std::int64_t>(raw);
    } else {
      reject(node,
             "constant {}: bnnc pads ±1 activations with -1, 0 or +1, and raw pixels or "
             "fixed-point values with a value of their type",
             constant);
    }
    return out;
  }

  Value maxpool(const onnx::NodeProto& node, const Value& x) {
    if (x.dims.size() != 3 || !x.chw.empty()) reject(node, "input must be [N,C,H,W]");
    const std::vector<std::int64_t> kernel = onnx_ints_attribute(node, "kernel_shape");
    std::vector<std::int64_t> strides = onnx_ints_attribute(node, "strides");
    if (strides.empty()) strides = {1, 1};
    if (kernel.size() != 2 || kernel[0] != kernel[1] || kernel[0] < 1 || kernel[0] > x.dims[1] ||
        kernel[0] > x.dims[2] || strides.size() != 2 || strides[0] != strides[1] ||
        strides[0] < 1 || strides[0] > kMaxDim) {
      reject(node, "only square kernels with equal strides are supported");
    }
    for (std::int64_t p : onnx_ints_attribute(node, "pads")) {
      if (p != 0) reject(node, "padded max-pools are not supported");
    }
    if (onnx_int_attribute(node, "ceil_mode", 0) != 0) reject(node, "ceil_mode is not supported");
    for (std::int64_t d : onnx_ints_attribute(node, "dilations")) {
      if (d != 1) reject(node, "dilations are not supported");
    }
    MaxPoolAttrs attrs;
    attrs.kernel = static_cast<int>(kernel[0]);
    attrs.stride = static_cast<int>(strides[0]);
    Value out = x;
    out.node = graph_.add(node_name(node), attrs, {x.node});
    out.dims = {x.dims[0], (x.dims[1] - attrs.kernel) / attrs.stride + 1,
                (x.dims[2] - attrs.kernel) / attrs.stride + 1};
    return out;
  }

  // Adds a bnnc reshape to [size] of node `from`, but before the scalar affines that end the
  // graph so far (e.g. the input's /255): the streamliner folds an unbroken float chain into
  // a threshold, and scalar steps mean the same on either side of a reshape.
  int flatten_before_scalars(const std::string& name, int from, int size) {
    std::vector<Node> scalars;
    while (from == graph_.output() && graph_.nodes[from].op() == Op::Affine &&
           graph_.nodes[from].as<AffineAttrs>().constant.size() == 1 &&
           graph_.consumers(from).empty()) {
      scalars.push_back(graph_.nodes[from]);
      from = graph_.nodes[from].inputs[0];
      graph_.nodes.pop_back();
    }
    int out = graph_.add(name, ReshapeAttrs{{size}}, {from});
    for (auto it = scalars.rbegin(); it != scalars.rend(); ++it) {
      out = graph_.add(it->name, it->attrs, {out});
    }
    return out;
  }

  // Reshape/Flatten/Squeeze/Unsqueeze of a runtime tensor to ONNX dims `to` (without batch).
  Value reshape(const onnx::NodeProto& node, const Value& x, const Shape& to) {
    std::int64_t before = 1, after = 1;
    for (int d : x.dims) before *= d;
    for (int d : to) after *= d;
    if (before != after) reject(node, "element count changes: {} → {}", before, after);
    Value out = x;
    out.dims = to;
    const Shape from = x.chw.empty() ? x.dims : x.chw;
    if (squeezed(to) == squeezed(x.dims) && !(x.chw.empty() && from.size() == 3)) return out;
    if (from.size() == 3 && squeezed(to).size() <= 1) {
      if (from[0] == 1 || from[1] * from[2] == 1) {
        // CHW and HWC orders agree: flatten now, so per-element constants stay in order.
        out.chw.clear();
        out.node = flatten_before_scalars(node_name(node), x.node, static_cast<int>(after));
        return out;
      }
      out.chw = from;  // a flatten of C×H×W
      return out;
    }
    reject(node, "reshape [{}] → [{}] is not supported (only flattens)", fmt::join(x.dims, ","),
           fmt::join(to, ","));
  }

  static std::vector<std::int64_t> with_axes(const onnx::NodeProto& node,
                                             const std::vector<std::int64_t>& from_input) {
    std::vector<std::int64_t> axes = onnx_ints_attribute(node, "axes");
    if (axes.empty()) axes = from_input;
    return axes;
  }

  // Dims after Squeeze/Unsqueeze (`full` includes the batch dim).
  std::vector<std::int64_t> squeeze_dims(const onnx::NodeProto& node,
                                         std::vector<std::int64_t> full,
                                         std::vector<std::int64_t> axes, bool unsqueeze) {
    const auto rank = static_cast<std::int64_t>(full.size() + (unsqueeze ? axes.size() : 0));
    for (std::int64_t& a : axes) {
      if (a < 0) a += rank;
      if (a < 0 || a >= rank) reject(node, "axis out of range");
    }
    std::sort(axes.begin(), axes.end());
    if (unsqueeze) {
      for (std::int64_t a : axes) {
        if (a > static_cast<std::int64_t>(full.size())) reject(node, "axis out of range");
        full.insert(full.begin() + a, 1);
      }
      return full;
    }
    std::vector<std::int64_t> out;
    for (std::size_t i = 0; i < full.size(); ++i) {
      const bool listed =
          axes.empty() ? full[i] == 1
                       : std::binary_search(axes.begin(), axes.end(), static_cast<std::int64_t>(i));
      if (listed && full[i] != 1) reject(node, "cannot squeeze axis {} of size {}", i, full[i]);
      if (!listed) out.push_back(full[i]);
    }
    return out;
  }

  std::vector<std::int64_t> batch_dims(const Value& x) {
    std::vector<std::int64_t> full{1};
    for (int d : x.dims) full.push_back(d);
    return full;
  }

  Shape without_batch(const onnx::NodeProto& node, const std::vector<std::int64_t>& full) {
    if (full.empty() || full[0] != 1) reject(node, "the batch dimension must stay first");
    Shape out;
    for (std::size_t i = 1; i < full.size(); ++i) {
      if (full[i] < 1 || full[i] > kMaxDim) reject(node, "dimension {} out of range", full[i]);
      out.push_back(static_cast<int>(full[i]));
    }
    return out;
  }

  std::vector<std::int64_t> reshape_target(const onnx::NodeProto& node,
                                           const std::vector<std::int64_t>& full,
                                           const OnnxConstant& shape) {
    std::vector<std::int64_t> to;
    std::int64_t known = 1, unknown = -1;
    for (std::size_t i = 0; i < shape.values.size(); ++i) {
      std::int64_t d = to_index(shape.values[i]);
      if (d == 0 && i < full.size()) d = full[i];
      if (d == -1) {
        if (unknown >= 0) reject(node, "more than one -1 in the shape");
        unknown = static_cast<std::int64_t>(i);
      } else if (d < 1 || d > kMaxDim) {
        reject(node, "shape entry {} out of range", d);
      } else {
        known *= d;
        if (known > product(full) * kMaxDim) reject(node, "shape too large");
      }
      to.push_back(d);
    }
    if (unknown >= 0) {
      if (known == 0 || product(full) % known != 0) reject(node, "-1 cannot be inferred");
      to[static_cast<std::size_t>(unknown)] = product(full) / known;
    }
    return to;
  }

  // Element-wise ops on constants, with scalar broadcast.
  OnnxConstant fold_binary(const onnx::NodeProto& node, const OnnxConstant& a,
                           const OnnxConstant& b) {
    if (a.values.size() != b.values.size() && a.values.size() != 1 && b.values.size() != 1) {
      reject(node, "constant shapes do not broadcast");
    }
    OnnxConstant out = a.values.size() >= b.values.size() ? a : b;
    const std::string& op = node.op_type();
    for (std::size_t i = 0; i < out.values.size(); ++i) {
      const double x = a.values[a.values.size() == 1 ? 0 : i];
      const double y = b.values[b.values.size() == 1 ? 0 : i];
      if (out.integer) {
        // Shape arithmetic: exact int64, refused where it would overflow (|p|, |q| ≤ 2^62
        // after to_index, so p / q cannot).
        const std::int64_t p = to_index(x), q = to_index(y);
        std::int64_t r = 0;
        bool overflow = false;
        if (op == "Add") {
          overflow = __builtin_add_overflow(p, q, &r);
        } else if (op == "Sub") {
          overflow = __builtin_sub_overflow(p, q, &r);
        } else if (op == "Mul") {
          overflow = __builtin_mul_overflow(p, q, &r);
        } else if (op == "Div") {
          r = q == 0 ? 0 : p / q;
        } else {
          out.values[i] = std::pow(x, y);
          continue;
        }
        if (overflow) reject(node, "integer overflow: {} {} {}", p, op, q);
        out.values[i] = static_cast<double>(r);
        continue;
      }
      const auto p = static_cast<float>(x), q = static_cast<float>(y);
      float r = 0.0F;
      if (op == "Add")
        r = p + q;
      else if (op == "Sub")
        r = p - q;
      else if (op == "Mul")
        r = p * q;
      else if (op == "Div")
        r = p / q;
      else
        r = std::pow(p, q);
      out.values[i] = r;
    }
    return out;
  }

  // A tensor of the given shape filled with the `value` attribute (one element, default 0.0).
  OnnxConstant constant_of_shape(const onnx::NodeProto& node, const OnnxConstant& shape) {
    OnnxConstant out;
    if (shape.dims.size() > 1) reject(node, "the shape must be a 1-D tensor");
    std::int64_t count = 1;
    for (double d : shape.values) {
      const std::int64_t dim = to_index(d);
      if (dim < 0 || (dim > 0 && count > kMaxDim / dim)) {
        reject(node, "shape entry {} out of range", d);
      }
      count *= dim;
      out.dims.push_back(dim);
    }
    double value = 0.0;
    if (const onnx::AttributeProto* a = onnx_find_attribute(node, "value"); a != nullptr) {
      if (!a->has_t()) reject(node, "value must be a tensor");
      const OnnxConstant v =
          decode_onnx_tensor(a->t(), fmt::format("{}: node '{}'", where_, node_name(node)));
      if (v.values.size() != 1) reject(node, "value must hold one element");
      value = v.values[0];
      out.integer = v.integer;
    }
    out.values.assign(static_cast<std::size_t>(count), value);
    return out;
  }

  // Slice of a constant (ONNX opset 10+: starts, ends, axes, steps as inputs), e.g. the pads a
  // torch.onnx export computes for F.pad.
  OnnxConstant slice(const onnx::NodeProto& node) {
    const OnnxConstant& data = constant_input(node, 0);
    const auto ints = [&](int i) {
      std::vector<std::int64_t> v;
      if (i < node.input_size() && !node.input(i).empty()) {
        for (double x : constant_input(node, i).values) v.push_back(to_index(x));
      }
      return v;
    };
    const std::vector<std::int64_t> starts = ints(1), ends = ints(2);
    std::vector<std::int64_t> axes = ints(3), steps = ints(4);
    const auto rank = static_cast<std::int64_t>(data.dims.size());
    if (axes.empty()) {
      for (std::size_t i = 0; i < starts.size(); ++i) axes.push_back(static_cast<std::int64_t>(i));
    }
    if (steps.empty()) steps.assign(starts.size(), 1);
    if (ends.size() != starts.size() || axes.size() != starts.size() ||
        steps.size() != starts.size()) {
      reject(node, "starts, ends, axes and steps must have one entry each");
    }
    // Per axis: the first index, the step and the count kept.
    std::vector<std::int64_t> first(data.dims.size(), 0), step(data.dims.size(), 1);
    std::vector<std::int64_t> out_dims = data.dims;
    std::vector<bool> seen(data.dims.size(), false);
    for (std::size_t i = 0; i < starts.size(); ++i) {
      std::int64_t axis = axes[i] < 0 ? axes[i] + rank : axes[i];
      if (axis < 0 || axis >= rank || seen[axis]) reject(node, "bad axis {}", axes[i]);
      seen[axis] = true;
      const std::int64_t dim = data.dims[axis], st = steps[i];
      if (st == 0) reject(node, "a step of 0");
      std::int64_t b = starts[i] < 0 ? starts[i] + dim : starts[i];
      std::int64_t e = ends[i] < 0 ? ends[i] + dim : ends[i];
      if (st > 0) {
        b = std::clamp<std::int64_t>(b, 0, dim);
        e = std::clamp<std::int64_t>(e, 0, dim);
        out_dims[axis] = e > b ? (e - b + st - 1) / st : 0;
      } else {
        b = std::clamp<std::int64_t>(b, 0, dim - 1);
        e = std::clamp<std::int64_t>(e, -1, dim - 1);
        out_dims[axis] = b > e ? (b - e - st - 1) / -st : 0;
      }
      first[axis] = b;
      step[axis] = st;
    }
    OnnxConstant out;
    out.integer = data.integer;
    out.dims = out_dims;
    if (product(out_dims) == 0) return out;
    std::vector<std::int64_t> strides(data.dims.size(), 1);
    for (std::size_t i = data.dims.size(); i-- > 1;) strides[i - 1] = strides[i] * data.dims[i];
    std::vector<std::int64_t> index(data.dims.size(), 0);
    for (std::int64_t n = 0; n < product(out_dims); ++n) {
      std::int64_t source = 0;
      for (std::size_t a = 0; a < index.size(); ++a) {
        source += (first[a] + index[a] * step[a]) * strides[a];
      }
      out.values.push_back(data.values[static_cast<std::size_t>(source)]);
      for (std::size_t a = index.size(); a-- > 0;) {
        if (++index[a] < out_dims[a]) break;
        index[a] = 0;
      }
    }
    return out;
  }

  OnnxConstant transpose(const onnx::NodeProto& node, const OnnxConstant& c) {
    std::vector<std::int64_t> perm = onnx_ints_attribute(node, "perm");
    const std::size_t rank = c.dims.size();
    if (perm.empty()) {
      for (std::size_t i = 0; i < rank; ++i)
        perm.push_back(static_cast<std::int64_t>(rank - 1 - i));
    }
    if (perm.size() != rank) reject(node, "perm does not match the rank");
    std::vector<bool> seen(rank, false);
    for (std::int64_t p : perm) {
      if (p < 0 || p >= static_cast<std::int64_t>(rank) || seen[p]) reject(node, "bad perm");
      seen[p] = true;
    }
    OnnxConstant out = c;
    for (std::size_t i = 0; i < rank; ++i) out.dims[i] = c.dims[perm[i]];
    std::vector<std::int64_t> in_strides(rank, 1);
    for (std::size_t i = rank; i-- > 1;) in_strides[i - 1] = in_strides[i] * c.dims[i];
    std::vector<std::int64_t> index(rank, 0);
    for (std::size_t n = 0; n < out.values.size(); ++n) {
      std::int64_t source = 0;
      for (std::size_t i = 0; i < rank; ++i) source += index[i] * in_strides[perm[i]];
      out.values[n] = c.values[source];
      for (std::size_t i = rank; i-- > 0;) {
        if (++index[i] < out.dims[i]) break;
        index[i] = 0;
      }
    }
    return out;
  }

  void import_node(const onnx::NodeProto& node) {
    const std::string& op = node.op_type();
    const std::string& domain = node.domain();
    const bool standard = domain.empty() || domain == "ai.onnx";
    const bool qonnx = domain == "onnx.brevitas" || domain == "qonnx.custom_op.general" ||
                       domain == "finn.custom_op.general" || domain == "finn";
    const auto all_constant = [&] {
      for (const std::string& name : node.input()) {
        if (!name.empty() && !lookup(name, &node).is_constant) return false;
      }
      return true;
    };

    if (standard && op == "Constant") {
      const onnx::AttributeProto* a = onnx_find_attribute(node, "value");
      if (a == nullptr || !a->has_t()) reject(node, "only tensor constants are supported");
      set_constant(
          node, decode_onnx_tensor(a->t(), fmt::format("{}: node '{}'", where_, node_name(node))));
    } else if (standard && op == "Identity") {
      set_output(node, input(node, 0));
    } else if (standard && op == "Shape") {
      const Value& x = input(node, 0);
      OnnxConstant c;
      c.integer = true;
      if (x.is_constant) {
        for (std::int64_t d : x.constant.dims) c.values.push_back(static_cast<double>(d));
      } else {
        for (std::int64_t d : batch_dims(x)) c.values.push_back(static_cast<double>(d));
      }
      c.dims = {static_cast<std::int64_t>(c.values.size())};
      set_constant(node, c);
    } else if (standard && op == "Gather" && all_constant()) {
      const OnnxConstant& data = constant_input(node, 0);
      const OnnxConstant& indices = constant_input(node, 1);
      if (data.dims.size() != 1 || onnx_int_attribute(node, "axis", 0) != 0) {
        reject(node, "only gathers from a 1-D constant are supported");
      }
      OnnxConstant c;
      c.integer = data.integer;
      c.dims = indices.dims;
      for (double i : indices.values) {
        std::int64_t k = to_index(i);
        if (k < 0) k += data.elements();
        if (k < 0 || k >= data.elements()) reject(node, "index {} out of range", i);
        c.values.push_back(data.values[k]);
      }
      set_constant(node, c);
    } else if (standard && op == "Concat" && all_constant()) {
      OnnxConstant c;
      c.integer = true;
      for (int i = 0; i < node.input_size(); ++i) {
        const OnnxConstant& part = constant_input(node, i);
        if (part.dims.size() > 1) reject(node, "only 1-D constants are concatenated");
        c.integer = c.integer && part.integer;
        c.values.insert(c.values.end(), part.values.begin(), part.values.end());
      }
      c.dims = {static_cast<std::int64_t>(c.values.size())};
      set_constant(node, c);
    } else if (standard && op == "Cast" && !input(node, 0).is_constant) {
      const Value& x = runtime_input(node, 0);
      const std::int64_t to = onnx_int_attribute(node, "to", 0);
      if (!x.raw_input || (to != onnx::TensorProto::INT64 && to != onnx::TensorProto::INT32)) {
        reject(node, "only casts of the raw uint8 input to integers are supported");
      }
      set_output(node, x);
    } else if (standard && op == "Gather" && !input(node, 0).is_constant) {
      reject(node, "gathers from activations are not supported");
    } else if (standard && op == "Gather" && !input(node, 1).is_constant) {
      set_output(node, quantize(node, constant_input(node, 0), runtime_input(node, 1)));
    } else if (standard && op == "ConstantOfShape" && all_constant()) {
      set_constant(node, constant_of_shape(node, constant_input(node, 0)));
    } else if (standard && op == "Slice" && all_constant()) {
      set_constant(node, slice(node));
    } else if (standard && op == "Slice") {
      reject(node, "slices of activations are not supported");
    } else if (standard && op == "Cast" && all_constant()) {
      OnnxConstant c = constant_input(node, 0);
      const std::int64_t to = onnx_int_attribute(node, "to", onnx::TensorProto::FLOAT);
      c.integer = to == onnx::TensorProto::INT64 || to == onnx::TensorProto::INT32;
      for (double& v : c.values) v = c.integer ? std::trunc(v) : static_cast<float>(v);
      set_constant(node, c);
    } else if (standard && (op == "Unsqueeze" || op == "Squeeze")) {
      const Value& x = input(node, 0);
      std::vector<std::int64_t> from_input;
      if (node.input_size() > 1 && !node.input(1).empty()) {
        for (double a : constant_input(node, 1).values) {
          from_input.push_back(to_index(a));
        }
      }
      const std::vector<std::int64_t> axes = with_axes(node, from_input);
      if (x.is_constant) {
        OnnxConstant c = x.constant;
        c.dims = squeeze_dims(node, c.dims, axes, op == "Unsqueeze");
        set_constant(node, c);
      } else {
        const std::vector<std::int64_t> full =
            squeeze_dims(node, batch_dims(x), axes, op == "Unsqueeze");
        set_output(node, reshape(node, runtime_input(node, 0), without_batch(node, full)));
      }
    } else if (standard && (op == "Reshape" || op == "Flatten")) {
      const Value& x = input(node, 0);
      if (x.is_constant) {
        OnnxConstant c = x.constant;
        if (op == "Flatten") {
          c.dims = {c.dims.empty() ? 1 : c.dims[0],
                    c.dims.empty() ? 1 : product(c.dims) / std::max<std::int64_t>(c.dims[0], 1)};
        } else {
          c.dims = reshape_target(node, c.dims, constant_input(node, 1));
        }
        if (product(c.dims) != c.elements()) reject(node, "element count changes");
        set_constant(node, c);
        return;
      }
      const Value& rx = runtime_input(node, 0);
      std::vector<std::int64_t> full = batch_dims(rx);
      if (op == "Flatten") {
        if (onnx_int_attribute(node, "axis", 1) != 1) reject(node, "only axis 1 is supported");
        full = {1, product(full)};
      } else {
        full = reshape_target(node, full, constant_input(node, 1));
      }
      set_output(node, reshape(node, rx, without_batch(node, full)));
    } else if (standard && op == "Transpose") {
      const Value& x = input(node, 0);
      if (!x.is_constant) reject(node, "transposes of activations are not supported");
      set_constant(node, transpose(node, x.constant));
    } else if (standard &&
               (op == "Add" || op == "Sub" || op == "Mul" || op == "Div" || op == "Pow")) {
      if (all_constant()) {
        set_constant(node, fold_binary(node, constant_input(node, 0), constant_input(node, 1)));
        return;
      }
      const bool x_first = !input(node, 0).is_constant;
      if (!input(node, x_first ? 1 : 0).is_constant) {
        reject(node, "both inputs are activations (residual adds are not supported yet)");
      }
      const Value& x = runtime_input(node, x_first ? 0 : 1);
      std::vector<float> k = per_channel(node, constant_input(node, x_first ? 1 : 0), x);
      if (op == "Pow") reject(node, "a power of activations is not supported");
      if (op == "Add") {
        set_output(node, affine(node, x, AffineKind::Add, k));
      } else if (op == "Mul") {
        set_output(node, affine(node, x, AffineKind::Mul, k));
      } else if (op == "Sub" && x_first) {
        for (float& v : k) v = -v;
        set_output(node, affine(node, x, AffineKind::Add, k));
      } else if (op == "Sub") {  // k − x = (−1·x) + k, both exact in IEEE arithmetic
        const Value negated = affine(node, x, AffineKind::Mul, {-1.0F}, ".negate");
        set_output(node, affine(node, negated, AffineKind::Add, k));
      } else if (x_first) {
        set_output(node, affine(node, x, AffineKind::Div, k));
      } else {
        reject(node, "dividing a constant by activations is not supported");
      }
    } else if (standard && op == "Sqrt" && all_constant()) {
      OnnxConstant c = constant_input(node, 0);
      for (double& v : c.values) v = std::sqrt(static_cast<float>(v));
      set_constant(node, c);
    } else if ((standard && op == "Sign") || (qonnx && op == "BipolarQuant")) {
      const Value& x = input(node, 0);
      float scale = 1.0F;
      if (op == "BipolarQuant") {
        const OnnxConstant& s = constant_input(node, 1);
        if (s.values.size() != 1 || !(s.values[0] > 0))
          reject(node, "scale must be one positive value");
        scale = static_cast<float>(s.values[0]);
      }
      if (x.is_constant) {
        OnnxConstant c = x.constant;
        for (double& v : c.values) {
          v = (v >= 0 ? 1.0 : -1.0) * scale;  // bnnc's sign(0) = +1, as BipolarQuant
        }
        set_constant(node, c);
        return;
      }
      if (scale != 1.0F) reject(node, "activation scale {} is not supported yet (only 1)", scale);
      set_output(node, sign(node, runtime_input(node, 0)));
    } else if (qonnx && op == "Quant") {
      const Value& x = input(node, 0);
      const OnnxConstant& bits = constant_input(node, 3);
      const double width = bits.values.empty() ? 0 : bits.values[0];
      reject(node, "{}-bit {} are not supported yet (bnnc imports 1-bit BipolarQuant)", width,
             x.is_constant ? "weights" : "activations");
    } else if (qonnx && op == "MultiThreshold") {
      const Value& x = runtime_input(node, 0);
      const OnnxConstant& t = constant_input(node, 1);
      if (t.dims.size() != 2 || t.dims[1] != 1) {
        reject(node, "{} thresholds per channel: multi-bit activations are not supported yet",
               t.dims.size() == 2 ? t.dims[1] : 0);
      }
      const float out_scale = onnx_float_attribute(node, "out_scale", 1.0F);
      const float out_bias = onnx_float_attribute(node, "out_bias", 0.0F);
      if (out_scale != 2.0F || out_bias != -1.0F) {
        reject(node, "out_scale {} and out_bias {}: only bipolar outputs (2, -1) are supported yet",
               out_scale, out_bias);
      }
      // FINN fires on x ≥ t; x − t ≥ 0 ⇔ x ≥ t in IEEE arithmetic (x − t rounds to 0 only when
      // x = t), so "add −t, then sign" keeps the rule exactly.
      OnnxConstant per_channel_t = t;  // [C, 1] → one value per channel, [1, C]
      per_channel_t.dims = {1, t.dims[0]};
      if (!x.dims.empty()) per_channel_t.dims.resize(x.dims.size() + 1, 1);
      std::vector<float> minus_t = per_channel(node, per_channel_t, x);
      for (float& v : minus_t) v = -v;
      const Value shifted = affine(node, x, AffineKind::Add, minus_t, ".threshold");
      set_output(node, sign(node, shifted));
    } else if (standard && op == "MatMul") {
      set_output(node, dense(node, runtime_input(node, 0), constant_input(node, 1), false, {}));
    } else if (standard && op == "Gemm") {
      if (onnx_int_attribute(node, "transA", 0) != 0) reject(node, "transA is not supported");
      const float alpha = onnx_float_attribute(node, "alpha", 1.0F);
      const float beta = onnx_float_attribute(node, "beta", 1.0F);
      std::vector<float> bias;
      if (node.input_size() > 2 && !node.input(2).empty()) {
        for (double v : constant_input(node, 2).values)
          bias.push_back(static_cast<float>(v) * beta);
      }
      Value out = dense(node, runtime_input(node, 0), constant_input(node, 1),
                        onnx_int_attribute(node, "transB", 0) != 0, {});
      if (alpha != 1.0F) out = affine(node, out, AffineKind::Mul, {alpha}, ".alpha");
      if (!bias.empty()) {
        if (bias.size() != 1 && bias.size() != static_cast<std::size_t>(out.dims[0])) {
          reject(node, "bias must be one value per output");
        }
        out = affine(node, out, AffineKind::Add, bias, ".bias");
      }
      set_output(node, out);
    } else if (standard && op == "Conv") {
      set_output(node, conv(node, runtime_input(node, 0, true)));
    } else if (standard && op == "Pad") {
      set_output(node, pad(node, runtime_input(node, 0)));
    } else if (standard && op == "MaxPool") {
      set_output(node, maxpool(node, runtime_input(node, 0)));
    } else if (standard && op == "BatchNormalization") {
      const Value& x = runtime_input(node, 0);
      if (!x.chw.empty() || x.dims.empty()) reject(node, "input must have a channel axis");
      BatchNormAttrs bn;
      bn.eps = onnx_float_attribute(node, "epsilon", 1e-5F);
      std::vector<float>* fields[] = {&bn.gamma, &bn.beta, &bn.mean, &bn.var};
      for (int i = 0; i < 4; ++i) {
        const OnnxConstant& c = constant_input(node, i + 1);
        if (c.elements() != x.dims[0]) reject(node, "parameters must have one value per channel");
        for (double v : c.values) fields[i]->push_back(static_cast<float>(v));
      }
      for (std::size_t c = 0; c < bn.var.size(); ++c) {
        if (!(bn.var[c] + bn.eps > 0.0F) || !std::isfinite(bn.gamma[c]) ||
            !std::isfinite(bn.beta[c]) || !std::isfinite(bn.mean[c])) {
          reject(node, "channel {}: parameters must be finite with var + eps > 0", c);
        }
      }
      Value out = x;
      out.node = graph_.add(node_name(node), std::move(bn), {x.node});
      out.binary = out.raw_input = false;
      set_output(node, out);
    } else if (standard && op == "TopK") {
      const Value& x = runtime_input(node, 0);
      const OnnxConstant& k = constant_input(node, 1);
      if (k.values.size() != 1 || k.values[0] != 1 || onnx_int_attribute(node, "largest", 1) != 1 ||
          squeezed(x.dims).size() > 1) {
        reject(node, "only TopK with k = 1, largest, over a vector of scores is supported");
      }
      Value label;
      label.is_label = true;
      label.node = graph_.add(node_name(node), LabelSelectAttrs{}, {materialize(x)});
      set_output(node, label, 0);
      if (node.output_size() > 1) set_output(node, label, 1);
    } else {
      reject(node, "unknown op (bnnc imports {})",
             "BipolarQuant, MultiThreshold, MatMul, Gemm, Conv, Pad, BatchNormalization, Add, Sub, "
             "Mul, Div, Sign, MaxPool, Reshape, Flatten, Transpose, TopK, Identity and "
             "constant shape arithmetic");
    }
  }

  const onnx::ModelProto& model_;
  std::string where_;
  Graph graph_;
  std::map<std::string, Value> values_;
};

}  // namespace

Graph import_onnx_bytes(std::string_view bytes, const std::string& where) {
  const onnx::ModelProto model = parse_onnx_model(bytes, where);
  return Importer(model, where).run();
}

Graph import_onnx(const std::string& path) {
  const onnx::ModelProto model = read_onnx_model(path);
  return Importer(model, path).run();
}

}  // namespace bnnc
