#include "passes/fold_sign_into_threshold.h"

#include <algorithm>

#include "ir/infer_types.h"
#include "passes/copy_node.h"
#include "passes/float_chain.h"
#include "passes/fold_residual_join.h"
#include "passes/integer_domain.h"

namespace bnnc {

namespace {

// The maths, per output channel c.
//
// Let x be the producer's integer output and g(x) = sign(f(real(x))), f the chain's batchnorms
// and affines in float exactly as the float reference computes them (batchnorm_apply,
// affine_apply). Each is monotone in its input, a batchnorm with the direction of its scale
// α = γ/√(var+ε), an affine with that of its constant (float rounding is monotone too), so g is
// a step function of x:
//   - chain direction d = Π sign(α) > 0: g non-decreasing, g(x) = (x ≥ T) with T the smallest x
//     where g(x) = +1. With the textbook formula T = ⌈(N + τ)/2⌉, τ = μ − βσ/γ, float rounding
//     could misplace a tie by one; searching g itself cannot.
//   - d < 0: g non-increasing. Negate the producer's weight row c so that its output becomes
//     x' = N − x (popcount: every match becomes a mismatch, border padding included) or x' = −x
//     (fixed-point accumulator); g(flip(x')) is non-decreasing in x' and the hardware keeps
//     doing "≥". Where the row cannot be negated (the producer is not a binary-weight layer, or
//     feeds other layers too) the threshold carries negate[c] instead: bit = NOT(x ≥ T).
//   - d = 0 (γ = 0): g is constant; the search gives T = lo (always +1) or hi + 1 (never).
//
// A zero-padded convolution on bits (ir/op.h, PadMode::Zero) yields y = Σ ±1 over the valid
// synapses of each window, and the float reference computes that same y (its border holds 0.0,
// adding ±0). So x = y, real(y) = y, and g is one step function of y at every position: the
// threshold found on [−N, N] is exact everywhere although a border window has |V| < N synapses
// and y ≡ |V| (mod 2) takes every other integer only — the search decides g at every integer,
// attainable or not, and ties (BN(y) exactly 0) fall where the float chain puts them. Negating
// row c negates each valid product, so x' = −y (not N − y: a padded synapse has nothing to flip).
// The per-position correction that a pad-bit-0 popcount needs to give y is the CPU engine's
// business (runtime/zero_pad_correction.h), not the IR's.
//
// A max-pool inside the chain moves after the threshold. The float graph takes the max of h(x)
// (h = the part of the chain before the pool); since h is monotone, max h(x) = h(max x) when h is
// non-decreasing and h(min x) otherwise. Then g(max x) = OR of the bits when g is
// non-decreasing and AND when it is non-increasing; g(min x) swaps the two. So channel c pools
// with AND (min on bits) exactly when (g non-decreasing) == (h decreasing) — the case DESIGN.md
// §2 warns about (pool before a batchnorm with γ < 0) — and with OR otherwise.

struct Chain {
  int producer = -1;
  int pool = -1;                // index of the max-pool inside the chain, or -1
  std::vector<int> batchnorms;  // batchnorms and affines, in order from producer to sign
  std::vector<int> members;     // every node between producer and sign
  int pool_position = 0;        // how many batchnorms come before the pool
};

Chain find_chain(const Graph& graph, int sign) {
  Chain chain;
  int n = graph.nodes[sign].inputs[0];
  std::vector<int> reversed;
  while (graph.consumers(n).size() == 1) {
    const Node& node = graph.nodes[n];
    const bool pool = node.op() == Op::MaxPool && chain.pool < 0 &&
                      node.as<MaxPoolAttrs>().min_channels.empty() && !node.type.dtype.is_bit();
    if (!is_float_step(node) && !pool) break;
    if (pool) chain.pool = n;
    reversed.push_back(n);
    n = node.inputs[0];
  }
  chain.producer = n;
  chain.members.assign(reversed.rbegin(), reversed.rend());
  for (int member : chain.members) {
    if (member == chain.pool) chain.pool_position = static_cast<int>(chain.batchnorms.size());
    if (is_float_step(graph.nodes[member])) chain.batchnorms.push_back(member);
  }
  return chain;
}

Graph fold_one(const Graph& graph, int sign) {
  const Chain chain = find_chain(graph, sign);
  const Node& producer = graph.nodes[chain.producer];
  if (producer.op() == Op::Add && producer.type.dtype.is_float()) {
    if (chain.pool >= 0) {
      fail(
          "layer '{}' (sign): a max-pool between the residual add '{}' and the sign is not "
          "supported",
          graph.nodes[sign].name, producer.name);
    }
    return fold_residual_join(graph, chain.producer, chain.batchnorms, sign);
  }
  const std::optional<IntegerDomain> domain = integer_domain(graph, chain.producer);
  if (!domain) {
    fail(
        "layer '{}' (sign): cannot become a threshold: its input '{}' ({}, {}) does not hold "
        "integers with a fixed meaning{}",
        graph.nodes[sign].name, producer.name, op_name(producer.op()),
        to_string(producer.type.dtype),
        is_float_step(producer) ? " (a float step that feeds several layers)" : "");
  }
  const bool negatable = (producer.op() == Op::Dense || producer.op() == Op::Conv2d) &&
                         graph.consumers(chain.producer).size() == 1;
  // A popcount (bits in, no zero padding) negates to N − x; accumulators and the signed y of a
  // zero-padded conv negate to −x.
  const bool popcount = negatable && graph.nodes[producer.inputs[0]].type.dtype.is_bit() &&
                        !(producer.op() == Op::Conv2d && producer.as<Conv2dAttrs>().zero_padded());

  const int channels = graph.nodes[sign].type.channels();
  ThresholdAttrs threshold;
  threshold.thresholds.resize(static_cast<std::size_t>(channels));
  std::vector<std::uint8_t> negate(static_cast<std::size_t>(channels), 0);
  std::vector<std::uint8_t> negate_rows(static_cast<std::size_t>(channels), 0);
  std::vector<std::uint8_t> pool_min(static_cast<std::size_t>(channels), 0);

  for (int c = 0; c < channels; ++c) {
    int chain_direction = 1, before_pool = 1;
    for (std::size_t k = 0; k < chain.batchnorms.size(); ++k) {
      const int d = float_step_direction(graph.nodes[chain.batchnorms[k]], c);
      chain_direction *= d;
      if (static_cast<int>(k) < chain.pool_position) before_pool *= d;
    }
    const auto f = [&](std::int64_t x) {
      float value = domain->real(x);
      for (int step : chain.batchnorms) value = float_step_apply(graph.nodes[step], c, value);
      return value;
    };
    const auto g = [&](std::int64_t x) { return sign_bit(f(x)); };
    std::int64_t t = 0;
    if (chain_direction >= 0) {
      t = first_firing(domain->lo, domain->hi, g);
    } else if (negatable) {
      // flip(x') maps the negated row's output back to the original x.
      const std::int64_t n = popcount ? domain->hi : 0;
      const auto flip = [&](std::int64_t x) { return popcount ? n - x : -x; };
      t = first_firing(flip(domain->hi), flip(domain->lo),
                       [&](std::int64_t x) { return g(flip(x)); });
      negate_rows[c] = 1;
    } else {
      t = first_firing(domain->lo, domain->hi, [&](std::int64_t x) { return !g(x); });
      negate[c] = 1;
    }
    threshold.thresholds[c] = t;
    // An ONNX Sign gives 0 where f(x) = 0. f is monotone, so such an x is the last or the first
    // one where g fires: x0 below, in the producer's original units.
    if (graph.nodes[sign].as<SignAttrs>().zero_gives_zero) {
      std::int64_t x0 = t;  // non-decreasing: the first x that fires
      if (chain_direction < 0 && negatable) {
        x0 = popcount ? domain->hi - t : -t;  // the last original x that fires
      } else if (chain_direction < 0) {
        x0 = t - 1;
      } else if (chain_direction == 0) {
        x0 = domain->lo;
      }
      if (x0 >= domain->lo && x0 <= domain->hi && f(x0) == 0.0F) {
        fail(
            "layer '{}' (sign): channel {} is exactly 0 when '{}' yields {}, and ONNX's Sign "
            "(torch.sign) gives 0 there, which a ±1 activation cannot hold; binarize with "
            "torch.where(x >= 0, 1., -1.) (or x > 0) instead",
            graph.nodes[sign].name, c, producer.name, x0);
      }
    }
    pool_min[c] = static_cast<std::uint8_t>((chain_direction >= 0) == (before_pool < 0));
  }
  if (std::find(negate.begin(), negate.end(), 1) != negate.end()) threshold.negate = negate;

  Graph out;
  out.name = graph.name;
  out.classes = graph.classes;
  std::vector<int> index_map(graph.nodes.size(), -1);
  for (int i = 0; i < static_cast<int>(graph.nodes.size()); ++i) {
    const Node& node = graph.nodes[i];
    if (std::find(chain.members.begin(), chain.members.end(), i) != chain.members.end()) continue;
    if (i == sign) {
      // The node that yields what the sign yielded keeps the sign's name.
      if (chain.pool < 0) {
        index_map[i] = out.add(node.name, threshold, {index_map[chain.producer]});
        continue;
      }
      const int thresholded =
          out.add(node.name + ".threshold", threshold, {index_map[chain.producer]});
      MaxPoolAttrs pool = graph.nodes[chain.pool].as<MaxPoolAttrs>();
      if (std::find(pool_min.begin(), pool_min.end(), 1) != pool_min.end()) {
        pool.min_channels = pool_min;
      }
      const int last = out.add(node.name, pool, {thresholded});
      index_map[i] = last;
      continue;
    }
    index_map[i] =
        copy_node(out, node, index_map, i == chain.producer && negatable ? &negate_rows : nullptr);
  }
  return out;
}

}  // namespace

Graph fold_sign_into_threshold(const Graph& graph) {
  Graph current = graph;
  infer_types(current);
  while (true) {
    int sign = -1;
    for (int i = 0; i < static_cast<int>(current.nodes.size()); ++i) {
      if (current.nodes[i].op() == Op::Sign) {
        sign = i;
        break;
      }
    }
    if (sign < 0) return current;
    current = fold_one(current, sign);
    infer_types(current);
  }
}

}  // namespace bnnc
