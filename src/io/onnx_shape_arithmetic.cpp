#include "io/onnx_shape_arithmetic.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cmath>

#include "io/onnx_importer_state.h"

namespace bnnc::onnx_import {

std::int64_t product(const std::vector<std::int64_t>& dims) {
  std::int64_t p = 1;
  for (std::int64_t d : dims) p *= d;
  return p;
}

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

// The dims of a constant, or of an activation with its batch dim of 1.
void Importer::import_shape(const onnx::NodeProto& node) {
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
}

// On constants: entries of a 1-D constant. A runtime index into a 256-entry table is a quantize
// (onnx_import_elementwise.cpp).
void Importer::import_gather(const onnx::NodeProto& node) {
  if (all_constant(node)) {
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
  } else if (!input(node, 0).is_constant) {
    reject(node, "gathers from activations are not supported");
  } else if (!input(node, 1).is_constant) {
    set_output(node, quantize(node, constant_input(node, 0), runtime_input(node, 1)));
  } else {
    reject_unknown_op(node);
  }
}

void Importer::import_concat(const onnx::NodeProto& node) {
  if (!all_constant(node)) reject_unknown_op(node);
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
}

// On activations only the raw pixels to integers (a table's indices: the quantize's Gather).
void Importer::import_cast(const onnx::NodeProto& node) {
  if (!input(node, 0).is_constant) {
    const Value& x = runtime_input(node, 0);
    const std::int64_t to = onnx_int_attribute(node, "to", 0);
    // A cast of activations to float or double (torch.onnx writes one where a custom autograd
    // Function's output meets a float tensor, e.g. torch.sign in an STE before a residual Add):
    // their values are unchanged, and bnnc computes in float32 as PyTorch's model does.
    if (!x.raw_input && (to == onnx::TensorProto::FLOAT || to == onnx::TensorProto::DOUBLE)) {
      set_output(node, x);
      return;
    }
    if (!x.raw_input || (to != onnx::TensorProto::INT64 && to != onnx::TensorProto::INT32)) {
      reject(node, "only casts of the raw uint8 input to integers are supported");
    }
    set_output(node, x);
    return;
  }
  if (!all_constant(node)) reject_unknown_op(node);
  OnnxConstant c = constant_input(node, 0);
  const std::int64_t to = onnx_int_attribute(node, "to", onnx::TensorProto::FLOAT);
  c.integer = to == onnx::TensorProto::INT64 || to == onnx::TensorProto::INT32;
  for (double& v : c.values) v = c.integer ? std::trunc(v) : static_cast<float>(v);
  set_constant(node, c);
}

void Importer::import_constant_of_shape(const onnx::NodeProto& node) {
  if (!all_constant(node)) reject_unknown_op(node);
  set_constant(node, constant_of_shape(node, constant_input(node, 0)));
}

void Importer::import_slice(const onnx::NodeProto& node) {
  if (!all_constant(node)) reject(node, "slices of activations are not supported");
  set_constant(node, slice(node));
}

// Squeeze and Unsqueeze: new dims of a constant, or a reshape of an activation.
void Importer::import_squeeze(const onnx::NodeProto& node) {
  const bool unsqueeze = node.op_type() == "Unsqueeze";
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
    c.dims = squeeze_dims(node, c.dims, axes, unsqueeze);
    set_constant(node, c);
  } else {
    const std::vector<std::int64_t> full = squeeze_dims(node, batch_dims(x), axes, unsqueeze);
    set_output(node, reshape(node, runtime_input(node, 0), without_batch(node, full)));
  }
}

// Reshape and Flatten: new dims of a constant, or a flatten of an activation.
void Importer::import_reshape(const onnx::NodeProto& node) {
  const bool flatten = node.op_type() == "Flatten";
  const Value& x = input(node, 0);
  if (x.is_constant) {
    OnnxConstant c = x.constant;
    if (flatten) {
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
  if (flatten) {
    if (onnx_int_attribute(node, "axis", 1) != 1) reject(node, "only axis 1 is supported");
    full = {1, product(full)};
  } else {
    full = reshape_target(node, full, constant_input(node, 1));
  }
  set_output(node, reshape(node, rx, without_batch(node, full)));
}

void Importer::import_transpose(const onnx::NodeProto& node) {
  const Value& x = input(node, 0);
  if (!x.is_constant) reject(node, "transposes of activations are not supported");
  set_constant(node, transpose(node, x.constant));
}

void Importer::import_sqrt(const onnx::NodeProto& node) {
  if (!all_constant(node)) reject_unknown_op(node);
  OnnxConstant c = constant_input(node, 0);
  for (double& v : c.values) v = std::sqrt(static_cast<float>(v));
  set_constant(node, c);
}

// Adds a bnnc reshape to [size] of node `from`, but before the scalar affines that end the
// graph so far (e.g. the input's /255): the streamliner folds an unbroken float chain into
// a threshold, and scalar steps mean the same on either side of a reshape.
int Importer::flatten_before_scalars(const std::string& name, int from, int size) {
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
Value Importer::reshape(const onnx::NodeProto& node, const Value& x, const Shape& to) {
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

std::vector<std::int64_t> Importer::with_axes(const onnx::NodeProto& node,
                                              const std::vector<std::int64_t>& from_input) {
  std::vector<std::int64_t> axes = onnx_ints_attribute(node, "axes");
  if (axes.empty()) axes = from_input;
  return axes;
}

// Dims after Squeeze/Unsqueeze (`full` includes the batch dim).
std::vector<std::int64_t> Importer::squeeze_dims(const onnx::NodeProto& node,
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

std::vector<std::int64_t> Importer::batch_dims(const Value& x) {
  std::vector<std::int64_t> full{1};
  for (int d : x.dims) full.push_back(d);
  return full;
}

Shape Importer::without_batch(const onnx::NodeProto& node, const std::vector<std::int64_t>& full) {
  if (full.empty() || full[0] != 1) reject(node, "the batch dimension must stay first");
  Shape out;
  for (std::size_t i = 1; i < full.size(); ++i) {
    if (full[i] < 1 || full[i] > kMaxDim) reject(node, "dimension {} out of range", full[i]);
    out.push_back(static_cast<int>(full[i]));
  }
  return out;
}

std::vector<std::int64_t> Importer::reshape_target(const onnx::NodeProto& node,
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
OnnxConstant Importer::fold_binary(const onnx::NodeProto& node, const OnnxConstant& a,
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
OnnxConstant Importer::constant_of_shape(const onnx::NodeProto& node, const OnnxConstant& shape) {
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
OnnxConstant Importer::slice(const onnx::NodeProto& node) {
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

OnnxConstant Importer::transpose(const onnx::NodeProto& node, const OnnxConstant& c) {
  std::vector<std::int64_t> perm = onnx_ints_attribute(node, "perm");
  const std::size_t rank = c.dims.size();
  if (perm.empty()) {
    for (std::size_t i = 0; i < rank; ++i) perm.push_back(static_cast<std::int64_t>(rank - 1 - i));
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

}  // namespace bnnc::onnx_import
