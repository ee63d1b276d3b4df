#include "passes/drop_monotone_scores.h"

#include <algorithm>
#include <cmath>

#include "ir/affine_apply.h"
#include "ir/batchnorm_apply.h"
#include "ir/infer_types.h"
#include "passes/exact_label_bias.h"
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

// a·b for doubles, or nothing when the product is not exact.
std::optional<double> exact_product(double a, double b) {
  const double p = a * b;
  if (!std::isfinite(p) || std::fma(a, b, -p) != 0.0) return std::nullopt;
  return p;
}

// The dense layer with a bias after a global average pool (torchvision's ResNet fc): positive
// scalar Mul/Div steps (÷ H·W, the weight scale s) and then one per-class Add b_c, on integer
// scores real = scale·x + offset. For every class the real score is
//   ((scale·x_c + offset)·Πm/Πd) + b_c,
// and, dividing by the common positive factor scale·Πm/Πd and dropping the common term, the
// argmax and its ties are those of x_c + t_c/u with t_c = b_c·Πd and u = scale·Πm, in exact real
// arithmetic: exact_label_bias writes that as an integer bias and shift. (The float graph rounds
// each step; where that rounding merges or splits two scores the classes may differ: only at
// scores within a few units in the last place of each other, docs/residual.md.)
std::optional<LabelBias> real_offsets(const Graph& graph, const std::vector<int>& chain,
                                      const IntegerDomain& domain) {
  const Node& last = graph.nodes[chain.back()];
  if (last.op() != Op::Affine || last.as<AffineAttrs>().kind != AffineKind::Add ||
      !(domain.scale > 0)) {
    return std::nullopt;
  }
  double divisor = 1.0;
  std::optional<double> u = domain.scale;
  for (std::size_t i = 0; i + 1 < chain.size(); ++i) {
    const Node& step = graph.nodes[chain[i]];
    if (step.op() != Op::Affine) return std::nullopt;
    const auto& a = step.as<AffineAttrs>();
    if (a.constant.size() != 1 || !(a.constant[0] > 0) || !std::isfinite(a.constant[0])) {
      return std::nullopt;
    }
    if (a.kind == AffineKind::Add) return std::nullopt;
    std::optional<double> next = a.kind == AffineKind::Mul ? exact_product(*u, a.constant[0])
                                                           : exact_product(divisor, a.constant[0]);
    if (!next) return std::nullopt;
    (a.kind == AffineKind::Mul ? *u : divisor) = *next;
  }
  const auto& add = last.as<AffineAttrs>();
  const int channels = graph.nodes[chain.back()].type.channels();
  std::vector<double> t;
  for (int c = 0; c < channels; ++c) {
    const std::optional<double> tc = exact_product(affine_constant(add, c), divisor);
    if (!tc) return std::nullopt;
    t.push_back(*tc);
  }
  return exact_label_bias(t, *u, domain.lo, domain.hi);
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
  const std::optional<IntegerDomain> domain = integer_domain(graph, producer);
  if (!domain) return graph;
  const int channels = graph.nodes[producer].type.channels();
  // First the same function for every class, strictly increasing at every integer (the float
  // values themselves, so no rounding can merge two scores); else real per-class offsets.
  bool monotone = domain->hi - domain->lo <= kMaxEnumerated;
  for (int step : chain) monotone = monotone && same_for_all_channels(graph.nodes[step], channels);
  float previous = 0.0F;
  for (std::int64_t x = domain->lo; x <= domain->hi && monotone; ++x) {
    float value = domain->real(x);
    for (int step : chain) value = apply(graph.nodes[step], value);
    if (x > domain->lo && !(value > previous)) monotone = false;
    previous = value;
  }
  const LabelSelectAttrs& select = graph.nodes[label].as<LabelSelectAttrs>();
  std::optional<LabelBias> offsets;
  if (!monotone && select.bias.empty() && select.shift == 0) {
    offsets = real_offsets(graph, chain, *domain);
  }
  if (!monotone && !offsets) return graph;

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
      if (offsets) {
        auto& a = copy.as<LabelSelectAttrs>();
        a.bias = offsets->bias;
        a.shift = offsets->shift;
      }
    }
    out.nodes.push_back(std::move(copy));
    index_map[i] = out.output();
  }
  infer_types(out);
  return out;
}

}  // namespace bnnc
