// Hand-worked streamlining cases: the thresholds and the text form are derived in the comments.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "ir/infer_types.h"
#include "ir/print_graph.h"
#include "passes/streamline.h"
#include "sim/golden_model.h"

namespace bnnc {
namespace {

BatchNormAttrs batchnorm(std::vector<float> gamma, std::vector<float> beta,
                         std::vector<float> mean) {
  BatchNormAttrs bn;
  bn.var.assign(gamma.size(), 1.0F);
  bn.eps = 0.0F;
  bn.gamma = std::move(gamma);
  bn.beta = std::move(beta);
  bn.mean = std::move(mean);
  return bn;
}

// pixels [1,1,4] → flatten → batchnorm → sign.
Graph pixel_threshold_graph(float gamma) {
  Graph g;
  g.name = "pixels";
  const int in = g.add("in", InputAttrs{{1, 1, 4}, DType::uint(8)});
  const int flat = g.add("flatten", ReshapeAttrs{{4}}, {in});
  const int bn = g.add(
      "bn", batchnorm({gamma, gamma, gamma, gamma}, {0, 0, 0, 0}, {127.5F, 127.5F, 127.5F, 127.5F}),
      {flat});
  g.add("sign", SignAttrs{}, {bn});
  infer_types(g);
  return g;
}

TEST(Streamline, PixelBatchnormBecomesThreshold) {
  // (pixel − 127.5)·γ ≥ 0 ⇔ pixel ≥ 128 for γ > 0.
  const Graph s = streamline(pixel_threshold_graph(1.0F));
  EXPECT_EQ(print_node(s, s.nodes.back()),
            "sign = threshold(flatten) thresholds=[128,128,128,128] -> bit[4]");
}

TEST(Streamline, NegativeGammaOnPixelsKeepsAPolarity) {
  // γ < 0: +1 ⇔ pixel ≤ 127 = NOT(pixel ≥ 128); raw pixels have no weight row to negate.
  const Graph s = streamline(pixel_threshold_graph(-1.0F));
  EXPECT_EQ(print_node(s, s.nodes.back()),
            "sign = threshold(flatten) thresholds=[128,128,128,128] negate=[0,1,2,3] -> bit[4]");
}

// bits[8] → dense 3×8 → batchnorm → sign → dense 2×3 → labelselect.
Graph dense_graph(const BatchNormAttrs& bn) {
  Graph g;
  g.name = "dense";
  const int in = g.add("in", InputAttrs{{8}, DType::bit()});
  BinaryMatrix w(3, 8);
  for (int c = 0; c < 8; ++c) w.set(1, c, true);  // row 0 all −1, row 1 all +1, row 2 mixed
  for (int c = 0; c < 8; c += 2) w.set(2, c, true);
  const int fc = g.add("fc0", DenseAttrs{w}, {in});
  const int norm = g.add("bn0", bn, {fc});
  const int sign = g.add("sign0", SignAttrs{}, {norm});
  const int out = g.add("fc1", DenseAttrs{BinaryMatrix(2, 3)}, {sign});
  g.add("label", LabelSelectAttrs{}, {out});
  infer_types(g);
  return g;
}

TEST(Streamline, ThresholdsInThePopcountDomainWithTiesAndNegativeGamma) {
  // y = 2P − 8. Channel 0: γ = 1, μ = 2: +1 ⇔ y ≥ 2 ⇔ P ≥ 5 (y = 2 is an exact tie: +1).
  // Channel 1: γ = −2, μ = 2: +1 ⇔ y ≤ 2 ⇔ P ≤ 5; the row is negated, P' = 8 − P ≥ 3.
  // Channel 2: γ = 0, β = −0.5: always −1 → T = 9 (never); β ≥ 0 would give T = 0.
  const Graph g =
      dense_graph(batchnorm({1.0F, -2.0F, 0.0F}, {0.0F, 0.0F, -0.5F}, {2.0F, 2.0F, 0.0F}));
  const Graph s = streamline(g);
  const Node& thr = s.nodes[s.find("sign0")];
  EXPECT_EQ(thr.as<ThresholdAttrs>().thresholds, (std::vector<std::int64_t>{5, 3, 9}));
  EXPECT_TRUE(thr.as<ThresholdAttrs>().negate.empty());
  const BinaryMatrix& w = s.nodes[s.find("fc0")].as<DenseAttrs>().weights;
  for (int c = 0; c < 8; ++c) {
    EXPECT_FALSE(w.get(0, c));
    EXPECT_FALSE(w.get(1, c)) << "row 1 must be negated";
    EXPECT_EQ(w.get(2, c), c % 2 == 0);
  }
  EXPECT_THAT(print_graph(s), ::testing::Not(::testing::HasSubstr("batchnorm")));
}

// bits[4,4,1] → conv 2×(3·3·1) pad 1 → maxpool 2 → batchnorm → sign → flatten → fc → label.
Graph pool_before_batchnorm_graph(float gamma0, float gamma1) {
  Graph g;
  const int in = g.add("in", InputAttrs{{4, 4, 1}, DType::bit()});
  BinaryMatrix w(2, 9);
  const int conv = g.add("conv", Conv2dAttrs{w, 3, 1, 1, 0}, {in});
  const int pool = g.add("pool", MaxPoolAttrs{2, 2, {}}, {conv});
  const int norm = g.add("bn", batchnorm({gamma0, gamma1}, {0, 0}, {0, 0}), {pool});
  const int sign = g.add("sign", SignAttrs{}, {norm});
  const int flat = g.add("flatten", ReshapeAttrs{{8}}, {sign});
  const int fc = g.add("fc", DenseAttrs{BinaryMatrix(2, 8)}, {flat});
  g.add("label", LabelSelectAttrs{}, {fc});
  infer_types(g);
  return g;
}

TEST(Streamline, PoolBeforeNegativeGammaBecomesAnd) {
  const Graph s = streamline(pool_before_batchnorm_graph(1.0F, -1.0F));
  EXPECT_EQ(print_node(s, s.nodes[s.find("sign.threshold")]).substr(0, 40),
            "sign.threshold = threshold(conv) thresho");
  EXPECT_EQ(print_node(s, s.nodes[s.find("sign")]),
            "sign = maxpool(sign.threshold) kernel=2 stride=2 min_channels=[1] -> bit[2,2,2]");
}

TEST(Streamline, PoolBeforePositiveGammaStaysOr) {
  const Graph s = streamline(pool_before_batchnorm_graph(1.0F, 3.0F));
  EXPECT_EQ(print_node(s, s.nodes[s.find("sign")]),
            "sign = maxpool(sign.threshold) kernel=2 stride=2 -> bit[2,2,2]");
}

TEST(Streamline, BatchnormBeforeLabelSelectIsRefusedWithTheLayer) {
  Graph g;
  const int in = g.add("in", InputAttrs{{4}, DType::bit()});
  const int fc = g.add("fc", DenseAttrs{BinaryMatrix(2, 4)}, {in});
  const int bn = g.add("bn_last", batchnorm({1, 2}, {0, 0}, {0, 0}), {fc});
  g.add("label", LabelSelectAttrs{}, {bn});
  infer_types(g);
  EXPECT_THAT([&] { streamline(g); },
              ::testing::ThrowsMessage<Error>(::testing::StrEq(
                  "layer 'bn_last' (batchnorm): cannot become integer-only: it feeds 'label' "
                  "(labelselect) without a sign; the class scores have one scale per class (a "
                  "last layer with weights ±s_j, or a batch-norm on the scores), which the "
                  "label-select cannot compare exactly (docs/pytorch-import.md)")));
}

// One increasing function for every class cannot change the argmax: it is dropped.
TEST(Streamline, ScalarChainBeforeLabelSelectIsDropped) {
  Graph g;
  const int in = g.add("in", InputAttrs{{4}, DType::bit()});
  const int fc = g.add("fc", DenseAttrs{BinaryMatrix(2, 4)}, {in});
  const int bn = g.add("bn_last", batchnorm({3, 3}, {1, 1}, {0.5F, 0.5F}), {fc});
  const int scale = g.add("scale", AffineAttrs{AffineKind::Mul, {0.25F}}, {bn});
  g.add("label", LabelSelectAttrs{}, {scale});
  infer_types(g);
  const Graph s = streamline(g);
  ASSERT_EQ(s.nodes.size(), 3U);
  EXPECT_EQ(s.nodes[2].inputs[0], 1);
}

// A negative scale reverses the order: kept, and reported.
TEST(Streamline, DecreasingChainBeforeLabelSelectIsRefused) {
  Graph g;
  const int in = g.add("in", InputAttrs{{4}, DType::bit()});
  const int fc = g.add("fc", DenseAttrs{BinaryMatrix(2, 4)}, {in});
  const int scale = g.add("flip", AffineAttrs{AffineKind::Mul, {-1.0F}}, {fc});
  g.add("label", LabelSelectAttrs{}, {scale});
  infer_types(g);
  EXPECT_THAT([&] { streamline(g); },
              ::testing::ThrowsMessage<Error>(
                  ::testing::AllOf(::testing::HasSubstr("layer 'flip' (affine)"),
                                   ::testing::Not(::testing::HasSubstr("one scale per class")))));
}

TEST(Streamline, SignOnASharedBatchnormIsRefusedWithTheLayer) {
  Graph g;
  const int in = g.add("in", InputAttrs{{4}, DType::bit()});
  const int fc = g.add("fc", DenseAttrs{BinaryMatrix(2, 4)}, {in});
  const int bn = g.add("bn", batchnorm({1, 1}, {0, 0}, {0, 0}), {fc});
  const int s1 = g.add("sign1", SignAttrs{}, {bn});
  g.add("sign2", SignAttrs{}, {bn});
  (void)s1;
  infer_types(g);
  EXPECT_THAT([&] { streamline(g); },
              ::testing::ThrowsMessage<Error>(::testing::HasSubstr(
                  "layer 'sign1' (sign): cannot become a threshold: its input 'bn' (batchnorm")));
}

TEST(Streamline, StreamlinedGraphRunsInTheGoldenModel) {
  const Graph s = streamline(dense_graph(batchnorm({1, 1, 1}, {0, 0, 0}, {0, 0, 0})));
  const std::vector<std::uint8_t> image = {1, 1, 1, 1, 0, 0, 0, 0};
  const Classification r = run_golden(s, image);
  EXPECT_EQ(r.scores.size(), 2U);
  EXPECT_EQ(r.label, 0);  // both class rows are all −1 weights: a tie goes to the lowest index
}

// ONNX's Sign (zero_gives_zero) gives 0 at exactly 0: refused where the input reaches it.
// Pixels p through (p − mean)·γ: with mean 128 the pixel 128 gives exactly 0; with mean 127.5
// no pixel does, and the sign imports as bnnc's.
TEST(Streamline, OnnxSignRefusedWhereItsInputCanBeZero) {
  const auto graph = [](float mean) {
    Graph g;
    const int in = g.add("in", InputAttrs{{1, 1, 2}, DType::uint(8)});
    const int flat = g.add("flatten", ReshapeAttrs{{2}}, {in});
    const int bn = g.add("bn", batchnorm({1.0F, -1.0F}, {0, 0}, {mean, mean}), {flat});
    g.add("sign", SignAttrs{true}, {bn});
    infer_types(g);
    return g;
  };
  EXPECT_THAT([&] { streamline(graph(128.0F)); },
              testing::ThrowsMessage<Error>(testing::HasSubstr(
                  "layer 'sign' (sign): channel 0 is exactly 0 when 'flatten' yields 128, and "
                  "ONNX's Sign (torch.sign) gives 0 there")));
  const Graph s = streamline(graph(127.5F));
  EXPECT_EQ(s.nodes.back().as<ThresholdAttrs>().thresholds, (std::vector<std::int64_t>{128, 128}));
}

}  // namespace
}  // namespace bnnc
