#include "passes/drop_monotone_scores.h"

#include <algorithm>
#include <cmath>

#include "ir/affine_apply.h"
#include "ir/batchnorm_apply.h"
#include "ir/infer_types.h"
#include "passes/integer_domain.h"

namespace bnnc {

namespace {

// Domains larger than this are not enumerated (a chain there stays, and is reported).
constexpr std::int64_t kMaxEnumerated = std::int64_t{1} << 24;

bool same_for_all_channels(const Node& node, int channels) {
  if (node.op() == Op::Affine) {
    const auto& a = node.as<AffineAttrs>();
    return std::all_of(a.constant.begin(), a.constant.end(),
                       [&](float k) { return k == a.constant[0]; });
  }
  const auto& bn = node.as<BatchNormAttrs>();
  for (int c = 1; c < channels; ++c) {
    for (const std::vector<float>* v : {&bn.gamma, &bn.beta, &bn.mean, &bn.var}) {
      if ((*v)[c] != (*v)[0]) return false;
    }
    if (!bn.bias.empty() && bn.bias[c] != bn.bias[0]) return false;
  }
  return true;
}

float apply(const Node& node, float x) {
  if (node.op() == Op::Affine) return affine_apply(node.as<AffineAttrs>(), 0, x);
  return batchnorm_apply(node.as<BatchNormAttrs>(), 0, x);
}

// A per-class integer shift k_c on integer scores real = s·x + o (s > 0, s, o, k_c integers, all
// sums below 2^24 so float adds them exactly): argmax(s·x_c + o + k_c) = argmax(x_c + k_c/s)
// when s divides every k_c, which is the label-select's bias. Returns false when it does not
// apply.
bool shift_to_bias(const Graph& graph, int producer, const Node& step,
                   std::vector<std::int64_t>& bias) {
  if (step.op() != Op::Affine || step.as<AffineAttrs>().kind != AffineKind::Add) return false;
  const std::optional<IntegerDomain> domain = integer_domain(graph, producer);
  constexpr double kExact = 1 << 24;
  if (!domain || !(domain->scale > 0) || domain->scale != std::floor(domain->scale) ||
      domain->offset != std::floor(domain->offset)) {
    return false;
  }
  const double lo = domain->real(domain->lo), hi = domain->real(domain->hi);
  const int channels = graph.nodes[producer].type.channels();
  const auto& a = step.as<AffineAttrs>();
  bias.assign(static_cast<std::size_t>(channels), 0);
  for (int c = 0; c < channels; ++c) {
    const double k = affine_constant(a, c);
    const double shift = k / domain->scale;
    if (shift != std::floor(shift) || std::fabs(lo + k) >= kExact || std::fabs(hi + k) >= kExact ||
        std::fabs(lo) >= kExact || std::fabs(hi) >= kExact) {
      return false;
    }
    bias[c] = static_cast<std::int64_t>(shift);
  }
  return true;
}

}  // namespace

Graph drop_monotone_scores(const Graph& graph) {
  const int label = graph.output();
  if (label <= 0 || graph.nodes[label].op() != Op::LabelSelect) return graph;
  std::vector<int> chain;
  int producer = graph.nodes[label].inputs[0];
  while (graph.consumers(producer).size() == 1 && (graph.nodes[producer].op() == Op::Affine ||
                                                   graph.nodes[producer].op() == Op::BatchNorm)) {
    chain.push_back(producer);
    producer = graph.nodes[producer].inputs[0];
  }
  if (chain.empty()) return graph;
  std::reverse(chain.begin(), chain.end());
  const int channels = graph.nodes[producer].type.channels();
  std::vector<std::int64_t> bias;
  const bool shift = chain.size() == 1 && graph.nodes[label].as<LabelSelectAttrs>().bias.empty() &&
                     !same_for_all_channels(graph.nodes[chain[0]], channels) &&
                     shift_to_bias(graph, producer, graph.nodes[chain[0]], bias);
  for (int step : chain) {
    if (!shift && !same_for_all_channels(graph.nodes[step], channels)) return graph;
  }
  const std::optional<IntegerDomain> domain = integer_domain(graph, producer);
  if (!domain || domain->hi - domain->lo > kMaxEnumerated) return graph;
  float previous = 0.0F;
  for (std::int64_t x = domain->lo; x <= domain->hi && !shift; ++x) {
    float value = domain->real(x);
    for (int step : chain) value = apply(graph.nodes[step], value);
    if (x > domain->lo && !(value > previous)) return graph;
    previous = value;
  }

  Graph out;
  out.name = graph.name;
  out.classes = graph.classes;
  std::vector<int> index_map(graph.nodes.size(), -1);
  for (int i = 0; i < static_cast<int>(graph.nodes.size()); ++i) {
    if (std::find(chain.begin(), chain.end(), i) != chain.end()) continue;
    Node copy = graph.nodes[i];
    for (int& input : copy.inputs) input = index_map[input];
    if (i == label) {
      copy.inputs[0] = index_map[producer];
      if (shift) copy.as<LabelSelectAttrs>().bias = bias;
    }
    out.nodes.push_back(std::move(copy));
    index_map[i] = out.output();
  }
  infer_types(out);
  return out;
}

}  // namespace bnnc
