#include "design/load_design.h"

#include <nlohmann/json.hpp>

#include <filesystem>

#include "core/error.h"
#include "core/read_file.h"
#include "design/compile_design.h"
#include "fold/device.h"
#include "io/model_file.h"
#include "io/output_folder.h"

namespace bnnc {

namespace {

// The part report.json names (bnnc compile --device), or none. The folder's files were checked
// against its manifest before this reads one of them.
const Device* compiled_for(const std::filesystem::path& report) {
  constexpr std::uint64_t kMaxReportBytes = 256 << 20;
  const std::vector<std::uint8_t> bytes =
      read_file(report.string(), kMaxReportBytes, "a design's report.json");
  const nlohmann::json json = nlohmann::json::parse(bytes.begin(), bytes.end(), nullptr, false);
  if (json.is_discarded() || !json.is_object()) fail("{}: not valid JSON", report.string());
  const auto device = json.find("device");
  if (device == json.end()) return nullptr;
  if (!device->is_object() || !device->contains("name") || !(*device)["name"].is_string()) {
    fail("{}: \"device\" has no name", report.string());
  }
  return &find_device((*device)["name"].get<std::string>());
}

}  // namespace

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
  // The back end's stages with the folding read back, on the part it was compiled for (the
  // report's "device": where its weights live and which PEs are DSP chains, as its RTL has
  // them); the simulated timeline is left out, as the commands that run a design measure it
  // themselves.
  FoldingRequest request = FoldingRequest::from_file((path / "folding.json").string());
  request.device = compiled_for(path / "report.json");
  Design d = compile_design(load_model((path / "model.bnnc").string()), request,
                            FrameTiming::EstimateOnly);
  d.model = (path / "model.bnnc").string();
  return d;
}

}  // namespace bnnc
