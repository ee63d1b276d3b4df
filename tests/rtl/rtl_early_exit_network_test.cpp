// Whole generated designs with early-exit MVTUs (bnn_mvtu_exit) in Verilator: random networks
// with random foldings, every layer that can exit early doing so. Every class and score equals
// the golden model's under random stalls on the input and the output, and without stalls the
// frames come out at the cycle simulator's rate, now data-dependent.
#include <gtest/gtest.h>

#include <random>

#include "design/compile_design.h"
#include "design/save_design.h"
#include "fold/lower_to_dataflow.h"
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

TEST(RtlEarlyExit, RandomNetworksUnderStallsAtTheSimulatorsRate) {
  BNNC_REQUIRE_VERILATOR();
  std::mt19937_64 rng(20261217);
  int verified = 0;
  for (std::uint64_t seed = 2100; seed < 2140 && verified < 2; ++seed) {
    test::RandomNetworkOptions options;
    options.images = 6;
    options.allow_zero_pad = false;
    const test::RandomNetwork net = test::random_network(seed, options);
    const Graph streamlined = streamline(net.graph);
    FoldingRequest request =
        FoldingRequest::given(test::random_folding(lower_to_dataflow(streamlined), rng));
    request.early_exit = true;
    const Design design = compile_design(streamlined, request, FrameTiming::EstimateOnly);
    int exit_layers = 0;
    for (const Block& b : design.folded.blocks) exit_layers += b.early_exit ? 1 : 0;
    if (exit_layers < 2 || design.rtl_unsupported) continue;
    const std::string what = "random network seed " + std::to_string(seed);

    const std::filesystem::path dir = test::temp_dir("rtl-exit-net");
    const std::optional<RtlDesign> rtl = save_design(design, dir);
    ASSERT_TRUE(rtl.has_value()) << what;
    VerilatorBuildRequest build_request;
    build_request.top = rtl->top;
    for (const std::string& f : rtl->sources) {
      if (f.ends_with(".sv")) build_request.sources.push_back(dir / "rtl" / f);
    }
    build_request.observe = true;
    const VerilatorBuild build = build_verilator(build_request);
    const Frames frames(net.images.begin(), net.images.end());
    std::vector<Classification> golden;
    for (const auto& frame : frames) golden.push_back(run_golden(design.folded.ir, frame));
    RtlRunOptions run_options;
    for (const double stall : {0.3, 0.0}) {
      run_options.stall = stall;
      run_options.seed = 5;
      const RtlRunResult run =
          run_rtl_design(build.executable, dir / "rtl", rtl->interface, frames, run_options);
      EXPECT_TRUE(run.deadlock.empty()) << what << ": " << run.deadlock;
      ASSERT_EQ(run.labels.size(), frames.size()) << what;
      const Comparison compared = compare_with_oracle(golden, run.classifications(), {});
      ASSERT_EQ(compared.mismatches, 0)
          << what << ", stall " << stall << ", first at frame " << compared.first_mismatch;
      if (stall > 0) continue;
      SimulationOptions sim_options;
      sim_options.fifo_depths = design.fifo_depths;
      const SimulationResult sim = simulate_dataflow(design.folded, frames, sim_options);
      EXPECT_EQ(run.cycles_per_frame(), sim.cycles_per_frame()) << what;
    }
    ++verified;
  }
  EXPECT_EQ(verified, 2);
}

}  // namespace
}  // namespace bnnc
