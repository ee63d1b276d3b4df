#include "fold/size_fifos.h"

#include <algorithm>

#include "core/ceil_div.h"
#include "fold/find_reconvergence.h"

namespace bnnc {

int input_fifo_depth(const Block& consumer, const Block& producer) {
  if (consumer.kind == BlockKind::Mvtu) {
    const int vector_words = ceil_div(consumer.mw, consumer.simd);
    return vector_words + 2;
  }
  // The window path of a convolution (its padding, or its SWU when unpadded) starts a frame
  // only once K − pad image rows are in, while its consumer is still on the last output row
  // of the frame before. If its producer also runs at the bottleneck's rate, that start costs
  // the producer a row's time every frame unless it can run one row ahead: so the FIFO in
  // front holds one input row. (Measured on models/cnv-pad.bnnc at --target-fps 5000, six
  // convolutions at 36,864 cycles: 41,193 cycles per frame with 2-word FIFOs, 36,882 with
  // these.)
  const bool window_path =
      consumer.kind == BlockKind::FmPadding ||
      (consumer.kind == BlockKind::Swu && producer.kind != BlockKind::FmPadding);
  if (window_path) {
    const int row_words = consumer.ifm_w * ceil_div(consumer.ifm_c, consumer.in_elems);
    return row_words + 2;
  }
  return 2;
}

FifoDepths size_fifos(const DataflowGraph& graph) {
  FifoDepths depths(graph.blocks.size());
  for (std::size_t i = 0; i < graph.blocks.size(); ++i) {
    const Block& b = graph.blocks[i];
    depths[i].assign(b.inputs.size(), 2);
    if (!b.inputs.empty()) depths[i][0] = input_fifo_depth(b, graph.blocks[b.inputs[0]]);
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
