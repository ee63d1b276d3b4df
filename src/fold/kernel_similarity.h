// Weight similarity of one binary layer's kernels (the rows of its weight matrix), and the order
// a weight-reuse engine computes them in (Fu et al.; ../docs/similarity.md).
//
// Weight reuse computes kernel b at a window from an already computed kernel a: with
// M = w_a XOR w_b, P_b = P_a − popcount(XNOR(x, w_a) & M) + popcount(XNOR(x, w_b) & M), so only
// the |M| = Ham(w_a, w_b) synapses where the kernels differ are read and computed. A complement
// is as good a partner: if w_b ≈ NOT w_a then P_b = (N − P_a) corrected on the positions where
// w_b and NOT w_a differ, so the distance between two kernels is
//     d(a, b) = min(Ham(a, b), N − Ham(a, b))      (negated when the second term is the smaller)
// and their similarity 1 − d/N. Paying N for one root and d(b, parent(b)) for every other kernel
// is cheapest when the parents form a minimum spanning tree of the complete graph under d.
#pragma once

#include <cstdint>
#include <vector>

#include "ir/binary_matrix.h"

namespace bnnc {

struct KernelPartner {
  int kernel = -1;       // the partner (nearest kernel, or the tree parent); -1 for the root
  int distance = 0;      // d(a, b) in bits
  bool negated = false;  // the partner's complement is the near one
};

struct KernelSimilarity {
  int synapses = 0;                    // N
  std::vector<KernelPartner> nearest;  // per kernel its nearest other kernel (lowest index on ties)
  std::vector<KernelPartner> parent;   // per kernel its parent in the minimum spanning tree
  std::vector<int> order;              // Prim's order from kernel 0: every parent before its child

  // Mean over kernels of 1 − d(b, nearest(b))/N: the figure comparable to Fu et al.'s.
  double nearest_similarity() const;
  // Mean over the kernels but the root of 1 − d(b, parent(b))/N: what the reuse schedule gets.
  double tree_similarity() const;
  int negated_edges() const;  // tree edges that use a complement
};

// Throws nothing; a layer with one kernel has no partner (nearest and tree figures 0).
KernelSimilarity kernel_similarity(const BinaryMatrix& weights);

// The SIMD-wide chunks (synapses [s·simd, (s+1)·simd)) in which kernel b differs from kernel a,
// or from its complement when negated.
int differing_chunks(const BinaryMatrix& weights, int a, int b, bool negated, int simd);

}  // namespace bnnc
