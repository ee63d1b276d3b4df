// The early-exit MVTU in the cycle simulator (sim/early_exit_mvtu.h) against the golden model:
// every class and score equal on random networks with random foldings and on BNN-PYNQ's CNV-W1A1,
// no deadlock with the FIFO depths sized for the plain design, never more cycles than the plain
// design, and the cycles a decision saves exactly as the pipeline model says on a layer whose
// outputs are decided by their first chunk.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <filesystem>
#include <map>
#include <random>

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
#include "simulate_design.h"
#include "test_support.h"

namespace bnnc {
namespace {

using test::expect_golden;
using test::Frames;
using test::simulate_design;

// The same folding with and without early exit: the answers are the golden model's both ways,
// and no early-exit layer spends more cycles on its vectors than the plain one.
struct Pair {
  SimulationResult plain, exit;
  int exit_layers = 0;
  std::map<std::string, std::pair<std::int64_t, std::int64_t>> work;  // per MVTU: plain, exit
};

Pair simulate_both(const Graph& graph, const Folding& folding, const Frames& frames,
                   const std::string& what) {
  Pair p;
  FoldingRequest request = FoldingRequest::given(folding);
  const Design plain = compile_design(graph, request, FrameTiming::EstimateOnly);
  request.early_exit = true;
  const Design exit = compile_design(graph, request, FrameTiming::EstimateOnly);
  p.plain = simulate_design(plain, frames);
  p.exit = simulate_design(exit, frames);
  expect_golden(plain, p.plain, frames, what + ", plain");
  expect_golden(exit, p.exit, frames, what + ", early exit");
  for (std::size_t i = 0; i < exit.folded.blocks.size(); ++i) {
    const Block& b = exit.folded.blocks[i];
    if (b.kind == BlockKind::Mvtu) p.work[b.name] = {p.plain.work_cycles[i], p.exit.work_cycles[i]};
    if (!b.early_exit) continue;
    ++p.exit_layers;
    // A padding block runs ahead into the border of a frame that never comes (cycle_simulator.h),
    // and the faster layer takes more of it before the run ends: at most one frame's vectors.
    EXPECT_LE(p.exit.work_cycles[i], p.plain.work_cycles[i] + b.cycles)
        << what << ", " << b.name << " NF " << b.nf() << " SF " << b.sf();
  }
  return p;
}

TEST(EarlyExitSimulator, RandomNetworksWithRandomFoldings) {
  std::mt19937_64 rng(20261216);
  int exit_layers = 0, saved = 0;
  for (std::uint64_t seed = 1600; seed < 1660; ++seed) {
    test::RandomNetworkOptions options;
    options.allow_zero_pad = false;
    const test::RandomNetwork net = test::random_network(seed, options);
    const Graph streamlined = streamline(net.graph);
    const Folding folding = test::random_folding(lower_to_dataflow(streamlined), rng);
    const Frames frames(net.images.begin(), net.images.end());
    const std::string what = "random network seed " + std::to_string(seed);
    const Pair p = simulate_both(streamlined, folding, frames, what);
    if (HasFatalFailure()) return;
    exit_layers += p.exit_layers;
    // Data-dependent rates never make the design slower than its worst case, but for the
    // pipeline of each early-exit layer (3 stages and the output register), which the plain
    // MVTU's model leaves out as it only delays every frame alike.
    EXPECT_LE(p.exit.cycles, p.plain.cycles + 4 * p.exit_layers) << what;
    std::int64_t plain_work = 0, exit_work = 0;
    for (std::size_t i = 0; i < p.plain.work_cycles.size(); ++i) {
      plain_work += p.plain.work_cycles[i];
      exit_work += p.exit.work_cycles[i];
    }
    saved += exit_work < plain_work ? 1 : 0;
  }
  EXPECT_GE(exit_layers, 40) << "the seeds no longer give early-exit layers";
  EXPECT_GE(saved, 10) << "early exit saved cycles on too few networks";
}

// Thresholds outside [0, MW] are decided before any synapse; the pipeline only sees that after
// the first chunk in stage 3, squashing the three chunks issued behind it: 4 cycles a group.
TEST(EarlyExitSimulator, DecidedGroupsCostFourCycles) {
  std::mt19937_64 rng(7);
  Graph g;
  g.name = "decided";
  int x = g.add("in", InputAttrs{{64}, DType::bit()});
  x = g.add("fc", DenseAttrs{test::random_matrix(8, 64, rng)}, {x});
  ThresholdAttrs t;
  for (int r = 0; r < 8; ++r) {
    t.thresholds.push_back(r % 2 == 0 ? -5 : 70);
    t.negate.push_back(0);
  }
  x = g.add("thr", t, {x});
  x = g.add("scores", DenseAttrs{test::random_matrix(2, 8, rng)}, {x});
  g.add("label", LabelSelectAttrs{}, {x});
  infer_types(g);
  Folding folding;
  folding.layers.push_back({"fc", 2, 4});  // NF 4, SF 16
  folding.layers.push_back({"scores", 1, 8});
  std::vector<std::vector<std::uint8_t>> images(5, std::vector<std::uint8_t>(64));
  for (auto& image : images) {
    for (auto& v : image) v = static_cast<std::uint8_t>(rng() & 1);
  }
  const Frames frames(images.begin(), images.end());
  const Pair p = simulate_both(g, folding, frames, "decided layer");
  if (HasFatalFailure()) return;
  ASSERT_EQ(p.exit_layers, 1);
  EXPECT_EQ(p.work.at("fc").first, 5 * 4 * 16);
  // Three groups of 4 cycles; the last one also waits for the vector's 16th word (read one a
  // cycle from the vector's start), seen in stage 3 a cycle later: 5.
  EXPECT_EQ(p.work.at("fc").second, 5 * (3 * 4 + 5));
}

TEST(EarlyExitSimulator, CnvWithBnnPynqFolding) {
  BNNC_REQUIRE_EXTERNAL(folder, "bnn-pynq/params/cifar10/cnvW1A1");
  BNNC_REQUIRE_EXTERNAL(images, "cifar10/test_batch_first761.bin");
  const Graph graph = import_bnn_pynq(folder, BnnPynqTopology::Cnv);
  const Dataset data = load_dataset(images.string());
  Frames frames;
  for (int i = 0; i < 8; ++i) frames.push_back(data.image(i));
  const Folding folding = read_folding_file(
      std::string(BNNC_SOURCE_DIR) + "/foldings/cnv-w1a1-bnn-pynq.json", lower_to_dataflow(graph));
  const Pair p = simulate_both(graph, folding, frames, "CNV-W1A1");
  if (HasFatalFailure()) return;
  EXPECT_EQ(p.exit_layers, 7);  // every binary layer with thresholds: conv1..5, fc6, fc7
  EXPECT_LT(p.exit.cycles_per_frame(), p.plain.cycles_per_frame());
}

// The way users call it: compile the shipped TFC with --early-exit on, the report names the
// early-exit layers, simulate matches the golden model and gives each layer's cycles per frame.
TEST(EarlyExitSimulator, CompileAndSimulateFromTheCommandLine) {
  const std::string images = "/usr/share/datasets/fashion-mnist";
  if (!std::filesystem::exists(images + "/t10k-images-idx3-ubyte.gz")) {
    GTEST_SKIP() << images << " not found (Debian package dataset-fashion-mnist)";
  }
  const std::filesystem::path dir = test::temp_dir("early-exit-cli") / "tfc";
  const test::CommandResult compile = test::run_bnnc(
      "compile " + std::string(BNNC_SOURCE_DIR) +
      "/models/tfc.bnnc --target-fps 100000 --early-exit on --json --out '" + dir.string() + "'");
  ASSERT_EQ(compile.exit_code, 0) << compile.err;
  const auto report = nlohmann::json::parse(compile.out);
  std::vector<bool> exits;
  for (const auto& layer : report["layers"]) {
    if (layer["kind"] == "MVTU") exits.push_back(layer["early_exit"].get<bool>());
  }
  EXPECT_EQ(exits, (std::vector<bool>{true, true, true, false}));  // the last has no thresholds
  const test::CommandResult sim =
      test::run_bnnc("simulate '" + dir.string() + "' --data " + images + " --limit 20 --json");
  ASSERT_EQ(sim.exit_code, 0) << sim.err;
  const auto out = nlohmann::json::parse(sim.out);
  EXPECT_TRUE(out["match"].get<bool>());
  double saved = 0;
  for (const auto& layer : out["layers"]) {
    const double used = layer["work_cycles_per_frame"].get<double>();
    EXPECT_LE(used, layer["cycles"].get<double>()) << layer["name"];
    saved += layer["cycles"].get<double>() - used;
  }
  EXPECT_GT(saved, 0.0);
}

}  // namespace
}  // namespace bnnc
