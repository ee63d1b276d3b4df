#include "ir/infer_types.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <set>

namespace bnnc {

namespace {

// Throws the verifier's error for one node.
template <typename... Args>
[[noreturn]] void reject(const Node& node, fmt::format_string<Args...> format, Args&&... args) {
  fail("layer '{}' ({}): {}", node.name, op_name(node.op()),
       fmt::format(format, std::forward<Args>(args)...));
}

// Accumulator type of a binary-weight layer with `synapses` inputs of type `in`.
DType accumulator_type(const DType& in, long long synapses) {
  if (in.is_bit()) return DType::uint(uint_bits_for(synapses));
  const auto [lo, hi] = value_range(in);
  const long long magnitude = std::max(std::llabs(lo), std::llabs(hi)) * synapses;
  const int bits = int_bits_for(-magnitude, magnitude);
  if (in.kind == TypeKind::Fixed) return DType::fixed(bits, in.frac_bits);
  return DType::sint(bits);
}

void check_per_channel(const Node& node, const char* what, std::size_t size, int channels,
                       bool may_be_empty) {
  if (may_be_empty && size == 0) return;
  if (size != static_cast<std::size_t>(channels)) {
    reject(node, "{} must have one entry per channel: {} entries for {} channels", what, size,
           channels);
  }
}

TensorType infer_node(const Node& node, const std::vector<const TensorType*>& in) {
  const TensorType* x = in.empty() ? nullptr : in[0];
  switch (node.op()) {
    case Op::Input: {
      const auto& a = node.as<InputAttrs>();
      if (a.shape.empty()) reject(node, "input shape must not be empty");
      for (int dim : a.shape) {
        if (dim <= 0) reject(node, "input dimensions must be positive: {}", to_string(a.shape));
      }
      return {a.dtype, a.shape};
    }
    case Op::Quantize: {
      const auto& a = node.as<QuantizeAttrs>();
      if (x->dtype != DType::uint(8)) {
        reject(node, "input must be uint8 pixels, not {}", to_string(x->dtype));
      }
      if (a.table.size() != 256)
        reject(node, "table must have 256 entries, not {}", a.table.size());
      if (!a.dtype.is_integer()) reject(node, "output type must be fixed point or integer");
      const auto [lo, hi] = value_range(a.dtype);
      for (std::size_t i = 0; i < a.table.size(); ++i) {
        if (a.table[i] < lo || a.table[i] > hi) {
          reject(node, "table[{}] = {} does not fit {}", i, a.table[i], to_string(a.dtype));
        }
      }
      return {a.dtype, x->shape};
    }
    case Op::Dense: {
      const auto& w = node.as<DenseAttrs>().weights;
      if (x->shape.size() != 1) {
        reject(node, "input must be a vector (flatten it first), not {}", to_string(x->shape));
      }
      if (x->dtype.is_float()) reject(node, "input must be bits or integers, not float");
      if (w.rows() <= 0) reject(node, "weights must have at least one row");
      if (w.cols() != x->shape[0]) {
        reject(node, "weight columns must equal the input length: {} != {}", w.cols(), x->shape[0]);
      }
      return {accumulator_type(x->dtype, w.cols()), {w.rows()}};
    }
    case Op::Conv2d: {
      const auto& a = node.as<Conv2dAttrs>();
      if (x->shape.size() != 3) reject(node, "input must be HWC, not {}", to_string(x->shape));
      if (x->dtype.is_float()) reject(node, "input must be bits or integers, not float");
      if (a.kernel < 1 || a.stride < 1 || a.pad < 0) {
        reject(node, "kernel and stride must be ≥ 1 and pad ≥ 0: kernel {}, stride {}, pad {}",
               a.kernel, a.stride, a.pad);
      }
      if (a.pad > (1 << 20) || a.kernel > (1 << 20) || a.stride > (1 << 20)) {
        reject(node, "kernel, stride and pad must be at most 2^20: kernel {}, stride {}, pad {}",
               a.kernel, a.stride, a.pad);
      }
      const int h = x->shape[0] + 2 * a.pad;
      const int w = x->shape[1] + 2 * a.pad;
      if (h < a.kernel || w < a.kernel) {
        reject(node, "kernel {} does not fit the padded input {}x{}", a.kernel, h, w);
      }
      const int c = x->shape[2];
      if (static_cast<long long>(a.weights.cols()) !=
          static_cast<long long>(a.kernel) * a.kernel * c) {
        reject(node, "weight columns must equal kernel·kernel·channels: {} != {}·{}·{}",
               a.weights.cols(), a.kernel, a.kernel, c);
      }
      if (a.weights.rows() <= 0) reject(node, "weights must have at least one row");
      const auto [lo, hi] = value_range(x->dtype);
      if (a.pad_mode != PadMode::Value && a.pad_mode != PadMode::Zero) {
        reject(node, "unknown pad mode {}", static_cast<int>(a.pad_mode));
      }
      if (a.zero_padded() && !x->dtype.is_bit()) {
        reject(node,
               "pad mode zero is for bit input (pad value 0 of {} already means zero): use pad "
               "mode value",
               to_string(x->dtype));
      }
      if (a.zero_padded() && a.pad_value != 0) {
        reject(node, "pad mode zero takes no pad value: pad_value {} must be 0", a.pad_value);
      }
      if (a.pad > 0 && (a.pad_value < lo || a.pad_value > hi)) {
        reject(node, "pad value {} does not fit the input type {}", a.pad_value,
               to_string(x->dtype));
      }
      const int oh = (h - a.kernel) / a.stride + 1;
      const int ow = (w - a.kernel) / a.stride + 1;
      // Zero padding: the signed dot product y over the valid synapses, −N..N (op.h).
      const long long n = a.weights.cols();
      const DType out =
          a.zero_padded() ? DType::sint(int_bits_for(-n, n)) : accumulator_type(x->dtype, n);
      return {out, {oh, ow, a.weights.rows()}};
    }
    case Op::BatchNorm: {
      const auto& a = node.as<BatchNormAttrs>();
      const int c = x->channels();
      check_per_channel(node, "gamma", a.gamma.size(), c, false);
      check_per_channel(node, "beta", a.beta.size(), c, false);
      check_per_channel(node, "mean", a.mean.size(), c, false);
      check_per_channel(node, "var", a.var.size(), c, false);
      check_per_channel(node, "bias", a.bias.size(), c, true);
      for (std::size_t i = 0; i < a.var.size(); ++i) {
        if (!(a.var[i] + a.eps > 0.0F)) {
          reject(node, "var + eps must be positive: channel {} has var {} and eps {}", i, a.var[i],
                 a.eps);
        }
      }
      return {DType::float32(), x->shape};
    }
    case Op::Affine: {
      const auto& a = node.as<AffineAttrs>();
      if (a.constant.size() != 1)
        check_per_channel(node, "constant", a.constant.size(), x->channels(), false);
      for (float k : a.constant) {
        if (!std::isfinite(k) || (a.kind == AffineKind::Div && k == 0.0F)) {
          reject(node, "constant {} of a {} must be a finite number{}", k, affine_kind_name(a.kind),
                 a.kind == AffineKind::Div ? " other than 0" : "");
        }
      }
      return {DType::float32(), x->shape};
    }
    case Op::Sign: return {DType::bit(), x->shape};
    case Op::Threshold: {
      const auto& a = node.as<ThresholdAttrs>();
      if (!x->dtype.is_integer()) {
        reject(node, "input must be integers (popcounts, accumulators, pixels), not {}",
               to_string(x->dtype));
      }
      if (a.thresholds_per_channel != 1) {
        reject(node, "{} thresholds per channel (multi-bit activations) are not supported yet",
               a.thresholds_per_channel);
      }
      check_per_channel(node, "thresholds", a.thresholds.size(), x->channels(), false);
      check_per_channel(node, "negate", a.negate.size(), x->channels(), true);
      return {DType::bit(), x->shape};
    }
    case Op::MaxPool: {
      const auto& a = node.as<MaxPoolAttrs>();
      if (x->shape.size() != 3) reject(node, "input must be HWC, not {}", to_string(x->shape));
      if (a.kernel < 1 || a.stride < 1) {
        reject(node, "kernel and stride must be ≥ 1: kernel {}, stride {}", a.kernel, a.stride);
      }
      if (a.kernel > (1 << 20) || a.stride > (1 << 20)) {
        reject(node, "kernel and stride must be at most 2^20: kernel {}, stride {}", a.kernel,
               a.stride);
      }
      // A window of pad pixels only would have no value to take: pad < kernel rules it out.
      if (a.pad < 0 || a.pad >= a.kernel) {
        reject(node, "pad must be ≥ 0 and smaller than the kernel: pad {}, kernel {}", a.pad,
               a.kernel);
      }
      const int h = x->shape[0] + 2 * a.pad, w = x->shape[1] + 2 * a.pad;
      if (h < a.kernel || w < a.kernel) {
        reject(node, "kernel {} does not fit the input {}x{}", a.kernel, h, w);
      }
      check_per_channel(node, "min_channels", a.min_channels.size(), x->channels(), true);
      return {x->dtype,
              {(h - a.kernel) / a.stride + 1, (w - a.kernel) / a.stride + 1, x->shape[2]}};
    }
    case Op::Reshape: {
      const auto& a = node.as<ReshapeAttrs>();
      TensorType out{x->dtype, a.shape};
      for (int dim : a.shape) {
        if (dim <= 0) reject(node, "dimensions must be positive: {}", to_string(a.shape));
      }
      if (a.shape.empty() || out.elements() != x->elements()) {
        reject(node, "element count must not change: {} → {}", to_string(x->shape),
               to_string(a.shape));
      }
      return out;
    }
    case Op::Add: {
      const TensorType* y = in[1];
      if (x->shape != y->shape) {
        reject(node, "inputs must have one shape: {} and {}", to_string(x->shape),
               to_string(y->shape));
      }
      const auto& a = node.as<AddAttrs>();
      // An imported graph adds real values (float, or ±1 bits read as reals) until streamlined.
      if ((x->dtype.is_float() || y->dtype.is_float() || x->dtype.is_bit()) && a.offsets.empty()) {
        return {DType::float32(), x->shape};
      }
      if (!x->dtype.is_integer() || !(y->dtype.is_integer() || y->dtype.is_bit())) {
        reject(node, "inputs must be an integer and an integer or bits: {} and {}",
               to_string(x->dtype), to_string(y->dtype));
      }
      const auto [lx, hx] = value_range(x->dtype);
      auto [ly, hy] = value_range(y->dtype);
      if (y->dtype.is_bit()) ly = -1, hy = 1;  // a bit adds ±1 (op.h)
      if (!a.offsets.empty()) {
        const int channels = x->channels();
        const auto size = static_cast<std::int64_t>(a.offsets.size());
        if (size % channels != 0) {
          reject(node, "offsets must hold the same number of entries per channel: {} for {}", size,
                 channels);
        }
        const std::int64_t span = size / channels;
        if (ly < a.in1_min || hy - a.in1_min >= span) {
          reject(node,
                 "offsets of {} entries per channel from in1_min {} do not cover every value of "
                 "input 1 ({}, {}..{})",
                 span, a.in1_min, to_string(y->dtype), ly, hy);
        }
        constexpr std::int64_t kMaxOffset = std::int64_t{1} << 40;
        const auto [lo, hi] = std::minmax_element(a.offsets.begin(), a.offsets.end());
        if (*lo < -kMaxOffset || *hi > kMaxOffset) {
          reject(node, "offset {} is out of range (±2^40)", std::llabs(*lo) > *hi ? *lo : *hi);
        }
        ly = *lo, hy = *hi;
      }
      return {DType::sint(int_bits_for(lx + ly, hx + hy)), x->shape};
    }
    case Op::GlobalSumPool: {
      if (x->shape.size() != 3) reject(node, "input must be HWC, not {}", to_string(x->shape));
      if (x->dtype.is_float()) reject(node, "input must be bits or integers, not float");
      const long long pixels = static_cast<long long>(x->shape[0]) * x->shape[1];
      if (x->dtype.is_bit()) return {DType::sint(int_bits_for(-pixels, pixels)), {x->shape[2]}};
      const auto [lo, hi] = value_range(x->dtype);
      if (std::max(std::llabs(lo), std::llabs(hi)) > (1LL << 40) / pixels) {
        reject(node, "the sum of {} pixels of {} may not fit 64 bits", pixels, to_string(x->dtype));
      }
      const int bits = int_bits_for(lo * pixels, hi * pixels);
      DType out = x->dtype.kind == TypeKind::UInt ? DType::uint(uint_bits_for(hi * pixels))
                                                  : DType::sint(bits);
      if (x->dtype.kind == TypeKind::Fixed) out = DType::fixed(bits, x->dtype.frac_bits);
      return {out, {x->shape[2]}};
    }
    case Op::LabelSelect: {
      const auto& a = node.as<LabelSelectAttrs>();
      if (x->shape.size() != 1) reject(node, "input must be a vector of scores");
      if (x->dtype.is_bit()) reject(node, "input must be scores (integers), not bits");
      check_per_channel(node, "bias", a.bias.size(), x->shape[0], true);
      if (a.shift < 0 || a.shift > kMaxLabelShift) {
        reject(node, "shift {} is outside 0..{}", a.shift, kMaxLabelShift);
      }
      return {DType::uint(uint_bits_for(x->shape[0] - 1)), {1}};
    }
    case Op::Count: break;
  }
  BNNC_ASSERT(false, "unknown op {}", static_cast<int>(node.op()));
  return {};
}

}  // namespace

void infer_types(Graph& graph) {
  if (graph.nodes.empty()) fail("graph '{}' has no layers", graph.name);
  std::set<std::string> names;
  for (int i = 0; i < static_cast<int>(graph.nodes.size()); ++i) {
    Node& node = graph.nodes[i];
    if (node.name.empty()) fail("graph '{}': layer {} has no name", graph.name, i);
    if (!names.insert(node.name).second) reject(node, "layer name is used twice");
    if ((node.op() == Op::Input) != (i == 0)) {
      reject(node, "the input must be the first layer and only the first");
    }
    if (static_cast<int>(node.inputs.size()) != op_arity(node.op())) {
      reject(node, "takes {} inputs, has {}", op_arity(node.op()), node.inputs.size());
    }
    std::vector<const TensorType*> in;
    for (int input : node.inputs) {
      if (input < 0 || input >= i) {
        reject(node, "input index {} must name an earlier layer", input);
      }
      in.push_back(&graph.nodes[input].type);
    }
    node.type = infer_node(node, in);
  }
  // Class names name the label select's scores one for one: with more or fewer, a class would
  // be printed under another's name.
  const Node& last = graph.nodes.back();
  if (!graph.classes.empty() && last.op() == Op::LabelSelect &&
      graph.nodes[last.inputs[0]].type.shape.size() == 1) {
    const int scores = graph.nodes[last.inputs[0]].type.shape[0];
    if (static_cast<int>(graph.classes.size()) != scores) {
      fail("graph '{}': {} class names for {} classes (the scores of '{}')", graph.name,
           graph.classes.size(), scores, last.name);
    }
  }
}

void verify_graph(const Graph& graph) {
  Graph copy = graph;
  infer_types(copy);
  for (std::size_t i = 0; i < graph.nodes.size(); ++i) {
    if (copy.nodes[i].type != graph.nodes[i].type) {
      reject(graph.nodes[i], "stored type {} differs from the inferred {}",
             to_string(graph.nodes[i].type), to_string(copy.nodes[i].type));
    }
  }
}

}  // namespace bnnc
