// bnnc verify DIR --data PATH [--labels FILE] [--limit N] [--seed S] [--stall P]
//   [--timing-frames T] [--json]: build the RTL of a compiled design with Verilator (cached,
// verilator_build.h), stream the images through it with random gaps on the input and random
// not-ready cycles on the output, and compare every class and every score with the golden
// model. A second run without stalls on the first T images measures the cycles per frame and
// the latency, which must equal the cycle simulator's (docs/rtl.md).
#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>

#include "cli/cli_output.h"
#include "cli/commands.h"
#include "cli/flag_checks.h"
#include "design/load_design.h"
#include "io/dataset.h"
#include "ir/graph_stats.h"
#include "rtl/emit_rtl.h"
#include "rtl/run_rtl_design.h"
#include "rtl/verilator_build.h"
#include "sim/compare_with_oracle.h"
#include "sim/golden_model.h"

namespace bnnc::cli {

namespace {

// The highest --stall: beyond it a run of 100 images takes minutes for no more coverage.
constexpr double kMaxStall = 0.95;

struct VerifyOptions {
  std::string dir;
  std::string data;
  std::string labels;
  int limit = 100;
  std::uint64_t seed = 1;
  double stall = 0.3;
  int timing_frames = 8;
  bool json = false;
};

int run_verify(const VerifyOptions& o) {
  if (o.limit < 0) fail("--limit must be ≥ 0, not {}", o.limit);
  if (o.timing_frames < 0) fail("--timing-frames must be ≥ 0, not {}", o.timing_frames);
  const Design design = load_design(o.dir);
  // Say why there is no RTL rather than that rtl.json is missing.
  if (design.rtl_unsupported) fail("{}: no RTL: {}", o.dir, *design.rtl_unsupported);
  const std::filesystem::path rtl_dir = std::filesystem::path(o.dir) / "rtl";
  const RtlDesign rtl = read_rtl_manifest(rtl_dir);
  const Dataset data = load_dataset(o.data, o.labels);
  const Graph& graph = design.folded.ir;
  check_labels(data, class_count(graph));
  if (static_cast<std::int64_t>(data.image_size()) != graph.nodes[0].type.elements()) {
    fail("{}: images are [{},{},{}] but the design takes {}", o.data, data.height, data.width,
         data.channels, to_string(graph.nodes[0].type.shape));
  }
  const int count = o.limit == 0 ? data.count : std::min(o.limit, data.count);
  std::vector<std::span<const std::uint8_t>> frames;
  for (int i = 0; i < count; ++i) frames.push_back(data.image(i));

  VerilatorBuildRequest request;
  request.top = rtl.top;
  for (const std::string& file : rtl.sources) {
    if (file.ends_with(".sv")) request.sources.push_back(rtl_dir / file);
  }
  request.observe = true;
  require_verilator_tools();
  if (!o.json) std::fprintf(stderr, "bnnc verify: building %s with Verilator...\n", o.dir.c_str());
  const VerilatorBuild build = build_verilator(request);

  // Longer than any stretch without a handshake a working design can have: every block's work
  // for a frame, four times over, and 100,000 cycles, both stretched by the stalls: a handshake
  // at an end waits 1/(1 − stall) cycles on average, so a design waiting on its input at
  // stall 0.95 sees a gap of 20 cycles a word, and a run of 2,000,000 stalled cycles has
  // probability 0.95^2,000,000 (a false deadlock at 0.99999 was a fixed 100,000).
  std::int64_t work = 0;
  for (const Block& b : design.folded.blocks) work += b.cycles;
  RtlRunOptions run;
  run.stall = o.stall;
  run.seed = o.seed;
  run.max_idle = static_cast<std::int64_t>(static_cast<double>(4 * work + 100'000) / (1 - o.stall));
  const RtlRunResult stalled =
      run_rtl_design(build.executable, rtl_dir, rtl.interface, frames, run);

  const int timed = std::min(o.timing_frames, count);
  RtlRunOptions unstalled = run;
  unstalled.stall = 0;
  const std::vector<std::span<const std::uint8_t>> timing_frames(frames.begin(),
                                                                 frames.begin() + timed);
  const RtlRunResult timing =
      run_rtl_design(build.executable, rtl_dir, rtl.interface, timing_frames, unstalled);

  std::vector<Classification> golden;
  for (const auto& frame : frames) golden.push_back(run_golden(graph, frame));
  const Comparison stalled_check =
      compare_with_oracle(golden, stalled.classifications(), data.labels);
  const Comparison timing_check = compare_with_oracle(
      std::span<const Classification>(golden).first(static_cast<std::size_t>(timed)),
      timing.classifications(), {});
  const int mismatches = stalled_check.mismatches + timing_check.mismatches;
  const int first_mismatch = stalled_check.first_mismatch >= 0 ? stalled_check.first_mismatch
                                                               : timing_check.first_mismatch;
  const bool deadlock = !stalled.deadlock.empty() || !timing.deadlock.empty();
  const bool match = mismatches == 0 && !deadlock;
  const std::int64_t bottleneck = design.estimate.bottleneck_cycles;

  if (o.json) {
    nlohmann::ordered_json out = {{"match", match},
                                  {"images", count},
                                  {"mismatches", mismatches},
                                  {"cycles_per_frame", timing.cycles_per_frame()},
                                  {"latency_cycles", timing.latency_cycles()},
                                  {"bottleneck_cycles", bottleneck},
                                  {"timing_images", timed},
                                  {"stall", o.stall},
                                  {"seed", o.seed},
                                  {"stalled_cycles_per_frame", stalled.cycles_per_frame()},
                                  {"total_cycles", stalled.cycles},
                                  {"build_cached", build.cached},
                                  {"build_seconds", build.seconds}};
    out["accuracy"] = stalled_check.accuracy ? nlohmann::ordered_json(*stalled_check.accuracy)
                                             : nlohmann::ordered_json(nullptr);
    out["first_mismatch"] = first_mismatch >= 0 ? nlohmann::ordered_json(first_mismatch)
                                                : nlohmann::ordered_json(nullptr);
    if (deadlock) out["deadlock"] = stalled.deadlock.empty() ? timing.deadlock : stalled.deadlock;
    print_json(out);
  } else {
    std::string text = fmt::format(
        "Verilator build    {}\n"
        "verified {} images (stall {:.2f} on input and output, seed {}): {}\n"
        "cycles per frame   {:.1f} (no stalls, {} images; analytic bottleneck {})\n"
        "latency            {} cycles (first input word → class, frame 0)\n",
        build.cached ? "cached" : fmt::format("built in {:.1f} s", build.seconds), count, o.stall,
        o.seed,
        match      ? "every class and score equals the golden model"
        : deadlock ? "DEADLOCK: " + (stalled.deadlock.empty() ? timing.deadlock : stalled.deadlock)
                   : fmt::format("{} mismatches with the golden model (first: image {})",
                                 mismatches, first_mismatch),
        timing.cycles_per_frame(), timed, bottleneck, timing.latency_cycles());
    if (stalled_check.accuracy) {
      text += fmt::format("accuracy           {}/{} = {:.2f}%\n", stalled_check.correct, count,
                          100.0 * stalled_check.correct / count);
    }
    std::fputs(text.c_str(), stdout);
  }
  return match ? kExitOk : kExitCheckFailed;
}

}  // namespace

Command add_verify_command(CLI::App& bnnc) {
  auto options = std::make_shared<VerifyOptions>();
  CLI::App* app = bnnc.add_subcommand(
      "verify", "Run a compiled design's RTL in Verilator and check it against the golden model");
  app->add_option("DIR", options->dir, "Design folder written by bnnc compile")->required();
  app->add_option("--data", options->data, "Images (IDX, CIFAR-10, .npy or a folder)")->required();
  app->add_option("--labels", options->labels, "Labels for --data");
  app->add_option("--limit", options->limit, "Images to verify (default 100; 0 = all)")
      ->check(integer_in(0, INT32_MAX));
  app->add_option("--seed", options->seed, "Seed of the random stalls (default 1)")
      ->check(integer_in(0, INT64_MAX));
  app->add_option("--stall", options->stall,
                  "Probability of an input gap / output not-ready per cycle (default 0.3)")
      ->check(number_in(0, kMaxStall));
  app->add_option("--timing-frames", options->timing_frames,
                  "Images of the unstalled timing run (default 8)")
      ->check(integer_in(0, INT32_MAX));
  app->add_flag("--json", options->json, "Print one JSON object on stdout");
  return {app, [options] { return run_verify(*options); }};
}

}  // namespace bnnc::cli
