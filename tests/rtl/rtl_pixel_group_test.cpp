// Designs with MMV > 1 in Verilator (docs/pixel-parallel.md, "In the RTL"): the padding, sliding
// window, max-pool and reordering converter on words of several pixels are bnn_pixel_group, built
// as the cycle simulator's PixelGroupEngine. Every class and score must equal the golden model's
// under random stalls on both sides, and the cycles per frame must equal the simulator's.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <random>
#include <set>
#include <span>

#include "design/compile_design.h"
#include "fold/lower_to_dataflow.h"
#include "fold/pixel_group.h"
#include "fold/stream_order.h"
#include "ir/infer_types.h"
#include "passes/streamline.h"
#include "pixel_group_block.h"
#include "random_folding.h"
#include "random_network.h"
#include "rtl/pixel_group_buffer.h"
#include "rtl/rtl_block.h"
#include "rtl_test_support.h"

namespace bnnc {
namespace {

using Frames = std::vector<std::span<const std::uint8_t>>;
using test::BlockUnderTest;

// The kinds of pixel-group blocks in a design ("FmPadding", "Swu", ...).
std::set<std::string> pixel_groups(const Design& design) {
  std::set<std::string> kinds;
  for (const Block& b : design.folded.blocks) {
    if (is_pixel_group(b)) kinds.insert(block_kind_name(b.kind));
  }
  return kinds;
}

TEST(RtlPixelGroups, RandomNetworksWithMmvUnderStalls) {
  BNNC_REQUIRE_VERILATOR();
  std::mt19937_64 rng(20261203);
  std::set<std::string> covered;
  int verified = 0;
  for (std::uint64_t seed = 3000; seed < 3200 && verified < 1; ++seed) {
    test::RandomNetworkOptions options;
    options.images = 4;
    options.allow_zero_pad = false;  // MMV with zero padding has no RTL
    const test::RandomNetwork net = test::random_network(seed, options);
    const Graph streamlined = streamline(net.graph);
    const DataflowGraph lowered = lower_to_dataflow(streamlined);
    const Design design = compile_design(
        streamlined, FoldingRequest::given(test::random_pixel_folding(lowered, rng)));
    // A network with all four (a pool on pixel groups needs a producer fast enough that one
    // pixel a word would not keep its pace: paced_pixels).
    const std::set<std::string> kinds = pixel_groups(design);
    if (!std::ranges::all_of(
            std::initializer_list<const char*>{"SWU", "FMPadding", "StreamingMaxPool", "DWC"},
            [&](const char* kind) { return kinds.contains(kind); })) {
      continue;
    }
    ASSERT_FALSE(design.rtl_unsupported.has_value()) << *design.rtl_unsupported;
    const std::string what = "random network seed " + std::to_string(seed);
    RtlRunOptions run;
    run.seed = 7;
    test::VerifiedDesign v;
    test::verify_design(design, Frames(net.images.begin(), net.images.end()), what, v, 4, run);
    if (HasFatalFailure()) return;
    EXPECT_EQ(v.timing.cycles_per_frame(), v.sim.cycles_per_frame()) << what;
    covered.insert(kinds.begin(), kinds.end());
    ++verified;
  }
  EXPECT_EQ(verified, 1);
  for (const char* kind : {"SWU", "FMPadding", "StreamingMaxPool", "DWC"})
    EXPECT_TRUE(covered.contains(kind)) << kind;
}

// Every conv that can takes MMV M (M divides its output width): a padded network of stride-1 and
// stride-2 convs and a max-pool, for M = 2 and 4.
TEST(RtlPixelGroups, PaddedStrideOneAndTwoConvsWithMmvTwoAndFour) {
  BNNC_REQUIRE_VERILATOR();
  std::mt19937_64 rng(20261204);
  for (const int mmv : {2, 4}) {
    bool done = false;
    for (std::uint64_t seed = 3300; seed < 3600 && !done; ++seed) {
      test::RandomNetworkOptions options;
      options.images = 3;
      options.allow_zero_pad = false;
      options.always_pad = true;
      const test::RandomNetwork net = test::random_network(seed, options);
      const Graph streamlined = streamline(net.graph);
      const DataflowGraph lowered = lower_to_dataflow(streamlined);
      Folding folding = test::random_pixel_folding(lowered, rng);
      folding.input_bits = 0;
      std::set<int> strides;
      for (LayerFolding& f : folding.layers) {
        const Block& b = lowered.blocks[static_cast<std::size_t>(lowered.find(f.name))];
        f.mmv = b.is_conv() && b.ofm_w % mmv == 0 ? mmv : 1;
        f.pe = f.mmv > 1 ? b.mh : f.pe;  // MMV needs PE to divide the rows unpadded
        if (f.mmv > 1) strides.insert(b.stride);
      }
      const bool pool =
          std::any_of(lowered.blocks.begin(), lowered.blocks.end(),
                      [](const Block& b) { return b.kind == BlockKind::StreamingMaxPool; });
      if (strides.size() < 2 || !pool) continue;
      const Design design = compile_design(streamlined, FoldingRequest::given(folding));
      ASSERT_FALSE(design.rtl_unsupported.has_value()) << *design.rtl_unsupported;
      const std::string what =
          "MMV " + std::to_string(mmv) + ", random network seed " + std::to_string(seed);
      std::printf("%s\n", what.c_str());
      RtlRunOptions run;
      run.seed = 9;
      test::VerifiedDesign v;
      test::verify_design(design, Frames(net.images.begin(), net.images.end()), what, v, 3, run);
      if (HasFatalFailure()) return;
      EXPECT_EQ(v.timing.cycles_per_frame(), v.sim.cycles_per_frame()) << what;
      done = true;
    }
    EXPECT_TRUE(done) << "no network for MMV " << mmv;
  }
}

// The first network from seeds [first, last) whose convs all pad by zeros and whose folding (by
// `fold`) gives `wanted` a zero-padded conv: verified under stalls, with the simulator's cycles.
// Designs whose pixel-group blocks carry more than `max_lanes` elements a word are skipped.
template <typename Fold, typename Wanted>
void verify_first_zero_padded(std::uint64_t first, std::uint64_t last, std::mt19937_64& rng,
                              Fold fold, Wanted wanted, int max_lanes, RtlRunOptions run) {
  test::RandomNetworkOptions options;
  options.images = 3;
  options.zero_pad_chance = 1.0;
  options.always_pad = true;
  for (std::uint64_t seed = first; seed < last; ++seed) {
    const test::RandomNetwork net = test::random_network(seed, options);
    const Graph streamlined = streamline(net.graph);
    const DataflowGraph lowered = lower_to_dataflow(streamlined);
    const Folding folding = fold(lowered, rng);
    int found = 0;
    for (const LayerFolding& f : folding.layers) {
      const Block& b = lowered.blocks[static_cast<std::size_t>(lowered.find(f.name))];
      found += b.zero_pad && wanted(b, f) ? 1 : 0;
    }
    if (found < 1) continue;
    const Design design = compile_design(streamlined, FoldingRequest::given(folding));
    int lanes = 0;
    for (const Block& b : design.folded.blocks)
      lanes += is_pixel_group(b) ? std::max(b.in_elems, b.out_elems) : 0;
    if (lanes > max_lanes) continue;
    ASSERT_FALSE(design.rtl_unsupported.has_value()) << *design.rtl_unsupported;
    const std::string what = "random network seed " + std::to_string(seed);
    test::VerifiedDesign v;
    test::verify_design(design, Frames(net.images.begin(), net.images.end()), what, v, 3, run);
    if (::testing::Test::HasFatalFailure()) return;
    EXPECT_EQ(v.timing.cycles_per_frame(), v.sim.cycles_per_frame()) << what;
    return;
  }
  FAIL() << "no seed in [" << first << ", " << last << ") has the zero-padded conv wanted";
}

// MMV with zero padding (docs/zero-padding.md, "MMV"): bnn_mvtu tests the border per window of
// a word. The chain that puts the border at every word boundary (1, 63, 64, 65 channels, kernels
// 3 and 5, strides 1 and 2, thresholds tied to border values), every conv at the largest MMV of
// 2..4 dividing its output width, and a random network whose convs all pad by zeros, with random
// MMV; both sides stall at random.
TEST(RtlPixelGroups, ZeroPaddedConvsWithMmvUnderStalls) {
  BNNC_REQUIRE_VERILATOR();
  std::mt19937_64 rng(20261206);
  const test::RandomNetwork chain = test::zero_padded_chain(7, 3);
  const DataflowGraph lowered = lower_to_dataflow(chain.graph);
  Folding folding = test::random_folding(lowered, rng);
  int zero_padded_mmv = 0;
  for (LayerFolding& f : folding.layers) {
    const Block& b = lowered.blocks[static_cast<std::size_t>(lowered.find(f.name))];
    if (!b.is_conv()) continue;
    for (const int mmv : {4, 3, 2}) {
      if (b.ofm_w % mmv != 0) continue;
      f.mmv = mmv;
      f.pe = b.mh;  // MMV needs PE to divide the rows unpadded
      zero_padded_mmv += b.zero_pad ? 1 : 0;
      break;
    }
  }
  ASSERT_GE(zero_padded_mmv, 2);
  const Design design = compile_design(chain.graph, FoldingRequest::given(folding));
  ASSERT_FALSE(design.rtl_unsupported.has_value()) << *design.rtl_unsupported;
  RtlRunOptions run;
  run.seed = 11;
  test::VerifiedDesign v;
  test::verify_design(design, Frames(chain.images.begin(), chain.images.end()),
                      "zero-padded chain with MMV", v, 3, run);
  if (HasFatalFailure()) return;
  EXPECT_EQ(v.timing.cycles_per_frame(), v.sim.cycles_per_frame());

  verify_first_zero_padded(
      3000, 3200, rng, test::random_pixel_folding,
      [](const Block&, const LayerFolding& f) { return f.mmv > 1; }, 1 << 30, run);
}

// SIMD over kernel taps with zero padding (docs/zero-padding.md): bnn_mvtu tests the border per
// tap of a word. A chain on a 10×10×2 image: 3×3 pad 1 at 3 taps a word (a kernel row) and MMV 2;
// 6×6 pad 2 at 4 taps a word (words that cross a kernel row) and MMV 3; 3×3/2 pad 1 at 9 taps
// (the window); thresholds tied to border values, the last conv's signed sums into the label.
// Then a random network whose convs all pad by zeros, with random taps. Both sides stall.
TEST(RtlPixelGroups, ZeroPaddedConvsWithSimdOverTapsUnderStalls) {
  BNNC_REQUIRE_VERILATOR();
  std::mt19937_64 rng(20261207);
  const test::ZeroPaddedLayer layers[] = {{8, 3, 1, 1}, {6, 6, 1, 2}, {5, 3, 2, 1}};
  const test::RandomNetwork chain = test::zero_padded_chain(5, 3, 10, 2, layers);
  const DataflowGraph lowered = lower_to_dataflow(chain.graph);
  Folding folding = test::random_folding(lowered, rng);
  // conv1 at MMV 3: its padding writes 3 pixels a word on a 14-wide row with a border of 4, so
  // its step to the next row goes back one input pixel (bnn_pixel_group's dm_add with d < 0,
  // wrong before 2026-12-05; PaddingNarrowerThanItsBorderMatchesTheSourcesRule).
  const int taps[] = {3, 4, 9}, mmvs[] = {2, 3, 1};
  for (LayerFolding& f : folding.layers) {
    const Block& b = lowered.blocks[static_cast<std::size_t>(lowered.find(f.name))];
    if (!b.is_conv()) continue;
    const std::size_t l = static_cast<std::size_t>(f.name.back() - '0');
    f.simd = taps[l] * b.simd_channels();
    f.mmv = mmvs[l];
    f.pe = b.mh;
  }
  const Design design = compile_design(chain.graph, FoldingRequest::given(folding));
  ASSERT_FALSE(design.rtl_unsupported.has_value()) << *design.rtl_unsupported;
  RtlRunOptions run;
  run.seed = 13;
  test::VerifiedDesign v;
  test::verify_design(design, Frames(chain.images.begin(), chain.images.end()),
                      "zero-padded chain with taps", v, 3, run);
  if (HasFatalFailure()) return;
  EXPECT_EQ(v.timing.cycles_per_frame(), v.sim.cycles_per_frame());

  // Few, narrow pixel-group blocks keep the Verilator build short.
  verify_first_zero_padded(
      3700, 3900, rng, test::random_taps_folding,
      [](const Block& b, const LayerFolding& f) { return f.simd > b.simd_channels(); }, 40, run);
}

// SIMD over kernel taps (docs/pixel-parallel.md): the SWU is bnn_pixel_group writing t taps of a
// window a word (with and without MMV); a random network whose convs take random taps.
TEST(RtlPixelGroups, SimdOverKernelTapsUnderStalls) {
  BNNC_REQUIRE_VERILATOR();
  std::mt19937_64 rng(20261205);
  int verified = 0;
  for (std::uint64_t seed = 3700; seed < 3900 && verified < 1; ++seed) {
    test::RandomNetworkOptions options;
    options.images = 3;
    options.allow_zero_pad = false;  // SIMD over taps with zero padding has no RTL
    const test::RandomNetwork net = test::random_network(seed, options);
    const Graph streamlined = streamline(net.graph);
    const DataflowGraph lowered = lower_to_dataflow(streamlined);
    const Folding folding = test::random_taps_folding(lowered, rng);
    int taps = 0;
    for (const LayerFolding& f : folding.layers) {
      const Block& b = lowered.blocks[static_cast<std::size_t>(lowered.find(f.name))];
      taps += b.is_conv() && f.simd > b.simd_channels() ? 1 : 0;
    }
    if (taps < 2) continue;
    const Design design = compile_design(streamlined, FoldingRequest::given(folding));
    // Few, narrow pixel-group blocks keep the Verilator build short.
    int lanes = 0;
    for (const Block& b : design.folded.blocks)
      lanes += is_pixel_group(b) ? std::max(b.in_elems, b.out_elems) : 0;
    if (lanes > 40) continue;
    ASSERT_FALSE(design.rtl_unsupported.has_value()) << *design.rtl_unsupported;
    const std::string what = "taps, random network seed " + std::to_string(seed);
    std::printf("%s\n", what.c_str());
    RtlRunOptions run;
    run.seed = 11;
    test::VerifiedDesign v;
    test::verify_design(design, Frames(net.images.begin(), net.images.end()), what, v, 3, run);
    if (HasFatalFailure()) return;
    EXPECT_EQ(v.timing.cycles_per_frame(), v.sim.cycles_per_frame()) << what;
    ++verified;
  }
  EXPECT_EQ(verified, 1);
}

// bnn_pixel_group on its own (no network around it), under stalls on both sides: a window of
// MMV 2 and SIMD over kernel taps on 8-bit pixels, and a converter from channel groups to runs
// across pixels (its own counters and bank choice). The reference is the sources rule
// (fold/pixel_group.h) on random frames: each output element from the element it reads.
// (Paddings, pools, strides and MMV windows of one tap: the network tests above.)
// One bnn_pixel_group instance (a block of kind `kind` on an h × w × c map).
using AloneCase = test::PixelGroupShape;

// Runs each case's block on its own under stalls on both sides, 3 random frames, against the
// sources rule of src/fold/pixel_group.h.
void expect_blocks_alone_match_the_sources_rule(std::span<const AloneCase> cases,
                                                std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  for (const AloneCase& t : cases) {
    const Block b = test::pixel_group_block(t);
    ASSERT_TRUE(is_pixel_group(b)) << block_kind_name(t.kind);
    // Random border values per channel, and every other channel of the pool takes the minimum.
    std::vector<std::int64_t> pad_values(static_cast<std::size_t>(b.ofm_c));
    std::string pad_hex, min_channels;
    for (int c = b.ofm_c; c-- > 0;) {
      pad_values[static_cast<std::size_t>(c)] =
          static_cast<std::int64_t>(rng() & ((std::uint64_t{1} << t.bits) - 1));
      min_channels += c % 2 == 1 ? '1' : '0';
    }
    for (int c = b.ofm_c; c-- > 0;) {
      pad_hex += fmt::format("{:0{}b}", pad_values[static_cast<std::size_t>(c)], t.bits);
    }
    std::vector<std::pair<std::string, std::string>> params = pixel_group_params(b);
    params.emplace_back("PAD_VALUES", fmt::format("{}'b{}", b.ofm_c * t.bits, pad_hex));
    params.emplace_back("MIN_CHANNELS", fmt::format("{}'b{}", b.ofm_c, min_channels));
    BlockUnderTest block{"bnn_pixel_group", params, {}, b.in_elems, t.bits, b.out_elems, t.bits};
    const StreamOrder in = input_order(b), out = output_order(b);
    std::vector<std::int64_t> input, expected;
    for (int frame = 0; frame < 3; ++frame) {
      std::vector<std::int64_t> image(static_cast<std::size_t>(b.elements_in()));
      for (std::int64_t& v : image) {
        v = static_cast<std::int64_t>(rng() & ((std::uint64_t{1} << t.bits) - 1));
      }
      for (std::int64_t w = 0; w < words_in(b); ++w) {
        for (int k = 0; k < b.in_elems; ++k) {
          const std::int64_t e = element_index(in, w, k);
          input.push_back(e < b.elements_in() ? image[static_cast<std::size_t>(e)] : 0);
        }
      }
      for (std::int64_t j = 0; j < words_out(b); ++j) {
        for (int k = 0; k < b.out_elems; ++k) {
          const std::int64_t e = element_index(out, j, k);
          if (e >= b.elements_out()) {
            expected.push_back(0);
            continue;
          }
          const int channel = static_cast<int>(e % b.ofm_c);
          const bool take_min = t.kind == BlockKind::StreamingMaxPool && channel % 2 == 1;
          std::int64_t v = t.kind == BlockKind::FmPadding
                               ? pad_values[static_cast<std::size_t>(channel)]
                               : (take_min ? 1 : 0);
          for_each_source(b, e, [&](std::int64_t s) {
            const std::int64_t x = image[static_cast<std::size_t>(s)];
            v = t.kind != BlockKind::StreamingMaxPool ? x
                : take_min                            ? std::min(v, x)
                                                      : std::max(v, x);
          });
          expected.push_back(v);
        }
      }
    }
    test::expect_block_output(
        block, input, expected,
        fmt::format("bnn_pixel_group {} {}x{}x{} K {} S {} words {}/{} -> {}/{}",
                    block_kind_name(t.kind), t.h, t.w, t.c, t.k, t.stride, t.in_elems, t.in_pixels,
                    t.out_elems, t.out_pixels));
    if (::testing::Test::HasFatalFailure()) return;
  }
}

TEST(RtlPixelGroups, BlockAloneMatchesTheSourcesRule) {
  BNNC_REQUIRE_VERILATOR();
  const AloneCase cases[] = {
      {BlockKind::Swu, 6, 6, 3, 3, 1, 0, 2, 6, 2, 18, 8},
      {BlockKind::Dwc, 4, 4, 6, 1, 1, 0, 2, 6, 1, 4, 1},
  };
  expect_blocks_alone_match_the_sources_rule(cases, 20261206);
}

// A padding whose pixel groups are narrower than its border (P < 2·PAD): the step from a group
// that ends a row to the next goes back in the input (P − 2·PAD pixels), which the block's
// (word, position) counters once carried the wrong way — a 6×6 pad 2 conv at MMV 3 on a 10×10
// image gave wrong classes while the cycle simulator was right. The 10×10×2 pad 2 at 3 pixels a
// word is that conv's padding; 6×7×3 pad 3 at 4 pixels of 8 bits steps back two.
TEST(RtlPixelGroups, PaddingNarrowerThanItsBorderMatchesTheSourcesRule) {
  BNNC_REQUIRE_VERILATOR();
  const AloneCase cases[] = {
      {BlockKind::FmPadding, 10, 10, 2, 1, 1, 2, 3, 6, 3, 6, 1},
      {BlockKind::FmPadding, 6, 7, 3, 1, 1, 3, 4, 12, 4, 12, 8},
  };
  expect_blocks_alone_match_the_sources_rule(cases, 20261205);
}

// Sliding windows whose output pixel groups stay within a row read their MMV windows as runs
// of pixels (bnn_pixel_group's LINEAR datapath): stride 2 over words of 3 pixels that cross rows
// (3 layers of banks), output channel groups narrower than the input's (a channel choice per
// bank) and wider (two input words a pixel). SIMD over taps at MMV 2 is the case above.
TEST(RtlPixelGroups, SlidingWindowRunsMatchTheSourcesRule) {
  BNNC_REQUIRE_VERILATOR();
  const AloneCase cases[] = {
      {BlockKind::Swu, 11, 11, 2, 3, 2, 0, 3, 6, 5, 10, 1},
      {BlockKind::Swu, 6, 6, 8, 3, 1, 0, 2, 8, 4, 8, 1},
      {BlockKind::Swu, 6, 6, 4, 3, 1, 0, 4, 8, 2, 8, 1},
  };
  expect_blocks_alone_match_the_sources_rule(cases, 20261204);
}

// Max-pools and paddings whose output pixel groups stay within a row read runs too (a pool one
// run per pool tap, a padding a run of stride 1 with its border lanes overridden): MMV 1, 2
// and 3, several input pixels a word (words crossing rows), pools writing fewer pixels a word
// than they read, pool K 2 and 3 at stride 2, pad 1,
// channel groups narrower and wider than the input's, an 8-bit padding; and a padding and a
// pool whose output groups cross rows (a padding's crossing one row read one run with two
// offsets a pixel; a pool's, and a padding's of more pixels than a row, the per-pixel reads). Not
// here: pad 2 (5×5×2 at MMV 3 from 2-pixel words, 6×6×2 at MMV 2 from 3-pixel words) and a padding
// writing one-pixel words from words of several pixels (6×6×4, 2 pixels in) differ from the sources
// rule with the per-pixel reads too (docs/pixel-parallel.md, "Not yet").
TEST(RtlPixelGroups, PoolAndPaddingRunsMatchTheSourcesRule) {
  BNNC_REQUIRE_VERILATOR();
  const AloneCase cases[] = {
      {BlockKind::StreamingMaxPool, 8, 8, 4, 2, 2, 0, 2, 8, 2, 8, 1},
      {BlockKind::StreamingMaxPool, 9, 9, 4, 3, 2, 0, 3, 12, 2, 4, 1},
      {BlockKind::StreamingMaxPool, 11, 11, 2, 3, 2, 0, 3, 6, 1, 2, 1},
      {BlockKind::StreamingMaxPool, 12, 12, 4, 2, 2, 0, 4, 8, 3, 12, 1},
      {BlockKind::FmPadding, 6, 6, 4, 1, 1, 1, 2, 8, 2, 4, 1},
      {BlockKind::FmPadding, 7, 7, 4, 1, 1, 1, 3, 12, 3, 6, 1},
      {BlockKind::FmPadding, 4, 4, 2, 1, 1, 1, 2, 4, 3, 6, 8},
      {BlockKind::FmPadding, 5, 5, 2, 1, 1, 1, 3, 6, 2, 4, 1},
      {BlockKind::FmPadding, 6, 6, 4, 1, 1, 1, 2, 8, 3, 6, 1},
      {BlockKind::FmPadding, 7, 7, 2, 1, 1, 1, 3, 6, 2, 4, 8},
      {BlockKind::FmPadding, 2, 2, 2, 1, 1, 1, 2, 4, 5, 10, 1},
      {BlockKind::StreamingMaxPool, 10, 10, 2, 2, 2, 0, 2, 4, 2, 4, 1},
      {BlockKind::FmPadding, 5, 5, 2, 1, 1, 2, 2, 4, 3, 6, 8},
      {BlockKind::FmPadding, 6, 6, 2, 1, 1, 2, 3, 6, 2, 4, 1},
      {BlockKind::FmPadding, 6, 6, 4, 1, 1, 1, 2, 8, 1, 4, 1},
      {BlockKind::FmPadding, 4, 4, 4, 1, 1, 1, 4, 16, 1, 4, 1},
      // A pool writing fewer pixels a word than it reads, so that its groups stay in a row
      // (fold_blocks: CNV-W1A1's pool1 writes 2 of 4 on 14-pixel rows; here 2 and 3 of 4 on 6).
      {BlockKind::StreamingMaxPool, 12, 12, 4, 2, 2, 0, 4, 16, 2, 8, 1},
      {BlockKind::StreamingMaxPool, 12, 12, 4, 2, 2, 0, 4, 16, 3, 12, 1},
  };
  expect_blocks_alone_match_the_sources_rule(cases, 20261205);
}

// AlexNet/8's first conv in small (docs/latency-search.md): 8-bit pixels come in words of 8
// whole pixels and go through a width converter into its padding's words of 11 (24 → 33
// elements, chunks of 3: 8 in, 11 out, as AlexNet/8's 48 → 66), whose pixel groups cross rows
// on both sides (14- and 16-pixel rows), then a sliding window 3×3/2 at 3 taps a word and MMV
// 7. The input's 25 words a frame are the bottleneck: the converter must take a word every
// cycle. bnn_dwc counted its room before the word it sent that cycle, so it skipped most reads
// on a send: 40 cycles a frame against the simulator's 25 (AlexNet/8: 5,131 against 3,136).
TEST(RtlPixelGroups, InputConverterWithNonDividingWidthsKeepsUpWithTheInput) {
  BNNC_REQUIRE_VERILATOR();
  std::mt19937_64 rng(20261205);
  constexpr int kSize = 14, kChannels = 3, kRows = 2, kClasses = 10;
  test::RandomNetwork net;
  for (int i = 0; i < 4; ++i) {
    std::vector<std::uint8_t> image(static_cast<std::size_t>(kSize * kSize * kChannels));
    for (auto& p : image) p = static_cast<std::uint8_t>(rng());
    net.images.push_back(std::move(image));
  }
  Graph& g = net.graph;
  g.name = "alexnet-conv1-in-small";
  int x = g.add("input", InputAttrs{{kSize, kSize, kChannels}, DType::uint(8)});
  QuantizeAttrs q;
  for (int p = 0; p < 256; ++p) q.table.push_back(p - 128);
  x = g.add("quant", q, {x});
  Conv2dAttrs conv{test::random_matrix(kRows, 9 * kChannels, rng), 3, 2, 1, 17};
  x = g.add("conv1", conv, {x});
  x = g.add("thr1",
            ThresholdAttrs{std::vector<std::int64_t>(static_cast<std::size_t>(kRows), 0), 1, {}},
            {x});
  x = g.add("flatten", ReshapeAttrs{{7 * 7 * kRows}}, {x});
  x = g.add("fc", DenseAttrs{test::random_matrix(kClasses, 7 * 7 * kRows, rng)}, {x});
  g.add("label", LabelSelectAttrs{}, {x});
  infer_types(g);

  Folding folding;
  folding.input_elems = 8 * kChannels;
  folding.layers = {{"conv1", kRows, 3 * kChannels, 7}, {"fc", kClasses, 7 * 7 * kRows, 1}};
  const Design design = compile_design(g, FoldingRequest::given(folding));
  ASSERT_FALSE(design.rtl_unsupported.has_value()) << *design.rtl_unsupported;
  const Block& input = design.folded.blocks[0];
  const Block& dwc = design.folded.blocks[1];
  ASSERT_EQ(dwc.kind, BlockKind::Dwc);
  ASSERT_EQ(dwc.in_elems, 8 * kChannels);
  ASSERT_EQ(dwc.out_elems, 11 * kChannels);
  ASSERT_EQ(words_out(input), 25);

  RtlRunOptions run;
  run.seed = 17;
  test::VerifiedDesign v;
  test::verify_design(design, Frames(net.images.begin(), net.images.end()),
                      "AlexNet/8's conv1 in small", v, 4, run);
  if (HasFatalFailure()) return;
  EXPECT_EQ(v.sim.cycles_per_frame(), 25.0);
  EXPECT_EQ(v.timing.cycles_per_frame(), v.sim.cycles_per_frame());
}

}  // namespace
}  // namespace bnnc
