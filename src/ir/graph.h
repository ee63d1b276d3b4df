// A network: nodes in topological order, each producing one tensor. Node 0 is the input; the
// last node is the output. A node names its inputs by index, so a node may feed several others
// (room for residual blocks).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/error.h"
#include "ir/op.h"

namespace bnnc {

struct TensorType {
  DType dtype;
  Shape shape;

  std::int64_t elements() const {
    std::int64_t count = 1;
    for (int dim : shape) count *= dim;
    return count;
  }
  int channels() const { return shape.empty() ? 1 : shape.back(); }
  bool operator==(const TensorType&) const = default;
};

std::string to_string(const TensorType& type);  // "bit[28,28,64]"
std::string to_string(const Shape& shape);      // "[28,28,64]"

struct Node {
  std::string name;
  OpAttrs attrs;
  std::vector<int> inputs;
  TensorType type;  // set by infer_types()

  Op op() const { return op_of(attrs); }
  template <typename T>
  const T& as() const {
    BNNC_ASSERT(std::holds_alternative<T>(attrs), "node '{}' is a {}", name, op_name(op()));
    return std::get<T>(attrs);
  }
  template <typename T>
  T& as() {
    BNNC_ASSERT(std::holds_alternative<T>(attrs), "node '{}' is a {}", name, op_name(op()));
    return std::get<T>(attrs);
  }
  // The binary weights of a dense or conv node (asserts it is one).
  const BinaryMatrix& weights() const {
    return op() == Op::Dense ? as<DenseAttrs>().weights : as<Conv2dAttrs>().weights;
  }
  BinaryMatrix& weights() {
    return op() == Op::Dense ? as<DenseAttrs>().weights : as<Conv2dAttrs>().weights;
  }
};

struct Graph {
  std::string name;
  std::vector<std::string> classes;  // class names, when known
  std::vector<Node> nodes;

  // Appends a node and returns its index. Types are not inferred here: call infer_types().
  int add(std::string node_name, OpAttrs attrs, std::vector<int> node_inputs = {});
  int output() const { return static_cast<int>(nodes.size()) - 1; }
  // Indices of the nodes that read node `index`.
  std::vector<int> consumers(int index) const;
  int find(const std::string& node_name) const;  // -1 when absent
};

}  // namespace bnnc
