// Whole generated designs in Verilator against the golden model: random networks with random
// foldings, a conv → pool → conv network at CNV's rates, BNN-PYNQ's LFC-W1A1 and CNV-W1A1 with
// BNN-PYNQ's foldings. Every class and score must equal the golden model's with random stalls on
// the input and the output, and the cycles per frame must equal the cycle simulator's for the
// same design.
#include <gtest/gtest.h>

#include <random>
#include <set>

#include "design/compile_design.h"
#include "design/save_design.h"
#include "fold/lower_to_dataflow.h"
#include "io/bnn_pynq_importer.h"
#include "io/dataset.h"
#include "ir/infer_types.h"
#include "passes/streamline.h"
#include "random_folding.h"
#include "random_network.h"
#include "rtl/run_rtl_design.h"
#include "rtl/verilator_build.h"
#include "rtl_test_support.h"
#include "sim/compare_with_oracle.h"
#include "sim/cycle_simulator.h"
#include "sim/golden_model.h"
#include "test_support.h"

namespace bnnc {
namespace {

using Frames = std::vector<std::span<const std::uint8_t>>;
using test::half_thresholds;
using test::random_matrix;

using Verified = test::VerifiedDesign;

void verify(const Design& design, const Frames& frames, const std::string& what, Verified& v,
            int timing_frames = 8) {
  RtlRunOptions options;
  options.seed = 5;
  test::verify_design(design, frames, what, v, timing_frames, options);
}

TEST(RtlNetworks, RandomNetworksWithRandomFoldingsUnderStalls) {
  BNNC_REQUIRE_VERILATOR();
  std::mt19937_64 rng(20261202);
  int verified = 0;
  for (std::uint64_t seed = 2000; seed < 2008; ++seed) {
    test::RandomNetworkOptions options;
    options.images = 6;
    const test::RandomNetwork net = test::random_network(seed, options);
    const Graph streamlined = streamline(net.graph);
    const DataflowGraph lowered = lower_to_dataflow(streamlined);
    const Design design =
        compile_design(streamlined, FoldingRequest::given(test::random_folding(lowered, rng)));
    ASSERT_FALSE(design.rtl_unsupported.has_value()) << *design.rtl_unsupported;
    Frames frames;
    for (const auto& image : net.images) frames.push_back(image);
    const std::string what = "random network seed " + std::to_string(seed);
    Verified v;
    verify(design, frames, what, v);
    if (HasFatalFailure()) return;
    // The RTL's pipeline registers delay every frame by the same few cycles: the distance
    // between frames is the simulator's, cycle for cycle.
    EXPECT_EQ(v.timing.cycles_per_frame(), v.sim.cycles_per_frame()) << what;
    ++verified;
  }
  EXPECT_EQ(verified, 8);
}

// Dense layers in random orders (docs/dense-order.md): bnn_mvtu_is in whole designs, under
// stalls, with the simulator's cycles per frame.
TEST(RtlNetworks, RandomNetworksWithRandomDenseOrdersUnderStalls) {
  BNNC_REQUIRE_VERILATOR();
  std::mt19937_64 rng(20261203);
  int input_stationary = 0;
  for (std::uint64_t seed = 2100; seed < 2102; ++seed) {
    test::RandomNetworkOptions options;
    options.images = 5;
    options.allow_zero_pad = seed % 2 == 0;
    const test::RandomNetwork net = test::random_network(seed, options);
    const Graph streamlined = streamline(net.graph);
    const DataflowGraph lowered = lower_to_dataflow(streamlined);
    Folding folding = test::random_folding(lowered, rng);
    input_stationary += test::random_dense_orders(folding, lowered, rng);
    const Design design = compile_design(streamlined, FoldingRequest::given(folding));
    ASSERT_FALSE(design.rtl_unsupported.has_value()) << *design.rtl_unsupported;
    const std::string what = "random network seed " + std::to_string(seed);
    Verified v;
    verify(design, Frames(net.images.begin(), net.images.end()), what, v);
    if (HasFatalFailure()) return;
    EXPECT_EQ(v.timing.cycles_per_frame(), v.sim.cycles_per_frame()) << what;
    // The RTL's pipeline registers add a few cycles per block to the latency.
    EXPECT_GE(v.timing.latency_cycles(), v.sim.latency_cycles()) << what;
    EXPECT_LE(v.timing.latency_cycles(),
              v.sim.latency_cycles() + 4 * std::ssize(design.folded.blocks))
        << what;
  }
  EXPECT_GE(input_stationary, 2);  // else the seeds no longer test the order
}

// Zero padding (docs/zero-padding.md) in Verilator: the chain that puts the border at every word
// boundary (1, 63, 64, 65 channels; kernels 3 and 5, strides 1 and 2), thresholds tied to border
// values, the last conv's signed sums y straight into the label-select; and random trained-form
// networks whose convs all pad (by zeros on bits). Both sides stall at random.
TEST(RtlNetworks, ZeroPaddedConvsUnderStalls) {
  BNNC_REQUIRE_VERILATOR();
  std::mt19937_64 rng(20261205);
  const test::RandomNetwork chain = test::zero_padded_chain(7, 6);
  const DataflowGraph lowered = lower_to_dataflow(chain.graph);
  Folding folding = test::random_folding(lowered, rng);
  folding.layers[1].simd = 63;  // conv1: one word per tap, the border at every word
  const Design design = compile_design(chain.graph, FoldingRequest::given(folding));
  ASSERT_FALSE(design.rtl_unsupported.has_value()) << *design.rtl_unsupported;
  Frames frames(chain.images.begin(), chain.images.end());
  Verified v;
  verify(design, frames, "zero-padded chain", v);
  if (HasFatalFailure()) return;
  EXPECT_EQ(v.timing.cycles_per_frame(), v.sim.cycles_per_frame());

  // The first seed from 3000 whose network has two zero-padded convs.
  test::RandomNetworkOptions options;
  options.images = 6;
  options.zero_pad_chance = 1.0;
  options.always_pad = true;
  for (std::uint64_t seed = 3000; seed < 3100; ++seed) {
    const test::RandomNetwork net = test::random_network(seed, options);
    const Graph streamlined = streamline(net.graph);
    const DataflowGraph random_lowered = lower_to_dataflow(streamlined);
    int zero_padded = 0;
    for (const Block& b : random_lowered.blocks) zero_padded += b.zero_pad ? 1 : 0;
    if (zero_padded < 2) continue;
    const Design random_design = compile_design(
        streamlined, FoldingRequest::given(test::random_folding(random_lowered, rng)));
    ASSERT_FALSE(random_design.rtl_unsupported.has_value()) << *random_design.rtl_unsupported;
    const std::string what = "random network seed " + std::to_string(seed);
    Verified w;
    verify(random_design, Frames(net.images.begin(), net.images.end()), what, w);
    if (HasFatalFailure()) return;
    EXPECT_EQ(w.timing.cycles_per_frame(), w.sim.cycles_per_frame()) << what;
    return;
  }
  FAIL() << "no seed in [3000, 3100) has two zero-padded convs";
}

// ResNet's stem pool and head in small: 10×10×3 pixels → bits → conv0 3×3 pad 1 (16) → max-pool
// 3×3/2 pad 1 (the pad never wins; every third channel takes the minimum) → conv1 3×3 pad 1 (16)
// → [threshold] → global sum pool → dense 10 on those integers → label. With the threshold the
// pool sums ±1 bits (2·ones − 25), without it conv1's popcounts.
Graph padded_pool_and_global_sum_pool(std::mt19937_64& rng, bool sum_bits) {
  Graph g;
  int x = g.add("input", InputAttrs{{10, 10, 3}, DType::uint(8)});
  x = g.add("binarize", ThresholdAttrs{{100, 128, 150}, 1, {}}, {x});
  x = g.add("conv0", Conv2dAttrs{random_matrix(16, 27, rng), 3, 1, 1, 0}, {x});
  x = g.add("thr0", half_thresholds(16, 27), {x});
  std::vector<std::uint8_t> min_channels(16);
  for (std::size_t c = 0; c < min_channels.size(); c += 3) min_channels[c] = 1;
  x = g.add("pool0", MaxPoolAttrs{3, 2, min_channels, 1}, {x});
  x = g.add("conv1", Conv2dAttrs{random_matrix(16, 144, rng), 3, 1, 1, 1}, {x});
  if (sum_bits) x = g.add("thr1", half_thresholds(16, 144), {x});
  x = g.add("gap", GlobalSumPoolAttrs{}, {x});
  x = g.add("fc", DenseAttrs{random_matrix(10, 16, rng)}, {x});
  g.add("label", LabelSelectAttrs{}, {x});
  infer_types(g);
  return g;
}

TEST(RtlNetworks, PaddedPoolAndGlobalSumPoolUnderStalls) {
  BNNC_REQUIRE_VERILATOR();
  std::mt19937_64 rng(20261204);
  // Images with their own level per channel, so that the sums (and the classes) differ.
  std::vector<std::vector<std::uint8_t>> images(6, std::vector<std::uint8_t>(10 * 10 * 3));
  for (auto& image : images) {
    const int level[3] = {static_cast<int>(rng() % 160), static_cast<int>(rng() % 160),
                          static_cast<int>(rng() % 160)};
    for (std::size_t i = 0; i < image.size(); ++i)
      image[i] = static_cast<std::uint8_t>(level[i % 3] + static_cast<int>(rng() % 96));
  }
  // conv0 at MMV 5 and one window a cycle gives the pool's padding and the pool words of 5
  // pixels (fold_blocks: the border block keeps its producer's pixel groups when it needs them
  // all to keep its pace; they cross the padded 12-pixel rows); at 36 cycles a window of 5 the
  // border and the pool take 1 pixel a word behind a width converter (paced_pixels).
  struct Case {
    bool sum_bits;
    int mmv, pe, simd, pool_pixels;
  };
  for (const Case& c : {Case{true, 1, 4, 3, 1}, Case{false, 1, 4, 3, 1}, Case{true, 5, 16, 27, 5},
                        Case{true, 5, 4, 3, 1}}) {
    const std::string what = fmt::format(
        "{}, conv0 MMV {} PE {} SIMD {}",
        c.sum_bits ? "global sum of bits" : "global sum of popcounts", c.mmv, c.pe, c.simd);
    const Graph graph = padded_pool_and_global_sum_pool(rng, c.sum_bits);
    Folding folding;
    folding.layers = {{"conv0", c.pe, c.simd, c.mmv}, {"conv1", 4, 8}, {"fc", 5, 4}};
    const Design design = compile_design(graph, FoldingRequest::given(folding));
    ASSERT_FALSE(design.rtl_unsupported.has_value()) << *design.rtl_unsupported;
    for (const char* name : {"pool0.pad", "pool0"}) {
      EXPECT_EQ(design.folded.blocks[design.folded.find(name)].in_pixels, c.pool_pixels)
          << what << name;
    }
    EXPECT_EQ(design.folded.find("pool0.pad.dwc") >= 0, c.pool_pixels < c.mmv) << what;
    // The scores (compared one by one with the golden model's) must differ between images, else
    // a constant output would pass.
    std::set<std::vector<std::int64_t>> scores;
    for (const auto& image : images) scores.insert(run_golden(graph, image).scores);
    EXPECT_EQ(scores.size(), images.size()) << what;
    Verified v;
    verify(design, Frames(images.begin(), images.end()), what, v);
    if (HasFatalFailure()) return;
    EXPECT_EQ(v.timing.cycles_per_frame(), v.sim.cycles_per_frame()) << what;
  }
}

// CNV's conv1 → pool1 → conv2 in small: 30×30×3 pixels → conv0 3×3 (16) → pool 2×2 →
// conv1 3×3 (32) → fc (10) → label.
Graph conv_pool_conv(std::mt19937_64& rng) {
  Graph g;
  int x = g.add("input", InputAttrs{{30, 30, 3}, DType::uint(8)});
  std::vector<std::int32_t> table;
  for (int p = 0; p < 256; ++p) table.push_back(p / 2 - 64);
  x = g.add("quantize", QuantizeAttrs{table, DType::fixed(8, 7)}, {x});
  x = g.add("conv0", Conv2dAttrs{random_matrix(16, 27, rng), 3, 1, 0, 0}, {x});
  x = g.add("thr0", half_thresholds(16, 0), {x});
  x = g.add("pool0", MaxPoolAttrs{2, 2, {}}, {x});
  x = g.add("conv1", Conv2dAttrs{random_matrix(32, 144, rng), 3, 1, 0, 0}, {x});
  x = g.add("thr1", half_thresholds(32, 144), {x});
  x = g.add("flatten", ReshapeAttrs{{12 * 12 * 32}}, {x});
  x = g.add("fc2", DenseAttrs{random_matrix(10, 12 * 12 * 32, rng)}, {x});
  g.add("label", LabelSelectAttrs{}, {x});
  infer_types(g);
  return g;
}

// A max-pool between a convolution with NF = 1 (conv0, 7,056 cycles) and the bottleneck (conv1,
// NF = 8, 10,368 cycles), as CNV's pool1 in the latency folding. At every frame boundary conv1's
// SWU holds the pool's output back until the frame's last output row is out; then the pool and
// conv0 must deliver 2 rows and 3 pixels before conv1 can go on. bnn_maxpool keeps no input rows
// (separable max), so it lets conv0 run ahead only as far as the FIFOs behind it allow. The cycle
// simulator once modelled the pool with a line buffer of K + 1 rows, which let conv0 run a row
// ahead: with 2-word FIFOs in front of the window paths (size_fifos before it gave them a row)
// RTL 10,690 against simulator 10,368 cycles per frame, the 3.1 % of CNV's latency folding. Now
// both give 10,690 (10,693 in the simulator) with those FIFOs, and the bottleneck's 10,368 with
// size_fifos' depths.
TEST(RtlNetworks, PoolBetweenAFastConvAndTheBottleneckMatchesTheSimulator) {
  BNNC_REQUIRE_VERILATOR();
  std::mt19937_64 rng(20261203);
  Folding folding;
  folding.layers = {{"conv0", 16, 3}, {"conv1", 4, 16}, {"fc2", 10, 32}};
  const Design design = compile_design(conv_pool_conv(rng), FoldingRequest::given(folding));
  ASSERT_EQ(design.estimate.bottleneck_cycles, 10368);
  std::vector<std::vector<std::uint8_t>> images(12, std::vector<std::uint8_t>(30 * 30 * 3));
  for (auto& image : images) {
    for (auto& p : image) p = static_cast<std::uint8_t>(rng());
  }
  const Frames frames(images.begin(), images.end());
  Design two_words = design;
  for (std::size_t i = 0; i < design.folded.blocks.size(); ++i) {
    if (design.folded.blocks[i].kind != BlockKind::Mvtu) {
      two_words.fifo_depths[i].assign(two_words.fifo_depths[i].size(), 2);
    }
  }
  for (const bool shallow : {true, false}) {
    const std::string what = shallow ? "2-word FIFOs" : "size_fifos' depths";
    Verified v;
    verify(shallow ? two_words : design, frames, what, v, 12);
    if (HasFatalFailure()) return;
    EXPECT_NEAR(v.timing.cycles_per_frame(), v.sim.cycles_per_frame(),
                0.01 * v.sim.cycles_per_frame())
        << what;
    if (shallow) {
      // Else the case no longer holds the pool back, and tests nothing.
      EXPECT_GT(v.timing.cycles_per_frame(), 10368.0) << what;
    } else {
      EXPECT_EQ(v.sim.cycles_per_frame(), 10368.0) << what;
      EXPECT_EQ(v.timing.cycles_per_frame(), 10368.0) << what;
    }
  }
}

// Input words of several whole pixels (--input-bits, docs/pixel-parallel.md "In the RTL"):
// 12×12×3 pixels, 5 a word (the last word 4) through a standalone thresholding on those words,
// or 4 a word through the 8-bit quantize table, then the converter to the conv's 3 channels a
// word → conv 3×3/2 pad 1 (16) → pool 2×2 → dense 10 → label; and a random network with a
// random input width. Under stalls, with the simulator's cycles per frame.
Graph whole_pixel_words(std::mt19937_64& rng, bool quantize) {
  Graph g;
  int x = g.add("input", InputAttrs{{12, 12, 3}, DType::uint(8)});
  if (quantize) {
    std::vector<std::int32_t> table;
    for (int p = 0; p < 256; ++p) table.push_back(p / 2 - 64);
    x = g.add("quantize", QuantizeAttrs{table, DType::fixed(8, 7)}, {x});
  } else {
    x = g.add("binarize", ThresholdAttrs{{100, 128, 150}, 1, {0, 1, 0}}, {x});
  }
  x = g.add("conv0", Conv2dAttrs{random_matrix(16, 27, rng), 3, 2, 1, 0}, {x});
  x = g.add("thr0", half_thresholds(16, quantize ? 0 : 27), {x});
  x = g.add("pool0", MaxPoolAttrs{2, 2, {}}, {x});
  x = g.add("flatten", ReshapeAttrs{{3 * 3 * 16}}, {x});
  x = g.add("fc1", DenseAttrs{random_matrix(10, 3 * 3 * 16, rng)}, {x});
  g.add("label", LabelSelectAttrs{}, {x});
  infer_types(g);
  return g;
}

TEST(RtlNetworks, InputWordsOfSeveralPixelsUnderStalls) {
  BNNC_REQUIRE_VERILATOR();
  std::mt19937_64 rng(20261206);
  std::vector<std::vector<std::uint8_t>> images(6, std::vector<std::uint8_t>(12 * 12 * 3));
  for (auto& image : images) {
    for (auto& p : image) p = static_cast<std::uint8_t>(rng());
  }
  for (const bool quantize : {false, true}) {
    const std::string what = quantize ? "quantized pixels, 4 a word" : "thresholded, 5 a word";
    Folding folding;
    folding.layers = {{"conv0", 4, 3}, {"fc1", 5, 16}};
    folding.input_bits = quantize ? 96 : 120;
    const Design design =
        compile_design(whole_pixel_words(rng, quantize), FoldingRequest::given(folding));
    ASSERT_FALSE(design.rtl_unsupported.has_value()) << *design.rtl_unsupported;
    ASSERT_EQ(design.folded.blocks[0].out_pixels, quantize ? 4 : 5) << what;
    Verified v;
    verify(design, Frames(images.begin(), images.end()), what, v);
    if (HasFatalFailure()) return;
    EXPECT_EQ(v.timing.cycles_per_frame(), v.sim.cycles_per_frame()) << what;
  }
  int verified = 0;
  for (std::uint64_t seed = 2200; seed < 2240 && verified < 1; ++seed) {
    test::RandomNetworkOptions options;
    options.images = 4;
    const test::RandomNetwork net = test::random_network(seed, options);
    const Graph streamlined = streamline(net.graph);
    const DataflowGraph lowered = lower_to_dataflow(streamlined);
    Folding folding = test::random_pixel_folding(lowered, rng);
    for (LayerFolding& layer : folding.layers) layer.mmv = 1;
    const Design design = compile_design(streamlined, FoldingRequest::given(folding));
    if (design.folded.blocks[0].out_pixels < 2) continue;  // one pixel a word: tested above
    ASSERT_FALSE(design.rtl_unsupported.has_value()) << *design.rtl_unsupported;
    const std::string what = "random network seed " + std::to_string(seed);
    Verified v;
    verify(design, Frames(net.images.begin(), net.images.end()), what, v);
    if (HasFatalFailure()) return;
    EXPECT_EQ(v.timing.cycles_per_frame(), v.sim.cycles_per_frame()) << what;
    ++verified;
  }
  EXPECT_EQ(verified, 1);
}

TEST(RtlNetworks, LfcW1A1BnnPynqFoldingOn20Images) {
  BNNC_REQUIRE_VERILATOR();
  BNNC_REQUIRE_EXTERNAL(folder, "bnn-pynq/params/mnist/lfcW1A1");
  BNNC_REQUIRE_EXTERNAL(images, "mnist/t10k-images-idx3-ubyte.gz");
  const Design design = compile_design(
      import_bnn_pynq(folder, BnnPynqTopology::Lfc),
      FoldingRequest::from_file(std::string(BNNC_SOURCE_DIR) + "/foldings/lfc-w1a1-bnn-pynq.json"));
  const Dataset data = load_dataset(images.string());
  Frames frames;
  for (int i = 0; i < 20; ++i) frames.push_back(data.image(i));
  Verified v;
  verify(design, frames, "LFC-W1A1", v);
  if (HasFatalFailure()) return;
  EXPECT_EQ(v.timing.cycles_per_frame(), 512.0);
  EXPECT_EQ(v.timing.cycles_per_frame(), v.sim.cycles_per_frame());
  // The RTL's pipeline registers add a few cycles per block to the latency.
  EXPECT_NEAR(static_cast<double>(v.timing.latency_cycles()),
              static_cast<double>(v.sim.latency_cycles()),
              0.05 * static_cast<double>(v.sim.latency_cycles()));
}

TEST(RtlNetworks, CnvW1A1BnnPynqFoldingOn50ImagesAndDeer) {
  BNNC_REQUIRE_VERILATOR();
  BNNC_REQUIRE_EXTERNAL(folder, "bnn-pynq/params/cifar10/cnvW1A1");
  BNNC_REQUIRE_EXTERNAL(images, "cifar10/test_batch_first761.bin");
  BNNC_REQUIRE_EXTERNAL(deer, "bnn-pynq/test_image/deer.bin");
  const Design design = compile_design(
      import_bnn_pynq(folder, BnnPynqTopology::Cnv),
      FoldingRequest::from_file(std::string(BNNC_SOURCE_DIR) + "/foldings/cnv-w1a1-bnn-pynq.json"));
  const Dataset data = load_dataset(images.string());
  const Dataset deer_image = load_dataset(deer.string());
  Frames frames = {deer_image.image(0)};
  for (int i = 0; i < 50; ++i) frames.push_back(data.image(i));
  Verified v;
  verify(design, frames, "CNV-W1A1", v, 4);
  if (HasFatalFailure()) return;
  EXPECT_EQ(v.stalled.labels[0], 4) << "deer.bin";
  EXPECT_EQ(v.timing.cycles_per_frame(), 32768.0);
  EXPECT_EQ(v.timing.cycles_per_frame(), v.sim.cycles_per_frame());
  EXPECT_NEAR(static_cast<double>(v.timing.latency_cycles()),
              static_cast<double>(v.sim.latency_cycles()),
              0.01 * static_cast<double>(v.sim.latency_cycles()));
}

}  // namespace
}  // namespace bnnc
