#include "runtime/skip_equal_windows.h"

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <vector>

namespace bnnc::runtime {

namespace {

// memcpy of a few bytes (an output row's share: 8 for 64 rows) in 8-byte moves, without a call.
void copy_short(std::uint8_t* to, const std::uint8_t* from, std::size_t length) {
  std::size_t b = 0;
  for (; b + 8 <= length; b += 8) std::memcpy(to + b, from + b, 8);
  for (; b < length; ++b) to[b] = from[b];
}

}  // namespace

void binary_gemm_skip_equal_windows(const BinaryGemmArgs& args,
                                    void (*gemm)(const BinaryGemmArgs&)) {
  if (args.reuse_run <= 1 || args.m < 2) {
    gemm(args);
    return;
  }
  thread_local std::vector<std::int32_t> offsets;  // of the windows computed
  thread_local std::vector<std::uint8_t> equal;    // 1: window i equals window i − 1
  offsets.resize(static_cast<std::size_t>(args.m));
  equal.resize(static_cast<std::size_t>(args.m));
  auto row = [&](int i) {
    return static_cast<std::ptrdiff_t>(args.row_offsets != nullptr
                                           ? args.row_offsets[i]
                                           : static_cast<std::ptrdiff_t>(i) * args.lda);
  };
  int kept = 0;
  for (int i = 0, x = 0; i < args.m; ++i, x = x + 1 == args.reuse_run ? 0 : x + 1) {
    bool same = x != 0;  // a row's first window has no left neighbour
    if (same) {
      // Every word, without an early exit: a branch per word would mispredict at random on the
      // windows that differ.
      const std::uint64_t* a = args.a + row(i);
      const std::uint64_t* before = args.a + row(i - 1);
      std::uint64_t diff = 0;
      for (int k = 0; k < args.k; ++k) {
        const std::ptrdiff_t at = args.col_offsets != nullptr ? args.col_offsets[k] : k;
        diff |= a[at] ^ before[at];
      }
      same = diff == 0;
    }
    equal[static_cast<std::size_t>(i)] = same ? 1 : 0;
    if (!same) offsets[static_cast<std::size_t>(kept++)] = static_cast<std::int32_t>(row(i));
  }
  if (kept == args.m) {
    gemm(args);
    return;
  }
  // The computed windows' outputs into a scratch of `kept` rows, then each row to its place, an
  // equal window's from its left neighbour's (already in place: the windows go in order).
  BinaryGemmArgs g = args;
  g.row_offsets = offsets.data();
  g.m = kept;
  g.reuse_run = 0;
  const bool bits = args.out_bits != nullptr;
  std::size_t offset = 0, length = 0, stride = 0;  // bytes of an output row this call writes
  if (bits) {
    offset = static_cast<std::size_t>(args.panel_begin);
    length = static_cast<std::size_t>(args.panel_end - args.panel_begin);
    stride = args.ldo;
  } else {
    const int end = std::min(args.panel_end * 8, args.rows);
    offset = static_cast<std::size_t>(args.panel_begin) * 8 * sizeof(std::int32_t);
    length =
        static_cast<std::size_t>(std::max(0, end - args.panel_begin * 8)) * sizeof(std::int32_t);
    stride = args.ldc * sizeof(std::int32_t);
  }
  thread_local std::vector<std::uint8_t> scratch;
  scratch.resize(static_cast<std::size_t>(kept) * stride + 64);
  if (bits) {
    g.out_bits = scratch.data();
  } else {
    g.out_counts = reinterpret_cast<std::int32_t*>(scratch.data());
  }
  gemm(g);
  auto* out = bits ? args.out_bits : reinterpret_cast<std::uint8_t*>(args.out_counts);
  std::size_t computed = 0;
  for (int i = 0; i < args.m; ++i) {
    std::uint8_t* to = out + static_cast<std::size_t>(i) * stride + offset;
    const std::uint8_t* from = equal[static_cast<std::size_t>(i)] != 0
                                   ? to - stride
                                   : scratch.data() + computed++ * stride + offset;
    copy_short(to, from, length);
  }
}

}  // namespace bnnc::runtime
