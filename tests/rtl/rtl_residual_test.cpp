// Residual blocks in Verilator: the fork (bnn_duplicate) and the join (bnn_add_streams) with the
// bypass FIFO find_reconvergence sizes. Under random stalls on both sides every class and score
// equals the golden model's and the cycles per frame equal the cycle simulator's; with the
// bypass FIFO forced below the computed depth both the RTL and the simulator stop, and each
// reports it (the deadlock the sizing prevents).
#include <gtest/gtest.h>

#include <set>

#include "design/compile_design.h"
#include "design/save_design.h"
#include "fold/find_reconvergence.h"
#include "fold/lower_to_dataflow.h"
#include "io/npy_writer.h"
#include "residual_network.h"
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

struct Built {
  std::filesystem::path dir, rtl_dir;
  RtlDesign rtl;
  std::filesystem::path executable;
};

Built build(const Design& design) {
  Built b;
  const std::filesystem::path dir = test::temp_dir("rtl-residual");
  const std::optional<RtlDesign> rtl = save_design(design, dir);
  EXPECT_TRUE(rtl.has_value()) << design.rtl_unsupported.value_or("");
  if (!rtl) return b;
  b.rtl = *rtl;
  b.dir = dir;
  b.rtl_dir = dir / "rtl";
  VerilatorBuildRequest request;
  request.top = rtl->top;
  for (const std::string& f : rtl->sources) {
    if (f.ends_with(".sv")) request.sources.push_back(b.rtl_dir / f);
  }
  request.observe = true;
  b.executable = build_verilator(request).executable;
  return b;
}

// max_cycles 0: every layer at PE = SIMD = 1.
Design compile(const test::Residual& net, std::int64_t max_cycles) {
  const DataflowGraph lowered = lower_to_dataflow(net.graph);
  return compile_design(
      net.graph, FoldingRequest::given(
                     max_cycles > 0 ? choose_folding_for_cycles(lowered, max_cycles) : Folding{}));
}

TEST(RtlResidual, StrideOneAndTwoUnderStallsEqualGoldenAndTheSimulatorsCycles) {
  BNNC_REQUIRE_VERILATOR();
  struct Case {
    int size, stride, channels;
    std::int64_t max_cycles;
  };
  for (const Case& c : {Case{9, 1, 8, 2000}, Case{11, 2, 8, 1000}}) {
    const std::string what = fmt::format("size {}, stride {}", c.size, c.stride);
    const test::Residual net = test::residual_network(7 + c.size, c.size, c.stride, c.channels, 5);
    const Design design = compile(net, c.max_cycles);
    ASSERT_FALSE(design.rtl_unsupported.has_value()) << *design.rtl_unsupported;
    const Frames frames(net.images.begin(), net.images.end());
    test::VerifiedDesign v;
    RtlRunOptions options;
    options.seed = 11;
    test::verify_design(design, frames, what, v, 8, options);
    if (HasFatalFailure()) return;
    EXPECT_EQ(v.timing.cycles_per_frame(), v.sim.cycles_per_frame()) << what;
    // As a user runs it: bnnc verify on the design folder (the same build, from the cache).
    const std::filesystem::path npy = v.dir / "images.npy";
    std::vector<std::uint8_t> pixels;
    for (const auto& image : net.images) pixels.insert(pixels.end(), image.begin(), image.end());
    save_npy_uint8(npy.string(), {std::ssize(net.images), c.size, c.size, 4}, pixels);
    const test::CommandResult cli =
        test::run_bnnc("verify " + v.dir.string() + " --data " + npy.string() + " --json");
    EXPECT_EQ(cli.exit_code, 0) << what << ": " << cli.err << cli.out;
    EXPECT_NE(cli.out.find("\"match\":true"), std::string::npos) << what << ": " << cli.out;
  }
}

// A residual block folded to a bottleneck its bypass must keep up with. With the bypass sized only
// against deadlock (find_reconvergence.h before its 2 pixels per MVTU of the other branch), the
// identity block ran below its bottleneck (2,304 cycles): 3,348 cycles a frame simulated and
// 3,600 in Verilator, whose register slack differs from the simulator's model once the bypass
// decides the rate (so did the PyTorch resnet_pm1: 100,388 and 105,120, bottleneck 56,448).
// Sized for full rate, both engines run at the bottleneck.
TEST(RtlResidual, FoldedResidualBlocksRunAtTheirBottleneckInRtlAndSimulator) {
  BNNC_REQUIRE_VERILATOR();
  struct Case {
    bool identity;
    int channels;
    std::int64_t max_cycles;
  };
  for (const Case& c : {Case{true, 4, 4000}, Case{false, 8, 4000}}) {
    const std::string what =
        fmt::format("{} shortcut, {} cycles", c.identity ? "identity" : "projection", c.max_cycles);
    const test::Residual net = test::residual_network(48, 8, 1, c.channels, 4, c.identity);
    const Design design = compile(net, c.max_cycles);
    ASSERT_FALSE(design.rtl_unsupported.has_value()) << *design.rtl_unsupported;
    std::int64_t bottleneck = 0;
    for (const Block& b : design.folded.blocks) bottleneck = std::max(bottleneck, b.cycles);
    const Frames frames(net.images.begin(), net.images.end());
    test::VerifiedDesign v;
    test::verify_design(design, frames, what, v, 4);
    if (HasFatalFailure()) return;
    EXPECT_EQ(v.sim.cycles_per_frame(), static_cast<double>(bottleneck)) << what;
    EXPECT_EQ(v.timing.cycles_per_frame(), v.sim.cycles_per_frame()) << what;
  }
}

