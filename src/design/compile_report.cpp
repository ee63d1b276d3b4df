#include "design/compile_report.h"

#include <fmt/format.h>

#include <algorithm>

#include "core/text_format.h"
#include "fold/find_reconvergence.h"

namespace bnnc {

namespace {

double fps_of(const Design& s) {
  return s.estimate.bottleneck_cycles > 0
             ? s.clock_mhz * 1e6 / static_cast<double>(s.estimate.bottleneck_cycles)
             : 0.0;
}

// One horizontal bar chart: a row per block, the bottleneck block in red.
std::string bar_chart(const Design& s, const std::string& title,
                      const std::vector<double>& values) {
  const auto& blocks = s.folded.blocks;
  const double max_value = std::max(1.0, *std::max_element(values.begin(), values.end()));
  constexpr int kRow = 18, kLabel = 150, kWidth = 420;
  std::string svg = fmt::format(
      "<h2>{}</h2>\n<svg width=\"{}\" height=\"{}\" font-family=\"sans-serif\" "
      "font-size=\"11\">\n",
      html_escape(title), kLabel + kWidth + 90, kRow * static_cast<int>(blocks.size()) + 4);
  for (std::size_t i = 0; i < blocks.size(); ++i) {
    const int y = static_cast<int>(i) * kRow;
    const double w = values[i] / max_value * kWidth;
    const bool bottleneck = static_cast<int>(i) == s.estimate.bottleneck_block;
    svg += fmt::format(
        "<text x=\"0\" y=\"{}\">{}</text><rect x=\"{}\" y=\"{}\" width=\"{:.1f}\" height=\"{}\" "
        "fill=\"{}\"/><text x=\"{:.1f}\" y=\"{}\">{:.0f}</text>\n",
        y + 13, html_escape(blocks[i].name), kLabel, y + 3, w, kRow - 5,
        bottleneck ? "#d62728" : "#4c78a8", kLabel + w + 4, y + 13, values[i]);
  }
  return svg + "</svg>\n";
}

const char* latency_source(const Design& s) {
  return s.timeline_simulated ? "simulated" : "estimate";
}

// For the HTML: which frame the simulation measured when that matters.
const char* latency_label(const Design& s) {
  return !s.timeline_simulated            ? "estimate"
         : s.latency_on_calibration_image ? "simulated on calibration image 0"
                                          : "simulated";
}

std::string timeline_chart(const Design& s) {
  const auto& blocks = s.folded.blocks;
  const double span = std::max<double>(1.0, static_cast<double>(s.timeline().latency));
  constexpr int kRow = 18, kLabel = 150, kWidth = 600;
  std::string svg = fmt::format(
      "<h2>One frame: when each block is busy ({}; latency {} cycles = {:.2f} µs at {} "
      "MHz)</h2>\n<svg width=\"{}\" height=\"{}\" font-family=\"sans-serif\" "
      "font-size=\"11\">\n",
      latency_label(s), s.timeline().latency,
      static_cast<double>(s.timeline().latency) / s.clock_mhz, s.clock_mhz, kLabel + kWidth + 20,
      kRow * static_cast<int>(blocks.size()) + 4);
  for (std::size_t i = 0; i < blocks.size(); ++i) {
    const int y = static_cast<int>(i) * kRow;
    const BlockTiming& t = s.timeline().blocks[i];
    const double x0 = static_cast<double>(t.start) / span * kWidth;
    const double x1 = static_cast<double>(t.end) / span * kWidth;
    svg += fmt::format(
        "<text x=\"0\" y=\"{}\">{}</text><rect x=\"{:.1f}\" y=\"{}\" width=\"{:.1f}\" "
        "height=\"{}\" fill=\"#59a14f\"><title>{}: cycles {}–{}</title></rect>\n",
        y + 13, html_escape(blocks[i].name), kLabel + x0, y + 3, std::max(1.0, x1 - x0), kRow - 5,
        html_escape(blocks[i].name), t.start, t.end);
  }
  return svg + "</svg>\n";
}

}  // namespace

nlohmann::ordered_json compile_report_json(const Design& s) {
  const FifoDepths& depths = s.fifo_depths;
  nlohmann::ordered_json layers = nlohmann::ordered_json::array();
  for (std::size_t i = 0; i < s.folded.blocks.size(); ++i) {
    const Block& b = s.folded.blocks[i];
    const Resources& r = s.estimate.blocks[i];
    nlohmann::ordered_json layer = {{"name", b.name}, {"kind", block_kind_name(b.kind)}};
    if (b.kind == BlockKind::Mvtu) {
      layer["pe"] = b.pe;
      layer["simd"] = b.simd;
      layer["mmv"] = b.mmv;
      layer["mh"] = b.mh_padded;
      layer["mw"] = b.mw_padded;
      if (b.zero_pad) layer["zero_pad"] = true;  // leaves the border's synapses out
      if (!b.is_conv()) layer["dense_order"] = dense_order_name(b.dense_order);
      layer["early_exit"] = b.early_exit;
      layer["weight_reuse"] = b.weight_reuse;
      layer["input_reuse"] = b.input_reuse;
      if (b.weight_reuse) {
        layer["reuse_vector_cycles"] = b.reuse_vector_cycles;
        layer["plain_vector_cycles"] = b.nf() * b.sf();
        layer["reuse_ideal_vector_cycles"] = b.reuse_ideal_cycles;
        layer["reuse_groups"] = b.reuse_groups;
        layer["reuse_synapses"] = b.reuse_synapses;
        layer["plain_synapses"] = static_cast<std::int64_t>(b.mh) * b.mw;
      }
    }
    layer["in_elems"] = b.in_elems;
    layer["out_elems"] = b.out_elems;
    layer["cycles"] = b.cycles;
    layer["luts"] = r.luts;
    layer["ffs"] = r.ffs;
    layer["brams"] = r.bram18;
    if (s.device) {
      layer["urams"] = r.urams;
      layer["dsps"] = r.dsps;
      if (r.dsps > 0) layer["dsp_pes"] = s.estimate.dsp_pes[i];  // PEs in DSP chains
      if (const std::optional<MemoryKind> kind = s.estimate.weights[i])
        layer["weights_in"] = memory_kind_name(*kind);
    }
    layer["fifo_depths"] = depths[i];
    layer["fifo_luts"] = s.estimate.fifos[i].luts;
    layer["fifo_brams"] = s.estimate.fifos[i].bram18;
    layer["start_cycle"] = s.timeline().blocks[i].start;
    layer["end_cycle"] = s.timeline().blocks[i].end;
    if (s.timeline_simulated) {  // the estimate beside the measurement, to see where they part
      layer["estimate_start_cycle"] = s.timeline_estimate.blocks[i].start;
      layer["estimate_end_cycle"] = s.timeline_estimate.blocks[i].end;
    }
    layers.push_back(layer);
  }
  nlohmann::ordered_json reconvergent = nlohmann::ordered_json::array();
  for (const Reconvergence& r : find_reconvergent_paths(s.folded)) {
    reconvergent.push_back({{"fork", s.folded.blocks[r.fork].name},
                            {"join", s.folded.blocks[r.join].name},
                            {"fifo_depths", {r.depth[0], r.depth[1]}}});
  }
  nlohmann::ordered_json report = {
      {"model", s.model},
      {"clock_mhz", s.clock_mhz},
      {"layers", layers},
      {"reconvergent_paths", reconvergent},
      {"fifo_bits", fifo_bits(s.folded, depths)},
      {"bottleneck", s.folded.blocks[s.estimate.bottleneck_block].name},
      {"bottleneck_cycles", s.estimate.bottleneck_cycles},
      {"fps", fps_of(s)},
      {"latency_cycles", s.timeline().latency},
      {"latency_source", latency_source(s)},
      {"latency_frame", s.latency_on_calibration_image ? "calibration image 0" : "zeros"},
      {"latency_estimate_cycles", s.timeline_estimate.latency},
      {"luts", s.estimate.total.luts},
      {"ffs", s.estimate.total.ffs},
      {"brams", s.estimate.total.bram18}};
  if (s.calibration) {
    // The variants' measured means (--calibration-data) and the bottleneck at the expected
    // cycles (an early-exit layer's, not its worst case).
    nlohmann::ordered_json calibrated = nlohmann::ordered_json::array();
    for (const LayerCalibration& l : s.calibration->layers) {
      nlohmann::ordered_json layer = {
          {"name", l.name}, {"pe", l.pe}, {"simd", l.simd}, {"plain_cycles_per_frame", l.plain}};
      if (l.early_exit >= 0) layer["early_exit_cycles_per_frame"] = l.early_exit;
      if (l.weight_reuse >= 0) layer["weight_reuse_cycles_per_frame"] = l.weight_reuse;
      if (l.input_reuse >= 0) layer["input_reuse_cycles_per_frame"] = l.input_reuse;
      if (!l.input_reuse_c.empty()) {
        // Per SIMD the mean max(1, c) of the reusing windows (design/calibrate_variants.h).
        nlohmann::ordered_json c = nlohmann::ordered_json::array();
        for (const auto& [simd, mean_c] : l.input_reuse_c) {
          c.push_back({{"simd", simd}, {"mean_c", mean_c}});
        }
        layer["input_reuse_mean_c"] = c;
      }
      calibrated.push_back(layer);
    }
    report["calibration"] = {{"images", s.calibration->images},
                             {"expected_bottleneck_cycles", s.expected_bottleneck_cycles},
                             {"layers", calibrated}};
    if (const auto& v = s.variant_search) {
      report["calibration"]["variant_search"] = {
          {"luts", v->luts},
          {"brams", v->bram18},
          {"expected_bottleneck_cycles", v->expected_bottleneck_cycles},
          {"early_exit", v->early_exit},
          {"weight_reuse", v->weight_reuse},
          {"input_reuse", v->input_reuse},
          {"kept", v->kept}};
    }
  }
  if (s.device) {
    const DeviceCaps caps = device_caps(*s.device);
    report["urams"] = s.estimate.total.urams;
    report["dsps"] = s.estimate.total.dsps;
    report["lutram_luts"] = s.estimate.total.lutram_luts;
    report["device"] = {{"name", std::string(s.device->name)},
                        {"luts", s.device->luts},
                        {"ffs", s.device->ffs},
                        {"lutram_luts", s.device->lutram_luts},
                        {"brams", s.device->bram18()},
                        {"urams", s.device->urams},
                        {"dsps", s.device->dsps},
                        {"cap_luts", caps.luts},
                        {"cap_brams", caps.bram18},
                        {"cap_urams", caps.urams},
                        {"cap_dsps", caps.dsps}};
  }
  return report;
}

std::string compile_report_html(const Design& s) {
  std::vector<double> cycles, luts, brams;
  for (std::size_t i = 0; i < s.folded.blocks.size(); ++i) {
    cycles.push_back(static_cast<double>(s.folded.blocks[i].cycles));
    luts.push_back(static_cast<double>(s.estimate.blocks[i].luts + s.estimate.fifos[i].luts));
    brams.push_back(static_cast<double>(s.estimate.blocks[i].bram18 + s.estimate.fifos[i].bram18));
  }
  const Block& bottleneck = s.folded.blocks[s.estimate.bottleneck_block];
  std::string html = fmt::format(
      "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>bnnc: {}</title>\n"
      "<style>body{{font-family:sans-serif;margin:2em}} td,th{{padding:2px 10px}}</style>"
      "</head><body>\n<h1>{}</h1>\n<table>\n"
      "<tr><th align=left>bottleneck</th><td>{} ({} cycles per frame)</td></tr>\n"
      "<tr><th align=left>throughput</th><td>{:.0f} frames/s at {} MHz</td></tr>\n"
      "<tr><th align=left>latency ({})</th><td>{} cycles = {:.2f} µs (estimate {})</td></tr>\n"
      "<tr><th align=left>LUTs / FFs / BRAM18 (estimate)</th><td>{} / {} / {}</td></tr>\n"
      "</table>\n",
      html_escape(s.model), html_escape(s.model), html_escape(bottleneck.name), bottleneck.cycles,
      fps_of(s), s.clock_mhz, latency_label(s), s.timeline().latency,
      static_cast<double>(s.timeline().latency) / s.clock_mhz, s.timeline_estimate.latency,
      s.estimate.total.luts, s.estimate.total.ffs, s.estimate.total.bram18);
  html += bar_chart(s, "Cycles per frame (bottleneck in red)", cycles);
  html += bar_chart(s, "LUTs (estimate, with the FIFO in front)", luts);
  html += bar_chart(s, "BRAM18 (estimate, with the FIFO in front)", brams);
  html += timeline_chart(s);
  return html + "</body></html>\n";
}

}  // namespace bnnc
