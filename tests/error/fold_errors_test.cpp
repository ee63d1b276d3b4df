// Impossible foldings and unsupported graphs name the layer, the rule and the values.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>

#include "fold/choose_folding.h"
#include "fold/folding_file.h"
#include "fold/lower_to_dataflow.h"
#include "test_support.h"
#include "variant_requests.h"

namespace bnnc {
namespace {

using ::testing::HasSubstr;
using ::testing::ThrowsMessage;

TEST(FoldErrors, PeMustDivideThePaddedRows) {
  const DataflowGraph g = lower_to_dataflow(test::small_cnn());
  Folding f;
  f.layers = {{"conv", 16, 8, 1, 0, 0}, {"fc", 4, 1, 1, 14, 0}};
  EXPECT_THAT([&] { apply_folding(g, f); },
              ThrowsMessage<Error>(HasSubstr("layer 'fc': PE 4 must divide the (padded) rows 14")));
}

TEST(FoldErrors, ConvSimdMustDivideTheChannels) {
  const DataflowGraph g = lower_to_dataflow(test::small_cnn());
  Folding f;
  f.layers = {{"conv", 1, 3, 1, 0, 0}};
  EXPECT_THAT([&] { apply_folding(g, f); },
              ThrowsMessage<Error>(HasSubstr("layer 'conv': SIMD 3 must divide the input "
                                             "channels 8")));
}

// SIMD over kernel taps: a multiple of the channels that divides K·K·C (24 = 3 taps of 8).
TEST(FoldErrors, ConvSimdOverTapsMustBeAMultipleOfTheChannelsDividingTheWindow) {
  const DataflowGraph g = lower_to_dataflow(test::small_cnn());
  Folding f;
  f.layers = {{"conv", 1, 12, 1, 0, 0}};
  EXPECT_THAT([&] { apply_folding(g, f); },
              ThrowsMessage<Error>(HasSubstr("layer 'conv': SIMD 12 must divide the input "
                                             "channels 8 or be a multiple of them dividing "
                                             "K·K·C = 72")));
  f.layers = {{"conv", 1, 16, 1, 0, 0}};
  EXPECT_THAT([&] { apply_folding(g, f); },
              ThrowsMessage<Error>(HasSubstr("layer 'conv': a convolution's columns cannot be "
                                             "padded: SIMD 16 must divide K·K·C = 72")));
  f.layers = {{"conv", 1, 24, 1, 0, 0}};
  const DataflowGraph folded = apply_folding(g, f);
  EXPECT_EQ(folded.blocks[static_cast<std::size_t>(folded.find("conv"))].simd, 24);
}

TEST(FoldErrors, MmvOnlyOnConvolutionsThatItDivides) {
  const DataflowGraph g = lower_to_dataflow(test::small_cnn());
  Folding f;
  f.layers = {{"conv", 1, 1, 3, 0, 0}};
  EXPECT_THAT(
      [&] { apply_folding(g, f); },
      ThrowsMessage<Error>(HasSubstr("layer 'conv': MMV 3 must divide the output width 4")));
}

TEST(FoldErrors, MmvNeedsPeToDivideTheRows) {
  const DataflowGraph g = lower_to_dataflow(test::small_cnn());
  Folding f;
  f.layers = {{"conv", 3, 1, 2, 0, 0}};
  EXPECT_THAT([&] { apply_folding(g, f); },
              ThrowsMessage<Error>(HasSubstr("layer 'conv': MMV 2 needs PE 3 to divide the 16 "
                                             "rows")));
}

TEST(FoldErrors, UnreachableTargetNamesTheLayer) {
  const DataflowGraph g = lower_to_dataflow(test::small_cnn());
  EXPECT_THAT([&] { choose_folding_for_cycles(g, 3); },
              ThrowsMessage<Error>(HasSubstr("cannot meet 3 cycles per frame")));
}

TEST(FoldErrors, FoldingFileNamesAnUnknownLayer) {
  const DataflowGraph g = lower_to_dataflow(test::small_cnn());
  const auto path = test::temp_dir("fold-errors") / "folding.json";
  std::ofstream(path) << R"({"layers": [{"name": "conv9", "pe": 2}]})";
  EXPECT_THAT(
      [&] { read_folding_file(path.string(), g); },
      ThrowsMessage<Error>(HasSubstr("layer 'conv9' is not a matrix layer of this network")));
}

// Issue 12: a FIFO as --folding blocked forever, a folder was exit 3, and bnnc's own format
// took unknown keys, a key given twice (the last won) and a layer folded twice.
TEST(FoldErrors, FoldingFileIsARegularFileWithKnownKeysEachOnce) {
  const DataflowGraph g = lower_to_dataflow(test::small_cnn());
  const std::string conv = g.blocks[static_cast<std::size_t>(g.mvtus().front())].name;
  const auto dir = test::temp_dir("fold-errors-keys");
  const auto fifo = dir / "fifo.json";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  EXPECT_THAT([&] { read_folding_file(fifo.string(), g); },
              ThrowsMessage<Error>(HasSubstr("not a regular file (a FIFO)")));
  EXPECT_THAT([&] { read_folding_file(dir.string(), g); },
              ThrowsMessage<Error>(HasSubstr("is a folder")));
  const auto path = dir / "folding.json";
  const auto error_of = [&](const std::string& text) {
    std::ofstream(path) << text;
    try {
      read_folding_file(path.string(), g);
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_THAT(error_of(R"({"layers": [{"name": ")" + conv + R"(", "pe": 1, "pe": 2}]})"),
              HasSubstr("key \"pe\" is given twice in one object"));
  EXPECT_THAT(error_of(R"({"layers": [{"name": ")" + conv + R"(", "PE": 2}]})"),
              HasSubstr("unknown key \"PE\""));
  EXPECT_THAT(error_of(R"({"layers": [], "clock": 100})"), HasSubstr("unknown key \"clock\""));
  EXPECT_THAT(error_of(R"({"layers": [{"name": ")" + conv + R"("}, {"name": ")" + conv + R"("}]})"),
              HasSubstr("is folded twice"));
  // FINN's folding_config.json keeps ignoring the entries that are not MVAUs.
  EXPECT_EQ(error_of(R"({"Defaults": {}, "Thresholding_0": {"PE": 3},
                          "MatrixVectorActivation_0": {"PE": 1, "SIMD": 1}})"),
            "no error");
}

TEST(FoldErrors, FloatGraphsMustBeStreamlinedFirst) {
  Graph g;
  const int in = g.add("in", InputAttrs{{4}, DType::bit()});
  const int fc = g.add("fc", DenseAttrs{BinaryMatrix(2, 4)}, {in});
  const int bn = g.add("bn", BatchNormAttrs{{1, 1}, {0, 0}, {0, 0}, {1, 1}, {}, 1e-5F}, {fc});
  const int sign = g.add("sign", SignAttrs{}, {bn});
  const int out = g.add("out", DenseAttrs{BinaryMatrix(2, 2)}, {sign});
  g.add("label", LabelSelectAttrs{}, {out});
  infer_types(g);
  EXPECT_THAT([&] { lower_to_dataflow(g); },
              ThrowsMessage<Error>(HasSubstr("layer 'bn' (batchnorm): the dataflow compiler needs "
                                             "an integer-only graph; streamline it first")));
}

}  // namespace
}  // namespace bnnc
