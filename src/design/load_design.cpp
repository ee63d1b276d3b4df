#include "design/load_design.h"

#include <filesystem>

#include "core/error.h"
#include "fold/folding_file.h"
#include "fold/lower_to_dataflow.h"
#include "io/model_file.h"
#include "io/output_folder.h"
#include "rtl/emit_rtl.h"

namespace bnnc {

Design load_design(const std::string& dir) {
  const std::filesystem::path path = dir;
  if (!std::filesystem::is_directory(path)) {
    fail("{}: no such design folder (run bnnc compile ... --out {})", dir, dir);
  }
  if (!std::filesystem::exists(path / "model.bnnc") ||
      !std::filesystem::exists(path / "folding.json")) {
    fail("{}: not a design folder (no model.bnnc and folding.json; run bnnc compile)", dir);
  }
  // Every file as bnnc compile wrote it: a folding.json or a .mem edited since would make the
  // figures and verdicts of simulate, verify and synth those of another design.
  check_output_folder(path);
  // The stages of compile_design with the folding read back; the simulated timeline is left out,
  // as no command that runs a design needs it.
  Design d;
  d.model = (path / "model.bnnc").string();
  d.graph = load_model(d.model);
  const DataflowGraph lowered = lower_to_dataflow(d.graph);
  d.folded = apply_folding(lowered, read_folding_file((path / "folding.json").string(), lowered));
  d.folding = folding_of(d.folded);
  d.fifo_depths = size_fifos(d.folded);
  d.estimate = estimate_graph(d.folded);
  d.timeline_estimate = estimate_timeline(d.folded);
  d.rtl_unsupported = rtl_unsupported(d.folded);
  return d;
}

}  // namespace bnnc
