#include "passes/integer_domain.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>

namespace bnnc {

namespace {

std::optional<IntegerDomain> domain_of_type(const DType& type) {
  if (type.is_float()) return std::nullopt;
  const auto [lo, hi] = value_range(type);
  if (type.is_bit()) return IntegerDomain{2.0, -1.0, lo, hi};  // ±1 = 2·bit − 1
  if (type.kind == TypeKind::UInt) return IntegerDomain{1.0, 0.0, lo, hi};
  return IntegerDomain{std::ldexp(1.0, -type.frac_bits), 0.0, lo, hi};  // int, fixed
}

// Domain of a binary-weight layer with `synapses` inputs from a tensor of domain `in`.
std::optional<IntegerDomain> accumulator_domain(const DType& in_type, const IntegerDomain& in,
                                                int synapses) {
  if (in_type.is_bit()) return IntegerDomain{2.0, -static_cast<double>(synapses), 0, synapses};
  if (in.offset != 0.0) return std::nullopt;  // Σ ±(s·x + o) is not affine in Σ ±x
  const std::int64_t magnitude = std::max(std::llabs(in.lo), std::llabs(in.hi)) * synapses;
  return IntegerDomain{in.scale, 0.0, -magnitude, magnitude};
}

}  // namespace

std::optional<IntegerDomain> integer_domain(const Graph& graph, int index) {
  const Node& node = graph.nodes[index];
  const auto input_domain = [&]() { return integer_domain(graph, node.inputs[0]); };
  switch (node.op()) {
    case Op::Input:
    case Op::Threshold:
    case Op::Sign: return domain_of_type(node.type.dtype);
    case Op::Quantize: {
      const auto& a = node.as<QuantizeAttrs>();
      const auto [lo, hi] = std::minmax_element(a.table.begin(), a.table.end());
      return IntegerDomain{std::ldexp(1.0, -a.dtype.frac_bits), 0.0, *lo, *hi};
    }
    case Op::Dense:
    case Op::Conv2d: {
      const auto in = input_domain();
      if (!in) return std::nullopt;
      const BinaryMatrix& w = node.weights();
      if (node.op() == Op::Conv2d && node.as<Conv2dAttrs>().zero_padded()) {
        return IntegerDomain{1.0, 0.0, -w.cols(), w.cols()};
      }
      return accumulator_domain(graph.nodes[node.inputs[0]].type.dtype, *in, w.cols());
    }
    case Op::MaxPool:
    case Op::Reshape: return input_domain();
    case Op::GlobalSumPool: {
      // Σ over n pixels of scale·raw + offset: the raw sum, scale kept, offset n times; a bit's
      // ±1 = 2·bit − 1 is summed into the raw value itself (op.h).
      const auto in = input_domain();
      const TensorType& x = graph.nodes[node.inputs[0]].type;
      const std::int64_t n = static_cast<std::int64_t>(x.shape[0]) * x.shape[1];
      if (!in) return std::nullopt;
      if (x.dtype.is_bit()) return IntegerDomain{1.0, 0.0, -n, n};
      return IntegerDomain{in->scale, in->offset * static_cast<double>(n), in->lo * n, in->hi * n};
    }
    case Op::BatchNorm:
    case Op::Affine:
    case Op::Add:
    case Op::LabelSelect:
    case Op::Count: break;
  }
  return std::nullopt;
}

}  // namespace bnnc
