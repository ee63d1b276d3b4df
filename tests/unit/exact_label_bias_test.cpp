// Real-valued class offsets made integer (passes/exact_label_bias.h, docs/residual.md): the
// integer label-select must order and tie every pair of classes exactly as the real scores
// x_c + t_c/u do, and agree with float32 scores except where float rounding ties them.
#include "passes/exact_label_bias.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>

#include "ir/infer_types.h"
#include "ir/label_select_apply.h"
#include "passes/streamline.h"
#include "random_network.h"
#include "sim/float_reference.h"
#include "sim/golden_model.h"

namespace bnnc {
namespace {

__extension__ typedef __int128 Int128;  // GCC's, for the exact reference only

// v·2^kScale as an exact integer (v a double whose lowest bit is at least 2^−kScale).
constexpr int kScale = 100;
Int128 scaled(double v) {
  int exponent = 0;
  const double mantissa = std::frexp(v, &exponent);  // v = mantissa·2^exponent, |mantissa| < 1
  const auto m = static_cast<std::int64_t>(std::ldexp(mantissa, 53));
  const int shift = exponent - 53 + kScale;
  if (shift >= 0) return static_cast<Int128>(m) * (static_cast<Int128>(1) << shift);
  EXPECT_EQ(m % (std::int64_t{1} << -shift), 0) << v;
  return static_cast<Int128>(m >> -shift);
}

// −1, 0, 1: the exact real comparison of x_a + t_a/u and x_b + t_b/u (×u·2^kScale).
int compare_real(std::int64_t xa, double ta, std::int64_t xb, double tb, double u) {
  const Int128 a = static_cast<Int128>(xa) * scaled(u) + scaled(ta);
  const Int128 b = static_cast<Int128>(xb) * scaled(u) + scaled(tb);
  return a < b ? -1 : (a > b ? 1 : 0);
}

int sign(std::int64_t v) { return v < 0 ? -1 : (v > 0 ? 1 : 0); }

// Random offsets with every hard case: equal offsets, offsets an exact integer apart (same
// fraction), fractions of opposite signs of t, tiny and zero offsets, and offsets so low the
// class can never win. Every pair of classes, at random scores and at the scores where the real
// values are closest, must compare as in exact arithmetic.
TEST(ExactLabelBias, OrdersAndTiesEveryPairAsExactRealScores) {
  std::mt19937_64 rng(15);
  int shifted = 0, ties = 0, clamped_cases = 0;
  for (int trial = 0; trial < 300; ++trial) {
    const int classes = 2 + static_cast<int>(rng() % 40);
    // u: a float32 scale times a power of two (a popcount's 2, a fixed point's 2^−F).
    const float s = std::uniform_real_distribution<float>(0.05F, 3.0F)(rng);
    const double u = static_cast<double>(s) * std::ldexp(1.0, static_cast<int>(rng() % 5) - 2);
    const std::int64_t lo = -static_cast<std::int64_t>(rng() % 300), hi = lo + 1 + rng() % 600;
    std::vector<double> t(static_cast<std::size_t>(classes));
    std::uniform_real_distribution<double> offset(-40.0, 40.0);
    for (int c = 0; c < classes; ++c) {
      const int kind = static_cast<int>(rng() % 8);
      double tc = static_cast<float>(offset(rng) * u);  // a float32 bias, as ONNX holds it
      if (kind == 1 && c > 0) tc = t[rng() % c];        // equal offsets
      if (kind == 2 && c > 0) {                         // the same fraction, k apart
        const double k = static_cast<double>(static_cast<int>(rng() % 7) - 3);
        tc = t[rng() % c] + k * u;
      }
      if (kind == 3) tc = 0.0;
      if (kind == 4) tc = static_cast<float>(std::ldexp(offset(rng), -20) * u);  // tiny
      if (kind == 5) tc = -static_cast<float>((static_cast<double>(hi - lo) + 50.0) * u);
      t[static_cast<std::size_t>(c)] = tc;
    }
    const std::optional<LabelBias> bias = exact_label_bias(t, u, lo, hi);
    ASSERT_TRUE(bias.has_value()) << "trial " << trial;
    ASSERT_EQ(bias->bias.size(), t.size());
    LabelSelectAttrs select{bias->bias, bias->shift};
    shifted += bias->shift > 0 ? 1 : 0;
    std::uniform_int_distribution<std::int64_t> score(lo, hi);
    for (int a = 0; a < classes; ++a) {
      for (int b = 0; b < classes; ++b) {
        const double ta = t[static_cast<std::size_t>(a)], tb = t[static_cast<std::size_t>(b)];
        // x_b at the score nearest x_a + (t_a − t_b)/u, and its neighbours, plus a random one.
        const std::int64_t xa = score(rng);
        const auto nearest =
            static_cast<std::int64_t>(std::floor(static_cast<double>(xa) + (ta - tb) / u));
        for (std::int64_t xb : {nearest - 1, nearest, nearest + 1, score(rng)}) {
          if (xb < lo || xb > hi) continue;
          const int real = compare_real(xa, ta, xb, tb, u);
          // A class out of reach may compare differently with another one out of reach, and
          // never ties or beats the best: only pairs where both can win are checked exactly.
          const double top = *std::max_element(t.begin(), t.end()) / u;
          const auto range = static_cast<double>(hi - lo);
          const bool reachable_a = ta / u > top - range - 3;
          const bool reachable_b = tb / u > top - range - 3;
          if (!reachable_a || !reachable_b) {
            ++clamped_cases;
            continue;
          }
          const int integer = sign(label_score(select, a, xa) - label_score(select, b, xb));
          ASSERT_EQ(integer, real) << "trial " << trial << " classes " << a << ", " << b << " x "
                                   << xa << ", " << xb << " t " << ta << ", " << tb << " u " << u;
          ties += real == 0 && a != b ? 1 : 0;
        }
      }
    }
    // The class of the best-placed offset always beats any class out of reach.
    std::size_t best = 0;
    for (std::size_t c = 1; c < t.size(); ++c) best = t[c] > t[best] ? c : best;
    for (std::size_t c = 0; c < t.size(); ++c) {
      if (t[c] / u < t[best] / u - static_cast<double>(hi - lo) - 5) {
        EXPECT_LT(label_score(select, static_cast<int>(c), hi),
                  label_score(select, static_cast<int>(best), lo));
      }
    }
  }
  EXPECT_GT(shifted, 100);  // fractions that need rank bits
  EXPECT_GT(ties, 100);     // exact real ties, kept as ties
  EXPECT_GT(clamped_cases, 0);
}

// What PyTorch computes for torchvision's fc after a 4×4 average pool with ±s weights and exact
// sums: fl(fl(x·s/16) + b_c) in float32. bnnc's exact class equals the float class except where
// rounding makes two different reals equal, or orders them within an ulp of each other.
TEST(ExactLabelBias, AgreesWithFloat32ScoresAwayFromRoundingTies) {
  std::mt19937 rng(18);
  int differ = 0, frames = 0;
  for (int trial = 0; trial < 200; ++trial) {
    const int classes = 10;
    const float s = std::uniform_real_distribution<float>(0.1F, 2.0F)(rng);
    const double u = static_cast<double>(s);  // (x/16)·s + b ⇔ x + b·16/s: t = b·16
    std::vector<float> b(classes);
    std::vector<double> t;
    for (float& v : b) {
      v = std::uniform_real_distribution<float>(-0.3F, 0.3F)(rng);
      t.push_back(static_cast<double>(v) * 16.0);
    }
    const std::int64_t lo = -256, hi = 256;  // 16 channels × 16 pixels of ±1
    const std::optional<LabelBias> bias = exact_label_bias(t, u, lo, hi);
    ASSERT_TRUE(bias.has_value());
    const LabelSelectAttrs select{bias->bias, bias->shift};
    for (int frame = 0; frame < 50; ++frame, ++frames) {
      std::vector<std::int64_t> x(classes);
      for (auto& v : x) v = std::uniform_int_distribution<std::int64_t>(-40, 40)(rng);
      int exact = 0, fl = 0;
      std::vector<float> score(classes);
      for (int c = 0; c < classes; ++c) {
        score[c] = static_cast<float>(x[c]) / 16.0F * s + b[c];
        if (label_score(select, c, x[c]) > label_score(select, exact, x[exact])) exact = c;
        if (score[c] > score[fl]) fl = c;
      }
      if (exact != fl) {
        ++differ;
        // Only where the float scores are equal or adjacent floats.
        EXPECT_LE(std::fabs(score[exact] - score[fl]),
                  2 * std::fabs(std::nextafter(score[fl], 1e9F) - score[fl]))
            << "trial " << trial;
      }
    }
  }
  EXPECT_LT(differ, frames / 100);
}

// The imported form of torchvision's classifier: pixels − 127.5 → sign → global sum pool (4×4) →
// dense on the sums → ÷16 → ·0.5 → + b (per class) → label. Streamlined, the float steps become
// the label-select's shift and bias, and the golden model's class is the float reference's
// (every step before the bias is exact here, so float rounding ties would need two scores within
// an ulp).
TEST(ExactLabelBias, StreamlinedClassifierMatchesTheFloatGraph) {
  std::mt19937_64 rng(5);
  Graph g;
  g.name = "fc_bias";
  int x = g.add("input", InputAttrs{{4, 4, 12}, DType::uint(8)});
  x = g.add("centre", AffineAttrs{AffineKind::Add, {-127.5F}}, {x});
  x = g.add("sign", SignAttrs{}, {x});
  x = g.add("pool", GlobalSumPoolAttrs{}, {x});
  x = g.add("fc", DenseAttrs{test::random_matrix(10, 12, rng)}, {x});
  x = g.add("fc.pixel_step0", AffineAttrs{AffineKind::Div, {16.0F}}, {x});
  x = g.add("fc.scale", AffineAttrs{AffineKind::Mul, {0.5F}}, {x});
  std::vector<float> b;
  for (int c = 0; c < 10; ++c) b.push_back(std::uniform_real_distribution<float>(-1.F, 1.F)(rng));
  x = g.add("fc.bias", AffineAttrs{AffineKind::Add, b}, {x});
  g.add("label", LabelSelectAttrs{}, {x});
  infer_types(g);
  const Graph integer = streamline(g);
  for (const Node& node : integer.nodes) EXPECT_NE(node.op(), Op::Affine) << node.name;
  EXPECT_GT(integer.nodes.back().as<LabelSelectAttrs>().shift, 0);
  int classes_seen = 0;
  std::vector<int> seen(10, 0);
  for (int image = 0; image < 300; ++image) {
    std::vector<std::uint8_t> pixels(4 * 4 * 12);
    for (auto& p : pixels) p = static_cast<std::uint8_t>(rng());
    const int golden = run_golden(integer, pixels).label;
    EXPECT_EQ(golden, run_float_reference(g, pixels).label) << "image " << image;
    classes_seen += seen[static_cast<std::size_t>(golden)]++ == 0 ? 1 : 0;
  }
  EXPECT_GE(classes_seen, 4);
}

TEST(ExactLabelBias, RefusesWhatItCannotMakeExact) {
  const std::vector<double> huge = {1e12, 1e12 + 0.5};
  EXPECT_FALSE(exact_label_bias(huge, 1.0, 0, 10).has_value());  // offsets ≥ 2^28
  const std::vector<double> fine = {0.25, -0.75};
  EXPECT_FALSE(exact_label_bias(fine, 0.0, 0, 10).has_value());
  EXPECT_FALSE(exact_label_bias(fine, 1.0, 5, 4).has_value());
  const std::optional<LabelBias> ok = exact_label_bias(fine, 1.0, 0, 10);
  ASSERT_TRUE(ok.has_value());
  // 0.25 = 0 + 0.25, −0.75 = −1 + 0.25: one fraction, so no shift.
  EXPECT_EQ(ok->shift, 0);
  EXPECT_EQ(ok->bias, (std::vector<std::int64_t>{0, -1}));
}

}  // namespace
}  // namespace bnnc
