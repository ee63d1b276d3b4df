// Real-valued per-class offsets on integer scores, made integer without changing any class.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

namespace bnnc {

struct LabelBias {
  std::vector<std::int64_t> bias;  // one per class
  int shift = 0;
};

// A label-select that compares real scores x_c + t_c/u (x_c integers in [lo, hi], u > 0, t_c and
// u doubles, o_c = t_c/u exact real quotients) gives the same class and the same ties as one that
// compares the integers x_c·2^shift + bias_c, with
//
//   bias_c = ⌊o_c⌋·2^shift + rank_c,   rank_c = the rank of the fractional part o_c − ⌊o_c⌋
//                                      among the K distinct fractional parts (0 the smallest),
//   2^shift ≥ K.
//
// Why: x_c + ⌊o_c⌋ is an integer X_c and f_c = o_c − ⌊o_c⌋ lies in [0, 1), so
// X_a + f_a > X_b + f_b ⇔ X_a > X_b, or X_a = X_b and f_a > f_b (an integer difference of at
// least 1 outweighs fractions below 1), and equal reals have equal X and f. Replacing f_c by its
// rank keeps every comparison and every equality among fractions, and the rank below 2^shift
// keeps the same lexicographic order in X_c·2^shift + rank_c. So the argmax and its ties (→ the
// lowest index in both) agree for every x.
//
// Everything is computed exactly in double: r_c = fmod(t_c, u) is exact in IEEE arithmetic,
// n_c = (t_c − r_c)/u an exact integer (checked), and fractional parts of opposite signs of r
// are compared through an exact two-sum. A class whose offset is below the largest by more than
// hi − lo + 3 can never win nor tie for the max; its bias is set just low enough to keep that
// (so a huge negative offset costs no bits). Returns nothing when some offset that matters is
// not below 2^28 in magnitude, an intermediate is not exact, or more than 2^24 distinct fractions
// would need a wider shift: the caller then keeps the float chain (and reports it).
std::optional<LabelBias> exact_label_bias(std::span<const double> t, double u, std::int64_t lo,
                                          std::int64_t hi);

}  // namespace bnnc
