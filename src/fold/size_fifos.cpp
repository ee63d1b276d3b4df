#include "fold/size_fifos.h"

namespace bnnc {

std::vector<int> size_fifos(const DataflowGraph& graph) {
  std::vector<int> depths(graph.blocks.size(), 2);
  for (const Block& b : graph.blocks) {
    if (b.kind != BlockKind::Mvtu || b.inputs.empty()) continue;
    const int vector_words = (b.mw + b.simd - 1) / b.simd;
    depths[b.inputs[0]] = vector_words + 2;
  }
  return depths;
}

std::int64_t fifo_bits(const DataflowGraph& graph, const std::vector<int>& depths) {
  std::int64_t bits = 0;
  for (std::size_t i = 0; i < graph.blocks.size(); ++i) {
    bits += static_cast<std::int64_t>(depths[i]) * graph.blocks[i].out_word_bits();
  }
  return bits;
}

}  // namespace bnnc
