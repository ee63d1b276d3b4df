// The weight-reuse MVTU in the cycle simulator (sim/weight_reuse_mvtu.h) against the golden
// model: every class and score equal on random networks with random foldings (every layer that
// can take it reusing), no deadlock with the FIFO depths sized for the reuse design, cycles that
// do not depend on the data, each layer's vectors costing exactly its static schedule, and
// `--reuse auto` never choosing a design the estimate finds slower or less area-efficient.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <filesystem>
#include <random>

#include "design/compile_design.h"
#include "fold/lower_to_dataflow.h"
#include "passes/streamline.h"
#include "random_folding.h"
#include "random_network.h"
#include "sim/compare_with_oracle.h"
#include "sim/cycle_simulator.h"
#include "sim/golden_model.h"
#include "simulate_design.h"
#include "test_support.h"

namespace bnnc {
namespace {

using test::expect_golden;
using test::Frames;
using test::simulate_design;

TEST(WeightReuseSimulator, RandomNetworksWithRandomFoldings) {
  std::mt19937_64 rng(20261203);
  int reuse_layers = 0, faster = 0, auto_chose = 0;
  for (std::uint64_t seed = 1700; seed < 1740; ++seed) {
    test::RandomNetworkOptions options;
    options.allow_zero_pad = false;
    const test::RandomNetwork net = test::random_network(seed, options);
    const Graph streamlined = streamline(net.graph);
    const Folding folding = test::random_folding(lower_to_dataflow(streamlined), rng);
    const std::string what = "random network seed " + std::to_string(seed);
    FoldingRequest request = FoldingRequest::given(folding);
    request.reuse = ReuseMode::Weight;
    const Design design = compile_design(streamlined, request, FrameTiming::EstimateOnly);
    const Frames frames(net.images.begin(), net.images.end());
    const SimulationResult sim = simulate_design(design, frames);
    expect_golden(design, sim, frames, what);
    if (HasFatalFailure()) return;

    // Data-independent: the same number of other images takes exactly as many cycles.
    std::vector<std::vector<std::uint8_t>> flipped;
    for (const auto& image : net.images) {
      std::vector<std::uint8_t> f(image.begin(), image.end());
      for (auto& v : f) v = static_cast<std::uint8_t>(v ^ 1U);
      flipped.push_back(std::move(f));
    }
    const SimulationResult other = simulate_design(design, Frames(flipped.begin(), flipped.end()));
    EXPECT_EQ(other.cycles, sim.cycles) << what;
    for (std::size_t i = 0; i < design.folded.blocks.size(); ++i) {
      const Block& b = design.folded.blocks[i];
      if (!b.weight_reuse) continue;
      ++reuse_layers;
      faster += b.reuse_vector_cycles < b.nf() * b.sf() ? 1 : 0;
      EXPECT_EQ(b.cycles, b.reuse_vector_cycles * b.pixels_out()) << what << ", " << b.name;
      // A padding block runs ahead into a frame that never comes (cycle_simulator.h): the
      // vectors started are whole frames' worth or a little more, each the schedule's cycles.
      EXPECT_GE(sim.work_cycles[i], b.cycles * static_cast<std::int64_t>(frames.size()))
          << what << ", " << b.name;
      EXPECT_LE(sim.work_cycles[i], b.cycles * static_cast<std::int64_t>(frames.size() + 1))
          << what << ", " << b.name;
    }
    // auto: no slower bottleneck and no worse cycles × LUTs than the plain design.
    request.reuse = ReuseMode::Off;
    const Design plain = compile_design(streamlined, request, FrameTiming::EstimateOnly);
    request.reuse = ReuseMode::Auto;
    const Design automatic = compile_design(streamlined, request, FrameTiming::EstimateOnly);
    const auto score = [](const Design& d) {
      return static_cast<double>(d.estimate.bottleneck_cycles) *
             static_cast<double>(d.estimate.total.luts);
    };
    EXPECT_LE(automatic.estimate.bottleneck_cycles, plain.estimate.bottleneck_cycles) << what;
    EXPECT_LE(score(automatic), score(plain)) << what;
    for (const Block& b : automatic.folded.blocks) auto_chose += b.weight_reuse ? 1 : 0;
  }
  EXPECT_GE(reuse_layers, 40) << "the seeds no longer give weight-reuse layers";
  EXPECT_GE(faster, 10) << "too few layers where the schedule is shorter than NF·SF";
  EXPECT_GE(auto_chose, 5) << "auto never chose weight reuse";
}

// The way users call it: compile the shipped SFC with --reuse auto; the report names the layers it
// chose (those with PE 1 over 256 rows at this target), with fewer cycles than the plain unit;
// simulate matches the golden model and each reuse layer spends exactly its static cycles.
TEST(WeightReuseSimulator, CompileAutoAndSimulateFromTheCommandLine) {
  const std::string images = "/usr/share/datasets/fashion-mnist";
  if (!std::filesystem::exists(images + "/t10k-images-idx3-ubyte.gz")) {
    GTEST_SKIP() << images << " not found (Debian package dataset-fashion-mnist)";
  }
  const std::filesystem::path dir = test::temp_dir("weight-reuse-cli") / "sfc";
  const test::CommandResult compile = test::run_bnnc(
      "compile " + std::string(BNNC_SOURCE_DIR) +
      "/models/sfc.bnnc --target-fps 10000 --reuse auto --json --out '" + dir.string() + "'");
  ASSERT_EQ(compile.exit_code, 0) << compile.err;
  const auto report = nlohmann::json::parse(compile.out);
  int reused = 0;
  for (const auto& layer : report["layers"]) {
    if (layer["kind"] != "MVTU" || !layer["weight_reuse"].get<bool>()) continue;
    ++reused;
    EXPECT_LT(layer["reuse_vector_cycles"].get<int>(), layer["plain_vector_cycles"].get<int>());
    EXPECT_LT(layer["reuse_synapses"].get<int>(), layer["plain_synapses"].get<int>());
  }
  EXPECT_GE(reused, 1) << "auto chose no layer of SFC";
  const test::CommandResult sim =
      test::run_bnnc("simulate '" + dir.string() + "' --data " + images + " --limit 20 --json");
  ASSERT_EQ(sim.exit_code, 0) << sim.err;
  const auto out = nlohmann::json::parse(sim.out);
  EXPECT_TRUE(out["match"].get<bool>());
  for (const auto& layer : out["layers"]) {
    if (!layer["weight_reuse"].get<bool>()) continue;
    EXPECT_EQ(layer["work_cycles_per_frame"].get<double>(), layer["cycles"].get<double>())
        << layer["name"];
  }
}

}  // namespace
}  // namespace bnnc
