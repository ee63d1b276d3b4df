#include "fold/kernel_similarity.h"

#include <algorithm>
#include <bit>
#include <limits>

#include "core/error.h"

namespace bnnc {

namespace {

// Ham(a, b) over the row's N synapses (bits past N are 0 in both rows, BinaryMatrix).
int hamming(const BinaryMatrix& weights, int a, int b) {
  const std::uint64_t* wa = weights.row_words(a);
  const std::uint64_t* wb = weights.row_words(b);
  int distance = 0;
  for (int w = 0; w < weights.words_per_row(); ++w) distance += std::popcount(wa[w] ^ wb[w]);
  return distance;
}

KernelPartner partner(int kernel, int hamming_distance, int synapses) {
  const int complement = synapses - hamming_distance;
  return complement < hamming_distance ? KernelPartner{kernel, complement, true}
                                       : KernelPartner{kernel, hamming_distance, false};
}

}  // namespace

double KernelSimilarity::nearest_similarity() const {
  if (nearest.size() < 2 || synapses == 0) return 0.0;
  double sum = 0.0;
  for (const KernelPartner& p : nearest) sum += 1.0 - static_cast<double>(p.distance) / synapses;
  return sum / static_cast<double>(nearest.size());
}

double KernelSimilarity::tree_similarity() const {
  if (parent.size() < 2 || synapses == 0) return 0.0;
  double sum = 0.0;
  for (const KernelPartner& p : parent) {
    if (p.kernel >= 0) sum += 1.0 - static_cast<double>(p.distance) / synapses;
  }
  return sum / static_cast<double>(parent.size() - 1);
}

int KernelSimilarity::negated_edges() const {
  int count = 0;
  for (const KernelPartner& p : parent) count += p.kernel >= 0 && p.negated ? 1 : 0;
  return count;
}

KernelSimilarity kernel_similarity(const BinaryMatrix& weights) {
  const int kernels = weights.rows();
  const int n = weights.cols();
  KernelSimilarity result;
  result.synapses = n;
  result.nearest.assign(static_cast<std::size_t>(kernels), {});
  result.parent.assign(static_cast<std::size_t>(kernels), {});
  if (kernels == 0) return result;

  // The full distance matrix: K ≤ a few thousand, K²/2 popcounts of N/64 words each.
  std::vector<KernelPartner> edge(static_cast<std::size_t>(kernels) * kernels);
  const auto at = [&](int a, int b) -> KernelPartner& {
    return edge[static_cast<std::size_t>(a) * kernels + b];
  };
  for (int a = 0; a < kernels; ++a) {
    for (int b = a + 1; b < kernels; ++b) {
      const int h = hamming(weights, a, b);
      at(a, b) = partner(b, h, n);
      at(b, a) = partner(a, h, n);
    }
  }
  for (int b = 0; b < kernels; ++b) {
    KernelPartner best{-1, std::numeric_limits<int>::max(), false};
    for (int a = 0; a < kernels; ++a) {
      if (a != b && at(b, a).distance < best.distance) best = at(b, a);
    }
    if (best.kernel >= 0) result.nearest[static_cast<std::size_t>(b)] = best;
  }

  // Prim from kernel 0 on the dense graph: O(K²).
  std::vector<bool> in_tree(static_cast<std::size_t>(kernels), false);
  std::vector<KernelPartner> link(static_cast<std::size_t>(kernels),
                                  {-1, std::numeric_limits<int>::max(), false});
  link[0].distance = 0;
  for (int step = 0; step < kernels; ++step) {
    int next = -1;
    for (int b = 0; b < kernels; ++b) {
      if (!in_tree[static_cast<std::size_t>(b)] &&
          (next < 0 || link[static_cast<std::size_t>(b)].distance <
                           link[static_cast<std::size_t>(next)].distance)) {
        next = b;
      }
    }
    BNNC_ASSERT(next >= 0, "kernel_similarity: Prim ran out of kernels");
    in_tree[static_cast<std::size_t>(next)] = true;
    result.order.push_back(next);
    result.parent[static_cast<std::size_t>(next)] = link[static_cast<std::size_t>(next)];
    for (int b = 0; b < kernels; ++b) {
      if (!in_tree[static_cast<std::size_t>(b)] &&
          at(b, next).distance < link[static_cast<std::size_t>(b)].distance) {
        link[static_cast<std::size_t>(b)] = at(b, next);
      }
    }
  }
  result.parent[0] = {};
  return result;
}

int differing_chunks(const BinaryMatrix& weights, int a, int b, bool negated, int simd) {
  const int n = weights.cols();
  const std::uint64_t* wa = weights.row_words(a);
  const std::uint64_t* wb = weights.row_words(b);
  int chunks = 0;
  for (int start = 0; start < n; start += simd) {
    const int end = std::min(n, start + simd);
    bool differs = false;
    for (int i = start; i < end && !differs; ++i) {
      const bool bit_a = ((wa[i / 64] >> (i % 64)) & 1U) != 0;
      const bool bit_b = ((wb[i / 64] >> (i % 64)) & 1U) != 0;
      differs = (bit_a != negated) != bit_b;
    }
    chunks += differs ? 1 : 0;
  }
  return chunks;
}

}  // namespace bnnc
