// bnnc simulate DIR --data PATH [--labels FILE] [--limit N] [--json]: run a compiled design
// (DIR from bnnc compile) cycle by cycle on images, compare every class and score with the
// golden model, and report the steady-state cycles per frame and the latency.
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
#include "sim/compare_with_oracle.h"
#include "sim/cycle_simulator.h"
#include "sim/golden_model.h"

namespace bnnc::cli {

namespace {

struct SimulateOptions {
  std::string dir;
  std::string data;
  std::string labels;
  int limit = 100;
  bool json = false;
};

int run_simulate(const SimulateOptions& o) {
  const Design design = load_design(o.dir);
  const Graph& graph = design.graph;
  const Dataset data = load_dataset(o.data, o.labels);
  check_labels(data, class_count(graph));
  const std::int64_t input_size = graph.nodes[0].type.elements();
  if (static_cast<std::int64_t>(data.image_size()) != input_size) {
    fail("{}: images are [{},{},{}] but the design takes {}", o.data, data.height, data.width,
         data.channels, to_string(graph.nodes[0].type.shape));
  }
  if (o.limit < 0) fail("--limit must be ≥ 0, not {}", o.limit);
  const int count = o.limit == 0 ? data.count : std::min(o.limit, data.count);
  std::vector<std::span<const std::uint8_t>> frames;
  for (int i = 0; i < count; ++i) frames.push_back(data.image(i));

  SimulationOptions options;
  options.fifo_depths = design.fifo_depths;
  const SimulationResult sim = simulate_dataflow(design.folded, frames, options);
  std::vector<Classification> golden;
  for (const auto& frame : frames) golden.push_back(run_golden(graph, frame));
  const Comparison c = compare_with_oracle(golden, sim.classifications(), data.labels);
  const Estimate& estimate = design.estimate;
  const bool match = c.match();
  // Per MVTU, the cycles it spent on its vectors, per frame: NF·SF·pixels for the plain unit, what
  // the data allowed for an early-exit one (its report cycles are the worst case).
  nlohmann::ordered_json layers = nlohmann::ordered_json::array();
  std::string layer_text;
  for (std::size_t i = 0; i < design.folded.blocks.size(); ++i) {
    const Block& b = design.folded.blocks[i];
    if (b.kind != BlockKind::Mvtu || count == 0) continue;
    const double per_frame = static_cast<double>(sim.work_cycles[i]) / count;
    nlohmann::ordered_json layer = {{"name", b.name},
                                    {"early_exit", b.early_exit},
                                    {"weight_reuse", b.weight_reuse},
                                    {"input_reuse", b.input_reuse},
                                    {"cycles", b.cycles},
                                    {"work_cycles_per_frame", per_frame}};
    std::string reuse_text;
    if (b.input_reuse) {
      // The mean c = max_j |D ∩ column j| of the vectors that reused their row's previous one:
      // each of their groups after the first took max(1, c) cycles instead of SF.
      const std::int64_t n = sim.reuse_vectors[i];
      const double mean_c =
          n > 0 ? static_cast<double>(sim.reuse_c_sum[i]) / static_cast<double>(n) : 0.0;
      layer["reuse_vectors"] = n;
      layer["mean_reuse_c"] = mean_c;
      // The mean share of a window's bits that differ from its left neighbour's, |D| / MW.
      layer["mean_reuse_d_fraction"] =
          n > 0 ? static_cast<double>(sim.reuse_d_sum[i]) / static_cast<double>(n) / b.mw : 0.0;
      layer["plain_vector_cycles"] = b.nf() * b.sf();
      reuse_text = fmt::format("  input reuse (mean c {:.2f} of SF {})", mean_c, b.sf());
    }
    layers.push_back(std::move(layer));
    layer_text +=
        fmt::format("  {:<14} {:>10} {:>12.1f}{}\n", b.name, format_count(b.cycles), per_frame,
                    b.early_exit     ? "  early exit"
                    : b.weight_reuse ? "  weight reuse"
                                     : reuse_text);
  }
  if (o.json) {
    nlohmann::ordered_json out = {{"match", match},
                                  {"images", count},
                                  {"mismatches", c.mismatches},
                                  {"cycles_per_frame", sim.cycles_per_frame()},
                                  {"bottleneck_cycles", estimate.bottleneck_cycles},
                                  {"latency_cycles", sim.latency_cycles()},
                                  {"total_cycles", sim.cycles},
                                  {"fifo_bits", fifo_bits(design.folded, options.fifo_depths)},
                                  {"layers", layers}};
    out["accuracy"] =
        c.accuracy ? nlohmann::ordered_json(*c.accuracy) : nlohmann::ordered_json(nullptr);
    print_json(out);
  } else {
    std::string text = fmt::format(
        "simulated {} images in {} cycles: {}\n"
        "cycles per frame  {:.1f} (steady state; analytic bottleneck {})\n"
        "latency           {} cycles (first input word → class, frame 0)\n"
        "FIFOs             {} bits\n",
        count, format_count(sim.cycles),
        match ? "every class and score equals the golden model"
              : fmt::format("{} mismatches with the golden model (first: image {})", c.mismatches,
                            c.first_mismatch),
        sim.cycles_per_frame(), estimate.bottleneck_cycles, sim.latency_cycles(),
        format_count(fifo_bits(design.folded, options.fifo_depths)));
    text += fmt::format("  {:<14} {:>10} {:>12}\n", "matrix layer", "cycles", "used/frame") +
            layer_text;
    if (c.accuracy) {
      text += fmt::format("accuracy          {}/{} = {:.2f}%\n", c.correct, count,
                          100.0 * c.correct / count);
    }
    std::fputs(text.c_str(), stdout);
  }
  return match ? kExitOk : kExitCheckFailed;
}

}  // namespace

Command add_simulate_command(CLI::App& bnnc) {
  auto options = std::make_shared<SimulateOptions>();
  CLI::App* app = bnnc.add_subcommand(
      "simulate",
      "Simulate a compiled design cycle by cycle and check it against the golden model");
  app->add_option("DIR", options->dir, "Design folder written by bnnc compile")->required();
  app->add_option("--data", options->data, "Images (IDX, CIFAR-10, .npy or a folder)")->required();
  app->add_option("--labels", options->labels, "Labels for --data");
  app->add_option("--limit", options->limit, "Images to simulate (default 100; 0 = all)")
      ->check(integer_in(0, INT32_MAX));
  app->add_flag("--json", options->json, "Print one JSON object on stdout");
  return {app, [options] { return run_simulate(*options); }};
}

}  // namespace bnnc::cli
