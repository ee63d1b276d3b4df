// Reconvergent paths: a fork (Duplicate) whose streams meet again at a join (AddStreams), as
// in a residual block. A linear chain cannot deadlock through small FIFOs, but a reconvergent
// path can (DESIGN.md §3): the fork writes every word to both branches at once, while the join
// reads both in lockstep. If the long branch (a 3×3 conv needs K − 1 rows before its first
// output) must take in m words before the join sees its first word from it, the short branch
// (the bypass) must hold what it produced from those m words meanwhile. When its FIFO is
// smaller, the fork stalls on the bypass, the long branch starves, and nothing moves again.
//
// The words needed follow from each block's dependency rule, in pixels: to emit output pixel
// n a block must have read need(n) input pixels — n + 1 for element-wise blocks, the window's
// last pixel for a SWU or pool, the interior pixels up to n for a padding block. Composing the
// rules along a branch gives R(n), the fork pixels the branch needs for its n-th output, and
// P(m) = #{n : R(n) ≤ m}, the outputs it can give from m fork pixels. When the join waits for
// pixel n, the other branch needs R_other(n) fork pixels; branch s has by then produced up to
// P_s(R_other(n)) pixels, n of them consumed. So the FIFO in front of the join on branch s
// needs max over n of P_s(R_other(n)) − n pixels (the branch's own buffers only add slack),
// i.e. that many pixels' words plus the 2 words of the register stages.
#pragma once

#include <cstdint>
#include <vector>

#include "fold/dataflow_graph.h"

namespace bnnc {

struct Reconvergence {
  int fork = -1;  // the Duplicate block
  int join = -1;  // the AddStreams block
  // Per join input: the blocks between fork and join, in stream order, and the FIFO depth in
  // words that input needs in front of the join.
  std::vector<int> branch[2];
  std::int64_t depth[2] = {0, 0};
};

// Every fork–join pair of the (folded) graph. Throws bnnc::Error for a join whose branches do
// not lead back to one fork through single-input blocks (nested reconvergence is not analysed).
std::vector<Reconvergence> find_reconvergent_paths(const DataflowGraph& graph);

// Input pixels a block must have read to emit its output pixel n (0-based), in raster order.
std::int64_t input_pixels_needed(const Block& block, std::int64_t n);

}  // namespace bnnc
