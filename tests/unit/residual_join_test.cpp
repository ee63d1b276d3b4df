// The residual join's threshold tables (passes/fold_residual_join.h, docs/residual.md): the
// search per shortcut value against brute force, with float rounding that moves a threshold, and
// whole joins streamlined and run in the golden model against the float reference.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "ir/infer_types.h"
#include "passes/fold_residual_join.h"
#include "passes/streamline.h"
#include "sim/float_reference.h"
#include "sim/golden_model.h"

namespace bnnc {
namespace {

// z(a, v) = fl(fl(fl(a·s) + b) + fl(fl(v·s2) + b2)): the default export's fused conv on the long
// branch, a fused 1×1 conv on the shortcut, ONNX's Add. Every table entry must be exactly where
// the float expression changes sign, and for some parameters that is not where real arithmetic
// puts it (so the search must use the float expression, not the textbook formula).
TEST(ResidualJoin, TablesFollowFloatRoundingNotRealArithmetic) {
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> scale(0.01F, 2.0F), shift(-20.0F, 20.0F);
  constexpr std::int64_t kN = 72, kShortcut = 8;  // popcounts 0..N and 0..8
  int moved_by_rounding = 0;
  for (int trial = 0; trial < 400; ++trial) {
    const float s = scale(rng), s2 = scale(rng), b2 = shift(rng);
    // Put b so that z(a*, v*) is within a few units in the last place of 0: where rounding
    // decides.
    const auto a_star = static_cast<std::int64_t>(rng() % (kN + 1));
    const auto v_star = static_cast<std::int64_t>(rng() % (kShortcut + 1));
    float b = -(static_cast<float>(2 * a_star - kN) * s +
                (static_cast<float>(2 * v_star - kShortcut) * s2 + b2));
    for (int k = static_cast<int>(rng() % 7); k > 0; --k) b = std::nextafter(b, 100.0F);
    for (int k = static_cast<int>(rng() % 7); k > 0; --k) b = std::nextafter(b, -100.0F);
    const auto z = [&](std::int64_t a, std::int64_t v) {
      const float x = static_cast<float>(2 * a - kN) * s + b;
      const float y = static_cast<float>(2 * v - kShortcut) * s2 + b2;
      return x + y;
    };
    const auto exact = [&](std::int64_t a, std::int64_t v) {
      return static_cast<long double>(2 * a - kN) * s + static_cast<long double>(b) +
             static_cast<long double>(2 * v - kShortcut) * s2 + static_cast<long double>(b2);
    };
    const std::vector<std::int64_t> t = join_thresholds(
        0, kN, 0, kShortcut, [&](std::int64_t a, std::int64_t v) { return z(a, v) >= 0.0F; });
    ASSERT_EQ(t.size(), static_cast<std::size_t>(kShortcut + 1));
    for (std::int64_t v = 0; v <= kShortcut; ++v) {
      for (std::int64_t a = 0; a <= kN; ++a) {
        ASSERT_EQ(a >= t[static_cast<std::size_t>(v)], z(a, v) >= 0.0F)
            << "trial " << trial << " v " << v << " a " << a;
        if ((z(a, v) >= 0.0F) != (exact(a, v) >= 0)) ++moved_by_rounding;
      }
    }
  }
  EXPECT_GT(moved_by_rounding, 0) << "no case where float rounding moves a threshold";
}

TEST(ResidualJoin, DegenerateChannelsGiveAlwaysAndNever) {
  const auto t = join_thresholds(0, 9, -1, 1, [](std::int64_t a, std::int64_t v) {
    return v < 0 ? false : (v == 0 ? a >= 4 : true);
  });
  EXPECT_EQ(t, (std::vector<std::int64_t>{10, 4, 0}));
}

struct Join {
  Graph graph;
  std::vector<std::vector<std::uint8_t>> images;
};

// pixels [6,6,3] → −127.5 → sign (x, bits) → conv 3×3 pad −1 → ·s → +b ─┐
//                                       └─ identity: x, or 1×1 conv → batchnorm ┴ add → sign
// → flatten → dense 10 → labelselect. Per-channel s of both signs (negated rows), batch-norms
// with γ < 0 on the shortcut, and biases near the sums' values so the bits vary.
Join join_network(std::uint64_t seed, bool projection) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<float> u(-1.0F, 1.0F);
  const auto matrix = [&](int rows, int cols) {
    BinaryMatrix m(rows, cols);
    for (int r = 0; r < rows; ++r) {
      for (int c = 0; c < cols; ++c) m.set(r, c, (rng() & 1) != 0);
    }
    return m;
  };
  constexpr int kC = 3, kS = 6, kOut = 4;
  Join net;
  Graph& g = net.graph;
  g.name = projection ? "projection" : "identity";
  const int in = g.add("in", InputAttrs{{kS, kS, kC}, DType::uint(8)});
  const int centred = g.add("centre", AffineAttrs{AffineKind::Add, {-127.5F}}, {in});
  const int x = g.add("x", SignAttrs{}, {centred});
  const int channels = projection ? kOut : kC;
  const int conv =
      g.add("conv", Conv2dAttrs{matrix(channels, 9 * kC), 3, 1, 1, 0, PadMode::Value}, {x});
  std::vector<float> s, b;
  for (int c = 0; c < channels; ++c) {
    s.push_back(u(rng) * 0.7F);
    b.push_back(u(rng) * 3.0F);
  }
  const int scaled = g.add("conv.scale", AffineAttrs{AffineKind::Mul, s}, {conv});
  const int biased = g.add("conv.bias", AffineAttrs{AffineKind::Add, b}, {scaled});
  int shortcut = x;
  if (projection) {
    const int c1 = g.add("proj", Conv2dAttrs{matrix(kOut, kC), 1, 1, 0, 0, PadMode::Value}, {x});
    BatchNormAttrs bn;
    for (int c = 0; c < kOut; ++c) {
      bn.gamma.push_back(u(rng));
      bn.beta.push_back(u(rng));
      bn.mean.push_back(u(rng) * 2.0F);
      bn.var.push_back(1.0F + u(rng) * 0.5F);
    }
    shortcut = g.add("proj.bn", bn, {c1});
  }
  // Either order, as ONNX may list them (y + x or x + y): the streamliner picks the shortcut.
  const int sum = seed % 2 == 0 ? g.add("sum", AddAttrs{}, {biased, shortcut})
                                : g.add("sum", AddAttrs{}, {shortcut, biased});
  const int y = g.add("y", SignAttrs{}, {sum});
  const int flat = g.add("flatten", ReshapeAttrs{{kS * kS * channels}}, {y});
  const int fc = g.add("fc", DenseAttrs{matrix(10, kS * kS * channels)}, {flat});
  g.add("label", LabelSelectAttrs{}, {fc});
  infer_types(g);
  for (int i = 0; i < 40; ++i) {
    std::vector<std::uint8_t> image(kS * kS * kC);
    for (auto& p : image) p = static_cast<std::uint8_t>(rng());
    net.images.push_back(std::move(image));
  }
  return net;
}

// The streamlined join gives the float reference's bits at the join's sign on every image.
void expect_join_exact(const Join& net) {
  const Graph integer = streamline(net.graph);
  const int add = integer.find("sum");
  ASSERT_GE(add, 0);
  ASSERT_FALSE(integer.nodes[add].as<AddAttrs>().offsets.empty());
  const int y_float = net.graph.find("y"), y_int = integer.find("y");
  for (const auto& image : net.images) {
    const std::vector<FloatTensor> f = run_float_layers(net.graph, image);
    const std::vector<GoldenTensor> gold = run_golden_layers(integer, image);
    const auto& expected = f[static_cast<std::size_t>(y_float)].values;
    const auto& got = gold[static_cast<std::size_t>(y_int)].values;
    ASSERT_EQ(expected.size(), got.size());
    for (std::size_t i = 0; i < got.size(); ++i) {
      ASSERT_EQ(expected[i] >= 0.0F ? 1 : 0, got[i]) << net.graph.name << " element " << i;
    }
    EXPECT_EQ(run_float_reference(net.graph, image).label, run_golden(integer, image).label);
  }
}

TEST(ResidualJoin, IdentityShortcutIsExact) {
  for (std::uint64_t seed = 1; seed <= 6; ++seed) expect_join_exact(join_network(seed, false));
}

TEST(ResidualJoin, ProjectionShortcutIsExact) {
  for (std::uint64_t seed = 1; seed <= 6; ++seed) expect_join_exact(join_network(seed, true));
}

// torch.sign at a join whose sum can be exactly 0 (y + x with y = ∓1 and x = ±1): refused, naming
// the sign, the channel and both values.
TEST(ResidualJoin, OnnxSignRefusedWhereTheSumCanBeZero) {
  Join net = join_network(2, false);
  Graph& g = net.graph;
  for (const char* name : {"conv.scale", "conv.bias"}) {
    auto& a = g.nodes[static_cast<std::size_t>(g.find(name))].as<AffineAttrs>();
    a.constant.assign(a.constant.size(), a.kind == AffineKind::Mul ? 1.0F : 0.0F);
  }
  g.nodes[static_cast<std::size_t>(g.find("y"))].as<SignAttrs>().zero_gives_zero = true;
  try {
    streamline(g);
    FAIL() << "accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("layer 'y' (sign): channel 0 is exactly 0 when 'conv' "
                                         "yields"),
              std::string::npos)
        << e.what();
    EXPECT_NE(std::string(e.what()).find("and the shortcut 'x'"), std::string::npos) << e.what();
  }
}

// The IR contract: a table outside the shortcut's values is the verifier's error.
TEST(ResidualJoin, VerifierChecksTheTableCoversTheShortcut) {
  Join net = join_network(3, false);
  Graph g = streamline(net.graph);
  auto& a = g.nodes[static_cast<std::size_t>(g.find("sum"))].as<AddAttrs>();
  a.in1_min = 0;  // bits add ±1, so −1 falls below the table
  try {
    infer_types(g);
    FAIL() << "accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("layer 'sum' (add): offsets of 3 entries per channel "
                                         "from in1_min 0 do not cover every value of input 1"),
              std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace bnnc
