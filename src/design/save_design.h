// Writing a Design as a design folder: DIR/{folding.json, report.json, report.html,
// model.bnnc} and the RTL in DIR/rtl. Every file of a design folder is written here, so how it
// is written (atomically, say) is decided in one place.
#pragma once

#include <filesystem>
#include <optional>

#include "design/design.h"
#include "rtl/emit_rtl.h"

namespace bnnc {

// Writes DIR as io/output_folder.h describes (staged beside it, moved in, with a manifest): an
// earlier design's files are replaced, and its DIR/rtl removed when the design has none
// (Design::rtl_unsupported), as it would mislead; a file bnnc did not write where it would
// write is an error unless `force`. Returns the RTL written, if any. Throws bnnc::Error naming
// the folder or file that cannot be written.
std::optional<RtlDesign> save_design(const Design& design, const std::filesystem::path& dir,
                                     bool force = false);

}  // namespace bnnc
