// Designs with MMV > 1 in Verilator (docs/pixel-parallel.md, "In the RTL"): the padding, sliding
// window, max-pool and reordering converter on words of several pixels are bnn_pixel_group, built
// as the cycle simulator's PixelGroupEngine. Every class and score must equal the golden model's
// under random stalls on both sides, and the cycles per frame must equal the simulator's.
#include <gtest/gtest.h>

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
  for (std::uint64_t seed = 3000; seed < 3200 && verified < 4; ++seed) {
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
    for (const Block& b : design.folded.blocks) {
      if (b.kind == BlockKind::Mvtu) std::printf("%s %s mmv %d k %d s %d pad %d pe %d simd %d\n", what.c_str(), b.name.c_str(), b.mmv, b.kernel, b.stride, b.pad, b.pe, b.simd);
    }
    ++verified;
  }
  EXPECT_EQ(verified, 4);
  for (const char* kind : {"SWU", "FMPadding", "StreamingMaxPool", "DWC"}) EXPECT_TRUE(covered.contains(kind)) << kind;
}

}  // namespace
}  // namespace bnnc
