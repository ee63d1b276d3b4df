// What `bnnc compile` writes beside the design: report.json (the numbers) and report.html (the
// same as a page a person would rather look at: per-block bars of cycles, LUTs and BRAM with
// the bottleneck marked, and a timeline of when each block is busy within one frame; inline
// SVG, nothing fetched).
#pragma once

#include <nlohmann/json.hpp>

#include <string>

#include "fold/estimate_resources.h"
#include "fold/estimate_timeline.h"

namespace bnnc::cli {

struct CompileSummary {
  std::string model;
  double clock_mhz = 200.0;
  const DataflowGraph* graph = nullptr;
  Estimate estimate;
  Timeline timeline;  // the one reported: simulated when possible
  bool timeline_simulated = false;
  Timeline timeline_estimate;  // the analytic one (estimate_timeline)
};

nlohmann::ordered_json compile_report_json(const CompileSummary& summary);
std::string compile_report_html(const CompileSummary& summary);

}  // namespace bnnc::cli
