// Lowering and folding of a small hand-built CNN: blocks, stream widths, cycles, the folding file
// round trip, FINN's folding_config.json, and the estimate's basic monotonicity.
#include <gtest/gtest.h>

#include <fstream>

#include "fold/choose_folding.h"
#include "fold/estimate_resources.h"
#include "fold/estimate_timeline.h"
#include "fold/folding_file.h"
#include "fold/lower_to_dataflow.h"
#include "integer_mvtu_block.h"
#include "ir/infer_types.h"
#include "pixel_group_block.h"
#include "test_support.h"

namespace bnnc {
namespace {

// bits [6,6,8] → pad-1 conv 16×72 → threshold → pool 2 → flatten → dense 10×144 → labelselect.
Graph small_cnn() {
  Graph g;
  const int in = g.add("in", InputAttrs{{6, 6, 8}, DType::bit()});
  const int conv = g.add("conv", Conv2dAttrs{BinaryMatrix(16, 72), 3, 1, 1, 0}, {in});
  const int thr = g.add("thr", ThresholdAttrs{std::vector<std::int64_t>(16, 30), 1, {}}, {conv});
  const int pool = g.add("pool", MaxPoolAttrs{2, 2, {}}, {thr});
  const int flat = g.add("flatten", ReshapeAttrs{{144}}, {pool});
  const int fc = g.add("fc", DenseAttrs{BinaryMatrix(10, 144)}, {flat});
  g.add("label", LabelSelectAttrs{}, {fc});
  infer_types(g);
  return g;
}

std::vector<std::string> kinds(const DataflowGraph& g) {
  std::vector<std::string> result;
  for (const Block& b : g.blocks) result.push_back(block_kind_name(b.kind));
  return result;
}

TEST(Fold, LowersToStreamingBlocks) {
  const DataflowGraph g = lower_to_dataflow(small_cnn());
  EXPECT_EQ(kinds(g), (std::vector<std::string>{"Input", "FMPadding", "SWU", "MVTU",
                                                "StreamingMaxPool", "MVTU", "LabelSelect"}));
  const Block& conv = g.blocks[g.find("conv")];
  EXPECT_EQ(conv.threshold, 2);  // the threshold is fused into the MVTU
  EXPECT_EQ(conv.mh, 16);
  EXPECT_EQ(conv.mw, 72);
}

// Zero padding lowers as −1 padding does (FMPadding with bit 0, SWU, MVTU) and takes the same
// cycles; only the MVTU knows, and it costs logic but no memory (docs/zero-padding.md).
TEST(Fold, ZeroPaddingMarksTheMvtuAndCostsLogicNotMemory) {
  Graph zero = small_cnn();
  zero.nodes[1].as<Conv2dAttrs>().pad_mode = PadMode::Zero;
  infer_types(zero);
  Folding f;
  f.layers = {{"conv", 4, 8, 1, 0, 0}, {"fc", 5, 16, 1, 0, 0}};
  const DataflowGraph minus_one = apply_folding(lower_to_dataflow(small_cnn()), f);
  const DataflowGraph zero_padded = apply_folding(lower_to_dataflow(zero), f);
  EXPECT_EQ(kinds(zero_padded), kinds(minus_one));
  const Block& a = minus_one.blocks[minus_one.find("conv")];
  const Block& b = zero_padded.blocks[zero_padded.find("conv")];
  EXPECT_FALSE(a.zero_pad);
  EXPECT_TRUE(b.zero_pad);
  EXPECT_EQ(b.image_h, 6);
  EXPECT_EQ(b.image_w, 6);
  EXPECT_EQ(b.cycles, a.cycles);
  const Resources ra = estimate_block(a), rb = estimate_block(b);
  EXPECT_GT(rb.luts, ra.luts);
  EXPECT_GT(rb.ffs, ra.ffs);
  EXPECT_EQ(rb.bram18, ra.bram18);
}

TEST(Fold, CyclesFollowFinnsFormula) {
  const DataflowGraph lowered = lower_to_dataflow(small_cnn());
  Folding f;
  f.layers = {{"conv", 4, 8, 1, 0, 0}, {"fc", 5, 16, 1, 0, 0}};
  const DataflowGraph g = apply_folding(lowered, f);
  // conv: NF = 16/4, SF = 72/8, 6×6 output pixels.
  EXPECT_EQ(g.blocks[g.find("conv")].cycles, 4 * 9 * 36);
  EXPECT_EQ(g.blocks[g.find("fc")].cycles, 2 * 9);
  // The conv's output words (PE 4) feed the pool as they are; the dense layer reads SIMD 16:
  // a width converter sits in front of it.
  EXPECT_GE(g.find("fc.dwc"), 0);
  EXPECT_EQ(g.blocks[g.find("fc.dwc")].in_elems, 4);
  EXPECT_EQ(g.blocks[g.find("fc.dwc")].out_elems, 16);
  // Rows padded to a multiple of PE never fire but take cycles.
  f.layers[1] = {"fc", 4, 16, 1, 0, 0};
  const DataflowGraph padded = apply_folding(lowered, f);
  EXPECT_EQ(padded.blocks[padded.find("fc")].mh_padded, 12);
  EXPECT_EQ(padded.blocks[padded.find("fc")].cycles, 3 * 9);
}

TEST(Fold, FoldingFileRoundTripsAndFinnShapeIsAccepted) {
  const DataflowGraph lowered = lower_to_dataflow(small_cnn());
  Folding f;
  f.layers = {{"conv", 4, 8, 3, 0, 0}, {"fc", 5, 16, 1, 0, 0}};
  const auto dir = test::temp_dir("fold-unit");
  write_folding_file(folding_of(apply_folding(lowered, f)), (dir / "f.json").string());
  const Folding back = read_folding_file((dir / "f.json").string(), lowered);
  ASSERT_EQ(back.layers.size(), 2U);
  EXPECT_EQ(back.layers[0].mmv, 3);
  EXPECT_EQ(back.layers[1].pe, 5);
  std::ofstream(dir / "finn.json") << R"({"Defaults": {},
      "ConvolutionInputGenerator_0": {"SIMD": 8},
      "MatrixVectorActivation_0": {"PE": 8, "SIMD": 4, "ram_style": "block"},
      "MatrixVectorActivation_1": {"PE": 2, "SIMD": 9}})";
  const Folding finn = read_folding_file((dir / "finn.json").string(), lowered);
  ASSERT_EQ(finn.layers.size(), 2U);
  EXPECT_EQ(finn.layers[0].name, "conv");
  EXPECT_EQ(finn.layers[0].pe, 8);
  EXPECT_EQ(finn.layers[1].simd, 9);
  // FINN's later names (MVAU_hls_<k>) are accepted; near misses are ignored.
  std::ofstream(dir / "finn2.json") << R"({"MVAU_hls_1": {"PE": 3, "SIMD": 2},
      "MVAU_hls_": {"PE": 7}, "Thresholding_0": {"PE": 7}, "MVAU_hls_1x": {"PE": 7}})";
  const Folding finn2 = read_folding_file((dir / "finn2.json").string(), lowered);
  ASSERT_EQ(finn2.layers.size(), 1U);
  EXPECT_EQ(finn2.layers[0].name, "fc");
  EXPECT_EQ(finn2.layers[0].pe, 3);
}

