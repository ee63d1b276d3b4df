// Reconvergent paths the dataflow compiler does not take yet: a join whose input is itself a
// join (nested residual adds on one fork) — exit code 2 and one line naming the layer.
#include <gtest/gtest.h>

#include <algorithm>

#include "io/model_file.h"
#include "ir/infer_types.h"
#include "test_support.h"

namespace bnnc {
namespace {

// uint8[6,6,2] → threshold → fork: conv 1×1 (popcounts) + the fork's own popcounts of a second
// 1×1 conv → add → add again with a third 1×1 conv of the fork → dense → class.
Graph nested_adds() {
  Graph g;
  g.name = "nested";
  int x = g.add("in", InputAttrs{{6, 6, 2}, DType::uint(8)});
  x = g.add("bin", ThresholdAttrs{{100, 150}, 1, {}}, {x});
  const int a = g.add("a", Conv2dAttrs{BinaryMatrix(2, 2), 1, 1, 0, 0}, {x});
  const int b = g.add("b", Conv2dAttrs{BinaryMatrix(2, 2), 1, 1, 0, 0}, {x});
  const int c = g.add("c", Conv2dAttrs{BinaryMatrix(2, 2), 1, 1, 0, 0}, {x});
  const int ab = g.add("ab", AddAttrs{}, {a, b});
  int y = g.add("abc", AddAttrs{}, {ab, c});
  y = g.add("flat", ReshapeAttrs{{72}}, {y});
  y = g.add("fc", DenseAttrs{BinaryMatrix(3, 72)}, {y});
  g.add("class", LabelSelectAttrs{}, {y});
  infer_types(g);
  return g;
}

TEST(ResidualErrors, NestedJoinsAreRefusedNamingTheLayer) {
  const auto dir = test::temp_dir("residual_errors");
  const std::string model = (dir / "nested.bnnc").string();
  save_model(nested_adds(), model);
  const auto result =
      test::run_bnnc("compile " + model + " --target-fps 1 --out " + (dir / "design").string());
  EXPECT_EQ(result.exit_code, 2) << result.err;
  EXPECT_EQ(std::count(result.err.begin(), result.err.end(), '\n'), 1) << result.err;
  EXPECT_NE(result.err.find("layer 'abc': the streams it joins do not lead back to one fork"),
            std::string::npos)
      << result.err;
}

}  // namespace
}  // namespace bnnc
