#include "ir/graph_stats.h"

namespace bnnc {

GraphStats graph_stats(const Graph& graph) {
  GraphStats stats;
  for (int i = 0; i < static_cast<int>(graph.nodes.size()); ++i) {
    const Node& node = graph.nodes[i];
    LayerStats layer{i, 0, 0, 0};
    if (node.op() == Op::Dense) {
      const auto& w = node.as<DenseAttrs>().weights;
      layer.weight_bits = static_cast<std::int64_t>(w.rows()) * w.cols();
      layer.macs = layer.weight_bits;
    } else if (node.op() == Op::Conv2d) {
      const auto& w = node.as<Conv2dAttrs>().weights;
      layer.weight_bits = static_cast<std::int64_t>(w.rows()) * w.cols();
      layer.macs = layer.weight_bits * node.type.shape[0] * node.type.shape[1];
    } else if (node.op() == Op::Threshold) {
      layer.thresholds = static_cast<std::int64_t>(node.as<ThresholdAttrs>().thresholds.size());
    }
    if (node.op() == Op::Dense || node.op() == Op::Conv2d) ++stats.compute_layers;
    stats.macs += layer.macs;
    stats.weight_bits += layer.weight_bits;
    stats.thresholds += layer.thresholds;
    stats.layers.push_back(layer);
  }
  stats.ops = 2 * stats.macs;
  return stats;
}

int class_count(const Graph& graph) {
  if (!graph.nodes.empty() && graph.nodes.back().op() == Op::LabelSelect &&
      !graph.nodes.back().inputs.empty()) {
    const TensorType& scores = graph.nodes[graph.nodes.back().inputs[0]].type;
    if (scores.shape.size() == 1) return scores.shape[0];
  }
  return static_cast<int>(graph.classes.size());
}

}  // namespace bnnc
