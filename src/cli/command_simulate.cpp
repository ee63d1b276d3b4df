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
#include "fold/estimate_resources.h"
#include "fold/folding.h"
#include "fold/folding_file.h"
#include "fold/lower_to_dataflow.h"
#include "fold/size_fifos.h"
#include "io/dataset.h"
#include "io/model_file.h"
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
  const std::filesystem::path dir = o.dir;
  if (!std::filesystem::is_directory(dir))
    fail("{}: no such design folder (run bnnc compile)", o.dir);
  const Graph graph = load_model((dir / "model.bnnc").string());
  const DataflowGraph lowered = lower_to_dataflow(graph);
  const DataflowGraph design =
      apply_folding(lowered, read_folding_file((dir / "folding.json").string(), lowered));
  const Dataset data = load_dataset(o.data, o.labels);
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
  options.fifo_depths = size_fifos(design);
  const SimulationResult sim = simulate_dataflow(design, frames, options);
  int mismatches = 0, correct = 0, first_mismatch = -1;
  for (int i = 0; i < count; ++i) {
    const Classification golden = run_golden(graph, frames[i]);
    if (golden.label != sim.labels[i] || golden.scores != sim.scores[i]) {
      if (first_mismatch < 0) first_mismatch = i;
      ++mismatches;
    }
    if (data.has_labels() && sim.labels[i] == data.labels[i]) ++correct;
  }
  const Estimate estimate = estimate_graph(design);
  const bool match = mismatches == 0;
  if (o.json) {
    nlohmann::ordered_json out = {{"match", match},
                                  {"images", count},
                                  {"mismatches", mismatches},
                                  {"cycles_per_frame", sim.cycles_per_frame()},
                                  {"bottleneck_cycles", estimate.bottleneck_cycles},
                                  {"latency_cycles", sim.latency_cycles()},
                                  {"total_cycles", sim.cycles},
                                  {"fifo_bits", fifo_bits(design, options.fifo_depths)}};
    out["accuracy"] = data.has_labels() && count > 0
                          ? nlohmann::ordered_json(static_cast<double>(correct) / count)
                          : nlohmann::ordered_json(nullptr);
    print_json(out);
  } else {
    std::string text = fmt::format(
        "simulated {} images in {} cycles: {}\n"
        "cycles per frame  {:.1f} (steady state; analytic bottleneck {})\n"
        "latency           {} cycles (first input word → class, frame 0)\n"
        "FIFOs             {} bits\n",
        count, format_count(sim.cycles),
        match ? "every class and score equals the golden model"
              : fmt::format("{} mismatches with the golden model (first: image {})", mismatches,
                            first_mismatch),
        sim.cycles_per_frame(), estimate.bottleneck_cycles, sim.latency_cycles(),
        format_count(fifo_bits(design, options.fifo_depths)));
    if (data.has_labels() && count > 0) {
      text += fmt::format("accuracy          {}/{} = {:.2f}%\n", correct, count,
                          100.0 * correct / count);
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
  app->add_option("--limit", options->limit, "Images to simulate (default 100; 0 = all)");
  app->add_flag("--json", options->json, "Print one JSON object on stdout");
  return {app, [options] { return run_simulate(*options); }};
}

}  // namespace bnnc::cli
