#include "sim/golden_model.h"

#include <algorithm>

#include "core/bits.h"
#include "ir/add_apply.h"
#include "ir/label_select_apply.h"
#include "sim/interpret_graph.h"

namespace bnnc {

namespace {

using Values = std::vector<std::int64_t>;

// Input value of an HWC tensor at (y, x, c), or pad_value outside the image.
// One output vector of a binary-weight layer from one input vector (a dense input or one conv
// window in (ky, kx, c) order).
//   bits:     P = popcount(XNOR(window, row)), the number of matching bits.
//   integers: acc = Σ (w ? x : −x).
void binary_matvec(const BinaryMatrix& weights, const DType& in_type, const Values& window,
                   std::vector<std::uint64_t>& packed, std::int64_t* out) {
  const int cols = weights.cols();
  if (in_type.is_bit()) {
    packed.assign(static_cast<std::size_t>(words_for_bits(cols)), 0);
    for (int i = 0; i < cols; ++i) set_bit(packed, i, window[i] != 0);
    for (int r = 0; r < weights.rows(); ++r) {
      out[r] = xnor_popcount(packed.data(), weights.row_words(r), cols);
    }
    return;
  }
  for (int r = 0; r < weights.rows(); ++r) {
    std::int64_t acc = 0;
    for (int i = 0; i < cols; ++i) acc += weights.get(r, i) ? window[i] : -window[i];
    out[r] = acc;
  }
}

// PadMode::Zero on bits (op.h): y = Σ over the window's synapses inside the image of +1 where
// the input bit equals the weight bit and −1 where it differs; the padded synapses add nothing.
Values run_conv2d_zero_padded(const Conv2dAttrs& a, const GoldenTensor& in,
                              const TensorType& out_type) {
  const int oh = out_type.shape[0], ow = out_type.shape[1], rows = a.weights.rows();
  const int h = in.type.shape[0], w = in.type.shape[1], channels = in.type.shape[2];
  Values out(static_cast<std::size_t>(oh) * ow * rows);
  for (int oy = 0; oy < oh; ++oy) {
    for (int ox = 0; ox < ow; ++ox) {
      std::int64_t* y = &out[(static_cast<std::size_t>(oy) * ow + ox) * rows];
      for (int ky = 0; ky < a.kernel; ++ky) {
        for (int kx = 0; kx < a.kernel; ++kx) {
          const int iy = oy * a.stride - a.pad + ky, ix = ox * a.stride - a.pad + kx;
          if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue;
          for (int c = 0; c < channels; ++c) {
            const bool bit = at_or_pad(in, iy, ix, c, 0) != 0;
            const int col = (ky * a.kernel + kx) * channels + c;
            for (int r = 0; r < rows; ++r) y[r] += a.weights.get(r, col) == bit ? 1 : -1;
          }
        }
      }
    }
  }
  return out;
}

Values run_conv2d(const Conv2dAttrs& a, const GoldenTensor& in, const TensorType& out_type) {
  if (a.zero_padded()) return run_conv2d_zero_padded(a, in, out_type);
  const int oh = out_type.shape[0], ow = out_type.shape[1], rows = a.weights.rows();
  Values out(static_cast<std::size_t>(oh) * ow * rows);
  Values window(static_cast<std::size_t>(a.weights.cols()));
  std::vector<std::uint64_t> packed;
  for (int oy = 0; oy < oh; ++oy) {
    for (int ox = 0; ox < ow; ++ox) {
      gather_window(a, in, oy, ox, a.pad_value, window);
      binary_matvec(a.weights, in.type.dtype, window, packed,
                    &out[(static_cast<std::size_t>(oy) * ow + ox) * rows]);
    }
  }
  return out;
}

Values run_maxpool(const MaxPoolAttrs& a, const GoldenTensor& in, const TensorType& out_type) {
  return run_maxpool_values(a, in, out_type);
}

// The signed sum over the pixels of each channel (op.h): on bits Σ (2·bit − 1), on integers the
// sum of the raw values.
Values run_global_sum_pool(const GoldenTensor& in) {
  const int channels = in.type.channels();
  const bool bits = in.type.dtype.is_bit();
  Values out(static_cast<std::size_t>(channels), 0);
  for (std::size_t i = 0; i < in.values.size(); ++i) {
    const std::int64_t v = in.values[i];
    out[i % static_cast<std::size_t>(channels)] += bits ? 2 * v - 1 : v;
  }
  return out;
}

Values run_threshold(const ThresholdAttrs& a, const GoldenTensor& in) {
  const int channels = in.type.channels();
  Values out(in.values.size());
  for (std::size_t i = 0; i < in.values.size(); ++i) {
    const int c = static_cast<int>(i % static_cast<std::size_t>(channels));
    const bool fires = in.values[i] >= a.thresholds[c];
    const bool negate = !a.negate.empty() && a.negate[c] != 0;
    out[i] = (fires != negate) ? 1 : 0;
  }
  return out;
}

Values run_node(const Node& node, const std::vector<const GoldenTensor*>& in) {
  switch (node.op()) {
    case Op::Input: break;  // handled by the caller
    case Op::Quantize: {
      const auto& table = node.as<QuantizeAttrs>().table;
      Values out(in[0]->values.size());
      for (std::size_t i = 0; i < out.size(); ++i) out[i] = table[in[0]->values[i]];
      return out;
    }
    case Op::Dense: {
      const auto& weights = node.as<DenseAttrs>().weights;
      Values out(static_cast<std::size_t>(weights.rows()));
      std::vector<std::uint64_t> packed;
      binary_matvec(weights, in[0]->type.dtype, in[0]->values, packed, out.data());
      return out;
    }
    case Op::Conv2d: return run_conv2d(node.as<Conv2dAttrs>(), *in[0], node.type);
    case Op::BatchNorm:
    case Op::Affine:
    case Op::Sign:
      fail("layer '{}' ({}): the golden model runs integer-only graphs; streamline it first",
           node.name, op_name(node.op()));
    case Op::Threshold: return run_threshold(node.as<ThresholdAttrs>(), *in[0]);
    case Op::MaxPool: return run_maxpool(node.as<MaxPoolAttrs>(), *in[0], node.type);
    case Op::Reshape: return in[0]->values;
    case Op::Add: {
      const auto& a = node.as<AddAttrs>();
      const int channels = in[0]->type.channels();
      const bool bit = in[1]->type.dtype.is_bit();
      Values out(in[0]->values.size());
      for (std::size_t i = 0; i < out.size(); ++i) {
        const int c = static_cast<int>(i % static_cast<std::size_t>(channels));
        out[i] = in[0]->values[i] + add_term(a, channels, c, in[1]->values[i], bit);
      }
      return out;
    }
    case Op::GlobalSumPool: return run_global_sum_pool(*in[0]);
    case Op::LabelSelect: {
      const auto& select = node.as<LabelSelectAttrs>();
      const Values& scores = in[0]->values;
      int best = 0;
      for (int c = 1; c < static_cast<int>(scores.size()); ++c) {
        const auto score = [&](int k) { return label_score(select, k, scores[k]); };
        if (score(c) > score(best)) best = c;  // strict: ties go to the lowest index
      }
      return {best};
    }
    case Op::Count: break;
  }
  BNNC_ASSERT(false, "golden model: unhandled op {}", op_name(node.op()));
  return {};
}

}  // namespace

std::vector<GoldenTensor> run_golden_layers(const Graph& graph,
                                            std::span<const std::uint8_t> image) {
  // Raw values in, as they are: uint8 pixels, or fixed-point codes.
  const auto read_input = [](const DType&, std::span<const std::uint8_t> pixels) {
    return Values(pixels.begin(), pixels.end());
  };
  return interpret_graph<GoldenTensor>(graph, image, read_input, run_node);
}

std::vector<std::int64_t> run_golden_node(const Node& node,
                                          const std::vector<const GoldenTensor*>& inputs) {
  return run_node(node, inputs);
}

Classification run_golden(const Graph& graph, std::span<const std::uint8_t> image) {
  final_label_select(graph);
  return classify_layers<Classification>(graph, run_golden_layers(graph, image));
}

}  // namespace bnnc
