#include "passes/streamline.h"

#include <algorithm>
#include <string>

#include "io/onnx_importer.h"
#include "ir/infer_types.h"
#include "passes/drop_monotone_scores.h"
#include "passes/fold_sign_into_threshold.h"

namespace bnnc {

namespace {

// "'/fc/Gemm' (its scale step, affine)" for a step the ONNX importer split off a node, else
// "'name' (op)": errors name the node the user wrote.
std::string describe(const Node& node) {
  const ImportedName imported = split_imported_name(node.name);
  if (imported.step.empty()) return fmt::format("'{}' ({})", node.name, op_name(node.op()));
  return fmt::format("'{}' (its {} step, {})", imported.node, imported.step, op_name(node.op()));
}

// A step whose factor differs between channels: a Mul/Div with one constant per channel, or a
// batch-norm whose γ or variance does.
bool per_channel_slope(const Node& node) {
  const auto differ = [](const std::vector<float>& v) {
    return std::any_of(v.begin(), v.end(), [&](float k) { return k != v.front(); });
  };
  if (node.op() == Op::Affine) {
    const auto& a = node.as<AffineAttrs>();
    return a.kind != AffineKind::Add && differ(a.constant);
  }
  if (node.op() == Op::BatchNorm) {
    const auto& bn = node.as<BatchNormAttrs>();
    return differ(bn.gamma) || differ(bn.var);
  }
  return false;
}

// When `index` starts a chain of float steps ending in the label-select and one of them scales
// the classes differently, why that chain stays: the label-select compares integer scores that
// share one slope (x·2^shift + bias, ir/op.h), and s_j·x_j + b_j has one slope per class.
std::string scores_reason(const Graph& graph, int index) {
  bool per_class = false;
  while (graph.nodes[index].op() == Op::Affine || graph.nodes[index].op() == Op::BatchNorm) {
    per_class = per_class || per_channel_slope(graph.nodes[index]);
    const std::vector<int> consumers = graph.consumers(index);
    if (consumers.size() != 1) return "";
    index = consumers[0];
  }
  if (!per_class || graph.nodes[index].op() != Op::LabelSelect) return "";
  return "; the class scores have one scale per class (a last layer with weights ±s_j, or a "
         "batch-norm on the scores), which the label-select cannot compare exactly "
         "(docs/pytorch-import.md)";
}

}  // namespace

Graph streamline(const Graph& graph) {
  // Signs first: the scores chain is only recognised once every layer before it is integer.
  Graph out = drop_monotone_scores(fold_sign_into_threshold(graph));
  for (const Node& node : out.nodes) {
    if (node.op() == Op::BatchNorm || node.op() == Op::Affine || node.type.dtype.is_float()) {
      const std::vector<int> consumers = out.consumers(out.find(node.name));
      const std::string next = consumers.empty() ? "the output" : describe(out.nodes[consumers[0]]);
      fail("layer {}: cannot become integer-only: it feeds {} without a sign{}", describe(node),
           next, scores_reason(out, out.find(node.name)));
    }
  }
  infer_types(out);
  return out;
}

}  // namespace bnnc
