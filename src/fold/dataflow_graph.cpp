#include "fold/dataflow_graph.h"

#include <array>

namespace bnnc {

const char* block_kind_name(BlockKind kind) {
  static constexpr std::array<const char*, static_cast<int>(BlockKind::Count)> kNames = {
      "Input", "Thresholding",     "FMPadding",   "SWU",
      "MVTU",  "StreamingMaxPool", "LabelSelect", "DWC"};
  return kNames[static_cast<std::size_t>(kind)];
}

std::vector<int> DataflowGraph::mvtus() const {
  std::vector<int> result;
  for (int i = 0; i < static_cast<int>(blocks.size()); ++i) {
    if (blocks[i].kind == BlockKind::Mvtu) result.push_back(i);
  }
  return result;
}

int DataflowGraph::find(const std::string& name) const {
  for (int i = 0; i < static_cast<int>(blocks.size()); ++i) {
    if (blocks[i].name == name) return i;
  }
  return -1;
}

}  // namespace bnnc
