// bnnc compile MODEL (--target-fps F | --folding FILE | --objective latency --budget ...)
//   [--device D] [--clock-mhz M] --out DIR [--json]: lower the network to streaming blocks, fold
// it, estimate it (on part D, docs/devices.md), and write DIR/{folding.json, report.json,
// report.html, model.bnnc} and the RTL in DIR/rtl.
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <charconv>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "cli/cli_output.h"
#include "cli/commands.h"
#include "cli/flag_checks.h"
#include "cli/load_network.h"
#include "core/error.h"
#include "design/compile_design.h"
#include "design/compile_report.h"
#include "design/save_design.h"
#include "io/dataset.h"

namespace bnnc::cli {

namespace {

// Larger than any FPGA (the largest have a few million LUTs and tens of thousands of BRAM18).
constexpr std::int64_t kMaxBudget = 1'000'000'000;

struct CompileOptions {
  std::string model;
  std::string out;
  std::string folding;
  std::string objective = "throughput";
  std::string budget;
  std::string device;
  std::string early_exit = "off";
  std::string reuse = "off";
  std::string calibration_data;
  int calibration_limit = 16;
  double target_fps = 0.0;
  double clock_mhz = 200.0;
  int input_bits = 0;
  bool force = false;
  bool json = false;
};

// "luts=20000,brams=100" (brams in BRAM18 units): comma-separated, each key at most once, each
// value a whole number written in full ("3junk", "1e99" and "luts=1;brams=2" are refused).
Budget parse_budget(const std::string& text) {
  Budget budget;
  bool seen_luts = false, seen_brams = false;
  std::size_t begin = 0;
  while (begin <= text.size()) {
    const std::size_t end = std::min(text.find(',', begin), text.size());
    const std::string item = text.substr(begin, end - begin);
    const std::size_t eq = item.find('=');
    const std::string key = eq == std::string::npos ? item : item.substr(0, eq);
    const std::string digits = eq == std::string::npos ? "" : item.substr(eq + 1);
    std::int64_t value = -1;
    const auto [stop, error] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
    const bool whole = !digits.empty() &&
                       digits.find_first_not_of("0123456789") == std::string::npos &&
                       error == std::errc() && stop == digits.data() + digits.size();
    if ((key != "luts" && key != "brams") || !whole || value > kMaxBudget) {
      fail("--budget: '{}' is not luts=N or brams=N (N a whole number up to {})", item, kMaxBudget);
    }
    bool& seen = key == "luts" ? seen_luts : seen_brams;
    if (seen) fail("--budget: '{}' is given twice", key);
    seen = true;
    (key == "luts" ? budget.luts : budget.bram18) = value;
    begin = end + 1;
  }
  if (budget.luts == 0 && budget.bram18 == 0) fail("--budget: give luts=N and/or brams=N");
  return budget;
}

// The budget for a part: its capped resources, each tightened by --budget where given; a --budget
// value above the part's cap is refused (it could never be used).
Budget device_budget(const Device& device, const std::string& budget_text) {
  const DeviceCaps caps = device_caps(device);
  Budget budget{caps.luts, caps.bram18, caps.urams};
  if (budget_text.empty()) return budget;
  const Budget given = parse_budget(budget_text);
  if (given.luts > caps.luts) {
    fail("--budget: luts={} is above {}'s {} LUTs (cap {} % of {})", given.luts, device.name,
         format_count(caps.luts), kLutCapPercent, format_count(device.luts));
  }
  if (given.bram18 > caps.bram18) {
    fail("--budget: brams={} is above {}'s {} BRAM18 (cap {} % of {})", given.bram18, device.name,
         format_count(caps.bram18), kHardBlockCapPercent, format_count(device.bram18()));
  }
  if (given.luts > 0) budget.luts = given.luts;
  if (given.bram18 > 0) budget.bram18 = given.bram18;
  return budget;
}

int run_compile(const CompileOptions& o) {
  const int ways =
      (o.target_fps > 0 ? 1 : 0) + (o.folding.empty() ? 0 : 1) + (o.objective == "latency" ? 1 : 0);
  if (o.objective != "throughput" && o.objective != "latency") {
    fail("--objective: '{}' is not throughput or latency", o.objective);
  }
  if (ways != 1) {
    fail(
        "give exactly one of --target-fps F, --folding FILE or --objective latency --budget "
        "luts=L,brams=B");
  }
  if (o.early_exit != "off" && o.early_exit != "on") {
    fail("--early-exit: '{}' is not off or on", o.early_exit);
  }
  if (o.reuse != "off" && o.reuse != "input" && o.reuse != "weight" && o.reuse != "auto") {
    fail("--reuse: '{}' is not off, input, weight or auto", o.reuse);
  }
  if (o.clock_mhz <= 0) fail("--clock-mhz must be positive, not {}", o.clock_mhz);
  const Device* device = o.device.empty() ? nullptr : &find_device(o.device);
  // Without a part, --budget is read for --objective latency only, as before --device.
  std::optional<Budget> budget;
  if (device) {
    budget = device_budget(*device, o.budget);
  } else if (o.objective == "latency" && !o.budget.empty()) {
    budget = parse_budget(o.budget);
  }
  const Graph graph = load_network(o.model);
  FoldingRequest request;
  request.device = device;
  if (device) request.device_budget = *budget;
  request.folding_file = o.folding;
  request.target_fps = o.target_fps;
  request.clock_mhz = o.clock_mhz;
  // With --objective latency, --input-bits caps the word the search chooses (below).
  if (o.objective != "latency") request.input_bits = o.input_bits;
  request.early_exit = o.early_exit == "on";
  request.reuse = o.reuse == "weight"  ? ReuseMode::Weight
                  : o.reuse == "auto"  ? ReuseMode::Auto
                  : o.reuse == "input" ? ReuseMode::Input
                                       : ReuseMode::Off;
  if (!o.calibration_data.empty()) {
    const Dataset data = [&] {
      try {
        return load_dataset(o.calibration_data);
      } catch (const Error& e) {
        fail("--calibration-data: {}", e.what());
      }
    }();
    const std::int64_t input_size = graph.nodes[0].type.elements();
    if (static_cast<std::int64_t>(data.image_size()) != input_size) {
      fail("--calibration-data {}: images are [{},{},{}] but the model takes {}",
           o.calibration_data, data.height, data.width, data.channels,
           to_string(graph.nodes[0].type.shape));
    }
    if (data.count == 0) fail("--calibration-data {}: no images", o.calibration_data);
    const int count = std::min(o.calibration_limit, data.count);
    for (int i = 0; i < count; ++i) {
      const auto image = data.image(i);
      request.calibration_frames.emplace_back(image.begin(), image.end());
    }
    request.progress = [](const std::string& what) {
      std::fprintf(stderr, "bnnc: %s\n", what.c_str());
    };
  }
  if (o.objective == "latency") {
    if (!budget) fail("--objective latency needs --budget luts=L,brams=B or --device D");
    request.latency_budget = budget;
    request.latency_budget->input_bits = o.input_bits;
    if (!request.progress) {
      request.progress = [](const std::string& what) {
        std::fprintf(stderr, "bnnc: %s\n", what.c_str());
      };
    }
  }
  Design design = compile_design(graph, request);
  design.model = o.model;
  const std::filesystem::path dir = o.out;
  const std::optional<RtlDesign> rtl = save_design(design, dir, o.force);
  // Without RTL, say why and go on: the folding and the estimates are still worth having.
  if (design.rtl_unsupported) {
    std::fprintf(stderr, "bnnc: note: no RTL written: %s\n", design.rtl_unsupported->c_str());
  }

  const nlohmann::ordered_json report = compile_report_json(design);
  if (o.json) {
    nlohmann::ordered_json out = report;
    out["out"] = o.out;
    out["rtl"] =
        rtl ? nlohmann::ordered_json((dir / "rtl").string()) : nlohmann::ordered_json(nullptr);
    if (design.rtl_unsupported) out["rtl_unsupported"] = *design.rtl_unsupported;
    print_json(out);
    return kExitOk;
  }
  const DataflowGraph& folded = design.folded;
  const Estimate& estimate = design.estimate;
  const Timeline& timeline = design.timeline();
  std::string text = fmt::format("{:<16} {:<16} {:>4} {:>5} {:>10} {:>8} {:>6}\n", "block", "kind",
                                 "pe", "simd", "cycles", "LUTs", "BRAM18");
  bool any_data_dependent = false;
  for (std::size_t i = 0; i < folded.blocks.size(); ++i) {
    const Block& b = folded.blocks[i];
    const bool mvtu = b.kind == BlockKind::Mvtu;
    text += fmt::format(
        "{:<16} {:<16} {:>4} {:>5} {:>10} {:>8} {:>6}{}\n", b.name,
        // A dense layer in the input-stationary order (docs/dense-order.md).
        mvtu && b.dense_order == DenseOrder::Input ? "MVTU input-st." : block_kind_name(b.kind),
        mvtu ? std::to_string(b.pe) : "", mvtu ? std::to_string(b.simd) : "",
        format_count(b.cycles), format_count(estimate.blocks[i].luts), estimate.blocks[i].bram18,
        static_cast<int>(i) == estimate.bottleneck_block ? "  ← bottleneck" : "");
    if (b.early_exit) {
      text.insert(text.size() - 1, "  early exit");
      any_data_dependent = true;
    }
    if (b.weight_reuse) text.insert(text.size() - 1, "  weight reuse");
    if (b.input_reuse) {
      text.insert(text.size() - 1, "  input reuse");
      any_data_dependent = true;
    }
  }
  if (any_data_dependent) {
    text +=
        "early exit, input reuse: the cycles above are their worst case (no output decided "
        "early, every window computed in full)\n";
  }
  if (design.calibration) {
    const Calibration& c = *design.calibration;
    text += fmt::format(
        "calibration on {} images (cycles per frame at the reference folding: plain, early "
        "exit, weight reuse, input reuse measured):\n",
        c.images);
    for (const LayerCalibration& l : c.layers) {
      const auto cell = [](double v) {
        return v < 0 ? std::string("–") : fmt::format("{:.1f}", v);
      };
      text += fmt::format("  {:<14} pe {:>3} simd {:>3} {:>12.0f} {:>12} {:>12} {:>12}\n", l.name,
                          l.pe, l.simd, l.plain, cell(l.early_exit), cell(l.weight_reuse),
                          cell(l.input_reuse));
    }
    text += fmt::format(
        "expected bottleneck {} cycles (early exit and input reuse at their measured means)\n",
        design.expected_bottleneck_cycles);
    if (const auto& v = design.variant_search) {
      text += fmt::format(
          "search with the variants: {} LUTs, {} BRAM18, expected bottleneck {} cycles; early "
          "exit [{}], weight reuse [{}], input reuse [{}]: {}\n",
          format_count(v->luts), v->bram18, v->expected_bottleneck_cycles,
          fmt::join(v->early_exit, " "), fmt::join(v->weight_reuse, " "),
          fmt::join(v->input_reuse, " "),
          v->kept ? "kept"
          : v->early_exit.empty() && v->weight_reuse.empty() && v->input_reuse.empty()
              ? "the plain unit everywhere"
              : "not kept (not cheaper, or less area-efficient than the plain units' folding)");
    }
  }
  const std::string rtl_files = rtl ? fmt::format(" and rtl/ ({} Verilog files, {} memories)",
                                                  rtl->sources.size(), rtl->memories.size())
                                    : "";
  text += fmt::format(
      "bottleneck {} cycles → {:.0f} frames/s at {} MHz; latency {} cycles ({:.2f} µs, {})\n"
      "estimate: {} LUTs, {} FFs, {} BRAM18\nwrote {}/{{folding.json, report.json, "
      "report.html, model.bnnc}}{}\n",
      estimate.bottleneck_cycles, report["fps"].get<double>(), o.clock_mhz, timeline.latency,
      static_cast<double>(timeline.latency) / o.clock_mhz,
      design.timeline_simulated
          ? "one frame simulated"
          : fmt::format("estimate; {} not simulated", design.timeline_estimate.latency),
      format_count(estimate.total.luts), format_count(estimate.total.ffs), estimate.total.bram18,
      o.out, rtl_files);
  if (device) {
    const DeviceCaps caps = device_caps(*device);
    text += fmt::format(
        "device {} ({}): {} of {} LUTs, {} of {} BRAM18, {} of {} URAM, {} of {} DSPs (caps: {} % "
        "of LUTs, {} % of BRAM, URAM and DSPs)\nweights in:",
        device->name, device->board, format_count(estimate.total.luts), format_count(caps.luts),
        estimate.total.bram18, caps.bram18, estimate.total.urams, caps.urams, estimate.total.dsps,
        caps.dsps, kLutCapPercent, kHardBlockCapPercent);
    for (std::size_t i = 0; i < folded.blocks.size(); ++i) {
      if (const std::optional<MemoryKind> kind = estimate.weights[i])
        text += fmt::format(" {}={}", folded.blocks[i].name, memory_kind_name(*kind));
    }
    text += "\n";
  }
  std::fputs(text.c_str(), stdout);
  return kExitOk;
}

}  // namespace

Command add_compile_command(CLI::App& bnnc) {
  auto options = std::make_shared<CompileOptions>();
  CLI::App* app = bnnc.add_subcommand(
      "compile", "Lower a model to a streaming dataflow accelerator, fold and estimate it");
  app->add_option("MODEL", options->model, "bnnc model file")->required();
  app->add_option("--out", options->out, "Folder to write the design and reports to")->required();
  app->add_option("--target-fps", options->target_fps,
                  "Cheapest folding reaching this many frames/s")
      ->check(number_in(0, 1e12, true));
  app->add_option("--folding", options->folding,
                  "Folding file (bnnc's or FINN's folding_config.json)");
  app->add_option("--objective", options->objective,
                  "throughput (default) or latency (with --budget)");
  app->add_option("--budget", options->budget,
                  "Resource budget for --objective latency: luts=L,brams=B (BRAM18); with "
                  "--device, tightens the part's");
  app->add_option(
      "--device", options->device,
      "FPGA part to fit, its resources under a cap (docs/devices.md): " + known_device_names());
  app->add_option("--clock-mhz", options->clock_mhz, "Clock frequency (default 200)")
      ->check(number_in(0, 100000, true));
  app->add_option("--input-bits", options->input_bits,
                  "Bits per input word: the most whole pixels that fit go in one word "
                  "(docs/pixel-parallel.md; default one pixel a word); with --objective latency, "
                  "the widest word the search may choose (default 512)")
      ->check(number_in(1, 1 << 20));
  app->add_option("--early-exit", options->early_exit,
                  "off (default) or on: MVTUs with binary input and thresholds stop a row group "
                  "once every output is decided (data-dependent cycles)");
  app->add_option(
      "--reuse", options->reuse,
      "Similarity reuse: off (default); weight (every binary layer computes each kernel from "
      "its nearest computed kernel, docs/similarity.md), input (every binary convolution computes "
      "each window from the previous one of its row on the differing bits) or auto (weight "
      "reuse only where it is faster and not less area-efficient)");
  CLI::Option* calibration_data =
      app->add_option("--calibration-data", options->calibration_data,
                      "Images (as simulate --data) on which each layer's variants are simulated: "
                      "with --target-fps and --early-exit on or --reuse auto, the folding search "
                      "picks per layer the cheapest of plain, early exit and weight reuse at their "
                      "measured mean cycles");
  app->add_option("--calibration-limit", options->calibration_limit,
                  "Images of --calibration-data to simulate (default 16)")
      ->check(number_in(1, 1 << 20))
      ->needs(calibration_data);
  app->add_flag("--force", options->force,
                "Replace files in --out that bnnc did not write (otherwise an error names them)");
  app->add_flag("--json", options->json, "Print one JSON object on stdout");
  return {app, [options] { return run_compile(*options); }};
}

}  // namespace bnnc::cli
