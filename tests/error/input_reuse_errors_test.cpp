// Input-reuse requests bnnc cannot build: the layer, the rule and the values.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>

#include "fold/folding.h"
#include "fold/folding_file.h"
#include "fold/lower_to_dataflow.h"
#include "io/model_file.h"
#include "ir/infer_types.h"
#include "test_support.h"
#include "variant_requests.h"

namespace bnnc {
namespace {

using ::testing::HasSubstr;
using ::testing::ThrowsMessage;

// uint8 [6,6,2] → conv0 16×18 (integer input, 4 × 4 out) → threshold → conv1 8×144 (2 × 2 out) →
// threshold → conv2 4×72 (1 × 1 out) → threshold → flatten → dense 10×4 → labelselect.
Graph three_convs() {
  Graph g;
  const int in = g.add("in", InputAttrs{{6, 6, 2}, DType::uint(8)});
  const int c0 = g.add("conv0", Conv2dAttrs{BinaryMatrix(16, 18), 3, 1, 0, 0}, {in});
  const int t0 = g.add("thr0", ThresholdAttrs{std::vector<std::int64_t>(16, 30), 1, {}}, {c0});
  const int c1 = g.add("conv1", Conv2dAttrs{BinaryMatrix(8, 144), 3, 1, 0, 0}, {t0});
  const int t1 = g.add("thr1", ThresholdAttrs{std::vector<std::int64_t>(8, 70), 1, {}}, {c1});
  const int c2 = g.add("conv2", Conv2dAttrs{BinaryMatrix(4, 32), 2, 1, 0, 0}, {t1});
  const int t2 = g.add("thr2", ThresholdAttrs{std::vector<std::int64_t>(4, 16), 1, {}}, {c2});
  const int flat = g.add("flatten", ReshapeAttrs{{4}}, {t2});
  const int fc = g.add("fc", DenseAttrs{BinaryMatrix(10, 4)}, {flat});
  g.add("label", LabelSelectAttrs{}, {fc});
  infer_types(g);
  return g;
}

std::string error_of(const DataflowGraph& g, LayerFolding layer) {
  layer.input_reuse = true;
  return test::folding_error(g, layer);
}

TEST(InputReuseErrors, OnlyBinaryConvolutionsWithNeighbours) {
  const DataflowGraph g = lower_to_dataflow(three_convs());
  EXPECT_EQ(error_of(g, {"conv1"}), "no error");
  EXPECT_THAT(error_of(g, {"conv0"}),
              HasSubstr("layer 'conv0': input reuse needs a binary-input convolution with output "
                        "rows of at least two windows and no zero padding (this one: 8-bit "
                        "input, a convolution, 4 windows a row, not zero-padded)"));
  EXPECT_THAT(error_of(g, {"conv2"}), HasSubstr("(this one: 1-bit input, a convolution, 1 "
                                                "windows a row, not zero-padded)"));
  EXPECT_THAT(error_of(g, {"fc"}), HasSubstr("layer 'fc': input reuse needs"));
  LayerFolding exit{"conv1"};
  exit.early_exit = true;
  EXPECT_THAT(error_of(g, exit),
              HasSubstr("layer 'conv1': input reuse and early exit on one layer are not built"));
  LayerFolding weight{"conv1"};
  weight.weight_reuse = true;
  EXPECT_THAT(error_of(g, weight),
              HasSubstr("layer 'conv1': input reuse and weight reuse on one layer are not built"));
  LayerFolding mmv{"conv1", 1, 1, 2};
  EXPECT_THAT(error_of(g, mmv), HasSubstr("layer 'conv1': input reuse with MMV 2 > 1"));
}

TEST(InputReuseErrors, FoldingFileTakesABoolean) {
  const DataflowGraph g = lower_to_dataflow(three_convs());
  const auto path = test::temp_dir("input-reuse-errors") / "folding.json";
  std::ofstream(path) << R"({"layers": [{"name": "conv1", "input_reuse": "yes"}]})";
  EXPECT_THAT(
      [&] { read_folding_file(path.string(), g); },
      ThrowsMessage<Error>(HasSubstr("layer 'conv1': \"input_reuse\" must be true or false")));
  std::ofstream(path) << R"({"layers": [{"name": "conv1", "input_reuse": true}]})";
  EXPECT_TRUE(read_folding_file(path.string(), g).layers.at(0).input_reuse);
}

// From the command line: a folding file asking for input reuse where it cannot be built is
// refused in one line with exit code 2.
TEST(InputReuseErrors, CompileRefusesPerLayer) {
  const auto dir = test::temp_dir("input-reuse-cli");
  const std::string model = (dir / "m.bnnc").string();
  save_model(three_convs(), model);
  std::ofstream(dir / "fold.json")
      << R"({"layers": [{"name": "conv1", "input_reuse": true, "early_exit": true}]})";
  const test::CommandResult r =
      test::run_bnnc("compile " + model + " --folding " + (dir / "fold.json").string() + " --out " +
                     (dir / "d").string());
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("layer 'conv1': input reuse and early exit on one layer"));
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
}

}  // namespace
}  // namespace bnnc
