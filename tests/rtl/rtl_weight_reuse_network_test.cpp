// Whole generated designs with weight-reuse MVTUs (bnn_mvtu_wr) in Verilator: random networks
// with random foldings, every layer that can take weight reuse doing so. Every class and score
// equals the golden model's under random stalls on the input and the output, and without stalls
// the frames come out at exactly the cycle simulator's rate.
#include <gtest/gtest.h>

#include <filesystem>
#include <random>

#include "design/compile_design.h"
#include "fold/lower_to_dataflow.h"
#include "passes/streamline.h"
#include "random_folding.h"
#include "random_network.h"
#include "rtl/run_rtl_design.h"
#include "rtl/verilator_build.h"
#include "rtl_test_support.h"
#include "sim/cycle_simulator.h"
#include "test_support.h"

namespace bnnc {
namespace {

using Frames = std::vector<std::span<const std::uint8_t>>;

TEST(RtlWeightReuse, RandomNetworksUnderStallsAtTheSimulatorsRate) {
  BNNC_REQUIRE_VERILATOR();
  std::mt19937_64 rng(20261204);
  int verified = 0;
  int ram_layers = 0, register_layers = 0;  // bnn_mvtu_wr's two P memories: PE 1 and PE > 1
  for (std::uint64_t seed = 3100; seed < 3140 && verified < 2; ++seed) {
    test::RandomNetworkOptions options;
    options.images = 6;
    options.allow_zero_pad = false;
    const test::RandomNetwork net = test::random_network(seed, options);
    const Graph streamlined = streamline(net.graph);
    FoldingRequest request =
        FoldingRequest::given(test::random_folding(lower_to_dataflow(streamlined), rng));
    request.reuse = ReuseMode::Weight;
    const Design design = compile_design(streamlined, request, FrameTiming::EstimateOnly);
    int reuse_layers = 0;
    for (const Block& b : design.folded.blocks) reuse_layers += b.weight_reuse ? 1 : 0;
    if (reuse_layers < 2 || design.rtl_unsupported) continue;
    const std::string what = "random network seed " + std::to_string(seed);

    const Frames frames(net.images.begin(), net.images.end());
    test::VerifiedDesign v;
    RtlRunOptions run_options;
    run_options.seed = 7;
    test::verify_design(design, frames, what, v, 8, run_options);
    if (HasFatalFailure()) return;
    EXPECT_TRUE(std::filesystem::exists(v.dir / "rtl" / "bnn_mvtu_wr.sv")) << what;
    EXPECT_EQ(v.timing.cycles_per_frame(), v.sim.cycles_per_frame()) << what;
    for (const Block& b : design.folded.blocks) {
      if (b.weight_reuse) ++(b.pe == 1 ? ram_layers : register_layers);
    }
    ++verified;
  }
  EXPECT_EQ(verified, 2);
  EXPECT_GT(ram_layers, 0);
  EXPECT_GT(register_layers, 0);
}

}  // namespace
}  // namespace bnnc
