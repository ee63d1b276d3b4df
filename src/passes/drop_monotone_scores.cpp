#include "passes/drop_monotone_scores.h"

#include <algorithm>

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
  for (int step : chain) {
    if (!same_for_all_channels(graph.nodes[step], channels)) return graph;
  }
  const std::optional<IntegerDomain> domain = integer_domain(graph, producer);
  if (!domain || domain->hi - domain->lo > kMaxEnumerated) return graph;
  float previous = 0.0F;
  for (std::int64_t x = domain->lo; x <= domain->hi; ++x) {
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
    if (i == label) copy.inputs[0] = index_map[producer];
    out.nodes.push_back(std::move(copy));
    index_map[i] = out.output();
  }
  infer_types(out);
  return out;
}

}  // namespace bnnc
