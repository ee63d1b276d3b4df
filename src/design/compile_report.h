// What save_design writes beside the design: report.json (the numbers) and report.html (the
// same as a page a person would rather look at: per-block bars of cycles, LUTs and BRAM with
// the bottleneck marked, and a timeline of when each block is busy within one frame; inline
// SVG, nothing fetched).
#pragma once

#include <nlohmann/json.hpp>

#include <string>

#include "design/design.h"

namespace bnnc {

nlohmann::ordered_json compile_report_json(const Design& design);
std::string compile_report_html(const Design& design);

}  // namespace bnnc
