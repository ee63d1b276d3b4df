#include "passes/exact_label_bias.h"

#include <algorithm>
#include <bit>
#include <cmath>

#include "ir/op.h"

namespace bnnc {

namespace {

constexpr double kMaxOffset = 268435456.0;  // 2^28

// o = t/u as n + f, f = r/u ∈ [0, 1): r ∈ [0, u) held as fmod's remainder, which for t < 0 is
// r' ∈ (−u, 0] with r = r' + u (not formed: it may not be exact).
struct Split {
  std::int64_t n = 0;
  double rem = 0.0;      // fmod(t, u)
  bool wrapped = false;  // rem < 0: the fraction is (rem + u)/u
};

// Exact sign of (a + b) − c for doubles a, b ≥ 0 and c > 0: a two-sum gives a + b = s + e exactly,
// and rounding is monotone, so s < c ⇒ a + b < c and s > c ⇒ a + b > c.
int compare_sum(double a, double b, double c) {
  const double s = a + b;
  const double bb = s - a;
  const double e = (a - (s - bb)) + (b - bb);
  if (s != c) return s < c ? -1 : 1;
  return e < 0 ? -1 : (e > 0 ? 1 : 0);
}

// −1, 0, 1 as the fractional parts of x and y compare (both of one u).
int compare_fraction(const Split& x, const Split& y, double u) {
  if (x.wrapped == y.wrapped) return x.rem < y.rem ? -1 : (x.rem > y.rem ? 1 : 0);
  // One wrapped: compare x.rem vs y.rem + u (x plain) ⇔ x.rem + |y.rem| vs u.
  if (!x.wrapped) return compare_sum(x.rem, -y.rem, u);
  return -compare_sum(y.rem, -x.rem, u);
}

std::optional<Split> split(double t, double u) {
  Split s;
  s.rem = std::fmod(t, u);  // exact
  // t − rem is an exact multiple of u; its double is exact when the two-sum error vanishes.
  const double multiple = t - s.rem;
  const double back = multiple - t;
  if ((t - (multiple - back)) + (-s.rem - back) != 0.0) return std::nullopt;
  const double n = multiple / u;
  if (n != std::trunc(n) || std::fabs(n) >= kMaxOffset || std::fma(n, u, -multiple) != 0.0) {
    return std::nullopt;
  }
  s.n = static_cast<std::int64_t>(n);
  if (s.rem < 0) {
    s.n -= 1;
    s.wrapped = true;
  }
  return s;
}

}  // namespace

std::optional<LabelBias> exact_label_bias(std::span<const double> t, double u, std::int64_t lo,
                                          std::int64_t hi) {
  if (t.empty() || !(u > 0) || !std::isfinite(u) || hi < lo || hi - lo > (std::int64_t{1} << 32)) {
    return std::nullopt;
  }
  for (double v : t) {
    if (!std::isfinite(v)) return std::nullopt;
  }
  const std::int64_t range = hi - lo;
  std::vector<double> approx;
  for (double v : t) approx.push_back(v / u);
  const double top = *std::max_element(approx.begin(), approx.end());
  // Classes that can never reach the max (with a margin for the rounding of approx).
  std::vector<bool> out_of_reach(t.size());
  std::vector<Split> parts(t.size());
  for (std::size_t c = 0; c < t.size(); ++c) {
    out_of_reach[c] = approx[c] < top - static_cast<double>(range) - 4.0;
    if (out_of_reach[c]) continue;
    const std::optional<Split> s = split(t[c], u);
    if (!s) return std::nullopt;
    parts[c] = *s;
  }
  std::vector<std::size_t> order;
  for (std::size_t c = 0; c < t.size(); ++c) {
    if (!out_of_reach[c]) order.push_back(c);
  }
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    return compare_fraction(parts[a], parts[b], u) < 0;
  });
  std::vector<std::int64_t> rank(t.size(), 0);
  std::int64_t distinct = 0;
  for (std::size_t i = 0; i < order.size(); ++i) {
    if (i > 0 && compare_fraction(parts[order[i - 1]], parts[order[i]], u) != 0) ++distinct;
    rank[order[i]] = distinct;
  }
  const int shift = static_cast<int>(std::bit_width(static_cast<std::uint64_t>(distinct)));
  if (shift > kMaxLabelShift) return std::nullopt;
  std::int64_t n_max = parts[order.front()].n;
  for (std::size_t c : order) n_max = std::max(n_max, parts[c].n);
  LabelBias out;
  out.shift = shift;
  for (std::size_t c = 0; c < t.size(); ++c) {
    // Out of reach: (x + n_max − range − 2)·2^shift ≤ (lo + n_max − 2)·2^shift, below the score
    // of the class holding n_max at any x.
    const std::int64_t n = out_of_reach[c] ? n_max - range - 2 : parts[c].n;
    out.bias.push_back(n * (std::int64_t{1} << shift) + (out_of_reach[c] ? 0 : rank[c]));
  }
  return out;
}

}  // namespace bnnc
