// The walk the golden model and the float reference share: the image checked against the
// network's input, then every node run in graph order on its inputs' tensors, and the class read
// off the final label select. Each interpreter brings its own tensor (raw integers in the golden
// model, reals in the float reference) and its own run_node.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "core/error.h"
#include "ir/graph.h"

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
  const auto& bias = last.as<LabelSelectAttrs>().bias;
  using Score = typename decltype(result.scores)::value_type;
  for (std::size_t c = 0; c < bias.size(); ++c) result.scores[c] += static_cast<Score>(bias[c]);
  return result;
}

}  // namespace bnnc
