#include "fold/weight_reuse_schedule.h"

#include <algorithm>
#include <bit>

#include "core/ceil_div.h"
#include "fold/kernel_similarity.h"

namespace bnnc {

namespace {

// Kernel b from `parent` (−1: in full): D, |D|, c and its cycles under per-lane compaction.
ReuseKernel reuse_kernel(const BinaryMatrix& w, int b, const KernelPartner& parent, int simd) {
  const int n = w.cols();
  const int words = w.words_per_row();
  ReuseKernel k;
  k.mask.assign(static_cast<std::size_t>(words), 0);
  const std::uint64_t* wb = w.row_words(b);
  for (int i = 0; i < words; ++i) {
    const int bits = std::min(64, n - 64 * i);
    const std::uint64_t real = bits == 64 ? ~std::uint64_t{0} : (std::uint64_t{1} << bits) - 1;
    std::uint64_t d = real;
    if (parent.kernel >= 0) {
      const std::uint64_t differ = wb[i] ^ w.row_words(parent.kernel)[i];
      d = (parent.negated ? ~differ : differ) & real;
    }
    k.mask[static_cast<std::size_t>(i)] = d;
    k.positions += std::popcount(d);
  }
  std::vector<int> per_lane(static_cast<std::size_t>(simd), 0);
  for (int c = 0; c < n; ++c) {
    if ((k.mask[static_cast<std::size_t>(c / 64)] >> (c % 64)) & 1U) {
      ++per_lane[static_cast<std::size_t>(c % simd)];
    }
  }
  k.cycles = *std::max_element(per_lane.begin(), per_lane.end());
  if (parent.kernel >= 0) {
    k.parent = parent.kernel;
    k.negated = parent.negated;
    k.offset = (parent.negated ? n : 0) - k.positions;
  } else {
    k.cycles = static_cast<int>(ceil_div(n, simd));
  }
  return k;
}

}  // namespace

WeightReuseSchedule weight_reuse_schedule(const BinaryMatrix& weights, int pe, int simd) {
  return weight_reuse_schedule(weights, kernel_similarity(weights), pe, simd);
}

WeightReuseSchedule weight_reuse_schedule(const BinaryMatrix& weights, const KernelSimilarity& tree,
                                          int pe, int simd) {
  const int rows = weights.rows();
  const int sf = static_cast<int>(ceil_div(weights.cols(), simd));
  WeightReuseSchedule s;
  s.plain_cycles = ceil_div(rows, pe) * static_cast<std::int64_t>(sf);
  if (rows == 0) return s;

  // Breadth-first order and depth of every kernel (the root is Prim's first, kernel 0).
  std::vector<std::vector<int>> children(static_cast<std::size_t>(rows));
  for (int b : tree.order) {
    const int p = tree.parent[static_cast<std::size_t>(b)].kernel;
    if (p >= 0) children[static_cast<std::size_t>(p)].push_back(b);
  }
  std::vector<int> bfs{tree.order[0]}, depth(static_cast<std::size_t>(rows), 0);
  for (std::size_t i = 0; i < bfs.size(); ++i) {
    for (int c : children[static_cast<std::size_t>(bfs[i])]) {
      depth[static_cast<std::size_t>(c)] = depth[static_cast<std::size_t>(bfs[i])] + 1;
      bfs.push_back(c);
    }
  }

  s.kernels.resize(static_cast<std::size_t>(rows));
  const int first = std::min(pe, rows);
  s.groups.emplace_back(bfs.begin(), bfs.begin() + first);
  for (int b : s.groups[0])
    s.kernels[static_cast<std::size_t>(b)] = reuse_kernel(weights, b, {}, simd);
  std::vector<std::vector<int>> levels;
  for (std::size_t i = static_cast<std::size_t>(first); i < bfs.size(); ++i) {
    const int b = bfs[i];
    s.kernels[static_cast<std::size_t>(b)] =
        reuse_kernel(weights, b, tree.parent[static_cast<std::size_t>(b)], simd);
    const auto level = static_cast<std::size_t>(depth[static_cast<std::size_t>(b)]);
    if (levels.size() <= level) levels.resize(level + 1);
    levels[level].push_back(b);
  }
  for (std::vector<int>& level : levels) {
    std::stable_sort(level.begin(), level.end(), [&](int a, int b) {
      return s.kernels[static_cast<std::size_t>(a)].cycles >
             s.kernels[static_cast<std::size_t>(b)].cycles;
    });
    for (std::size_t i = 0; i < level.size(); i += static_cast<std::size_t>(pe)) {
      s.groups.emplace_back(level.begin() + static_cast<std::ptrdiff_t>(i),
                            level.begin() + static_cast<std::ptrdiff_t>(std::min(
                                                level.size(), i + static_cast<std::size_t>(pe))));
    }
  }
  for (std::size_t g = 0; g < s.groups.size(); ++g) {
    int cycles = 1, ideal = 1;
    for (int b : s.groups[g]) {
      const ReuseKernel& k = s.kernels[static_cast<std::size_t>(b)];
      cycles = std::max(cycles, k.cycles);
      ideal = std::max(ideal, g == 0 ? sf : static_cast<int>(ceil_div(k.positions, simd)));
      s.positions += k.positions;
    }
    s.group_cycles.push_back(cycles);
    s.vector_cycles += cycles;
    s.ideal_cycles += ideal;
  }
  return s;
}

}  // namespace bnnc
