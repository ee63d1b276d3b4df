#include "passes/streamline.h"

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

}  // namespace

Graph streamline(const Graph& graph) {
  // Signs first: the scores chain is only recognised once every layer before it is integer.
  Graph out = drop_monotone_scores(fold_sign_into_threshold(graph));
  for (const Node& node : out.nodes) {
    if (node.op() == Op::BatchNorm || node.op() == Op::Affine || node.type.dtype.is_float()) {
      const std::vector<int> consumers = out.consumers(out.find(node.name));
      const std::string next = consumers.empty() ? "the output" : describe(out.nodes[consumers[0]]);
      fail("layer {}: cannot become integer-only: it feeds {} without a sign", describe(node),
           next);
    }
  }
  infer_types(out);
  return out;
}

}  // namespace bnnc
