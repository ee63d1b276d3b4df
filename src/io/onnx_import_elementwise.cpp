// The element-wise ops: constants, Mul/Add/Sub/Div by scalar or per-channel constants (affine
// ops the streamliner absorbs), signs and the QONNX/FINN quantizers, and the pixel lookup table.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cmath>
#include <limits>

#include "io/onnx_importer_state.h"
#include "io/onnx_shape_arithmetic.h"

namespace bnnc::onnx_import {

void Importer::import_constant(const onnx::NodeProto& node) {
  const onnx::AttributeProto* a = onnx_find_attribute(node, "value");
  if (a == nullptr || !a->has_t()) reject(node, "only tensor constants are supported");
  set_constant(node,
               decode_onnx_tensor(a->t(), fmt::format("{}: node '{}'", where_, node_name(node))));
}

void Importer::import_identity(const onnx::NodeProto& node) { set_output(node, input(node, 0)); }

// Add, Sub, Mul, Div and Pow: folded on constants; on an activation and a constant, affine ops.
void Importer::import_arithmetic(const onnx::NodeProto& node) {
  const std::string& op = node.op_type();
  if (all_constant(node)) {
    set_constant(node, fold_binary(node, constant_input(node, 0), constant_input(node, 1)));
    return;
  }
  const bool x_first = !input(node, 0).is_constant;
  if (!input(node, x_first ? 1 : 0).is_constant) {
    if (op != "Add") {
      reject(node, "both inputs are activations: only their sum (a residual Add) is supported");
    }
    set_output(node, residual_add(node));
    return;
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
}

// The join of a residual block: the sum of two activations of one shape, in float as ONNX's Add
// (the streamliner turns it and the sign after it into thresholds selected by the shortcut's
// value, docs/residual.md).
Value Importer::residual_add(const onnx::NodeProto& node) {
  const Value& a = runtime_input(node, 0);
  const Value& b = runtime_input(node, 1);
  if (a.dims != b.dims || !a.chw.empty() || !b.chw.empty()) {
    reject(node, "the two activations have different shapes [{}] and [{}] (no broadcasting)",
           fmt::join(a.dims, ","), fmt::join(b.dims, ","));
  }
  const auto pixels = [&](const Value& v) {
    int n = v.node;
    while (graph_.nodes[n].op() == Op::Affine || graph_.nodes[n].op() == Op::Reshape) {
      n = graph_.nodes[n].inputs[0];
    }
    return v.raw_input || v.fixed || graph_.nodes[n].op() == Op::Input;
  };
  if (pixels(a) || pixels(b)) {
    reject(node, "a sum with the input pixels is not supported (only of layers' outputs)");
  }
  // bnnc's add of integers or bits adds raw values; the sum of the imported graph is of real
  // values (a popcount P means 2P − N), so an input that is not yet a float step gets one, ·1.
  const auto real = [&](const Value& v, int i) {
    const Op op = graph_.nodes[v.node].op();
    if (op == Op::Affine || op == Op::BatchNorm) return v.node;
    return affine(node, v, AffineKind::Mul, {1.0F}, fmt::format(".real{}", i)).node;
  };
  const int in0 = real(a, 0), in1 = real(b, 1);
  Value out = a;
  out.node = graph_.add(node_name(node), AddAttrs{}, {in0, in1});
  out.binary = out.raw_input = out.fixed = false;
  return out;
}

// Sign and QONNX's BipolarQuant (x ≥ 0 → +scale, else −scale).
void Importer::import_sign(const onnx::NodeProto& node) {
  const Value& x = input(node, 0);
  float scale = 1.0F;
  if (node.op_type() == "BipolarQuant") {
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
  set_output(node, sign(node, runtime_input(node, 0), node.op_type() == "Sign"));
}

// x ≥ t, x > t, x ≤ t, x < t with a constant t (either operand): pending for a Where. Each is
// [x ≥ t] or [x > t], or the negation of one: x < t = NOT[x ≥ t], x ≤ t = NOT[x > t].
void Importer::import_comparison(const onnx::NodeProto& node) {
  const std::string& op = node.op_type();
  const bool x_first = !input(node, 0).is_constant;
  if (input(node, x_first ? 1 : 0).is_constant == false ||
      input(node, x_first ? 0 : 1).is_constant) {
    reject(node, "only a comparison of activations with a constant is supported");
  }
  const Value& x = runtime_input(node, x_first ? 0 : 1);
  Value out = x;
  Value::Comparison c;
  c.t = per_channel(node, constant_input(node, x_first ? 1 : 0), x);
  for (float t : c.t) {
    if (!std::isfinite(t)) reject(node, "constant {} is not a finite number", t);
  }
  // With the constant first, t ≥ x is x ≤ t, and so on.
  const bool greater = (op == "Greater" || op == "GreaterOrEqual") == x_first;
  const bool or_equal = op == "GreaterOrEqual" || op == "LessOrEqual";
  c.strict = greater ? !or_equal : or_equal;
  c.negated = !greater;
  out.comparison = std::move(c);
  out.binary = out.raw_input = out.fixed = false;
  set_output(node, std::move(out));
}

// Where(x ≥ t, a, b) with a, b = ±1: a binarizer. Every form becomes bnnc's sign (+1 ⇔ v ≥ 0) of
// v = s·x − u, exactly as the float comparison decides, ties included:
//   [x ≥ t]:                        v = x − t        (IEEE: x − t ≥ 0 ⇔ x ≥ t; the difference
//                                                      of two floats is 0 only when they are equal)
//   [x > t] = [x ≥ t⁺]:             v = x − t⁺       (t⁺ = nextafter(t, +∞), the next float:
//                                                      no float lies strictly between t and t⁺)
//   NOT[x ≥ t] = [−x > −t]:         v = −x − (−t)⁺   (−x is exact)
//   NOT[x > t] = [−x ≥ −t]:         v = −x − (−t)
// and Where(q, −1, +1) is Where(NOT q, +1, −1). So torch.where(x >= 0, 1., -1.) is bnnc's sign,
// and torch.where(x > 0, 1., -1.) sends x = 0 to −1 as PyTorch does.
void Importer::import_where(const onnx::NodeProto& node) {
  const Value& cond = input(node, 0);
  const OnnxConstant& a = constant_input(node, 1);
  const OnnxConstant& b = constant_input(node, 2);
  if (!cond.comparison || a.values.size() != 1 || b.values.size() != 1 ||
      std::fabs(a.values[0]) != 1.0 || b.values[0] != -a.values[0]) {
    reject(node,
           "only Where(x compared with a constant, +1, -1) or (…, -1, +1), a binarizer, is "
           "supported");
  }
  Value::Comparison c = *cond.comparison;
  if (a.values[0] < 0) c.negated = !c.negated;
  if (c.negated) {
    for (float& t : c.t) t = -t;
    c.strict = !c.strict;
  }
  Value x = cond;
  x.comparison.reset();
  if (c.negated) x = affine(node, x, AffineKind::Mul, {-1.0F}, ".negate");
  std::vector<float> minus_u;
  bool shifted = false;
  for (float t : c.t) {
    const float u = c.strict ? std::nextafter(t, std::numeric_limits<float>::infinity()) : t;
    if (!std::isfinite(u)) reject(node, "threshold {} has no next float", t);
    minus_u.push_back(-u);
    shifted = shifted || u != 0.0F;
  }
  if (shifted) x = affine(node, x, AffineKind::Add, std::move(minus_u), ".threshold");
  set_output(node, sign(node, x));
}

void Importer::import_quant(const onnx::NodeProto& node) {
  const Value& x = input(node, 0);
  const OnnxConstant& bits = constant_input(node, 3);
  const double width = bits.values.empty() ? 0 : bits.values[0];
  reject(node, "{}-bit {} are not supported yet (bnnc imports 1-bit BipolarQuant)", width,
         x.is_constant ? "weights" : "activations");
}

void Importer::import_multithreshold(const onnx::NodeProto& node) {
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
}

// The constant as one value per channel of x (or one for all): 1 or C floats.
std::vector<float> Importer::per_channel(const onnx::NodeProto& node, const OnnxConstant& c,
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

Value Importer::affine(const onnx::NodeProto& node, const Value& x, AffineKind kind,
                       std::vector<float> constant, const std::string& suffix) {
  for (float k : constant) {
    if (!std::isfinite(k) || (kind == AffineKind::Div && k == 0.0F)) {
      reject(node, "constant {} is not a finite number{}", k,
             kind == AffineKind::Div ? " other than 0" : "");
    }
  }
  Value out = x;
  out.node = graph_.add(node_name(node) + suffix, AffineAttrs{kind, std::move(constant)}, {x.node});
  out.binary = false;
  out.raw_input = false;
  return out;
}

Value Importer::sign(const onnx::NodeProto& node, const Value& x, bool zero_gives_zero) {
  Value out = x;
  out.node = graph_.add(node_name(node), SignAttrs{zero_gives_zero}, {x.node});
  out.binary = true;
  out.raw_input = false;
  return out;
}

// table[pixel] with a 256-entry constant table: bnnc's quantize, in the fixed-point format with
// the fewest fraction bits that holds every entry exactly.
Value Importer::quantize(const onnx::NodeProto& node, const OnnxConstant& table, const Value& x) {
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

}  // namespace bnnc::onnx_import