// The join's table (ir/op.h AddAttrs; bnn_add_streams TABLE = 1) on an identity shortcut of bits
// (each lane's 2b − 1 indexes its channel's row) and on a projection's popcounts, and an
// identity shortcut without a table (a bit adds ±1, not 0/1). The long branch's PE makes the
// join's words two channel groups, so the RTL's group counter and the width converter on input
// 1 are exercised. Under stalls, every class and score equals the golden model's; the cycles
// per frame equal the simulator's; `bnnc verify` on the saved folder (model format 4) matches.
TEST(RtlResidual, JoinTablesOnIdentityAndProjectionShortcutsUnderStalls) {
  BNNC_REQUIRE_VERILATOR();
  struct Case {
    bool identity, table;
    int channels, long_pe, short_pe;
  };
  for (const Case& c :
       {Case{true, true, 4, 2, 0}, Case{false, true, 8, 4, 2}, Case{true, false, 4, 2, 0}}) {
    const std::string what = fmt::format("{} shortcut, {}", c.identity ? "identity" : "projection",
                                         c.table ? "with a table" : "without a table");
    test::Residual net =
        test::residual_network(c.identity ? 31 : 32, 6, 1, c.channels, 5, c.identity);
    if (c.table) test::add_join_table(net, c.identity ? 7 : 8);
    const DataflowGraph lowered = lower_to_dataflow(net.graph);
    Folding folding = folding_of(lowered);
    for (LayerFolding& f : folding.layers) {
      if (f.name == "a2") f.pe = c.long_pe;
      if (f.name == "b1") f.pe = c.short_pe;
    }
    const Design design = compile_design(net.graph, FoldingRequest::given(folding));
    ASSERT_FALSE(design.rtl_unsupported.has_value()) << *design.rtl_unsupported;
    const Block& join =
        design.folded
            .blocks[static_cast<std::size_t>(find_reconvergent_paths(design.folded).at(0).join)];
    EXPECT_EQ(join.in_elems * 2, join.ifm_c) << what;
    const Frames frames(net.images.begin(), net.images.end());
    std::set<std::int64_t> join_bits;
    for (const auto& image : net.images) {
      const auto layers = run_golden_layers(net.graph, image);
      for (std::int64_t b : layers[static_cast<std::size_t>(net.graph.find("add.t"))].values)
        join_bits.insert(b);
    }
    EXPECT_EQ(join_bits.size(), 2U) << what << ": the join's bits vary";
    test::VerifiedDesign v;
    RtlRunOptions options;
    options.seed = 12;
    test::verify_design(design, frames, what, v, 8, options);
    if (HasFatalFailure()) return;
    EXPECT_EQ(v.timing.cycles_per_frame(), v.sim.cycles_per_frame()) << what;
    if (!c.table) continue;
    const std::filesystem::path npy = v.dir / "images.npy";
    std::vector<std::uint8_t> pixels;
    for (const auto& image : net.images) pixels.insert(pixels.end(), image.begin(), image.end());
    save_npy_uint8(npy.string(), {std::ssize(net.images), 6, 6, 4}, pixels);
    const test::CommandResult cli =
        test::run_bnnc("verify " + v.dir.string() + " --data " + npy.string() + " --json");
    EXPECT_EQ(cli.exit_code, 0) << what << ": " << cli.err << cli.out;
    EXPECT_NE(cli.out.find("\"match\":true"), std::string::npos) << what << ": " << cli.out;
  }
}

// The join's table on words of several pixels (docs/residual.md, "In the RTL"): every conv at
// MMV 2 or 3 with PE = rows, so the join takes words of 2–3 pixels, each with a whole channel
// group or all the channels; lane l of a word finds its channel as l mod G. Identity and
// projection shortcuts, under stalls: every class and score equals the golden model's and the
// cycles per frame equal the simulator's.
TEST(RtlResidual, JoinTablesOnPixelWordsUnderStalls) {
  BNNC_REQUIRE_VERILATOR();
  for (const bool identity : {true, false}) {
    const std::string what = identity ? "identity shortcut" : "projection shortcut";
    test::Residual net =
        test::residual_network(identity ? 33 : 34, 6, 1, identity ? 4 : 8, 5, identity);
    test::add_join_table(net, identity ? 9 : 10);
    const DataflowGraph lowered = lower_to_dataflow(net.graph);
    Folding folding = folding_of(lowered);
    for (LayerFolding& f : folding.layers) {
      const Block& b = lowered.blocks[static_cast<std::size_t>(lowered.find(f.name))];
      if (!b.is_conv()) continue;
      f.pe = b.mh;
      f.mmv = identity ? 2 : 3;
    }
    const Design design = compile_design(net.graph, FoldingRequest::given(folding));
    ASSERT_FALSE(design.rtl_unsupported.has_value()) << what << ": " << *design.rtl_unsupported;
    const Block& join =
        design.folded
            .blocks[static_cast<std::size_t>(find_reconvergent_paths(design.folded).at(0).join)];
    EXPECT_GT(join.in_pixels, 1) << what;
    EXPECT_GT(join.table_span, 0) << what;
    test::VerifiedDesign v;
    RtlRunOptions options;
    options.seed = 14;
    test::verify_design(design, Frames(net.images.begin(), net.images.end()), what, v, 8, options);
    if (HasFatalFailure()) return;
    EXPECT_EQ(v.timing.cycles_per_frame(), v.sim.cycles_per_frame()) << what;
  }
}

