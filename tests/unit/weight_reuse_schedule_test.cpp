// fold/weight_reuse_schedule.h: every kernel once, parents in earlier groups, the per-lane
// compaction's cycles against a brute-force count, and the popcount correction
// P_b = s·P_a + c + 2·m_b(D) against the plain XNOR popcount on random inputs.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <set>

#include "core/bits.h"
#include "core/ceil_div.h"
#include "fold/weight_reuse_schedule.h"
#include "random_network.h"

namespace bnnc {
namespace {

// Kernels near a few prototypes (some complemented), so the tree has cheap edges of both signs.
BinaryMatrix clustered(int rows, int cols, std::mt19937_64& rng) {
  const BinaryMatrix proto = test::random_matrix(3, cols, rng);
  BinaryMatrix m(rows, cols);
  for (int r = 0; r < rows; ++r) {
    const int p = static_cast<int>(rng() % 3);
    const bool flip = rng() % 2 == 0;
    for (int c = 0; c < cols; ++c) m.set(r, c, (proto.get(p, c) != flip) != (rng() % 8 == 0));
  }
  return m;
}

TEST(WeightReuseSchedule, GroupsParentsAndCycles) {
  std::mt19937_64 rng(16);
  for (int trial = 0; trial < 40; ++trial) {
    const int rows = 2 + static_cast<int>(rng() % 40), cols = 1 + static_cast<int>(rng() % 150);
    const int pe = 1 + static_cast<int>(rng() % 6), simd = 1 + static_cast<int>(rng() % 20);
    const BinaryMatrix w = clustered(rows, cols, rng);
    const WeightReuseSchedule s = weight_reuse_schedule(w, pe, simd);
    const int sf = static_cast<int>(ceil_div(cols, simd));
    std::vector<int> group_of(static_cast<std::size_t>(rows), -1);
    std::int64_t total = 0;
    for (std::size_t g = 0; g < s.groups.size(); ++g) {
      ASSERT_GE(s.groups[g].size(), 1U);
      ASSERT_LE(static_cast<int>(s.groups[g].size()), pe);
      int slowest = 1;
      for (int row : s.groups[g]) {
        ASSERT_EQ(group_of[static_cast<std::size_t>(row)], -1) << "row computed twice";
        group_of[static_cast<std::size_t>(row)] = static_cast<int>(g);
        slowest = std::max(slowest, s.kernels[static_cast<std::size_t>(row)].cycles);
      }
      EXPECT_EQ(s.group_cycles[g], slowest);
      total += slowest;
    }
    EXPECT_EQ(s.vector_cycles, total);
    EXPECT_EQ(s.groups[0].size(), static_cast<std::size_t>(std::min(pe, rows)));
    for (int b = 0; b < rows; ++b) {
      const ReuseKernel& k = s.kernels[static_cast<std::size_t>(b)];
      ASSERT_GE(group_of[static_cast<std::size_t>(b)], 0) << "row never computed";
      if (k.parent < 0) {
        EXPECT_EQ(group_of[static_cast<std::size_t>(b)], 0);
        EXPECT_EQ(k.cycles, sf);
        continue;
      }
      EXPECT_LT(group_of[static_cast<std::size_t>(k.parent)],
                group_of[static_cast<std::size_t>(b)]);
      // D and the per-lane count, bit by bit.
      std::vector<int> lane(static_cast<std::size_t>(simd), 0);
      int d = 0;
      for (int c = 0; c < cols; ++c) {
        const bool differs = (w.get(b, c) != w.get(k.parent, c)) != k.negated;
        EXPECT_EQ(differs, ((k.mask[static_cast<std::size_t>(c / 64)] >> (c % 64)) & 1U) != 0);
        if (differs) ++d, ++lane[static_cast<std::size_t>(c % simd)];
      }
      EXPECT_EQ(k.positions, d);
      EXPECT_LE(2 * d, cols) << "the partner's complement would be nearer";
      EXPECT_EQ(k.cycles, *std::max_element(lane.begin(), lane.end()));
      EXPECT_GE(k.cycles, ceil_div(d, simd));
      // The correction on random inputs equals the plain popcount.
      for (int t = 0; t < 4; ++t) {
        std::vector<std::uint64_t> x(static_cast<std::size_t>(words_for_bits(cols)), 0);
        for (int c = 0; c < cols; ++c) set_bit(x, c, rng() % 2 == 0);
        const std::int64_t pa = xnor_popcount(x.data(), w.row_words(k.parent), cols);
        std::int64_t m = 0;
        for (std::size_t i = 0; i < x.size(); ++i) {
          m += std::popcount(~(x[i] ^ w.row_words(b)[i]) & k.mask[i]);
        }
        EXPECT_EQ((k.negated ? -pa : pa) + k.offset + 2 * m,
                  xnor_popcount(x.data(), w.row_words(b), cols));
      }
    }
    EXPECT_LE(s.ideal_cycles, s.vector_cycles);
  }
}

// Equal and complementary kernels cost one cycle each after the first group.
TEST(WeightReuseSchedule, EqualAndComplementKernels) {
  std::mt19937_64 rng(3);
  const BinaryMatrix one = test::random_matrix(1, 70, rng);
  BinaryMatrix w(6, 70);
  for (int r = 0; r < 6; ++r) {
    for (int c = 0; c < 70; ++c) w.set(r, c, one.get(0, c) != (r % 2 == 1));
  }
  const WeightReuseSchedule s = weight_reuse_schedule(w, 2, 8);  // SF 9, NF 3
  EXPECT_EQ(s.plain_cycles, 27);
  EXPECT_EQ(s.vector_cycles, 9 + 1 + 1);  // group 0 in full, then two groups of two
  EXPECT_EQ(s.positions, 2 * 70);
  int negated = 0;
  for (const ReuseKernel& k : s.kernels) negated += k.parent >= 0 && k.negated ? 1 : 0;
  EXPECT_GE(negated, 1);
}

}  // namespace
}  // namespace bnnc
