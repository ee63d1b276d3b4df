#include "fold/pad_element.h"

namespace bnnc {

std::int64_t pad_element(const Block& padding, const Graph& ir, int channel) {
  const Node& node = ir.nodes[padding.layer];
  if (node.op() == Op::Conv2d) return node.as<Conv2dAttrs>().pad_value;
  BNNC_ASSERT(node.op() == Op::MaxPool, "padding block '{}' is neither a conv's nor a pool's",
              padding.name);
  const auto& min_channels = node.as<MaxPoolAttrs>().min_channels;
  const bool take_min =
      !min_channels.empty() && min_channels[static_cast<std::size_t>(channel)] != 0;
  const DType& type = ir.nodes[node.inputs[0]].type.dtype;
  if (type.is_bit()) return take_min ? 1 : 0;
  const auto [lo, hi] = value_range(type);
  return take_min ? hi : lo;
}

}  // namespace bnnc