TEST(Fold, SearchMeetsEveryTargetAndFasterCostsMore) {
  const DataflowGraph lowered = lower_to_dataflow(small_cnn());
  std::int64_t previous_cost = -1;
  for (std::int64_t target : {5000, 1000, 300, 100, 70}) {
    const DataflowGraph g = apply_folding(lowered, choose_folding_for_cycles(lowered, target));
    const Estimate e = estimate_graph(g);
    EXPECT_LE(e.bottleneck_cycles, target);
    const std::int64_t cost = e.total.luts + kLutsPerBram18 * e.total.bram18;
    EXPECT_GE(cost, previous_cost) << "target " << target;
    previous_cost = cost;
  }
}

TEST(Fold, LayersOverlapWithinAFrame) {
  const DataflowGraph lowered = lower_to_dataflow(small_cnn());
  const DataflowGraph g = apply_folding(lowered, Folding{});
  const Timeline t = estimate_timeline(g);
  std::int64_t sum = 0;
  for (const Block& b : g.blocks) sum += b.cycles;
  EXPECT_LT(t.latency, sum);
  EXPECT_GE(t.latency, estimate_graph(g).bottleneck_cycles);
  // The pool starts before the conv has finished.
  EXPECT_LT(t.blocks[g.find("pool")].start, t.blocks[g.find("conv")].end);
}

