// The input-reuse MVTU in the cycle simulator (sim/input_reuse_mvtu.h) against the golden model:
// every class and score equal on random networks with random foldings (every convolution that
// can take it reusing) and on BNN-PYNQ's CNV-W1A1, no deadlock with the FIFO depths sized for the
// plain design, never more cycles than the plain unit; each vector's cycles against a count made
// here from the windows' bits, and a network whose windows are all equal costing SF + (NF − 1)
// cycles for every window but the first of a row.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>

#include "core/bits.h"
#include "design/compile_design.h"
#include "fold/folding_file.h"
#include "fold/lower_to_dataflow.h"
#include "io/bnn_pynq_importer.h"
#include "io/dataset.h"
#include "ir/infer_types.h"
#include "passes/streamline.h"
#include "random_folding.h"
#include "random_network.h"
#include "sim/compare_with_oracle.h"
#include "sim/cycle_simulator.h"
#include "sim/golden_model.h"
#include "sim/input_reuse_mvtu.h"
#include "simulate_design.h"
#include "test_support.h"

namespace bnnc {
namespace {

using test::expect_golden;
using test::Frames;
using test::simulate_design;

// The same folding plain and with input reuse: both equal the golden model; per MVTU the cycles
// spent on its vectors, plain and reusing.
struct Pair {
  Design reuse;
  SimulationResult plain_sim, reuse_sim;
  int reuse_layers = 0;
  std::map<std::string, std::pair<std::int64_t, std::int64_t>> work;
};

Pair simulate_both(const Graph& graph, const Folding& folding, const Frames& frames,
                   const std::string& what) {
  Pair p;
  FoldingRequest request = FoldingRequest::given(folding);
  const Design plain = compile_design(graph, request, FrameTiming::EstimateOnly);
  request.reuse = ReuseMode::Input;
  p.reuse = compile_design(graph, request, FrameTiming::EstimateOnly);
  p.plain_sim = simulate_design(plain, frames);
  p.reuse_sim = simulate_design(p.reuse, frames);
  expect_golden(plain, p.plain_sim, frames, what + ", plain");
  expect_golden(p.reuse, p.reuse_sim, frames, what + ", input reuse");
  for (std::size_t i = 0; i < p.reuse.folded.blocks.size(); ++i) {
    const Block& b = p.reuse.folded.blocks[i];
    if (b.kind != BlockKind::Mvtu) continue;
    p.work[b.name] = {p.plain_sim.work_cycles[i], p.reuse_sim.work_cycles[i]};
    if (!b.input_reuse) continue;
    ++p.reuse_layers;
    EXPECT_EQ(b.cycles, b.nf() * b.sf() * b.pixels_out()) << what << ", " << b.name;
    // A padding block runs ahead into the border of a frame that never comes
    // (cycle_simulator.h), and a faster layer takes more of it: at most one frame's vectors.
    EXPECT_LE(p.reuse_sim.work_cycles[i], p.plain_sim.work_cycles[i] + b.cycles)
        << what << ", " << b.name << " NF " << b.nf() << " SF " << b.sf();
  }
  return p;
}

TEST(InputReuseSimulator, RandomNetworksWithRandomFoldings) {
  std::mt19937_64 rng(20261205);
  int reuse_layers = 0, saved = 0;
  for (std::uint64_t seed = 1800; seed < 1840; ++seed) {
    test::RandomNetworkOptions options;
    options.allow_zero_pad = false;
    const test::RandomNetwork net = test::random_network(seed, options);
    const Graph streamlined = streamline(net.graph);
    const Folding folding = test::random_folding(lower_to_dataflow(streamlined), rng);
    const Frames frames(net.images.begin(), net.images.end());
    const Pair p =
        simulate_both(streamlined, folding, frames, "random network seed " + std::to_string(seed));
    if (HasFatalFailure()) return;
    reuse_layers += p.reuse_layers;
    for (const Block& b : p.reuse.folded.blocks) {
      if (b.input_reuse && b.nf() > 1 && p.work.at(b.name).second < p.work.at(b.name).first) {
        ++saved;
      }
    }
  }
  EXPECT_GE(reuse_layers, 15) << "the seeds no longer give input-reuse layers";
  EXPECT_GE(saved, 5) << "too few input-reuse layers with NF > 1 spent fewer cycles";
}

// bits [h, w, c] → conv 3×3 (rows × 9c) → threshold → flatten → dense 10 → label.
Graph one_conv(int h, int w, int c, int rows, std::mt19937_64& rng) {
  Graph g;
  int x = g.add("in", InputAttrs{{h, w, c}, DType::bit()});
  x = g.add("conv", Conv2dAttrs{test::random_matrix(rows, 9 * c, rng), 3, 1, 0, 0}, {x});
  x = g.add("thr", test::half_thresholds(rows, 9 * c), {x});
  const int flat = (h - 2) * (w - 2) * rows;
  x = g.add("flatten", ReshapeAttrs{{flat}}, {x});
  x = g.add("scores", DenseAttrs{test::random_matrix(10, flat, rng)}, {x});
  g.add("label", LabelSelectAttrs{}, {x});
  infer_types(g);
  return g;
}

// Frames whose every pixel is the same: all windows of a frame are equal, so D is empty for every
// window but a row's first, c = 0 and each group after the first takes one cycle.
TEST(InputReuseSimulator, EqualWindowsCostOneCycleAGroup) {
  std::mt19937_64 rng(11);
  const Graph g = one_conv(7, 9, 3, 12, rng);  // output 5 × 7, MW 27
  Folding folding;
  folding.layers.push_back({"conv", 3, 3});  // NF 4, SF 9
  folding.layers.push_back({"scores", 2, 35});
  std::vector<std::vector<std::uint8_t>> images;
  for (int f = 0; f < 4; ++f) images.emplace_back(7 * 9 * 3, static_cast<std::uint8_t>(f % 2));
  const Frames frames(images.begin(), images.end());
  const Pair p = simulate_both(g, folding, frames, "equal windows");
  if (HasFatalFailure()) return;
  ASSERT_EQ(p.reuse_layers, 1);
  EXPECT_EQ(p.work.at("conv").first, 4 * 5 * 7 * 36);
  // Per output row: the first window 4·9 cycles, the other six 9 + 3·1.
  EXPECT_EQ(p.work.at("conv").second, 4 * 5 * (36 + 6 * (9 + 3)));
}

// The unit alone, fed windows that differ from their neighbour in a random number of bits (none
// for some): every output word leaves at the cycle the sum of the vectors' costs says, c counted
// here from the windows' bits, and its bits are the thresholded XNOR popcounts. Then the same
// windows under random stalls on both sides give the same words.
TEST(InputReuseSimulator, VectorCyclesFromTheWindowsBits) {
  std::mt19937_64 rng(12);
  const Graph g = one_conv(6, 10, 4, 8, rng);  // output 4 × 8, MW 36
  Folding folding;
  folding.layers.push_back({"conv", 2, 4});  // NF 4, SF 9
  folding.layers.push_back({"scores", 1, 32});
  folding.layers[0].input_reuse = true;
  const DataflowGraph folded = apply_folding(lower_to_dataflow(g), folding);
  const Block& b = folded.blocks[static_cast<std::size_t>(folded.find("conv"))];
  ASSERT_TRUE(b.input_reuse);
  const BinaryMatrix& w = folded.ir.nodes[b.layer].weights();
  const auto& thr = folded.ir.nodes[b.threshold].as<ThresholdAttrs>();
  const int mw = b.mw, simd = b.simd;
  const auto sf = static_cast<int>(b.sf());

  // Two frames of windows, each drawn from its left neighbour by flipping 0 to 12 bits.
  const int vectors = 2 * b.ofm_h * b.ofm_w;
  std::vector<std::vector<std::uint8_t>> windows;
  std::vector<std::uint8_t> x(static_cast<std::size_t>(mw));
  for (auto& v : x) v = static_cast<std::uint8_t>(rng() & 1);
  for (int v = 0; v < vectors; ++v) {
    const auto flips = static_cast<int>(rng() % 13);
    for (int i = 0; i < flips; ++i) x[rng() % x.size()] ^= 1;
    windows.push_back(x);
  }
  std::vector<std::int64_t> due;  // per vector: the cycle its last word leaves at full rate
  std::vector<InputReuseMvtu::Word> expected;
  std::int64_t total = 0;
  for (int v = 0; v < vectors; ++v) {
    const bool first = v % b.ofm_w == 0;
    std::int64_t c = 0;
    for (int j = 0; j < simd && !first; ++j) {
      std::int64_t n = 0;
      for (int s = 0; s < sf; ++s) {
        const auto i = static_cast<std::size_t>(s * simd + j);
        n += windows[static_cast<std::size_t>(v)][i] != windows[static_cast<std::size_t>(v - 1)][i];
      }
      c = std::max(c, n);
    }
    total += InputReuseMvtu::vector_cycles(b, first, c);
    EXPECT_EQ(InputReuseMvtu::vector_cycles(b, first, c),
              first ? 4 * 9 : 9 + 3 * std::max<std::int64_t>(1, c));
    due.push_back(total);
    std::vector<std::uint64_t> packed(static_cast<std::size_t>(words_for_bits(mw)), 0);
    for (int i = 0; i < mw; ++i) set_bit(packed, i, windows[static_cast<std::size_t>(v)][i] != 0);
    for (int nf = 0; nf < b.nf(); ++nf) {
      InputReuseMvtu::Word word;
      for (int r = nf * b.pe; r < (nf + 1) * b.pe; ++r) {
        const int p = xnor_popcount(packed.data(), w.row_words(r), mw);
        word.push_back(p >= thr.thresholds[static_cast<std::size_t>(r)] ? 1 : 0);
      }
      expected.push_back(std::move(word));
    }
  }
  std::vector<InputReuseMvtu::Word> words;
  for (int v = 0; v < vectors; ++v) {
    for (int s = 0; s < sf; ++s) {
      const auto& win = windows[static_cast<std::size_t>(v)];
      words.emplace_back(win.begin() + s * simd, win.begin() + (s + 1) * simd);
    }
  }
  const auto run = [&](double stall, std::vector<std::int64_t>* sent_at) {
    InputReuseMvtu unit(b, folded.ir);
    std::bernoulli_distribution stalls(stall);
    std::vector<InputReuseMvtu::Word> out;
    std::size_t next = 0;
    for (std::int64_t cycle = 0; out.size() < expected.size() && cycle < 100 * total; ++cycle) {
      const bool offer = next < words.size() && !stalls(rng);
      const InputReuseMvtu::Cycle c = unit.step(offer ? &words[next] : nullptr, !stalls(rng));
      if (c.read) ++next;
      if (c.sent) {
        out.push_back(*c.sent);
        if (sent_at != nullptr) sent_at->push_back(cycle);
      }
    }
    if (stall == 0) {
      EXPECT_EQ(unit.work_cycles(), total);
      EXPECT_EQ(unit.vectors(), vectors);
    }
    return out;
  };
  std::vector<std::int64_t> sent_at;
  EXPECT_EQ(run(0, &sent_at), expected);
  ASSERT_EQ(sent_at.size(), expected.size());
  for (int v = 0; v < vectors; ++v) {
    EXPECT_EQ(sent_at[static_cast<std::size_t>((v + 1) * b.nf() - 1)],
              due[static_cast<std::size_t>(v)])
        << "vector " << v;
  }
  EXPECT_EQ(run(0.4, nullptr), expected);
}

TEST(InputReuseSimulator, CnvWithBnnPynqFolding) {
  BNNC_REQUIRE_EXTERNAL(folder, "bnn-pynq/params/cifar10/cnvW1A1");
  BNNC_REQUIRE_EXTERNAL(images, "cifar10/test_batch_first761.bin");
  const Graph graph = import_bnn_pynq(folder, BnnPynqTopology::Cnv);
  const Dataset data = load_dataset(images.string());
  Frames frames;
  for (int i = 0; i < 6; ++i) frames.push_back(data.image(i));
  const Folding folding = read_folding_file(
      std::string(BNNC_SOURCE_DIR) + "/foldings/cnv-w1a1-bnn-pynq.json", lower_to_dataflow(graph));
  const Pair p = simulate_both(graph, folding, frames, "CNV-W1A1");
  if (HasFatalFailure()) return;
  // conv1..conv4: binary input, output rows of 30, 12, 10, 3 windows; conv0 has 8-bit pixels and
  // conv5 a 1 × 1 output.
  EXPECT_EQ(p.reuse_layers, 4);
  for (const char* name : {"conv1", "conv2", "conv3", "conv4"}) {
    EXPECT_LT(p.work.at(name).second, p.work.at(name).first) << name;
  }
}

}  // namespace
}  // namespace bnnc
