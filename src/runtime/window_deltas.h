// Input reuse's first step, shared by the variants' kernels (kernels_avx2.cpp,
// kernels_avx512.cpp): for each window of a binary conv, the input words where it differs from
// its left neighbour. Internal linkage (as kernels_generic.h), since each variant compiles it with
// its own instruction set.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "runtime/kernels.h"

namespace bnnc::runtime {
namespace {

// One window against its left neighbour: the indices k of the words that differ (`count` of them
// from `first` in the call's list) and Σ popcount(Δ) over them; count < 0: compute the window in
// full (the first of its output row, or one that differs in too many words).
struct WindowDelta {
  int first = 0;
  int count = -1;
  std::int64_t changed = 0;
};

// Every window of the call; one that differs in more than full_num/full_den of its words is
// computed in full.
inline void find_window_deltas(const BinaryGemmArgs& g, int full_num, int full_den,
                               std::vector<std::int32_t>& words, std::vector<WindowDelta>& deltas) {
  words.resize(static_cast<std::size_t>(g.m) * g.k);
  deltas.assign(static_cast<std::size_t>(g.m), WindowDelta{});
  auto row = [&](int i) {
    return g.a + (g.row_offsets != nullptr ? static_cast<std::ptrdiff_t>(g.row_offsets[i])
                                           : static_cast<std::ptrdiff_t>(i) * g.lda);
  };
  int listed = 0;
  for (int i = 0, x = 0; i < g.m; ++i, x = x + 1 == g.reuse_run ? 0 : x + 1) {
    if (x == 0) continue;  // the first window of an output row
    const std::uint64_t* a = row(i);
    const std::uint64_t* before = row(i - 1);
    int count = 0;
    std::int64_t changed = 0;
    for (int k = 0; k < g.k; ++k) {
      const std::ptrdiff_t at = g.col_offsets != nullptr ? g.col_offsets[k] : k;
      const std::uint64_t diff = a[at] ^ before[at];
      words[static_cast<std::size_t>(listed + count)] = k;
      count += diff != 0 ? 1 : 0;
      changed += std::popcount(diff);
    }
    if (count * full_den > g.k * full_num) continue;
    deltas[static_cast<std::size_t>(i)] = {listed, count, changed};
    listed += count;
  }
}

}  // namespace
}  // namespace bnnc::runtime
