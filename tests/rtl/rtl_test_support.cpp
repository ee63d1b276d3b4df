#include "rtl_test_support.h"

#include <fstream>

#include "core/ceil_div.h"
#include "design/compile_design.h"
#include "design/save_design.h"
#include "fold/lower_to_dataflow.h"
#include "passes/streamline.h"
#include "random_folding.h"
#include "rtl/rtl_sources.h"
#include "rtl/run_command.h"
#include "rtl/run_testbench.h"
#include "rtl/verilator_build.h"
#include "sim/compare_with_oracle.h"
#include "sim/golden_model.h"
#include "test_support.h"

namespace bnnc::test {

bool have_verilator() {
  return !find_program("verilator").empty() && !find_program("make").empty() &&
         !find_program("g++").empty();
}

std::vector<std::int64_t> to_words(const std::vector<std::int64_t>& elements, int elems,
                                   int vector) {
  std::vector<std::int64_t> lanes;
  for (std::size_t start = 0; start < elements.size(); start += static_cast<std::size_t>(vector)) {
    const std::size_t words = static_cast<std::size_t>(ceil_div(vector, elems));
    for (std::size_t i = 0; i < words * static_cast<std::size_t>(elems); ++i) {
      lanes.push_back(i < static_cast<std::size_t>(vector) ? elements[start + i] : 0);
    }
  }
  return lanes;
}

std::vector<std::int64_t> run_block(const BlockUnderTest& block,
                                    const std::vector<std::int64_t>& input,
                                    std::int64_t expected_words, double stall, std::uint64_t seed,
                                    std::vector<std::int64_t>* output_cycles) {
  // The embedded sources, written once per process; memories per block.
  static const std::filesystem::path sources = [] {
    const std::filesystem::path dir = temp_dir("rtl-sources");
    for (const RtlSourceFile& file : rtl_sources()) {
      if (!file.name.ends_with(".sv") && !file.name.ends_with(".vh")) continue;
      std::ofstream(dir / file.name) << file.text;
    }
    return dir;
  }();
  // Only the files the block uses, so that editing one block rebuilds only its tests.
  VerilatorBuildRequest request;
  request.top = block.module;
  request.sources.push_back(sources / (block.module + ".sv"));
  if (block.module.starts_with("bnn_mvtu")) {
    request.sources.push_back(sources / "bnn_rom.sv");
    request.sources.push_back(sources / "bnn_popcount.sv");
  }
  if (block.module.starts_with("bnn_mvtu") || block.module == "bnn_thresholding") {
    request.sources.push_back(sources / "bnn_threshold_compare.sv");
  }
  request.params = block.params;
  const VerilatorBuild build = build_verilator(request);

  const std::filesystem::path work = temp_dir("rtl-block-" + block.module);
  for (const auto& [file, text] : block.memories) std::ofstream(work / file) << text;
  TestbenchOptions options;
  options.seed = seed;
  options.stall_in = options.stall_out = stall;
  options.outputs = expected_words;
  options.max_idle = 10'000;
  options.cwd = work;
  const TestbenchResult result =
      run_testbench(build.executable, pack_words(input, block.in_elems, block.in_bits), options);
  EXPECT_TRUE(result.deadlock.empty()) << block.module << ": " << result.deadlock;
  EXPECT_EQ(static_cast<std::int64_t>(result.outputs.size()), expected_words) << block.module;
  std::vector<std::int64_t> lanes;
  for (const TimedWord& word : result.outputs) {
    if (output_cycles != nullptr) output_cycles->push_back(word.cycle);
    for (std::int64_t v :
         unpack_lanes(word.hex, block.out_elems, block.out_bits, block.out_signed)) {
      lanes.push_back(v);
    }
  }
  return lanes;
}

void expect_block_output(const BlockUnderTest& block, const std::vector<std::int64_t>& input,
                         const std::vector<std::int64_t>& expected, const std::string& what) {
  ASSERT_EQ(expected.size() % static_cast<std::size_t>(block.out_elems), 0U) << what;
  const auto words = static_cast<std::int64_t>(expected.size()) / block.out_elems;
  const struct {
    double stall;
    std::uint64_t seed;
  } runs[] = {{0.0, 1}, {0.4, 2}, {0.4, 3}};
  for (const auto& run : runs) {
    const std::vector<std::int64_t> got = run_block(block, input, words, run.stall, run.seed);
    ASSERT_EQ(got, expected) << what << " (stall " << run.stall << ", seed " << run.seed << ")";
  }
}

void verify_design(const Design& design, std::span<const std::span<const std::uint8_t>> frames,
                   const std::string& what, VerifiedDesign& v, int timing_frames,
                   RtlRunOptions options) {
  v.dir = temp_dir("rtl-net");
  const std::optional<RtlDesign> rtl = save_design(design, v.dir);
  ASSERT_TRUE(rtl.has_value()) << what << ": " << design.rtl_unsupported.value_or("");
  VerilatorBuildRequest request;
  request.top = rtl->top;
  for (const std::string& f : rtl->sources) {
    if (f.ends_with(".sv")) request.sources.push_back(v.dir / "rtl" / f);
  }
  request.observe = true;
  const VerilatorBuild build = build_verilator(request);
  std::vector<std::span<const std::uint8_t>> all(frames.begin(), frames.end());
  options.stall = 0.3;
  v.stalled = run_rtl_design(build.executable, v.dir / "rtl", rtl->interface, all, options);
  options.stall = 0;
  const std::vector<std::span<const std::uint8_t>> timed(
      all.begin(), all.begin() + std::min<std::ptrdiff_t>(timing_frames, std::ssize(all)));
  v.timing = run_rtl_design(build.executable, v.dir / "rtl", rtl->interface, timed, options);
  std::vector<Classification> golden;
  for (const auto& frame : all) golden.push_back(run_golden(design.folded.ir, frame));
  for (const RtlRunResult* run : {&v.stalled, &v.timing}) {
    EXPECT_TRUE(run->deadlock.empty()) << what << ": " << run->deadlock;
    const std::size_t count = run == &v.stalled ? all.size() : timed.size();
    ASSERT_EQ(run->labels.size(), count) << what;
    ASSERT_EQ(run->scores.size(), count) << what;
    const Comparison compared = compare_with_oracle(
        std::span<const Classification>(golden).first(count), run->classifications(), {});
    ASSERT_EQ(compared.mismatches, 0) << what << ", first at frame " << compared.first_mismatch;
  }
  SimulationOptions sim_options;
  sim_options.fifo_depths = design.fifo_depths;
  v.sim = simulate_dataflow(design.folded, timed, sim_options);
}

RandomDesign random_design(std::uint64_t seed, std::mt19937_64& rng,
                           const std::function<void(FoldingRequest&)>& configure) {
  RandomNetworkOptions options;
  options.images = 6;
  options.allow_zero_pad = false;
  RandomNetwork net = random_network(seed, options);
  const Graph streamlined = streamline(net.graph);
  FoldingRequest request =
      FoldingRequest::given(random_folding(lower_to_dataflow(streamlined), rng));
  configure(request);
  Design design = compile_design(streamlined, request, FrameTiming::EstimateOnly);
  return {std::move(net), std::move(design), "random network seed " + std::to_string(seed)};
}

void verify_at_simulator_rate(const RandomDesign& d, std::uint64_t run_seed, VerifiedDesign& v) {
  const std::vector<std::span<const std::uint8_t>> frames(d.net.images.begin(), d.net.images.end());
  RtlRunOptions options;
  options.seed = run_seed;
  verify_design(d.design, frames, d.what, v, 8, options);
  if (::testing::Test::HasFatalFailure()) return;
  EXPECT_EQ(v.timing.cycles_per_frame(), v.sim.cycles_per_frame()) << d.what;
}

}  // namespace bnnc::test
