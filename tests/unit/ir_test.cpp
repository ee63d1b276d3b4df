// Type inference, the text form and per-frame costs of small hand-built graphs.
#include <gtest/gtest.h>

#include "ir/graph_stats.h"
#include "ir/infer_types.h"
#include "ir/print_graph.h"

namespace bnnc {
namespace {

// A miniature CNV: fixed-point pixels, a conv without padding, a padded conv, OR-pool, dense.
Graph mini_cnv() {
  Graph g;
  g.name = "mini";
  const int in = g.add("in", InputAttrs{{8, 8, 3}, DType::uint(8)});
  const int q =
      g.add("quant", QuantizeAttrs{std::vector<std::int32_t>(256, 5), DType::fixed(8, 7)}, {in});
  const int c0 = g.add("conv0", Conv2dAttrs{BinaryMatrix(16, 27), 3, 1, 0, 0}, {q});
  const int t0 = g.add("thr0", ThresholdAttrs{std::vector<std::int64_t>(16, 3), 1, {}}, {c0});
  const int c1 = g.add("conv1", Conv2dAttrs{BinaryMatrix(32, 144), 3, 2, 1, 0}, {t0});
  const int t1 = g.add("thr1", ThresholdAttrs{std::vector<std::int64_t>(32, 70), 1, {}}, {c1});
  const int p1 = g.add("pool1", MaxPoolAttrs{2, 2, {}}, {t1});
  const int flat = g.add("flatten", ReshapeAttrs{{32}}, {p1});
  const int fc = g.add("fc", DenseAttrs{BinaryMatrix(10, 32)}, {flat});
  g.add("label", LabelSelectAttrs{}, {fc});
  infer_types(g);
  return g;
}

TEST(Ir, InfersShapesAndAccumulatorTypes) {
  const Graph g = mini_cnv();
  EXPECT_EQ(to_string(g.nodes[g.find("quant")].type), "fixed<8,7>[8,8,3]");
  // 27 synapses of |x| ≤ 128: |acc| ≤ 3456 needs 13 bits, fractional bits kept.
  EXPECT_EQ(to_string(g.nodes[g.find("conv0")].type), "fixed<13,7>[6,6,16]");
  EXPECT_EQ(to_string(g.nodes[g.find("thr0")].type), "bit[6,6,16]");
  // (6 + 2 − 3)/2 + 1 = 3; popcount over 144 synapses needs 8 bits.
  EXPECT_EQ(to_string(g.nodes[g.find("conv1")].type), "uint8[3,3,32]");
  EXPECT_EQ(to_string(g.nodes[g.find("pool1")].type), "bit[1,1,32]");
  EXPECT_EQ(to_string(g.nodes[g.find("fc")].type), "uint6[10]");
  EXPECT_EQ(to_string(g.nodes.back().type), "uint4[1]");
}

TEST(Ir, TextFormListsEveryLayer) {
  const std::string text = print_graph(mini_cnv());
  EXPECT_NE(text.find("graph mini\n"), std::string::npos);
  EXPECT_NE(text.find("  conv1 = conv2d(thr0) kernel=3 stride=2 pad=1 pad_value=0 weights=32x144#"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("  thr0 = threshold(conv0) thresholds=[3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3] "
                      "-> bit[6,6,16]"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("  label = labelselect(fc) -> uint4[1]"), std::string::npos) << text;
}

TEST(Ir, TextFormChangesWithAnyWeightBit) {
  Graph a = mini_cnv();
  Graph b = mini_cnv();
  b.nodes[b.find("conv1")].as<Conv2dAttrs>().weights.set(31, 143, true);
  EXPECT_NE(print_graph(a), print_graph(b));
  b.nodes[b.find("conv1")].as<Conv2dAttrs>().weights.set(31, 143, false);
  EXPECT_EQ(print_graph(a), print_graph(b));
}

TEST(Ir, CountsMacsAsFinnDoes) {
  const GraphStats s = graph_stats(mini_cnv());
  EXPECT_EQ(s.compute_layers, 3);
  EXPECT_EQ(s.macs, 16LL * 27 * 36 + 32LL * 144 * 9 + 10LL * 32);
  EXPECT_EQ(s.ops, 2 * s.macs);
  EXPECT_EQ(s.weight_bits, 16LL * 27 + 32LL * 144 + 10LL * 32);
  EXPECT_EQ(s.thresholds, 48);
}

TEST(Ir, NegatingARowKeepsTheTailClear) {
  BinaryMatrix m(2, 70);
  m.negate_row(1);
  for (int c = 0; c < 70; ++c) EXPECT_TRUE(m.get(1, c));
  EXPECT_EQ(m.row_words(1)[1], (std::uint64_t{1} << 6) - 1);
  EXPECT_FALSE(m.get(0, 5));
}

}  // namespace
}  // namespace bnnc
