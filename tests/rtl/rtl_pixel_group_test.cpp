// Designs with MMV > 1 in Verilator (docs/pixel-parallel.md, "In the RTL"): the padding, sliding
// window, max-pool and reordering converter on words of several pixels are bnn_pixel_group, built
// as the cycle simulator's PixelGroupEngine. Every class and score must equal the golden model's
// under random stalls on both sides, and the cycles per frame must equal the simulator's.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <random>
#include <set>

#include "design/compile_design.h"
#include "fold/lower_to_dataflow.h"
#include "fold/pixel_group.h"
#include "passes/streamline.h"
#include "random_folding.h"
#include "random_network.h"
#include "rtl_test_support.h"

namespace bnnc {
namespace {

using Frames = std::vector<std::span<const std::uint8_t>>;

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
    const std::set<std::string> kinds = pixel_groups(design);
    if (kinds.empty()) continue;
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

}  // namespace
}  // namespace bnnc
