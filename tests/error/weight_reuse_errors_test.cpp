// Weight-reuse requests bnnc cannot build: the layer, the rule and the values.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>

#include "fold/folding.h"
#include "fold/folding_file.h"
#include "fold/lower_to_dataflow.h"
#include "ir/infer_types.h"
#include "rtl/emit_rtl.h"
#include "rtl/rtl_block.h"
#include "test_support.h"
#include "variant_requests.h"

namespace bnnc {
namespace {

using ::testing::HasSubstr;
using ::testing::ThrowsMessage;

std::string error_of(const DataflowGraph& g, LayerFolding layer) {
  layer.weight_reuse = true;
  return test::folding_error(g, layer);
}

TEST(WeightReuseErrors, OnlyBinaryInputLayersInTheOutputStationaryOrder) {
  const DataflowGraph g = lower_to_dataflow(test::two_convs());
  EXPECT_EQ(error_of(g, {"conv1"}), "no error");
  EXPECT_EQ(error_of(g, {"fc"}), "no error");  // popcount outputs reuse as well
  EXPECT_THAT(error_of(g, {"conv0"}),
              HasSubstr("layer 'conv0': weight reuse needs a binary-input layer of at least two "
                        "rows without zero padding (this one: 8-bit input, 16 rows"));
  LayerFolding exit{"conv1"};
  exit.early_exit = true;
  EXPECT_THAT(error_of(g, exit),
              HasSubstr("layer 'conv1': weight reuse and early exit on one layer are not built"));
  LayerFolding input{"fc"};
  input.dense_order = DenseOrder::Input;
  EXPECT_THAT(error_of(g, input),
              HasSubstr("layer 'fc': weight reuse in the input-stationary order is not built"));
}

TEST(WeightReuseErrors, FoldingFileTakesABoolean) {
  const DataflowGraph g = lower_to_dataflow(test::two_convs());
  const auto path = test::temp_dir("weight-reuse-errors") / "folding.json";
  std::ofstream(path) << R"({"layers": [{"name": "conv1", "weight_reuse": 1}]})";
  EXPECT_THAT(
      [&] { read_folding_file(path.string(), g); },
      ThrowsMessage<Error>(HasSubstr("layer 'conv1': \"weight_reuse\" must be true or false")));
  std::ofstream(path) << R"({"layers": [{"name": "conv1", "weight_reuse": true}]})";
  EXPECT_TRUE(read_folding_file(path.string(), g).layers.at(0).weight_reuse);
}

// A design using the unit emits rtl/bnn_mvtu_wr.sv for it, not the plain MVTU.
TEST(WeightReuseErrors, EmitsTheReuseUnit) {
  const DataflowGraph g = lower_to_dataflow(test::two_convs());
  Folding f;
  LayerFolding l{"conv1"};
  l.weight_reuse = true;
  f.layers = {l};
  const DataflowGraph folded = apply_folding(g, f);
  EXPECT_EQ(rtl_unsupported(folded), std::nullopt);
  int reuse = 0;
  for (std::size_t i = 0; i < folded.blocks.size(); ++i) {
    if (!folded.blocks[i].weight_reuse) continue;
    ++reuse;
    const RtlBlock r = describe_rtl_block(folded, static_cast<int>(i), "conv1");
    EXPECT_EQ(r.module, "bnn_mvtu_wr");
    ASSERT_EQ(r.memories.size(), 2U);
    EXPECT_EQ(r.memories[0].first, "conv1_schedule.mem");
  }
  EXPECT_EQ(reuse, 1);
}

}  // namespace
}  // namespace bnnc
