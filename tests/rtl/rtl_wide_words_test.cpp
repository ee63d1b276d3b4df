// Words wider than Verilator's 8,192-bit "probably wrong" replication limit (WIDTHCONCAT), as in
// AlexNet/8's latency design (docs/latency-search.md, "Acceptance runs"): its last layer has 1,000
// classes at PE 1,000, input-stationary, so the label select's bias word (1,000 × 11 bits) and
// the input-stationary unit's zero thresholds (1,000 × 13 bits) are cleared by replications that
// wide. Verilator warned, a warning stopped the build and `bnnc verify` could not run the design;
// the build now passes -Wno-WIDTHCONCAT (src/rtl/verilator_build.cpp). A label select of 1,000
// classes in words of 16 lanes × 520 bits (8,320) reproduces it with a small tree (the 1,000-lane
// one takes minutes to build).
#include <gtest/gtest.h>

#include <random>

#include "ir/label_select_apply.h"
#include "rtl/rom_contents.h"
#include "rtl_test_support.h"

namespace bnnc {
namespace {

using Values = std::vector<std::int64_t>;

TEST(RtlWideWords, LabelSelectOfAThousandClassesInWordsOver8192Bits) {
  BNNC_REQUIRE_VERILATOR();
  const int classes = 1000, lanes = 16, bits = 6, score_bits = 520;
  static_assert(lanes * score_bits > 8192);  // else the build never met the limit
  std::mt19937_64 rng(20261204);
  std::uniform_int_distribution<std::int64_t> small(-3, 3);  // narrow: ties are common
  LabelSelectAttrs select;
  for (int c = 0; c < classes; ++c) select.bias.push_back(small(rng));
  std::string rom;
  for (int g = 0; g * lanes < classes; ++g) {
    HexWord word(lanes * score_bits);
    for (int l = 0; l < lanes; ++l) {
      const int c = g * lanes + l;
      word.set(l * score_bits, score_bits,
               c < classes ? select.bias[static_cast<std::size_t>(c)] : 0);
    }
    rom += word.to_hex() + "\n";
  }
  const test::BlockUnderTest block{"bnn_label_select",
                                   {{"CLASSES", std::to_string(classes)},
                                    {"LANES", std::to_string(lanes)},
                                    {"BITS", std::to_string(bits)},
                                    {"IN_SIGNED", "1"},
                                    {"SHIFT", "0"},
                                    {"SCORE_BITS", std::to_string(score_bits)},
                                    {"CLASS_BITS", "10"},
                                    {"BIAS_FILE", "\"bias.mem\""}},
                                   {{"bias.mem", rom}},
                                   lanes,
                                   bits,
                                   1,
                                   10};
  Values input, expected;
  for (int frame = 0; frame < 6; ++frame) {
    Values scores(classes);
    for (auto& s : scores) s = small(rng);
    int best = 0;
    for (int c = 1; c < classes; ++c) {
      if (label_score(select, c, scores[c]) > label_score(select, best, scores[best])) best = c;
    }
    expected.push_back(best);
    for (std::int64_t v : test::to_words(scores, lanes, classes)) {
      input.push_back(v & ((1 << bits) - 1));
    }
  }
  test::expect_block_output(block, input, expected, "label select, 1,000 classes × 520 bits");
}

}  // namespace
}  // namespace bnnc
