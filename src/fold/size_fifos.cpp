#include "fold/size_fifos.h"

namespace bnnc {

int input_fifo_depth(const Block& consumer) {
  if (consumer.kind != BlockKind::Mvtu) return 2;
  const int vector_words = (consumer.mw + consumer.simd - 1) / consumer.simd;
  return vector_words + 2;
}

std::vector<int> size_fifos(const DataflowGraph& graph) {
  std::vector<int> depths(graph.blocks.size(), 2);
  for (const Block& b : graph.blocks) {
    if (!b.inputs.empty()) depths[b.inputs[0]] = input_fifo_depth(b);
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
