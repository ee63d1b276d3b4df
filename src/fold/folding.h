// The folding of a network: per matrix layer (MVTU) its PE, SIMD and MMV, and optionally the
// padded matrix size (BNN-PYNQ pads LFC's 784 inputs to 832 and its last layers' 10 rows to 64;
// padded rows never fire and padded columns add nothing, but cycles count them).
#pragma once

#include <string>
#include <vector>

#include "fold/dataflow_graph.h"

namespace bnnc {

struct LayerFolding {
  std::string name;  // the MVTU's layer name
  int pe = 1;
  int simd = 1;
  int mmv = 1;
  int rows = 0;  // padded MH; 0 = the smallest multiple of PE ≥ MH
  int cols = 0;  // padded MW; 0 = the smallest multiple of SIMD ≥ MW
  DenseOrder dense_order = DenseOrder::Output;  // a dense layer's loop order (input: not a conv)
  bool early_exit = false;                      // the early-exit MVTU variant (Block::early_exit)
  bool weight_reuse = false;                    // the weight-reuse variant (Block::weight_reuse)
  bool input_reuse = false;                     // the input-reuse variant (Block::input_reuse)
};

// How many pixels a word a max-pool and its border take from a producer of several a word:
// the fewest of them at which they keep the producer's pace, behind a width converter (Paced,
// the default: a pool's banks and reads grow with its pixels a word), or all of them (Producer,
// bnnc's rule before 2026-12-06). docs/latency-search.md, "Pools at their producer's pace".
enum class PoolWords { Paced, Producer };

struct Folding {
  std::vector<LayerFolding> layers;  // one per MVTU, in order
  int input_elems = 0;               // elements per input word; 0 = one pixel (all channels)
  // Bits per input word (--input-bits): when > 0, the input word carries the most whole pixels
  // that fit and divide the image's pixels (docs/pixel-parallel.md); it overrides input_elems.
  int input_bits = 0;
  PoolWords pool_words = PoolWords::Paced;  // "pool_words" in folding.json
};

// The folding the graph has now.
Folding folding_of(const DataflowGraph& graph);

// Sets PE/SIMD/MMV/padding of every MVTU and the stream widths and cycles of every block, and
// inserts width converters where a producer's word differs from its consumer's. An impossible
// folding throws bnnc::Error naming the layer, the rule and the values.
DataflowGraph apply_folding(const DataflowGraph& graph, const Folding& folding);

// The same on a bare chain of blocks (inputs by index into `blocks`): what apply_folding does
// after copying the network, and what the folding search runs on pieces of a network.
std::vector<Block> fold_blocks(std::vector<Block> blocks, const Folding& folding);

}  // namespace bnnc
