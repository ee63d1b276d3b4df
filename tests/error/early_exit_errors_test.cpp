// Early exit and reuse requests that bnnc cannot build: the layer, the rule and the values, or
// the flag and its value, exit code 2 from the command line.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>

#include "fold/folding.h"
#include "fold/folding_file.h"
#include "fold/lower_to_dataflow.h"
#include "ir/infer_types.h"
#include "test_support.h"

namespace bnnc {
namespace {

using ::testing::HasSubstr;
using ::testing::ThrowsMessage;

// uint8 [6,6,2] → conv 16×18 (integer input) → threshold → conv 8×144 → threshold → flatten →
// dense 10×128 (no threshold) → labelselect.
Graph two_convs() {
  Graph g;
  const int in = g.add("in", InputAttrs{{6, 6, 2}, DType::uint(8)});
  const int c0 = g.add("conv0", Conv2dAttrs{BinaryMatrix(16, 18), 3, 1, 0, 0}, {in});
  const int t0 = g.add("thr0", ThresholdAttrs{std::vector<std::int64_t>(16, 30), 1, {}}, {c0});
  const int c1 = g.add("conv1", Conv2dAttrs{BinaryMatrix(8, 144), 3, 1, 0, 0}, {t0});
  const int t1 = g.add("thr1", ThresholdAttrs{std::vector<std::int64_t>(8, 70), 1, {}}, {c1});
  const int flat = g.add("flatten", ReshapeAttrs{{32}}, {t1});
  const int fc = g.add("fc", DenseAttrs{BinaryMatrix(10, 32)}, {flat});
  g.add("label", LabelSelectAttrs{}, {fc});
  infer_types(g);
  return g;
}

TEST(EarlyExitErrors, OnlyBinaryLayersEndingInThresholds) {
  const DataflowGraph g = lower_to_dataflow(two_convs());
  const auto error_of = [&](const std::string& layer) {
    Folding f;
    LayerFolding l{layer};
    l.early_exit = true;
    f.layers = {l};
    try {
      apply_folding(g, f);
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_EQ(error_of("conv1"), "no error");
  EXPECT_THAT(error_of("conv0"), HasSubstr("layer 'conv0': early exit needs a binary-input layer "
                                           "ending in thresholds without zero padding (this one: "
                                           "8-bit input"));
  EXPECT_THAT(error_of("fc"), HasSubstr("layer 'fc': early exit needs"));
  EXPECT_THAT(error_of("fc"), HasSubstr("no thresholds"));
}

TEST(EarlyExitErrors, FoldingFileTakesABoolean) {
  const DataflowGraph g = lower_to_dataflow(two_convs());
  const auto path = test::temp_dir("early-exit-errors") / "folding.json";
  std::ofstream(path) << R"({"layers": [{"name": "conv1", "early_exit": "yes"}]})";
  EXPECT_THAT(
      [&] { read_folding_file(path.string(), g); },
      ThrowsMessage<Error>(HasSubstr("layer 'conv1': \"early_exit\" must be true or false")));
  std::ofstream(path) << R"({"layers": [{"name": "conv1", "early_exit": true}]})";
  EXPECT_TRUE(read_folding_file(path.string(), g).layers.at(0).early_exit);
}

TEST(EarlyExitErrors, CompileFlags) {
  const auto expect_refused = [](const std::string& flags, const std::string& message) {
    const test::CommandResult r =
        test::run_bnnc("compile model.bnnc --target-fps 10 --out d " + flags);
    EXPECT_EQ(r.exit_code, 2) << flags;
    EXPECT_THAT(r.err, HasSubstr(message)) << flags;
  };
  expect_refused("--early-exit maybe", "--early-exit: 'maybe' is not off or on");
  expect_refused("--reuse sometimes", "--reuse: 'sometimes' is not off, input, weight or auto");
  expect_refused("--reuse input", "--reuse input: input reuse is not built");
}

}  // namespace
}  // namespace bnnc
