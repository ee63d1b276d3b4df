#include "design/load_design.h"

#include <filesystem>

#include "core/error.h"
#include "design/compile_design.h"
#include "io/model_file.h"
#include "io/output_folder.h"

namespace bnnc {

Design load_design(const std::string& dir) {
  const std::filesystem::path path = dir;
  // The error_code forms: a link loop or an unreadable parent is the user's path, not our bug.
  std::error_code error;
  const std::filesystem::file_status status = std::filesystem::status(path, error);
  if (error && error != std::errc::no_such_file_or_directory) {
    fail("{}: cannot read the design folder ({})", dir, error.message());
  }
  if (!std::filesystem::is_directory(status)) {
    fail("{}: no such design folder (run bnnc compile ... --out {})", dir, dir);
  }
  if (!std::filesystem::exists(path / "model.bnnc", error) ||
      !std::filesystem::exists(path / "folding.json", error)) {
    fail("{}: not a design folder (no model.bnnc and folding.json; run bnnc compile)", dir);
  }
  // Every file as bnnc compile wrote it: a folding.json or a .mem edited since would make the
  // figures and verdicts of simulate, verify and synth those of another design.
  check_output_folder(path);
  // The back end's stages with the folding read back; the simulated timeline is left out, as
  // the commands that run a design measure it themselves.
  Design d = compile_design(load_model((path / "model.bnnc").string()),
                            FoldingRequest::from_file((path / "folding.json").string()),
                            FrameTiming::EstimateOnly);
  d.model = (path / "model.bnnc").string();
  return d;
}

}  // namespace bnnc
