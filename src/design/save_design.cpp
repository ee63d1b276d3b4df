#include "design/save_design.h"

#include <fstream>
#include <string>
#include <vector>

#include "core/error.h"
#include "design/compile_report.h"
#include "fold/estimate_resources.h"
#include "fold/folding_file.h"
#include "io/model_file.h"
#include "io/output_folder.h"

namespace bnnc {

namespace {

void write_text(const std::filesystem::path& path, const std::string& text) {
  std::ofstream out(path);
  out << text;
  out.flush();
  if (!out) fail("{}: cannot write", path.string());
}

// Where the RTL puts each MVTU's memories and adders, and each join's table: where the estimate
// placed them on the part, so that the design a synthesis tool builds is the one the estimate
// counted (docs/devices.md, "Where the weights live", "DSPs for 8-bit layers"). Without a part,
// and where the tool would choose the same by itself, the memory's place is left to the tool.
// A ROM placed in UltraRAM is left to it too: UltraRAM has no initial contents (a bitstream
// cannot load it), so such weights would need a loader the RTL does not have.
std::vector<Placement> placements(const Design& design) {
  std::vector<Placement> result;
  if (!design.device) return result;
  const auto style = [](std::optional<MemoryKind> placed, std::optional<MemoryKind> tools) {
    if (!placed || *placed == MemoryKind::Uram) return std::string();
    if (*placed == MemoryKind::Bram) return std::string("block");
    return std::string(tools == MemoryKind::Lutram ? "" : "logic");
  };
  for (std::size_t i = 0; i < design.folded.blocks.size(); ++i) {
    const Block& b = design.folded.blocks[i];
    result.push_back({style(design.estimate.weights[i], weights_kind(b)),
                      style(thresholds_kind(b, design.device), thresholds_kind(b)),
                      design.estimate.dsp_pes[i] > 0 ? dsp_chain_form(b) : 0,
                      design.estimate.dsp_pes[i]});
  }
  return result;
}

}  // namespace

std::optional<RtlDesign> save_design(const Design& design, const std::filesystem::path& dir,
                                     bool force) {
  // Written whole into a folder beside DIR, then moved in (io/output_folder.h): DIR never holds
  // half a design, and no file bnnc did not write there is touched.
  OutputFolder out(dir, force);
  const std::filesystem::path& at = out.staging();
  write_folding_file(design.folding, (at / "folding.json").string());
  write_text(at / "report.json", compile_report_json(design).dump(2) + "\n");
  write_text(at / "report.html", compile_report_html(design));
  save_model(design.graph, (at / "model.bnnc").string());
  std::optional<RtlDesign> rtl;
  if (!design.rtl_unsupported)
    rtl = emit_rtl(design.folded, design.fifo_depths, at / "rtl", placements(design));
  out.commit();
  return rtl;
}

}  // namespace bnnc