TEST(Fold, MemoryEstimatePicksTheCheapestShape) {
  EXPECT_EQ(estimate_memory(64, 32).bram18, 0);   // small: LUTRAM
  EXPECT_EQ(estimate_memory(64, 32).luts, 43);    // 11 RAM64M (64 words × 3 bits, 4 LUTs each)
  EXPECT_EQ(estimate_rom(36, 1024).bram18, 0);    // conv1 of CNV: Yosys puts it in logic
  EXPECT_EQ(estimate_rom(288, 512).bram18, 15);   // conv3 of CNV: 15 RAMB18, as Yosys
  EXPECT_EQ(estimate_memory(512, 36).bram18, 1);  // one RAMB18 as 512×36
  EXPECT_EQ(estimate_memory(1024, 36).bram18, 2);
  EXPECT_EQ(estimate_memory(16384, 1).bram18, 1);
}

// Yosys 0.23's LUTs (logic + LUTRAM) for bnn_pixel_group instances reading runs
// (docs/pixel-parallel.md, "Sliding windows read as runs" and "The estimate of run-reading pools
// and paddings"): the estimate the searches use stays within 15 % of each.
TEST(Fold, PixelGroupRunsEstimateIsNearYosys) {
  struct Case {
    Block block;
    std::int64_t yosys_luts;
  };
  const Case cases[] = {
      {test::pixel_group_block({BlockKind::Swu, 8, 8, 4, 3, 1, 0, 2, 8, 2, 8, 1}), 336 + 32},
      {test::pixel_group_block({BlockKind::Swu, 10, 10, 4, 3, 1, 0, 4, 16, 4, 16, 1}), 397 + 64},
      {test::pixel_group_block({BlockKind::Swu, 10, 10, 3, 3, 1, 0, 4, 12, 4, 36, 8}), 1284 + 192},
      {test::pixel_group_block({BlockKind::StreamingMaxPool, 8, 8, 4, 2, 2, 0, 2, 8, 2, 8, 1}),
       796},
      {test::pixel_group_block({BlockKind::FmPadding, 6, 6, 4, 1, 1, 1, 2, 8, 2, 4, 1}), 369 + 32},
      {test::pixel_group_block({BlockKind::FmPadding, 6, 6, 4, 1, 1, 1, 2, 8, 3, 6, 1}), 465 + 32},
      {test::pixel_group_block({BlockKind::StreamingMaxPool, 16, 16, 2, 2, 2, 0, 8, 16, 8, 16, 1}),
       910},
      // Not fitted to: checked after the fit.
      {test::pixel_group_block({BlockKind::FmPadding, 14, 14, 4, 1, 1, 1, 4, 16, 4, 16, 1}),
       554 + 64},
      {test::pixel_group_block({BlockKind::FmPadding, 12, 12, 4, 1, 1, 1, 4, 16, 4, 16, 1}),
       641 + 64},
      {test::pixel_group_block({BlockKind::StreamingMaxPool, 15, 15, 4, 3, 2, 0, 5, 20, 7, 28, 1}),
       4351},
      {test::pixel_group_block({BlockKind::StreamingMaxPool, 32, 32, 4, 2, 2, 0, 2, 8, 2, 8, 1}),
       484 + 96},
  };
  for (const Case& t : cases) {
    const Resources r = estimate_block(t.block);
    EXPECT_NEAR(static_cast<double>(r.luts), static_cast<double>(t.yosys_luts),
                0.15 * static_cast<double>(t.yosys_luts))
        << block_kind_name(t.block.kind) << " " << t.block.ifm_h << "x" << t.block.ifm_w;
  }
}

