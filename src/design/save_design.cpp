#include "design/save_design.h"

#include <fstream>
#include <string>

#include "core/error.h"
#include "design/compile_report.h"
#include "io/model_file.h"

namespace bnnc {

namespace {

void write_text(const std::filesystem::path& path, const std::string& text) {
  std::ofstream out(path);
  out << text;
  if (!out) fail("{}: cannot write", path.string());
}

}  // namespace

std::optional<RtlDesign> save_design(const Design& design, const std::filesystem::path& dir) {
  std::error_code error;
  std::filesystem::create_directories(dir, error);
  if (error) fail("{}: cannot create the output folder ({})", dir.string(), error.message());
  write_folding_file(design.folding, (dir / "folding.json").string());
  write_text(dir / "report.json", compile_report_json(design).dump(2) + "\n");
  write_text(dir / "report.html", compile_report_html(design));
  save_model(design.graph, (dir / "model.bnnc").string());
  if (design.rtl_unsupported) {
    std::filesystem::remove_all(dir / "rtl", error);
    return std::nullopt;
  }
  return emit_rtl(design.folded, design.fifo_depths, dir / "rtl");
}

}  // namespace bnnc
