#include "fold/choose_input_reuse.h"

#include <algorithm>

namespace bnnc {

Folding with_input_reuse(const DataflowGraph& lowered, Folding folding) {
  const DataflowGraph folded = apply_folding(lowered, folding);
  for (int i : folded.mvtus()) {
    const Block& b = folded.blocks[static_cast<std::size_t>(i)];
    if (!b.can_reuse_inputs() || b.mmv != 1 || b.early_exit || b.weight_reuse) continue;
    auto it = std::find_if(folding.layers.begin(), folding.layers.end(),
                           [&](const LayerFolding& f) { return f.name == b.name; });
    if (it == folding.layers.end()) it = folding.layers.insert(folding.layers.end(), {b.name});
    it->input_reuse = true;
  }
  return folding;
}

}  // namespace bnnc
