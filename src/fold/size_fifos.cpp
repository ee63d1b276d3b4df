#include "fold/size_fifos.h"

#include <algorithm>

#include "fold/find_reconvergence.h"

namespace bnnc {

int input_fifo_depth(const Block& consumer) {
  if (consumer.kind != BlockKind::Mvtu) return 2;
  const int vector_words = (consumer.mw + consumer.simd - 1) / consumer.simd;
  return vector_words + 2;
}

FifoDepths size_fifos(const DataflowGraph& graph) {
  FifoDepths depths(graph.blocks.size());
  for (std::size_t i = 0; i < graph.blocks.size(); ++i) {
    depths[i].assign(graph.blocks[i].inputs.size(), input_fifo_depth(graph.blocks[i]));
  }
  for (const Reconvergence& r : find_reconvergent_paths(graph)) {
    for (int s = 0; s < 2; ++s) {
      int& depth = depths[r.join][s];
      depth = std::max(depth, static_cast<int>(r.depth[s]));
    }
  }
  return depths;
}

std::int64_t fifo_bits(const DataflowGraph& graph, const FifoDepths& depths) {
  std::int64_t bits = 0;
  for (std::size_t i = 0; i < graph.blocks.size(); ++i) {
    for (int depth : depths[i]) {
      bits += static_cast<std::int64_t>(depth) * graph.blocks[i].in_word_bits();
    }
  }
  return bits;
}

}  // namespace bnnc
