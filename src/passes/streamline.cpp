#include "passes/streamline.h"

#include "ir/infer_types.h"
#include "passes/drop_monotone_scores.h"
#include "passes/fold_sign_into_threshold.h"

namespace bnnc {

Graph streamline(const Graph& graph) {
  // Signs first: the scores chain is only recognised once every layer before it is integer.
  Graph out = drop_monotone_scores(fold_sign_into_threshold(graph));
  for (const Node& node : out.nodes) {
    if (node.op() == Op::BatchNorm || node.op() == Op::Affine || node.type.dtype.is_float()) {
      const std::vector<int> consumers = out.consumers(out.find(node.name));
      const std::string next = consumers.empty()
                                   ? "the output"
                                   : fmt::format("'{}' ({})", out.nodes[consumers[0]].name,
                                                 op_name(out.nodes[consumers[0]].op()));
      fail("layer '{}' ({}): cannot become integer-only: it feeds {} without a sign", node.name,
           op_name(node.op()), next);
    }
  }
  infer_types(out);
  return out;
}

}  // namespace bnnc