// An MVTU on 8-bit inputs (CNV's first layer) as rtl/bnn_mvtu.sv builds it, Σ ±x = 2·Σ_{w=1} x − Σ
// x (docs/rtl.md, "Integer input"): the estimate stays within 10 % of Yosys 0.23's LUTs (logic + 4
// per RAM32M; synth_xilinx -family xc7 -flatten on the module alone, random weights and thresholds,
// ACC_BITS 14), on the two instances it is fitted to and one it is not.
TEST(Fold, IntegerInputMvtuEstimateIsNearYosys) {
  struct Case {
    int mmv, pe, simd, nf, sf;
    std::int64_t yosys_luts;
  };
  const Case cases[] = {
      {1, 8, 9, 8, 3, 1634 + 48},
      {1, 16, 3, 4, 9, 1408 + 16},
      {2, 4, 27, 2, 1, 4378},  // not fitted to
  };
  for (const Case& t : cases) {
    const Block b = test::integer_mvtu_block(t.mmv, t.pe, t.simd, t.nf, t.sf);
    const Resources r = estimate_block(b);
    EXPECT_NEAR(static_cast<double>(r.luts), static_cast<double>(t.yosys_luts),
                0.10 * static_cast<double>(t.yosys_luts))
        << "MMV " << t.mmv << " PE " << t.pe << " SIMD " << t.simd;
  }
}

// The same unit with its adders in DSP chains, two PE lanes a chain (USE_DSP 2): LUTs against
// Yosys 0.23 (synth_xilinx -family xc7 on bnn_mvtu, 8-bit unsigned input, thresholds, random
// weights; LUT1–6 + SRL + 4 a RAM32M as `bnnc synth` counts them; docs/devices.md), and the DSP
// slices Yosys made: SIMD a chain, ⌈PE/2⌉ chains.
TEST(Fold, DspChainMvtuEstimateIsNearYosys) {
  struct Case {
    int pe, simd, nf, sf;
    std::int64_t yosys_luts, yosys_dsps;
  };
  const Case cases[] = {
      {4, 9, 8, 3, 580, 18},   {8, 9, 8, 3, 935, 36},  {16, 9, 8, 3, 1539, 72},
      {8, 21, 8, 3, 1372, 84}, {8, 21, 8, 1, 900, 84}, {16, 21, 4, 1, 578, 168},
  };
  for (const Case& t : cases) {
    const Block b = test::integer_mvtu_block(1, t.pe, t.simd, t.nf, t.sf);
    ASSERT_EQ(dsp_chain_form(b), 2);
    const Resources r = estimate_block(b, nullptr, std::nullopt, t.pe);
    EXPECT_EQ(r.dsps, t.yosys_dsps);
    EXPECT_NEAR(static_cast<double>(r.luts), static_cast<double>(t.yosys_luts),
                0.15 * static_cast<double>(t.yosys_luts))
        << "PE " << t.pe << " SIMD " << t.simd << " NF " << t.nf << " SF " << t.sf;
  }
}

// A max-pool behind a conv of MMV 4 on 12-pixel rows, one window a cycle (so the pool needs the
// conv's 4 pixels a word to keep its pace): 4 pooled pixels a word would cross its 6-pixel rows
// (and read per pixel, docs/pixel-parallel.md); it writes 3 a word, which stay in a row, at the
// same cycles (it reads 4 pixels a word as before).
TEST(Fold, PoolOutputGroupsStayInARow) {
  Graph g;
  const int in = g.add("in", InputAttrs{{12, 12, 4}, DType::bit()});
  const int conv = g.add("conv", Conv2dAttrs{BinaryMatrix(8, 36), 3, 1, 1, 0}, {in});
  const int thr = g.add("thr", ThresholdAttrs{std::vector<std::int64_t>(8, 18), 1, {}}, {conv});
  const int pool = g.add("pool", MaxPoolAttrs{2, 2, {}}, {thr});
  const int flat = g.add("flatten", ReshapeAttrs{{288}}, {pool});
  const int fc = g.add("fc", DenseAttrs{BinaryMatrix(10, 288)}, {flat});
  g.add("label", LabelSelectAttrs{}, {fc});
  infer_types(g);
  const DataflowGraph folded =
      apply_folding(lower_to_dataflow(g), Folding{{{"conv", 8, 36, 4}, {"fc", 1, 1}}});
  const Block& p = folded.blocks[folded.find("pool")];
  EXPECT_EQ(p.in_pixels, 4);
  EXPECT_EQ(p.out_pixels, 3);
  EXPECT_EQ(p.ofm_w % p.out_pixels, 0);
  EXPECT_EQ(p.cycles, 144 / 4);
}

