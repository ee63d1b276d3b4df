#include "design/save_design.h"

#include <fstream>
#include <string>

#include "core/error.h"
#include "design/compile_report.h"
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
  if (!design.rtl_unsupported) rtl = emit_rtl(design.folded, design.fifo_depths, at / "rtl");
  out.commit();
  return rtl;
}

}  // namespace bnnc
