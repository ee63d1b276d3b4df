#include "ir/graph.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace bnnc {

std::string to_string(const Shape& shape) { return fmt::format("[{}]", fmt::join(shape, ",")); }

std::string to_string(const TensorType& type) {
  return to_string(type.dtype) + to_string(type.shape);
}

int Graph::add(std::string node_name, OpAttrs attrs, std::vector<int> node_inputs) {
  nodes.push_back(Node{std::move(node_name), std::move(attrs), std::move(node_inputs), {}});
  return output();
}

std::vector<int> Graph::consumers(int index) const {
  std::vector<int> result;
  for (int i = 0; i < static_cast<int>(nodes.size()); ++i) {
    for (int input : nodes[i].inputs) {
      if (input == index) {
        result.push_back(i);
        break;
      }
    }
  }
  return result;
}

int Graph::find(const std::string& node_name) const {
  for (int i = 0; i < static_cast<int>(nodes.size()); ++i) {
    if (nodes[i].name == node_name) return i;
  }
  return -1;
}

}  // namespace bnnc