// The design of residual_dataflow_test's deadlock case (PE = SIMD = 1: at higher foldings the
// FIFO in front of each MVTU, a whole input vector, holds what the bypass lacks). The row FIFOs in
// front of the long branch's window paths would hold a whole image this small and hide a missing
// bypass depth, so they get 2 words in both runs; only the bypass FIFO differs.
TEST(RtlResidual, BypassBelowTheComputedDepthDeadlocksInRtlAndSimulator) {
  BNNC_REQUIRE_VERILATOR();
  const test::Residual net = test::residual_network(3, 8, 1, 8, 3);
  const Design sized = compile(net, 0);
  const Reconvergence r = find_reconvergent_paths(sized.folded).at(0);
  Design design = sized;
  for (std::size_t i = 0; i < design.folded.blocks.size(); ++i) {
    const BlockKind kind = design.folded.blocks[i].kind;
    if (kind == BlockKind::FmPadding || kind == BlockKind::Swu) design.fifo_depths[i][0] = 2;
  }
  const Frames frames(net.images.begin(), net.images.end());
  for (const bool shallow : {false, true}) {
    const int depth = shallow ? 2 : static_cast<int>(r.depth[1]);
    const std::string what =
        fmt::format("bypass FIFO of {} words (computed {})", depth, r.depth[1]);
    design.fifo_depths[r.join][1] = depth;
    const Built built = build(design);
    if (HasFailure()) return;
    // The testbench sees only its ports: after the last input word a working design may go a
    // frame's work without a handshake there. So it waits longer than that (bnnc verify's rule).
    std::int64_t work = 0;
    for (const Block& b : design.folded.blocks) work += b.cycles;
    RtlRunOptions options;
    options.stall = 0.2;
    options.max_idle =
        static_cast<std::int64_t>(static_cast<double>(4 * work) / (1 - options.stall));
    const RtlRunResult run =
        run_rtl_design(built.executable, built.rtl_dir, built.rtl.interface, frames, options);
    SimulationOptions sim_options;
    sim_options.fifo_depths = design.fifo_depths;
    sim_options.max_cycles_without_progress = 20'000;
    std::string sim_error;
    try {
      simulate_dataflow(design.folded, frames, sim_options);
    } catch (const Error& e) {
      sim_error = e.what();
    }
    if (shallow) {
      EXPECT_NE(run.deadlock, "") << what;
      EXPECT_LT(run.labels.size(), frames.size()) << what;
      EXPECT_NE(sim_error.find("deadlock"), std::string::npos) << what << ": " << sim_error;
    } else {
      EXPECT_EQ(run.deadlock, "") << what;
      EXPECT_EQ(run.labels.size(), frames.size()) << what;
      EXPECT_EQ(sim_error, "") << what;
    }
  }
}

// ResNet's tail with the pool in the FC (passes/fuse_pool_into_dense.h), as the latency
// objective chooses it: the fused dense layer input-stationary on the conv's pixels, under random
// stalls on both sides, every class and score equal to the pooled network's golden model.
TEST(RtlResidual, PoolInTheFcUnderStallsEqualsThePooledNetwork) {
  BNNC_REQUIRE_VERILATOR();
  const test::Residual net = test::pooled_network(13, 6, 16, {4, -3, 0, 2, 7, -1, 0, 3, -6, 1}, 2);
  FoldingRequest request;
  request.latency_budget = Budget{20000, 40};
  const Design design = compile_design(net.graph, request);
  ASSERT_EQ(design.graph.nodes[design.graph.find("pool")].op(), Op::Reshape) << "not fused";
  ASSERT_FALSE(design.rtl_unsupported.has_value()) << *design.rtl_unsupported;
  const Frames frames(net.images.begin(), net.images.end());
  test::VerifiedDesign v;
  RtlRunOptions options;
  options.seed = 5;
  test::verify_design(design, frames, "pool in the FC", v, 8, options);
  if (HasFatalFailure()) return;
  EXPECT_EQ(v.timing.cycles_per_frame(), v.sim.cycles_per_frame());
  std::vector<Classification> pooled;
  for (const auto& image : net.images) pooled.push_back(run_golden(net.graph, image));
  EXPECT_EQ(compare_with_oracle(pooled, v.stalled.classifications(), {}).mismatches, 0);
}

}  // namespace
}  // namespace bnnc
