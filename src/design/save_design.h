// Writing a Design as a design folder: DIR/{folding.json, report.json, report.html,
// model.bnnc} and the RTL in DIR/rtl. Every file of a design folder is written here, so how it
// is written (atomically, say) is decided in one place.
#pragma once

#include <filesystem>
#include <optional>

#include "design/design.h"
#include "rtl/emit_rtl.h"

namespace bnnc {

// Creates DIR if needed. When the design has no RTL (Design::rtl_unsupported), an earlier
// design's DIR/rtl is removed, as it would mislead. Returns the RTL written, if any. Throws
// bnnc::Error naming the folder or file that cannot be written.
std::optional<RtlDesign> save_design(const Design& design, const std::filesystem::path& dir);

}  // namespace bnnc
