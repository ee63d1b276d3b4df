// bnnc compile MODEL (--target-fps F | --folding FILE | --objective latency --budget ...)
//   [--clock-mhz M] --out DIR [--json]: lower the network to streaming blocks, fold it, estimate
// it, and write DIR/{folding.json, report.json, report.html, model.bnnc} and the RTL in DIR/rtl.
#include <fmt/format.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <string>

#include "cli/cli_output.h"
#include "cli/commands.h"
#include "cli/compile_report.h"
#include "cli/load_network.h"
#include "core/error.h"
#include "fold/choose_folding.h"
#include "fold/folding_file.h"
#include "fold/lower_to_dataflow.h"
#include "fold/size_fifos.h"
#include "io/model_file.h"
#include "rtl/emit_rtl.h"
#include "sim/measure_timeline.h"

namespace bnnc::cli {

namespace {

struct CompileOptions {
  std::string model;
  std::string out;
  std::string folding;
  std::string objective = "throughput";
  std::string budget;
  double target_fps = 0.0;
  double clock_mhz = 200.0;
  bool json = false;
};

// "luts=20000,brams=100" (brams in BRAM18 units).
Budget parse_budget(const std::string& text) {
  Budget budget;
  std::size_t begin = 0;
  while (begin < text.size()) {
    const std::size_t end = std::min(text.find(',', begin), text.size());
    const std::string item = text.substr(begin, end - begin);
    const std::size_t eq = item.find('=');
    long long value = -1;
    try {
      if (eq != std::string::npos) value = std::stoll(item.substr(eq + 1));
    } catch (const std::exception&) {
      value = -1;
    }
    const std::string key = eq == std::string::npos ? item : item.substr(0, eq);
    if (value < 0 || (key != "luts" && key != "brams")) {
      fail("--budget: '{}' is not luts=N or brams=N", item);
    }
    (key == "luts" ? budget.luts : budget.bram18) = value;
    begin = end + 1;
  }
  if (budget.luts == 0 && budget.bram18 == 0) fail("--budget: give luts=N and/or brams=N");
  return budget;
}

void write_text(const std::filesystem::path& path, const std::string& text) {
  std::ofstream out(path);
  out << text;
  if (!out) fail("{}: cannot write", path.string());
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
  if (o.clock_mhz <= 0) fail("--clock-mhz must be positive, not {}", o.clock_mhz);
  const Graph graph = load_network(o.model);
  const DataflowGraph lowered = lower_to_dataflow(graph);
  Folding folding;
  if (!o.folding.empty()) {
    folding = read_folding_file(o.folding, lowered);
  } else if (o.target_fps > 0) {
    const auto max_cycles = static_cast<std::int64_t>(o.clock_mhz * 1e6 / o.target_fps);
    folding = choose_folding_for_cycles(lowered, max_cycles);
  } else {
    if (o.budget.empty()) fail("--objective latency needs --budget luts=L,brams=B");
    // Each candidate's latency is measured on one simulated frame (milliseconds for CNV).
    folding = choose_folding_for_latency(
        lowered, parse_budget(o.budget), [](const DataflowGraph& design) {
          const std::optional<Timeline> t = measure_frame_timeline(design);
          return t ? std::optional<std::int64_t>(t->latency) : std::nullopt;
        });
  }
  const DataflowGraph folded = apply_folding(lowered, folding);

  CompileSummary summary;
  summary.model = o.model;
  summary.clock_mhz = o.clock_mhz;
  summary.graph = &folded;
  summary.estimate = estimate_graph(folded);
  summary.timeline_estimate = estimate_timeline(folded);
  const std::optional<Timeline> measured = measure_frame_timeline(folded);
  summary.timeline_simulated = measured.has_value();
  summary.timeline = measured ? *measured : summary.timeline_estimate;

  const std::filesystem::path dir = o.out;
  std::error_code error;
  std::filesystem::create_directories(dir, error);
  if (error) fail("{}: cannot create the output folder ({})", o.out, error.message());
  write_folding_file(folding_of(folded), (dir / "folding.json").string());
  const nlohmann::ordered_json report = compile_report_json(summary);
  write_text(dir / "report.json", report.dump(2) + "\n");
  write_text(dir / "report.html", compile_report_html(summary));
  save_model(graph, (dir / "model.bnnc").string());
  // The RTL, when every block has one (docs/rtl.md); otherwise say why and go on: the folding
  // and the estimates are still worth having.
  const std::optional<std::string> unsupported = rtl_unsupported(folded);
  std::string rtl_files;
  if (!unsupported) {
    const RtlDesign rtl = emit_rtl(folded, size_fifos(folded), dir / "rtl");
    rtl_files = fmt::format("rtl/ ({} Verilog files, {} memories)", rtl.sources.size(),
                            rtl.memories.size());
  } else {
    std::filesystem::remove_all(dir / "rtl", error);  // an earlier design's RTL would mislead
    std::fprintf(stderr, "bnnc: note: no RTL written: %s\n", unsupported->c_str());
  }

  if (o.json) {
    nlohmann::ordered_json out = report;
    out["out"] = o.out;
    out["rtl"] = unsupported ? nlohmann::ordered_json(nullptr)
                             : nlohmann::ordered_json((dir / "rtl").string());
    if (unsupported) out["rtl_unsupported"] = *unsupported;
    print_json(out);
    return kExitOk;
  }
  std::string text = fmt::format("{:<16} {:<16} {:>4} {:>5} {:>10} {:>8} {:>6}\n", "block", "kind",
                                 "pe", "simd", "cycles", "LUTs", "BRAM18");
  for (std::size_t i = 0; i < folded.blocks.size(); ++i) {
    const Block& b = folded.blocks[i];
    const bool mvtu = b.kind == BlockKind::Mvtu;
    text += fmt::format(
        "{:<16} {:<16} {:>4} {:>5} {:>10} {:>8} {:>6}{}\n", b.name, block_kind_name(b.kind),
        mvtu ? std::to_string(b.pe) : "", mvtu ? std::to_string(b.simd) : "",
        format_count(b.cycles), format_count(summary.estimate.blocks[i].luts),
        summary.estimate.blocks[i].bram18,
        static_cast<int>(i) == summary.estimate.bottleneck_block ? "  ← bottleneck" : "");
  }
  text += fmt::format(
      "bottleneck {} cycles → {:.0f} frames/s at {} MHz; latency {} cycles ({:.2f} µs, {})\n"
      "estimate: {} LUTs, {} FFs, {} BRAM18\nwrote {}/{{folding.json, report.json, "
      "report.html, model.bnnc}}{}\n",
      summary.estimate.bottleneck_cycles, report["fps"].get<double>(), o.clock_mhz,
      summary.timeline.latency, static_cast<double>(summary.timeline.latency) / o.clock_mhz,
      summary.timeline_simulated
          ? "one frame simulated"
          : fmt::format("estimate; {} not simulated", summary.timeline_estimate.latency),
      format_count(summary.estimate.total.luts), format_count(summary.estimate.total.ffs),
      summary.estimate.total.bram18, o.out, rtl_files.empty() ? "" : " and " + rtl_files);
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
                  "Cheapest folding reaching this many frames/s");
  app->add_option("--folding", options->folding,
                  "Folding file (bnnc's or FINN's folding_config.json)");
  app->add_option("--objective", options->objective,
                  "throughput (default) or latency (with --budget)");
  app->add_option("--budget", options->budget,
                  "Resource budget for --objective latency: luts=L,brams=B (BRAM18)");
  app->add_option("--clock-mhz", options->clock_mhz, "Clock frequency (default 200)");
  app->add_flag("--json", options->json, "Print one JSON object on stdout");
  return {app, [options] { return run_compile(*options); }};
}

}  // namespace bnnc::cli