// A max-pool (and the border of a padded one) takes the fewest of its producer's pixels a word
// at which it still keeps the producer's pace, behind a width converter: a conv of MMV 4 on
// 12×12 at 9 words a window (324 cycles a frame) gives the pool 1 pixel a word (144 words), at
// 3 words a window (108 cycles) 2 pixels (72 words), at one word a window (36 cycles) all 4.
TEST(Fold, PoolTakesTheFewestPixelsThatKeepItsProducersPace) {
  for (const int pool_pad : {0, 1}) {
    Graph g;
    const int in = g.add("in", InputAttrs{{12, 12, 4}, DType::bit()});
    const int conv = g.add("conv", Conv2dAttrs{BinaryMatrix(8, 36), 3, 1, 1, 0}, {in});
    const int thr = g.add("thr", ThresholdAttrs{std::vector<std::int64_t>(8, 18), 1, {}}, {conv});
    const int pool = g.add("pool", MaxPoolAttrs{2, 2, {}, pool_pad}, {thr});
    const int side = pool_pad == 0 ? 6 : 7;
    const int flat = g.add("flatten", ReshapeAttrs{{side * side * 8}}, {pool});
    const int fc = g.add("fc", DenseAttrs{BinaryMatrix(10, side * side * 8)}, {flat});
    g.add("label", LabelSelectAttrs{}, {fc});
    infer_types(g);
    const DataflowGraph lowered = lower_to_dataflow(g);
    for (const auto& [simd, pixels] : {std::pair{4, 1}, std::pair{12, 2}, std::pair{36, 4}}) {
      const DataflowGraph folded =
          apply_folding(lowered, Folding{{{"conv", 8, simd, 4}, {"fc", 1, 1}}});
      const Block& c = folded.blocks[folded.find("conv")];
      const Block& p = folded.blocks[folded.find("pool")];
      const Block& first = folded.blocks[folded.find(pool_pad ? "pool.pad" : "pool")];
      const std::string what = fmt::format("pad {}, conv SIMD {}", pool_pad, simd);
      EXPECT_EQ(p.in_pixels, pixels) << what;
      // (At the conv's own 4 pixels the padded map's 196 pixels take 49 words against 36.)
      if (pixels < 4) {
        EXPECT_LE(std::max(p.cycles, first.cycles), c.cycles) << what;
      }
      EXPECT_EQ(first.in_pixels, pixels) << what;
      // Narrower than the conv's words: a width converter in front of the pool (or its border).
      const int dwc = folded.find(pool_pad ? "pool.pad.dwc" : "pool.dwc");
      EXPECT_EQ(dwc >= 0, pixels < 4) << what;
      if (dwc >= 0) {
        EXPECT_EQ(folded.blocks[dwc].in_pixels, 4) << what;
        EXPECT_EQ(folded.blocks[dwc].out_pixels, pixels) << what;
      }
      // PoolWords::Producer keeps the conv's 4 pixels a word, and says so in folding.json.
      Folding producer{{{"conv", 8, simd, 4}, {"fc", 1, 1}}};
      producer.pool_words = PoolWords::Producer;
      const DataflowGraph wide = apply_folding(lowered, producer);
      EXPECT_EQ(wide.blocks[wide.find("pool")].in_pixels, 4) << what;
      EXPECT_EQ(wide.find(pool_pad ? "pool.pad.dwc" : "pool.dwc"), -1) << what;
      const auto dir = test::temp_dir("fold-pool-words");
      for (const DataflowGraph* design : {&folded, &wide}) {
        write_folding_file(folding_of(*design), (dir / "f.json").string());
        const Folding back = read_folding_file((dir / "f.json").string(), lowered);
        EXPECT_EQ(back.pool_words, design == &wide ? PoolWords::Producer : PoolWords::Paced)
            << what;
      }
    }
  }
  const auto dir = test::temp_dir("fold-pool-words");
  std::ofstream(dir / "bad.json") << R"({"pool_words": "wide", "layers": []})";
  EXPECT_THROW(read_folding_file((dir / "bad.json").string(), lower_to_dataflow(small_cnn())),
               Error);
}

}  // namespace
}  // namespace bnnc
