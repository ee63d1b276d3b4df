// The walk the golden model and the float reference share: the image checked against the
// network's input, then every node run in graph order on its inputs' tensors, and the class read
// off the final label select. Each interpreter brings its own tensor (raw integers in the golden
// model, reals in the float reference) and its own run_node.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>
#include <type_traits>
#include <vector>

#include "core/error.h"
#include "ir/graph.h"
#include "ir/label_select_apply.h"

namespace bnnc {

// Tensor is {TensorType type; std::vector<V> values}. read_input(dtype, image) gives the input
// node's values; run_node(node, inputs) a node's values from its inputs' tensors (by pointer).
template <typename Tensor, typename ReadInput, typename RunNode>
std::vector<Tensor> interpret_graph(const Graph& graph, std::span<const std::uint8_t> image,
                                    ReadInput read_input, RunNode run_node) {
  BNNC_ASSERT(!graph.nodes.empty() && graph.nodes[0].op() == Op::Input, "graph has no input");
  const TensorType& input_type = graph.nodes[0].type;
  if (static_cast<std::int64_t>(image.size()) != input_type.elements()) {
    fail("input of {} values does not match the network's input {}", image.size(),
         to_string(input_type));
  }
  std::vector<Tensor> layers(graph.nodes.size());
  layers[0] = {input_type, read_input(input_type.dtype, image)};
  for (std::size_t i = 1; i < graph.nodes.size(); ++i) {
    const Node& node = graph.nodes[i];
    std::vector<const Tensor*> in;
    for (int input : node.inputs) in.push_back(&layers[input]);
    layers[i] = {node.type, run_node(node, in)};
  }
  return layers;
}

// The last node, checked before anything runs: only a label select gives a class.
inline const Node& final_label_select(const Graph& graph) {
  const Node& last = graph.nodes.back();
  if (last.op() != Op::LabelSelect) {
    fail("layer '{}' ({}): the network must end in labelselect to give a class", last.name,
         op_name(last.op()));
  }
  return last;
}

// The class from the layers interpret_graph returned: the label select's answer, and the scores
// it compared (its input + its bias).
template <typename Result, typename Tensor>
Result classify_layers(const Graph& graph, const std::vector<Tensor>& layers) {
  const Node& last = graph.nodes.back();
  Result result;
  result.label = static_cast<int>(layers.back().values[0]);
  result.scores = layers[static_cast<std::size_t>(last.inputs[0])].values;
  const auto& select = last.as<LabelSelectAttrs>();
  using Score = typename decltype(result.scores)::value_type;
  if constexpr (std::is_integral_v<Score>) {
    for (std::size_t c = 0; c < result.scores.size(); ++c) {
      result.scores[c] =
          static_cast<Score>(label_score(select, static_cast<int>(c), result.scores[c]));
    }
  } else {
    // The float reference: scores are reals; the same formula in double.
    for (std::size_t c = 0; c < result.scores.size(); ++c) {
      result.scores[c] =
          static_cast<Score>(static_cast<double>(result.scores[c]) *
                                 static_cast<double>(std::int64_t{1} << select.shift) +
                             (select.bias.empty() ? 0.0 : static_cast<double>(select.bias[c])));
    }
  }
  return result;
}

// What one element of a tensor holds (std::int64_t in the golden model, float in the reference).
template <typename Tensor>
using TensorValue = typename decltype(Tensor::values)::value_type;

// The value at (y, x, c) of an HWC tensor, or pad_value outside it (a padded border).
template <typename Tensor>
TensorValue<Tensor> at_or_pad(const Tensor& in, int y, int x, int c,
                              TensorValue<Tensor> pad_value) {
  const int h = in.type.shape[0], w = in.type.shape[1], channels = in.type.shape[2];
  if (y < 0 || y >= h || x < 0 || x >= w) return pad_value;
  return in.values[(static_cast<std::size_t>(y) * w + x) * channels + c];
}

// The window of output pixel (oy, ox) of a conv, in im2col's (ky, kx, c) order (DESIGN.md §2),
// with pad_value on the border.
template <typename Tensor>
void gather_window(const Conv2dAttrs& a, const Tensor& in, int oy, int ox,
                   TensorValue<Tensor> pad_value, std::vector<TensorValue<Tensor>>& window) {
  const int channels = in.type.shape[2];
  std::size_t i = 0;
  for (int ky = 0; ky < a.kernel; ++ky) {
    for (int kx = 0; kx < a.kernel; ++kx) {
      for (int c = 0; c < channels; ++c) {
        window[i++] =
            at_or_pad(in, oy * a.stride - a.pad + ky, ox * a.stride - a.pad + kx, c, pad_value);
      }
    }
  }
}

// Max-pool (min on the channels the streamliner marked, DESIGN.md §2: on bits max is OR and min
// is AND). A window takes its pixels inside the input only: the pad never wins (op.h), and
// pad < kernel leaves every window at least one of them.
template <typename Tensor>
auto run_maxpool_values(const MaxPoolAttrs& a, const Tensor& in, const TensorType& out_type) {
  using V = TensorValue<Tensor>;
  const int oh = out_type.shape[0], ow = out_type.shape[1], channels = out_type.shape[2];
  const int h = in.type.shape[0], w = in.type.shape[1];
  std::vector<V> out(static_cast<std::size_t>(oh) * ow * channels);
  for (int oy = 0; oy < oh; ++oy) {
    const int y0 = std::max(0, oy * a.stride - a.pad);
    const int y1 = std::min(h, oy * a.stride - a.pad + a.kernel);
    for (int ox = 0; ox < ow; ++ox) {
      const int x0 = std::max(0, ox * a.stride - a.pad);
      const int x1 = std::min(w, ox * a.stride - a.pad + a.kernel);
      for (int c = 0; c < channels; ++c) {
        const bool take_min = !a.min_channels.empty() && a.min_channels[c] != 0;
        V result = at_or_pad(in, y0, x0, c, V{0});
        for (int y = y0; y < y1; ++y) {
          for (int x = x0; x < x1; ++x) {
            const V v = at_or_pad(in, y, x, c, V{0});
            result = take_min ? std::min(result, v) : std::max(result, v);
          }
        }
        out[(static_cast<std::size_t>(oy) * ow + ox) * channels + c] = result;
      }
    }
  }
  return out;
}

}  // namespace bnnc
