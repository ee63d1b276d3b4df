#include "fold/dataflow_graph.h"

#include <array>

namespace bnnc {

const char* block_kind_name(BlockKind kind) {
  static constexpr std::array<const char*, static_cast<int>(BlockKind::Count)> kNames = {
      "Input",       "Thresholding", "FMPadding", "SWU",        "MVTU",         "StreamingMaxPool",
      "LabelSelect", "DWC",          "Duplicate", "AddStreams", "GlobalSumPool"};
  return kNames[static_cast<std::size_t>(kind)];
}

const char* dense_order_name(DenseOrder order) {
  return order == DenseOrder::Input ? "input" : "output";
}

std::vector<int> DataflowGraph::mvtus() const {
  std::vector<int> result;
  for (int i = 0; i < static_cast<int>(blocks.size()); ++i) {
    if (blocks[i].kind == BlockKind::Mvtu) result.push_back(i);
  }
  return result;
}

std::vector<std::vector<int>> DataflowGraph::consumers() const {
  std::vector<std::vector<int>> result(blocks.size());
  for (int i = 0; i < static_cast<int>(blocks.size()); ++i) {
    for (int input : blocks[i].inputs) result[input].push_back(i);
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
