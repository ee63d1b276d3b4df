// bnnc generate's bad flags, and the padded max-pool and global sum pool where they are not
// supported yet (the RTL of a max-pool on integers) or malformed: exit code 2 and one line naming
// the layer or flag, or compile's note on the RTL it could not write.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "core/error.h"
#include "io/model_file.h"
#include "ir/infer_types.h"
#include "test_support.h"

namespace bnnc {
namespace {

void expect_usage_error(const test::CommandResult& result, const std::vector<std::string>& pieces) {
  EXPECT_EQ(result.exit_code, 2) << "stderr: " << result.err;
  EXPECT_EQ(std::count(result.err.begin(), result.err.end(), '\n'), 1) << result.err;
  EXPECT_TRUE(result.err.starts_with("bnnc: error: ")) << result.err;
  for (const std::string& piece : pieces) {
    EXPECT_NE(result.err.find(piece), std::string::npos) << "'" << piece << "' in " << result.err;
  }
}

// uint8[6,6,2] → threshold → (padded pool | global sum pool) → dense 3 → class.
Graph pooled_graph(bool global) {
  Graph g;
  g.name = global ? "gap" : "padded_pool";
  int x = g.add("in", InputAttrs{{6, 6, 2}, DType::uint(8)});
  x = g.add("bin", ThresholdAttrs{{100, 150}, 1, {}}, {x});
  if (global) {
    x = g.add("gap", GlobalSumPoolAttrs{}, {x});
  } else {
    x = g.add("pool", MaxPoolAttrs{3, 2, {}, 1}, {x});
    x = g.add("flat", ReshapeAttrs{{18}}, {x});
  }
  infer_types(g);
  const int width = g.nodes[static_cast<std::size_t>(x)].type.shape[0];
  x = g.add("fc", DenseAttrs{BinaryMatrix(3, width)}, {x});
  g.add("class", LabelSelectAttrs{}, {x});
  infer_types(g);
  return g;
}

TEST(ReferenceNetworkErrors, GenerateRefusesBadFlags) {
  const std::string out = (test::temp_dir("generate_errors") / "m.bnnc").string();
  expect_usage_error(test::run_bnnc("generate lenet --out " + out),
                     {"unknown network 'lenet' (alexnet, vgg16, resnet18)"});
  expect_usage_error(test::run_bnnc("generate alexnet --width-divisor 7 --out " + out),
                     {"--width-divisor 7 does not divide"});
  expect_usage_error(test::run_bnnc("generate alexnet --width-divisor 0 --out " + out),
                     {"--width-divisor"});
  expect_usage_error(test::run_bnnc("generate alexnet --width-divisor 8 --images 2 --out " + out),
                     {"--images N and --images-out FILE.npy go together"});
}

// Both compile with their RTL now (an FMPadding block in front of the pool, a GlobalSumPool
// block); a max-pool on integers still has no RTL, and compile says why while writing the rest.
TEST(ReferenceNetworkErrors, CompileTakesPaddedPoolAndGlobalSumPool) {
  const auto dir = test::temp_dir("pool_compile");
  for (bool global : {false, true}) {
    const std::string model = (dir / (global ? "gap.bnnc" : "pool.bnnc")).string();
    save_model(pooled_graph(global), model);
    const auto design = dir / (global ? "gap" : "pool");
    const auto compiled =
        test::run_bnnc("compile " + model + " --target-fps 1 --out " + design.string());
    EXPECT_EQ(compiled.exit_code, 0) << compiled.err;
    EXPECT_TRUE(std::filesystem::exists(design / "rtl" / "rtl.json")) << compiled.err;
  }
}

TEST(ReferenceNetworkErrors, IntegerMaxPoolHasNoRtlAndCompileSaysWhy) {
  const auto dir = test::temp_dir("pool_rtl_errors");
  Graph g;
  g.name = "integer_pool";
  int x = g.add("in", InputAttrs{{6, 6, 1}, DType::uint(8)});
  x = g.add("pool", MaxPoolAttrs{3, 2, {}, 1}, {x});
  x = g.add("flat", ReshapeAttrs{{9}}, {x});
  x = g.add("fc", DenseAttrs{BinaryMatrix(3, 9)}, {x});
  g.add("class", LabelSelectAttrs{}, {x});
  infer_types(g);
  const std::string model = (dir / "m.bnnc").string();
  save_model(g, model);
  const auto compiled =
      test::run_bnnc("compile " + model + " --target-fps 1 --out " + (dir / "design").string());
  EXPECT_EQ(compiled.exit_code, 0) << compiled.err;
  EXPECT_NE(compiled.err.find(
                "no RTL written: layer 'pool': the RTL max-pool works on bits, not 8-bit values"),
            std::string::npos)
      << compiled.err;
  EXPECT_FALSE(std::filesystem::exists(dir / "design" / "rtl"));
}

TEST(ReferenceNetworkErrors, PoolPadMustBeSmallerThanTheKernel) {
  Graph g = pooled_graph(false);
  g.nodes[2].as<MaxPoolAttrs>().pad = 3;
  try {
    infer_types(g);
    ADD_FAILURE() << "pad 3 for a 3×3 pool accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(
                  "layer 'pool' (maxpool): pad must be ≥ 0 and smaller than the kernel: pad 3, "
                  "kernel 3"),
              std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace bnnc
