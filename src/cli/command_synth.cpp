// bnnc synth DIR --target xc7|ice40 [--freq-mhz F] [--json]: synthesize a compiled design's RTL
// (DIR/rtl) with Yosys — for Xilinx 7-series (synth_xilinx) or, placed and routed by
// nextpnr-ice40 with a bitstream from icepack, for an iCE40 HX8K — and report the resources per
// block (with the FIFO behind it) and in total, beside the dataflow compiler's estimate. The JSON
// object is also written to DIR/synth/TARGET/result.json.
#include <fmt/format.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <string>

#include "cli/cli_output.h"
#include "cli/commands.h"
#include "cli/flag_checks.h"
#include "design/load_design.h"
#include "io/output_folder.h"
#include "rtl/emit_rtl.h"
#include "rtl/synthesize.h"

namespace bnnc::cli {

namespace {

struct SynthCommandOptions {
  std::string dir;
  std::string target;
  double freq_mhz = 100;
  bool json = false;
};

nlohmann::ordered_json resources_json(const SynthResources& r, bool ice40) {
  nlohmann::ordered_json j = {
      {"luts", r.luts}, {"lutram", r.lutram}, {"ffs", r.ffs}, {"carry", r.carry}};
  if (ice40) {
    j["bram18"] = nullptr;
    j["bram36"] = nullptr;
    j["ram4k"] = r.ram4k;
  } else {
    j["bram18"] = r.bram18;
    j["bram36"] = r.bram36;
  }
  j["dsps"] = r.dsps;
  return j;
}

int run_synth(const SynthCommandOptions& o) {
  SynthOptions options;
  if (o.target == "xc7") {
    options.target = SynthTarget::Xc7;
  } else if (o.target == "ice40") {
    options.target = SynthTarget::Ice40;
  } else {
    fail("--target: '{}' is not xc7 or ice40", o.target);
  }
  if (o.freq_mhz <= 0) fail("--freq-mhz must be positive, not {}", o.freq_mhz);
  options.freq_mhz = o.freq_mhz;
  const bool ice40 = options.target == SynthTarget::Ice40;
  const Design design = load_design(o.dir);
  const std::filesystem::path rtl_dir = std::filesystem::path(o.dir) / "rtl";
  const RtlDesign rtl = read_rtl_manifest(rtl_dir);
  if (!o.json) {
    std::fprintf(stderr, "bnnc synth: %s for %s...\n",
                 ice40 ? "Yosys + nextpnr-ice40 (HX8K)" : "Yosys synth_xilinx", o.dir.c_str());
  }
  // The logs, netlists and result.json are written whole beside DIR/synth/TARGET and moved in
  // (io/output_folder.h): an interrupted run leaves the last complete one.
  const std::filesystem::path reports = std::filesystem::path(o.dir) / "synth" / o.target;
  OutputFolder folder(reports, /*force=*/false);
  SynthResult result = synthesize(rtl_dir, rtl, folder.staging(), options);
  result.folder = reports;
  if (!result.bitstream.empty()) result.bitstream = reports / result.bitstream.filename();
  const Estimate& estimate = design.estimate;

  // Per block: the block's instance and the FIFO behind it (also on its own).
  std::map<int, SynthResources> per_block, fifo_of;
  for (const SynthInstance& inst : result.instances) {
    if (inst.block < 0) continue;
    per_block[inst.block] += inst.resources;
    if (inst.module == "bnn_fifo") fifo_of[inst.block] += inst.resources;
  }
  nlohmann::ordered_json layers = nlohmann::ordered_json::array();
  for (const auto& [index, r] : per_block) {
    const Block& b = design.folded.blocks[static_cast<std::size_t>(index)];
    nlohmann::ordered_json layer = {{"name", b.name}, {"kind", block_kind_name(b.kind)}};
    layer.update(resources_json(r, ice40));
    layer["fifo_luts"] = fifo_of[index].luts;
    layer["fifo_ffs"] = fifo_of[index].ffs;
    layer["fifo_brams"] =
        ice40 ? fifo_of[index].ram4k : fifo_of[index].bram18 + 2 * fifo_of[index].bram36;
    layer["estimate_luts"] = estimate.blocks[static_cast<std::size_t>(index)].luts;
    layer["estimate_bram18"] = estimate.blocks[static_cast<std::size_t>(index)].bram18;
    layers.push_back(layer);
  }
  const bool fits = !result.fits || *result.fits;

  nlohmann::ordered_json out = {{"target", o.target}};
  out.update(resources_json(result.total, ice40));
  out["fmax_mhz"] =
      result.fmax_mhz ? nlohmann::ordered_json(*result.fmax_mhz) : nlohmann::ordered_json(nullptr);
  if (ice40) {
    out["fits"] = fits;
    out["logic_cells"] = result.lcs;
    out["logic_cells_available"] = result.lcs_available;
    out["freq_target_mhz"] = o.freq_mhz;
    out["bitstream"] = result.bitstream.empty() ? nlohmann::ordered_json(nullptr)
                                                : nlohmann::ordered_json(result.bitstream.string());
  }
  out["estimate_luts"] = estimate.total.luts;
  out["estimate_bram18"] = estimate.total.bram18;
  out["layers"] = layers;
  out["seconds"] = result.seconds;
  out["reports"] = result.folder.string();
  // Kept beside the reports, so that scripts can read the figures of a text run.
  {
    std::ofstream file(folder.staging() / "result.json");
    file << out.dump() << "\n";
    file.flush();
    if (!file) fail("{}: cannot write", (reports / "result.json").string());
  }
  folder.commit();
  if (o.json) {
    print_json(out);
    return fits ? kExitOk : kExitCheckFailed;
  }
  std::string text =
      fmt::format("{:<18} {:<16} {:>8} {:>7} {:>7} {:>6} {:>6} {:>6} {:>5} {:>9} {:>9}\n", "block",
                  "kind", "LUTs", "LUTRAM", "FFs", "CARRY", ice40 ? "RAM4K" : "BRAM18",
                  ice40 ? "" : "BRAM36", "DSP", "FIFO LUTs", "est.LUTs");
  const auto row = [&](const std::string& name, const std::string& kind, const SynthResources& r,
                       const std::string& fifo, std::int64_t est) {
    return fmt::format("{:<18} {:<16} {:>8} {:>7} {:>7} {:>6} {:>6} {:>6} {:>5} {:>9} {:>9}\n",
                       name, kind, format_count(r.luts), format_count(r.lutram),
                       format_count(r.ffs), r.carry, ice40 ? r.ram4k : r.bram18,
                       ice40 ? "" : std::to_string(r.bram36), r.dsps, fifo, format_count(est));
  };
  for (const auto& [index, r] : per_block) {
    const Block& b = design.folded.blocks[static_cast<std::size_t>(index)];
    text += row(b.name, block_kind_name(b.kind), r, format_count(fifo_of[index].luts),
                estimate.blocks[static_cast<std::size_t>(index)].luts);
  }
  text += row("total", "", result.total, "", estimate.total.luts);
  text +=
      "(a block's figures include the FIFO behind it; est.LUTs: the dataflow compiler's "
      "estimate of the block alone)\n";
  if (ice40) {
    text += fits ? fmt::format(
                       "placed and routed on iCE40 HX8K: {} of {} logic cells, Fmax {:.1f} MHz "
                       "(target {} MHz)\nbitstream {}\n",
                       result.lcs, result.lcs_available, result.fmax_mhz.value_or(0.0), o.freq_mhz,
                       result.bitstream.string())
                 : "does not fit an iCE40 HX8K (see " + (result.folder / "nextpnr.log").string() +
                       ")\n";
  }
  text += fmt::format("reports in {} ({:.0f} s)\n", result.folder.string(), result.seconds);
  std::fputs(text.c_str(), stdout);
  return fits ? kExitOk : kExitCheckFailed;
}

}  // namespace

Command add_synth_command(CLI::App& bnnc) {
  auto options = std::make_shared<SynthCommandOptions>();
  CLI::App* app = bnnc.add_subcommand(
      "synth", "Synthesize a compiled design's RTL with Yosys (xc7) or Yosys + nextpnr (ice40)");
  app->add_option("DIR", options->dir, "Design folder written by bnnc compile")->required();
  app->add_option("--target", options->target, "xc7 (Yosys synth_xilinx) or ice40 (HX8K P&R)")
      ->required();
  app->add_option("--freq-mhz", options->freq_mhz,
                  "ice40: the frequency nextpnr aims at (default 100)")
      ->check(number_in(0, 2000, true));
  app->add_flag("--json", options->json, "Print one JSON object on stdout");
  return {app, [options] { return run_synth(*options); }};
}

}  // namespace bnnc::cli
