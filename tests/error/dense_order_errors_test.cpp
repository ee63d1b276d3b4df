// The input-stationary order (docs/dense-order.md) is for dense layers; a folding file names it
// with one of two words.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>

#include "fold/folding_file.h"
#include "fold/lower_to_dataflow.h"
#include "test_support.h"
#include "variant_requests.h"

namespace bnnc {
namespace {

using ::testing::HasSubstr;
using ::testing::ThrowsMessage;

TEST(DenseOrderErrors, InputStationaryOnlyForDenseLayers) {
  const DataflowGraph g = lower_to_dataflow(test::small_cnn());
  Folding f;
  f.layers = {{"conv", 16, 8, 1, 0, 0, DenseOrder::Input}};
  EXPECT_THAT([&] { apply_folding(g, f); },
              ThrowsMessage<Error>(
                  HasSubstr("layer 'conv': dense_order \"input\" applies to dense layers, not to a "
                            "convolution")));
  f.layers = {{"fc", 5, 16, 1, 0, 0, DenseOrder::Input}};
  const DataflowGraph folded = apply_folding(g, f);
  EXPECT_EQ(folded.blocks[static_cast<std::size_t>(folded.find("fc"))].dense_order,
            DenseOrder::Input);
}

TEST(DenseOrderErrors, FoldingFileSaysOutputOrInput) {
  const DataflowGraph g = lower_to_dataflow(test::small_cnn());
  const auto path = test::temp_dir("dense-order-errors") / "folding.json";
  const auto error_of = [&](const std::string& text) {
    std::ofstream(path) << text;
    try {
      read_folding_file(path.string(), g);
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_THAT(error_of(R"({"layers": [{"name": "fc", "dense_order": "column"}]})"),
              HasSubstr("fc: \"dense_order\" must be \"output\" or \"input\", not \"column\""));
  EXPECT_THAT(error_of(R"({"layers": [{"name": "fc", "dense_order": 1}]})"),
              HasSubstr("must be \"output\" or \"input\", not 1"));
  EXPECT_EQ(error_of(R"({"layers": [{"name": "fc", "dense_order": "input"}]})"), "no error");
}

// As users meet it: bnnc compile --folding with the order on a convolution, one line, exit 2.
TEST(DenseOrderErrors, CompileRefusesAConvolutionInTheInputOrder) {
  const auto dir = test::temp_dir("dense-order-cli");
  std::ofstream(dir / "folding.json")
      << R"({"layers": [{"name": "conv1", "pe": 1, "simd": 1, "dense_order": "input"}]})";
  const test::CommandResult r =
      test::run_bnnc("compile " + std::string(BNNC_SOURCE_DIR) + "/models/cnv.bnnc --folding " +
                     (dir / "folding.json").string() + " --out " + (dir / "out").string());
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.err, HasSubstr("layer 'conv1': dense_order \"input\" applies to dense layers"));
  EXPECT_EQ(std::count(r.err.begin(), r.err.end(), '\n'), 1) << r.err;
}

}  // namespace
}  // namespace bnnc
