// The verifier names the layer, the rule and the values.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "ir/infer_types.h"

namespace bnnc {
namespace {

using ::testing::HasSubstr;
using ::testing::ThrowsMessage;

Graph image_input() {
  Graph g;
  g.add("in", InputAttrs{{6, 6, 4}, DType::bit()});
  return g;
}

TEST(IrVerifier, ConvWeightColumnsMustMatchTheWindow) {
  Graph g = image_input();
  g.add("conv2", Conv2dAttrs{BinaryMatrix(8, 40), 3, 1, 0, 0}, {0});
  EXPECT_THAT([&] { infer_types(g); },
              ThrowsMessage<Error>(HasSubstr("layer 'conv2' (conv2d): weight columns must equal "
                                             "kernel·kernel·channels: 40 != 3·3·4")));
}

TEST(IrVerifier, KernelMustFitTheImage) {
  Graph g = image_input();
  g.add("conv", Conv2dAttrs{BinaryMatrix(8, 7 * 7 * 4), 7, 1, 0, 0}, {0});
  EXPECT_THAT([&] { infer_types(g); },
              ThrowsMessage<Error>(HasSubstr("layer 'conv' (conv2d): kernel 7 does not fit")));
}

TEST(IrVerifier, PadValueMustFitABit) {
  Graph g = image_input();
  g.add("conv", Conv2dAttrs{BinaryMatrix(8, 36), 3, 1, 1, 5}, {0});
  EXPECT_THAT([&] { infer_types(g); },
              ThrowsMessage<Error>(HasSubstr("pad value 5 does not fit the input type bit")));
}

TEST(IrVerifier, ZeroPaddingIsForBitsWithoutAPadValue) {
  Graph g = image_input();
  g.add("conv", Conv2dAttrs{BinaryMatrix(8, 36), 3, 1, 1, 1, PadMode::Zero}, {0});
  EXPECT_THAT([&] { infer_types(g); },
              ThrowsMessage<Error>(HasSubstr("layer 'conv' (conv2d): pad mode zero takes no pad "
                                             "value: pad_value 1 must be 0")));
  Graph u;
  u.add("in", InputAttrs{{6, 6, 4}, DType::uint(8)});
  u.add("conv", Conv2dAttrs{BinaryMatrix(8, 36), 3, 1, 1, 0, PadMode::Zero}, {0});
  EXPECT_THAT([&] { infer_types(u); },
              ThrowsMessage<Error>(HasSubstr("layer 'conv' (conv2d): pad mode zero is for bit "
                                             "input (pad value 0 of uint8 already means zero)")));
}

// The residual join's table (op.h AddAttrs): whole rows per channel, covering the shortcut's
// values, within ±2^40.
TEST(IrVerifier, AddTableCoversTheShortcutPerChannel) {
  Graph g = image_input();
  const int conv = g.add("conv", Conv2dAttrs{BinaryMatrix(4, 36), 3, 1, 1, 0}, {0});
  const int join = g.add("join", AddAttrs{{0, 1, 2, 3, 4}, -1}, {conv, 0});
  EXPECT_THAT([&] { infer_types(g); },
              ThrowsMessage<Error>(HasSubstr("layer 'join' (add): offsets must hold the same "
                                             "number of entries per channel: 5 for 4")));
  g.nodes[join].as<AddAttrs>() = AddAttrs{std::vector<std::int64_t>(8, 0), -1};
  EXPECT_THAT([&] { infer_types(g); },
              ThrowsMessage<Error>(HasSubstr("layer 'join' (add): offsets of 2 entries per channel "
                                             "from in1_min -1 do not cover every value of input 1 "
                                             "(bit, -1..1)")));
  g.nodes[join].as<AddAttrs>() = AddAttrs{std::vector<std::int64_t>(12, std::int64_t{1} << 41), -1};
  EXPECT_THAT([&] { infer_types(g); },
              ThrowsMessage<Error>(HasSubstr("offset 2199023255552 is out of range (±2^40)")));
  g.nodes[join].inputs = {0, conv};  // bits first: in0 must be the integer
  g.nodes[join].as<AddAttrs>() = AddAttrs{std::vector<std::int64_t>(12, 0), -1};
  EXPECT_THAT([&] { infer_types(g); },
              ThrowsMessage<Error>(HasSubstr("layer 'join' (add): inputs must be an integer and an "
                                             "integer or bits: bit and")));
}

TEST(IrVerifier, ThresholdsOnePerChannel) {
  Graph g = image_input();
  g.add("conv", Conv2dAttrs{BinaryMatrix(8, 36), 3, 1, 0, 0}, {0});
  g.add("thr", ThresholdAttrs{{1, 2, 3}, 1, {}}, {1});
  EXPECT_THAT([&] { infer_types(g); },
              ThrowsMessage<Error>(HasSubstr("layer 'thr' (threshold): thresholds must have one "
                                             "entry per channel: 3 entries for 8 channels")));
}

TEST(IrVerifier, ThresholdNeedsIntegers) {
  Graph g = image_input();
  g.add("thr", ThresholdAttrs{{1, 2, 3, 4}, 1, {}}, {0});
  EXPECT_THAT([&] { infer_types(g); },
              ThrowsMessage<Error>(HasSubstr("layer 'thr' (threshold): input must be integers")));
}

TEST(IrVerifier, DenseNeedsAFlatInput) {
  Graph g = image_input();
  g.add("fc", DenseAttrs{BinaryMatrix(8, 144)}, {0});
  EXPECT_THAT([&] { infer_types(g); },
              ThrowsMessage<Error>(HasSubstr("layer 'fc' (dense): input must be a vector "
                                             "(flatten it first), not [6,6,4]")));
}

TEST(IrVerifier, ReshapeKeepsTheElementCount) {
  Graph g = image_input();
  g.add("flatten", ReshapeAttrs{{100}}, {0});
  EXPECT_THAT([&] { infer_types(g); },
              ThrowsMessage<Error>(HasSubstr("layer 'flatten' (reshape): element count must not "
                                             "change: [6,6,4] → [100]")));
}

TEST(IrVerifier, NamesAreUnique) {
  Graph g = image_input();
  g.add("in", ReshapeAttrs{{144}}, {0});
  EXPECT_THAT([&] { infer_types(g); },
              ThrowsMessage<Error>(HasSubstr("layer 'in' (reshape): layer name is used twice")));
}

TEST(IrVerifier, InputsMustComeEarlier) {
  Graph g = image_input();
  g.add("flatten", ReshapeAttrs{{144}}, {1});
  EXPECT_THAT([&] { infer_types(g); },
              ThrowsMessage<Error>(HasSubstr("input index 1 must name an earlier layer")));
}

TEST(IrVerifier, MultiThresholdIsNotSupportedYet) {
  Graph g = image_input();
  g.add("conv", Conv2dAttrs{BinaryMatrix(1, 36), 3, 1, 0, 0}, {0});
  g.add("thr", ThresholdAttrs{{1, 2, 3}, 3, {}}, {1});
  EXPECT_THAT([&] { infer_types(g); },
              ThrowsMessage<Error>(HasSubstr("3 thresholds per channel (multi-bit activations) "
                                             "are not supported yet")));
}

TEST(IrVerifier, VerifyGraphComparesStoredTypes) {
  Graph g = image_input();
  g.add("flatten", ReshapeAttrs{{144}}, {0});
  infer_types(g);
  EXPECT_NO_THROW(verify_graph(g));
  g.nodes[1].type.shape = {12, 12};
  EXPECT_THAT([&] { verify_graph(g); },
              ThrowsMessage<Error>(HasSubstr("stored type bit[12,12] differs from the inferred "
                                             "bit[144]")));
}

}  // namespace
}  // namespace bnnc
