// The weight-reuse MVTU's static schedule (Fu et al.'s weight reuse; ../docs/similarity.md): the
// order in which its PE lanes compute a layer's kernels at one input vector, which kernel each one
// starts from, and the cycles that costs. The weights are fixed, so all of it is known at compile
// time and every vector takes the same number of cycles.
//
// Kernel b is computed from its parent a in the minimum spanning tree of fold/kernel_similarity.h:
// on the positions D where w_b differs from w_a (from NOT w_a when the edge is negated),
//     P_b = s·P_a + c + 2·m_b(D),   s = ±1, c = (negated ? N : 0) − |D|,
// where m_b(D) counts the matches of x and w_b on D: only D is read and computed.
//
// The hardware: the input vector arrives as SF words of SIMD bits; SIMD lane j keeps its column
// (bit j of every word) in its own SF-deep, one-bit-wide memory, so in one cycle lane j can read
// any one position of its column — an SF:1 selector, one LUTRAM read port — but not another
// lane's. A kernel's differing positions are therefore compacted per lane: lane j walks
// D ∩ column j, and the kernel takes max_j |D ∩ column j| cycles (≥ ⌈|D|/SIMD⌉; full compaction
// across lanes would need an N:1 selector per lane). The per-lane position lists are what the
// schedule ROM holds instead of the weight ROM's bits.
//
// The PE lanes work in lock-step groups of up to PE kernels, like the plain MVTU's row groups:
//   group 0   the first PE kernels in breadth-first order of the tree (the root and its nearest
//             descendants), each computed in full from the input words as they arrive: SF cycles;
//   then      the other kernels level by level of the tree (a parent always lies in an earlier
//             group, so its P is in the P memory), a level's kernels sorted by cost and cut into
//             groups of PE; a group costs its slowest kernel's cycles, at least one.
// A vector costs the sum of its groups; its outputs leave in row order once the vector is done.
#pragma once

#include <cstdint>
#include <vector>

#include "fold/kernel_similarity.h"
#include "ir/binary_matrix.h"

namespace bnnc {

struct ReuseKernel {
  int parent = -1;                  // the row it starts from; -1: computed in full
  bool negated = false;             // from NOT w_parent: P starts at N − P_parent
  std::int64_t offset = 0;          // c = (negated ? N : 0) − |D|
  std::vector<std::uint64_t> mask;  // D, packed like a weight row (all N columns when in full)
  int positions = 0;                // |D|
  int cycles = 0;                   // max over lanes of |D ∩ column j| (SF when in full)
};

struct WeightReuseSchedule {
  std::vector<ReuseKernel> kernels;      // per row
  std::vector<std::vector<int>> groups;  // the rows each group computes, in order
  std::vector<int> group_cycles;
  std::int64_t vector_cycles = 0;  // Σ group_cycles
  std::int64_t plain_cycles = 0;   // the plain MVTU's NF·SF, for comparison
  std::int64_t ideal_cycles = 0;   // the same groups if each kernel took ⌈|D|/SIMD⌉ (full
                                   // compaction across lanes)
  std::int64_t positions = 0;      // Σ |D| over the kernels: synapses computed per vector
};

// PE and SIMD of the folding; SIMD lanes past the last column hold nothing (a dense layer's padded
// columns never differ).
WeightReuseSchedule weight_reuse_schedule(const BinaryMatrix& weights, int pe, int simd);

// The same from the weights' spanning tree (kernel_similarity(weights)), which does not depend on
// the folding: what the folding search computes once per layer.
WeightReuseSchedule weight_reuse_schedule(const BinaryMatrix& weights, const KernelSimilarity& tree,
                                          int pe, int simd);

}  // namespace bnnc
