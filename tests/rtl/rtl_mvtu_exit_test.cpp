// bnn_mvtu_exit on its own in Verilator: a one-layer network folded with early exit as bnnc
// compile does, against the golden model's layer values, without stalls and with random stalls on
// both sides; and without stalls, every output word comes out at the cycle the simulator's model
// of it (sim/early_exit_mvtu.h) says, up to one constant offset.
#include <gtest/gtest.h>

#include <random>

#include "fold/folding.h"
#include "fold/lower_to_dataflow.h"
#include "ir/infer_types.h"
#include "rtl/rtl_block.h"
#include "rtl_test_support.h"
#include "sim/early_exit_mvtu.h"
#include "sim/golden_model.h"

namespace bnnc {
namespace {

using Values = std::vector<std::int64_t>;

struct ExitCase {
  int mw, mh, pe, simd, rows, cols;
  // How far thresholds lie from MW/2: 0 near the middle (late decisions), 1 anywhere in
  // [−2, MW + 2] (many early ones, some before the first synapse).
  int spread;
};

void check_mvtu_exit(const ExitCase& t, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  const auto chance = [&] { return std::bernoulli_distribution(0.5)(rng); };
  Graph g;
  g.name = "mvtu_exit";
  int x = g.add("in", InputAttrs{{t.mw}, DType::bit()});
  BinaryMatrix weights(t.mh, t.mw);
  for (int r = 0; r < t.mh; ++r) {
    for (int c = 0; c < t.mw; ++c) weights.set(r, c, chance());
  }
  const int dense = g.add("fc", DenseAttrs{weights}, {x});
  ThresholdAttrs a;
  std::uniform_int_distribution<std::int64_t> wide(-2, t.mw + 2),
      middle(t.mw / 2 - 2, t.mw / 2 + 2);
  for (int r = 0; r < t.mh; ++r) {
    a.thresholds.push_back(t.spread != 0 ? wide(rng) : middle(rng));
    a.negate.push_back(chance() ? 1 : 0);
  }
  x = g.add("thr", a, {dense});
  const int tail = g.add("scores", DenseAttrs{BinaryMatrix(2, t.mh)}, {x});
  g.add("label", LabelSelectAttrs{}, {tail});
  infer_types(g);
  Folding folding;
  LayerFolding fc{"fc", t.pe, t.simd, 1, t.rows, t.cols};
  fc.early_exit = true;
  folding.layers.push_back(fc);
  const DataflowGraph design = apply_folding(lower_to_dataflow(g), folding);
  const int index = design.find("fc");
  const Block& b = design.blocks[static_cast<std::size_t>(index)];
  ASSERT_TRUE(b.early_exit);
  const RtlBlock rtl = describe_rtl_block(design, index, "fc");
  ASSERT_EQ(rtl.module, "bnn_mvtu_exit");
  const test::BlockUnderTest block{rtl.module, rtl.params, rtl.memories, b.simd, 1, b.pe, 1};

  Values input, expected;
  for (int frame = 0; frame < 6; ++frame) {
    std::vector<std::uint8_t> image(static_cast<std::size_t>(t.mw));
    for (auto& p : image) p = static_cast<std::uint8_t>(chance() ? 1 : 0);
    const std::vector<GoldenTensor> layers = run_golden_layers(g, image);
    const Values in_words = test::to_words(layers[0].values, b.simd, t.mw);
    const Values out_words = test::to_words(layers[static_cast<std::size_t>(x)].values, b.pe, t.mh);
    input.insert(input.end(), in_words.begin(), in_words.end());
    expected.insert(expected.end(), out_words.begin(), out_words.end());
  }
  const std::string what =
      fmt::format("early-exit MVTU MW {} MH {} PE {} SIMD {} rows {} cols {} spread {}", t.mw, t.mh,
                  t.pe, t.simd, b.mh_padded, b.mw_padded, t.spread);
  test::expect_block_output(block, input, expected, what);
  if (testing::Test::HasFatalFailure()) return;

  // Cycles: the RTL fed a word every cycle and never held up, against the model under the same.
  std::vector<std::int64_t> rtl_cycles;
  const auto words = static_cast<std::int64_t>(expected.size()) / b.pe;
  test::run_block(block, input, words, 0.0, 1, &rtl_cycles);
  EarlyExitMvtu model(b, design.ir);
  std::vector<std::int64_t> model_cycles;
  std::size_t next = 0;
  for (std::int64_t cycle = 0; std::ssize(model_cycles) < words && cycle < 1'000'000; ++cycle) {
    EarlyExitMvtu::Word word;
    if (next < input.size()) {
      word.assign(input.begin() + static_cast<std::ptrdiff_t>(next),
                  input.begin() + static_cast<std::ptrdiff_t>(next) + b.simd);
    }
    const EarlyExitMvtu::Cycle c = model.step(next < input.size() ? &word : nullptr, true);
    if (c.read) next += static_cast<std::size_t>(b.simd);
    if (c.sent) model_cycles.push_back(cycle);
  }
  ASSERT_EQ(std::ssize(rtl_cycles), words) << what;
  ASSERT_EQ(std::ssize(model_cycles), words) << what;
  for (std::size_t i = 0; i < model_cycles.size(); ++i) {
    ASSERT_EQ(rtl_cycles[i] - rtl_cycles[0], model_cycles[i] - model_cycles[0])
        << what << ": output word " << i;
  }
  // The layer spent fewer cycles than the plain one would (NF·SF a vector) when outputs were
  // decided early: checked where the thresholds say they must be (a single group waits for its
  // vector's last word whatever it decides).
  if (t.spread != 0 && b.sf() >= 8 && b.nf() > 1) {
    EXPECT_LT(model.work_cycles(), b.nf() * b.sf() * 6) << what;
  }
}

TEST(RtlMvtuExit, SweepUnderStallsWithTheSimulatorsCycles) {
  BNNC_REQUIRE_VERILATOR();
  const ExitCase cases[] = {
      {64, 8, 2, 4, 0, 0, 1},    // NF 4, SF 16: decisions anywhere
      {20, 5, 2, 8, 6, 32, 1},   // padded rows (last group partial) and columns
      {96, 3, 1, 2, 0, 0, 1},    // NF 3, SF 48
      {30, 7, 7, 1, 0, 0, 1},    // one group: the vector's end waits for its last word
      {130, 6, 3, 65, 0, 0, 1},  // words wider than 64 bits, SF 2
  };
  std::uint64_t seed = 40;
  for (const ExitCase& t : cases) {
    check_mvtu_exit(t, seed++);
    if (HasFatalFailure()) return;
  }
}

}  // namespace
}  // namespace bnnc
