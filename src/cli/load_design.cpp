#include "cli/load_design.h"

#include "fold/folding.h"
#include "fold/folding_file.h"
#include "fold/lower_to_dataflow.h"
#include "io/model_file.h"

namespace bnnc::cli {

DataflowGraph load_design(const std::string& dir) {
  const std::filesystem::path path = dir;
  if (!std::filesystem::is_directory(path)) {
    fail("{}: no such design folder (run bnnc compile ... --out {})", dir, dir);
  }
  if (!std::filesystem::exists(path / "model.bnnc") ||
      !std::filesystem::exists(path / "folding.json")) {
    fail("{}: not a design folder (no model.bnnc and folding.json; run bnnc compile)", dir);
  }
  const Graph graph = load_model((path / "model.bnnc").string());
  const DataflowGraph lowered = lower_to_dataflow(graph);
  return apply_folding(lowered, read_folding_file((path / "folding.json").string(), lowered));
}

}  // namespace bnnc::cli
