// The dense order in the folding and the estimate (docs/dense-order.md): folding files keep it,
// and the cost model trades the output-stationary input buffer for accumulators of all rows.
#include <gtest/gtest.h>

#include "fold/estimate_resources.h"
#include "fold/estimate_timeline.h"
#include "fold/folding_file.h"
#include "fold/lower_to_dataflow.h"
#include "ir/infer_types.h"
#include "test_support.h"

namespace bnnc {
namespace {

// bits [1024] → dense 256×1024 → threshold → dense 10×256 → labelselect.
Graph two_dense() {
  Graph g;
  int x = g.add("in", InputAttrs{{1024}, DType::bit()});
  x = g.add("fc0", DenseAttrs{BinaryMatrix(256, 1024)}, {x});
  x = g.add("thr", ThresholdAttrs{std::vector<std::int64_t>(256, 500), 1, {}}, {x});
  x = g.add("fc1", DenseAttrs{BinaryMatrix(10, 256)}, {x});
  g.add("label", LabelSelectAttrs{}, {x});
  infer_types(g);
  return g;
}

Block folded_fc0(int pe, int simd, DenseOrder order) {
  const DataflowGraph lowered = lower_to_dataflow(two_dense());
  Folding f;
  f.layers = {{"fc0", pe, simd, 1, 0, 0, order}};
  const DataflowGraph g = apply_folding(lowered, f);
  return g.blocks[static_cast<std::size_t>(g.find("fc0"))];
}

TEST(DenseOrder, FoldingFileKeepsTheOrder) {
  const DataflowGraph lowered = lower_to_dataflow(two_dense());
  Folding f;
  f.layers = {{"fc0", 8, 32, 1, 0, 0, DenseOrder::Input}, {"fc1", 2, 8}};
  const auto path = test::temp_dir("dense-order-unit") / "f.json";
  write_folding_file(folding_of(apply_folding(lowered, f)), path.string());
  const Folding back = read_folding_file(path.string(), lowered);
  ASSERT_EQ(back.layers.size(), 2U);
  EXPECT_EQ(back.layers[0].dense_order, DenseOrder::Input);
  EXPECT_EQ(back.layers[1].dense_order, DenseOrder::Output);
  // The same cycles either way: NF·SF.
  EXPECT_EQ(folded_fc0(8, 32, DenseOrder::Input).cycles, 32 * 32);
  EXPECT_EQ(folded_fc0(8, 32, DenseOrder::Output).cycles, 32 * 32);
}

TEST(DenseOrder, CostTradesTheInputBufferForAccumulators) {
  // NF = 1: the accumulators are registers and there is no input buffer, so input-stationary is
  // cheaper; as NF grows its accumulator RAM grows with MH while output-stationary's input
  // buffer shrinks with SF.
  const Resources os1 = estimate_block(folded_fc0(256, 8, DenseOrder::Output));
  const Resources is1 = estimate_block(folded_fc0(256, 8, DenseOrder::Input));
  EXPECT_LT(is1.luts, os1.luts);
  EXPECT_EQ(is1.lutram_luts, 0);
  const Resources os64 = estimate_block(folded_fc0(1, 32, DenseOrder::Output));  // NF 256, SF 32
  const Resources is64 = estimate_block(folded_fc0(1, 32, DenseOrder::Input));
  EXPECT_GT(is64.lutram_luts, os64.lutram_luts);
  EXPECT_GT(is64.luts, os64.luts);
  // The same weight memory either way.
  EXPECT_EQ(is64.bram18, os64.bram18);
}

TEST(DenseOrder, TimelineEndsNfCyclesAfterTheLastInput) {
  const DataflowGraph lowered = lower_to_dataflow(two_dense());
  for (const DenseOrder order : {DenseOrder::Output, DenseOrder::Input}) {
    Folding f;
    f.layers = {{"fc0", 32, 32, 1, 0, 0, order}};
    f.input_elems = 1;  // one bit a cycle: fc0's input arrives over 1024 cycles
    const DataflowGraph g = apply_folding(lowered, f);
    const Timeline t = estimate_timeline(g);
    const int fc0 = g.find("fc0");  // after the width converter from the input
    const std::int64_t after = t.blocks[fc0].end - t.blocks[fc0 - 1].end;
    // NF = 8, SF = 32.
    EXPECT_EQ(after, order == DenseOrder::Input ? 8 : 7 * 32 + 1) << dense_order_name(order);
  }
}

}  // namespace
}  // namespace bnnc
