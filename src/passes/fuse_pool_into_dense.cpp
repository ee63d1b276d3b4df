#include "passes/fuse_pool_into_dense.h"

#include <vector>

#include "ir/infer_types.h"
#include "passes/copy_node.h"

namespace bnnc {

std::optional<Graph> fuse_pool_into_dense(const Graph& graph) {
  const int label = graph.output();
  if (label <= 0 || graph.nodes[label].op() != Op::LabelSelect) return std::nullopt;
  const int dense = graph.nodes[label].inputs[0];
  if (graph.nodes[dense].op() != Op::Dense || graph.consumers(dense).size() != 1)
    return std::nullopt;
  int pool = graph.nodes[dense].inputs[0];
  int reshape = -1;
  if (graph.nodes[pool].op() == Op::Reshape && graph.consumers(pool).size() == 1) {
    reshape = pool;
    pool = graph.nodes[pool].inputs[0];
  }
  if (graph.nodes[pool].op() != Op::GlobalSumPool || graph.consumers(pool).size() != 1)
    return std::nullopt;
  const int source = graph.nodes[pool].inputs[0];
  const TensorType& pixels = graph.nodes[source].type;
  if (!pixels.dtype.is_bit() || pixels.shape.size() != 3) return std::nullopt;
  const LabelSelectAttrs& select = graph.nodes[label].as<LabelSelectAttrs>();
  if (select.shift + 1 > kMaxLabelShift) return std::nullopt;

  const BinaryMatrix& w = graph.nodes[dense].weights();
  const int channels = pixels.shape[2];
  const std::int64_t n = pixels.elements();
  if (w.cols() != channels || n > (std::int64_t{1} << 30)) return std::nullopt;
  const int count = static_cast<int>(n / channels);
  BinaryMatrix tiled(w.rows(), static_cast<int>(n));
  for (int j = 0; j < w.rows(); ++j) {
    for (int p = 0; p < count; ++p) {
      for (int c = 0; c < channels; ++c) tiled.set(j, p * channels + c, w.get(j, c));
    }
  }
  // Scores y·2^s + b = P·2^(s+1) + (b − N·2^s): each the same integer as before.
  LabelSelectAttrs scores = select;
  scores.shift = select.shift + 1;
  scores.bias.resize(static_cast<std::size_t>(w.rows()), 0);
  for (std::int64_t& b : scores.bias) b -= n << select.shift;

  Graph out;
  out.name = graph.name;
  out.classes = graph.classes;
  std::vector<int> index_map(graph.nodes.size(), -1);
  for (int i = 0; i < static_cast<int>(graph.nodes.size()); ++i) {
    const Node& node = graph.nodes[i];
    if (i == pool || i == reshape) continue;  // the flattening Reshape below takes their place
    if (i == label) {
      index_map[i] = out.add(node.name, scores, {index_map[dense]});
    } else if (i == dense) {
      const int flat =
          out.add(graph.nodes[pool].name, ReshapeAttrs{{static_cast<int>(n)}}, {index_map[source]});
      index_map[i] = out.add(node.name, DenseAttrs{tiled}, {flat});
    } else {
      index_map[i] = copy_node(out, node, index_map);
    }
  }
  infer_types(out);
  return out;
}

}  // namespace bnnc
