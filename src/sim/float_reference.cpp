#include "sim/float_reference.h"

#include <algorithm>
#include <cmath>

#include "ir/affine_apply.h"
#include "ir/batchnorm_apply.h"
#include "sim/interpret_graph.h"

namespace bnnc {

namespace {

using Values = std::vector<float>;

// The real value of a raw input element of the given type.
double real_of(const DType& type, std::int64_t raw) {
  if (type.is_bit()) return raw != 0 ? 1.0 : -1.0;
  return std::ldexp(static_cast<double>(raw), -type.frac_bits);
}

void matvec(const BinaryMatrix& weights, const Values& window, float* out) {
  for (int r = 0; r < weights.rows(); ++r) {
    double sum = 0.0;
    for (int i = 0; i < weights.cols(); ++i) {
      sum += weights.get(r, i) ? window[i] : -static_cast<double>(window[i]);
    }
    out[r] = static_cast<float>(sum);
  }
}

Values run_conv2d(const Conv2dAttrs& a, const FloatTensor& in, const TensorType& out_type) {
  const int oh = out_type.shape[0], ow = out_type.shape[1], rows = a.weights.rows();
  // Zero padding: the border holds 0, so its synapses add ±0 (op.h).
  const auto pad_value =
      a.zero_padded() ? 0.0F : static_cast<float>(real_of(in.type.dtype, a.pad_value));
  Values out(static_cast<std::size_t>(oh) * ow * rows);
  Values window(static_cast<std::size_t>(a.weights.cols()));
  for (int oy = 0; oy < oh; ++oy) {
    for (int ox = 0; ox < ow; ++ox) {
      gather_window(a, in, oy, ox, pad_value, window);
      matvec(a.weights, window, &out[(static_cast<std::size_t>(oy) * ow + ox) * rows]);
    }
  }
  return out;
}

Values run_maxpool(const MaxPoolAttrs& a, const FloatTensor& in, const TensorType& out_type) {
  return run_maxpool_values(a, in, out_type);
}

Values run_node(const Node& node, const std::vector<const FloatTensor*>& in) {
  const FloatTensor* x = in.empty() ? nullptr : in[0];
  switch (node.op()) {
    case Op::Input: break;
    case Op::Quantize: {
      const auto& a = node.as<QuantizeAttrs>();
      Values out(x->values.size());
      for (std::size_t i = 0; i < out.size(); ++i) {
        const auto pixel = static_cast<std::size_t>(x->values[i]);
        out[i] = static_cast<float>(real_of(a.dtype, a.table[pixel]));
      }
      return out;
    }
    case Op::Dense: {
      const auto& weights = node.as<DenseAttrs>().weights;
      Values out(static_cast<std::size_t>(weights.rows()));
      matvec(weights, x->values, out.data());
      return out;
    }
    case Op::Conv2d: return run_conv2d(node.as<Conv2dAttrs>(), *x, node.type);
    case Op::BatchNorm: {
      const auto& bn = node.as<BatchNormAttrs>();
      const int channels = x->type.channels();
      Values out(x->values.size());
      for (std::size_t i = 0; i < out.size(); ++i) {
        out[i] = batchnorm_apply(bn, static_cast<int>(i % channels), x->values[i]);
      }
      return out;
    }
    case Op::Affine: {
      const auto& a = node.as<AffineAttrs>();
      const int channels = x->type.channels();
      Values out(x->values.size());
      for (std::size_t i = 0; i < out.size(); ++i) {
        out[i] = affine_apply(a, static_cast<int>(i % channels), x->values[i]);
      }
      return out;
    }
    case Op::Sign: {
      const bool zero_gives_zero = node.as<SignAttrs>().zero_gives_zero;
      Values out(x->values.size());
      for (std::size_t i = 0; i < out.size(); ++i) {
        out[i] = zero_gives_zero && x->values[i] == 0.0F ? 0.0F
                 : sign_bit(x->values[i])                ? 1.0F
                                                         : -1.0F;
      }
      return out;
    }
    case Op::Threshold:
      fail("layer '{}' (threshold): the float reference runs graphs before streamlining",
           node.name);
    case Op::MaxPool: return run_maxpool(node.as<MaxPoolAttrs>(), *x, node.type);
    case Op::Reshape: return x->values;
    case Op::Add: {
      Values out(x->values.size());
      for (std::size_t i = 0; i < out.size(); ++i) out[i] = x->values[i] + in[1]->values[i];
      return out;
    }
    case Op::GlobalSumPool: {
      const int channels = x->type.channels();
      std::vector<double> sums(static_cast<std::size_t>(channels), 0.0);
      for (std::size_t i = 0; i < x->values.size(); ++i) sums[i % sums.size()] += x->values[i];
      return Values(sums.begin(), sums.end());
    }
    case Op::LabelSelect: {
      const auto& select = node.as<LabelSelectAttrs>();
      int best = 0;
      const auto score = [&](int k) {
        return static_cast<double>(x->values[k]) *
                   static_cast<double>(std::int64_t{1} << select.shift) +
               (select.bias.empty() ? 0.0 : static_cast<double>(select.bias[k]));
      };
      for (int c = 1; c < static_cast<int>(x->values.size()); ++c) {
        if (score(c) > score(best)) best = c;
      }
      return {static_cast<float>(best)};
    }
    case Op::Count: break;
  }
  BNNC_ASSERT(false, "float reference: unhandled op {}", op_name(node.op()));
  return {};
}

}  // namespace

std::vector<FloatTensor> run_float_layers(const Graph& graph, std::span<const std::uint8_t> image) {
  const auto read_input = [](const DType& type, std::span<const std::uint8_t> pixels) {
    Values values(pixels.size());
    for (std::size_t i = 0; i < pixels.size(); ++i) {
      values[i] = static_cast<float>(real_of(type, pixels[i]));
    }
    return values;
  };
  return interpret_graph<FloatTensor>(graph, image, read_input, run_node);
}

FloatResult run_float_reference(const Graph& graph, std::span<const std::uint8_t> image) {
  final_label_select(graph);
  return classify_layers<FloatResult>(graph, run_float_layers(graph, image));
}

}  // namespace bnnc
