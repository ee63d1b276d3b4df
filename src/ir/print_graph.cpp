#include "ir/print_graph.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cstring>

namespace bnnc {

namespace {

// FNV-1a over the bytes of an array: a short, stable digest for the text form.
template <typename T>
std::uint32_t digest(const std::vector<T>& values) {
  std::uint32_t hash = 2166136261U;
  for (const T& value : values) {
    unsigned char bytes[sizeof(T)];
    std::memcpy(bytes, &value, sizeof(T));
    for (unsigned char byte : bytes) {
      hash ^= byte;
      hash *= 16777619U;
    }
  }
  return hash;
}

template <typename T>
std::string array_text(const std::vector<T>& values) {
  if (values.size() <= 16) return fmt::format("[{}]", fmt::join(values, ","));
  return fmt::format("{}#{:08x}", values.size(), digest(values));
}

std::string matrix_text(const BinaryMatrix& m) {
  return fmt::format("{}x{}#{:08x}", m.rows(), m.cols(), digest(m.words()));
}

// Flags as the list of channels that are set: "[3,17]".
std::string flags_text(const std::vector<std::uint8_t>& flags) {
  std::vector<int> set;
  for (std::size_t i = 0; i < flags.size(); ++i) {
    if (flags[i] != 0) set.push_back(static_cast<int>(i));
  }
  return array_text(set);
}

std::string attributes_text(const Node& node) {
  switch (node.op()) {
    case Op::Input: return "";
    case Op::Quantize: return "table=" + array_text(node.as<QuantizeAttrs>().table);
    case Op::Dense: return "weights=" + matrix_text(node.as<DenseAttrs>().weights);
    case Op::Conv2d: {
      const auto& a = node.as<Conv2dAttrs>();
      std::string text = fmt::format("kernel={} stride={} pad={}", a.kernel, a.stride, a.pad);
      if (a.zero_padded()) {
        text += " pad_mode=zero";
      } else if (a.pad > 0) {
        text += fmt::format(" pad_value={}", a.pad_value);
      }
      return text + " weights=" + matrix_text(a.weights);
    }
    case Op::BatchNorm: {
      const auto& a = node.as<BatchNormAttrs>();
      std::string text =
          fmt::format("gamma={} beta={} mean={} var={} eps={}", array_text(a.gamma),
                      array_text(a.beta), array_text(a.mean), array_text(a.var), a.eps);
      if (!a.bias.empty()) text += " bias=" + array_text(a.bias);
      return text;
    }
    case Op::Affine: {
      const auto& a = node.as<AffineAttrs>();
      return fmt::format("{}={}", affine_kind_name(a.kind), array_text(a.constant));
    }
    case Op::Sign: return node.as<SignAttrs>().zero_gives_zero ? "zero_gives_zero" : "";
    case Op::Threshold: {
      const auto& a = node.as<ThresholdAttrs>();
      std::string text = "thresholds=" + array_text(a.thresholds);
      if (!a.negate.empty()) text += " negate=" + flags_text(a.negate);
      return text;
    }
    case Op::MaxPool: {
      const auto& a = node.as<MaxPoolAttrs>();
      std::string text = fmt::format("kernel={} stride={}", a.kernel, a.stride);
      if (a.pad > 0) text += fmt::format(" pad={}", a.pad);
      if (!a.min_channels.empty()) text += " min_channels=" + flags_text(a.min_channels);
      return text;
    }
    case Op::Reshape: return "shape=" + to_string(node.as<ReshapeAttrs>().shape);
    case Op::Add: {
      const auto& a = node.as<AddAttrs>();
      if (a.offsets.empty()) return "";
      return fmt::format("offsets={} in1_min={}", array_text(a.offsets), a.in1_min);
    }
    case Op::GlobalSumPool: return "";
    case Op::LabelSelect: {
      const auto& a = node.as<LabelSelectAttrs>();
      std::string text = a.bias.empty() ? "" : "bias=" + array_text(a.bias);
      if (a.shift > 0) text += (text.empty() ? "" : " ") + fmt::format("shift={}", a.shift);
      return text;
    }
    case Op::Count: break;
  }
  return "";
}

}  // namespace

std::string print_node(const Graph& graph, const Node& node) {
  std::vector<std::string> inputs;
  for (int input : node.inputs) inputs.push_back(graph.nodes[input].name);
  std::string attributes = attributes_text(node);
  if (!attributes.empty()) attributes = " " + attributes;
  return fmt::format("{} = {}({}){} -> {}", node.name, op_name(node.op()), fmt::join(inputs, ", "),
                     attributes, to_string(node.type));
}

std::string print_graph(const Graph& graph) {
  std::string text = fmt::format("graph {}", graph.name.empty() ? "\"\"" : graph.name);
  if (!graph.classes.empty()) text += fmt::format(" classes={}", graph.classes.size());
  text += "\n";
  for (const Node& node : graph.nodes) text += "  " + print_node(graph, node) + "\n";
  return text;
}

}  // namespace bnnc
