#include "passes/fold_residual_join.h"

#include <algorithm>

#include "ir/add_apply.h"
#include "passes/copy_node.h"
#include "passes/float_chain.h"
#include "passes/integer_domain.h"

namespace bnnc {

namespace {

// The maths, per output channel c (docs/residual.md has the long form).
//
// The float graph computes, for the long branch's integer a and the shortcut's integer r,
//     z(a, r) = C(A(real_a(a)) + V(real_v(r))),     out = sign(z)
// with A, V the float steps of each branch (a fused conv's ·|s_c| and + b_c, or a batchnorm),
// the add one float32 addition as ONNX's Add, and C the steps after it (usually none, or a
// Where's −u). Every step is monotone in its input and fl(p + q) is non-decreasing in p, so for
// each fixed r, z is monotone in a with the direction d = Π dir(A) · Π dir(C) — whatever V does
// with r. Hence, per r, out is a step in a, and the exact threshold is found by searching z
// itself (first_firing), float rounding and ties included, as for a single layer:
//   d > 0:   out = (a ≥ T[r])
//   d < 0:   the long branch's row c is negated when it can be (a' = N − a for a popcount, −a
//            otherwise) and T[r] is searched on a'; else the threshold carries negate[c]
//   d = 0:   the search gives T[r] = lo (always) or hi + 1 (never).
// The integer graph computes a + offsets[c][r] ≥ 0 with offsets[c][r] = −T[r]: exactly
// a ≥ T[r]. No monotonicity in r is needed — each r has its own threshold.
struct Branch {
  int producer = -1;
  std::vector<int> steps;  // from the producer to the add
};

Branch find_branch(const Graph& graph, int from) {
  Branch b;
  int n = from;
  std::vector<int> reversed;
  while (is_float_step(graph.nodes[n]) && graph.consumers(n).size() == 1) {
    reversed.push_back(n);
    n = graph.nodes[n].inputs[0];
  }
  b.producer = n;
  b.steps.assign(reversed.rbegin(), reversed.rend());
  return b;
}

// Shortcut values beyond this many per channel are refused (the table would not fit a LUT).
constexpr std::int64_t kMaxSpan = 4096;

}  // namespace

std::vector<std::int64_t> join_thresholds(
    std::int64_t a_lo, std::int64_t a_hi, std::int64_t v_lo, std::int64_t v_hi,
    const std::function<bool(std::int64_t a, std::int64_t v)>& fires) {
  std::vector<std::int64_t> t;
  for (std::int64_t v = v_lo; v <= v_hi; ++v) {
    t.push_back(first_firing(a_lo, a_hi, [&](std::int64_t a) { return fires(a, v); }));
  }
  return t;
}

Graph fold_residual_join(const Graph& graph, int add, const std::vector<int>& steps, int sign) {
  const Node& join = graph.nodes[add];
  const std::string& sign_name = graph.nodes[sign].name;
  if (graph.consumers(add).size() != 1) {
    fail(
        "layer '{}' (add): the residual sum is read by {} layers; only a sum that one sign "
        "binarizes is supported (not a real-valued shortcut stream)",
        join.name, graph.consumers(add).size());
  }
  Branch branches[2] = {find_branch(graph, join.inputs[0]), find_branch(graph, join.inputs[1])};
  std::optional<IntegerDomain> domains[2];
  for (int i = 0; i < 2; ++i) {
    const Node& p = graph.nodes[branches[i].producer];
    domains[i] = integer_domain(graph, branches[i].producer);
    if (!domains[i] || p.op() == Op::Add) {
      fail(
          "layer '{}' (add): input {} comes from '{}' ({}, {}), which does not hold integers "
          "with a fixed meaning; a residual add joins the outputs of binary layers or signs",
          join.name, i, p.name, op_name(p.op()), to_string(p.type.dtype));
    }
  }
  // The shortcut (in1) is the branch with fewer values; bits always are.
  const auto width = [&](int i) { return domains[i]->hi - domains[i]->lo; };
  const int v_index = width(0) < width(1) ? 0 : 1;
  const Branch& long_branch = branches[1 - v_index];
  const Branch& shortcut = branches[v_index];
  const IntegerDomain& da = *domains[1 - v_index];
  // The table covers every value of the shortcut's type (the verifier's rule, ir/op.h), also the
  // few a popcount's type holds beyond N: the float chain is defined there too.
  IntegerDomain dv = *domains[v_index];
  const auto [type_lo, type_hi] = value_range(graph.nodes[shortcut.producer].type.dtype);
  dv.lo = std::min(dv.lo, type_lo);
  dv.hi = std::max(dv.hi, type_hi);
  const Node& producer = graph.nodes[long_branch.producer];
  if (producer.type.dtype.is_bit()) {
    fail(
        "layer '{}' (add): both inputs are ±1 activations; bnnc joins an accumulator with a "
        "shortcut, not two signs",
        join.name);
  }
  const bool v_bits = graph.nodes[shortcut.producer].type.dtype.is_bit();
  const std::int64_t in1_min = add_operand_value(dv.lo, v_bits);
  const std::int64_t span = add_operand_value(dv.hi, v_bits) - in1_min + 1;
  if (span > kMaxSpan) {
    fail(
        "layer '{}' (add): the shortcut '{}' takes {} values per channel, more than the {} a "
        "residual join's table holds",
        join.name, graph.nodes[shortcut.producer].name, span, kMaxSpan);
  }
  const bool negatable = (producer.op() == Op::Dense || producer.op() == Op::Conv2d) &&
                         graph.consumers(long_branch.producer).size() == 1;
  const bool popcount = negatable && graph.nodes[producer.inputs[0]].type.dtype.is_bit() &&
                        !(producer.op() == Op::Conv2d && producer.as<Conv2dAttrs>().zero_padded());

  const int channels = join.type.channels();
  AddAttrs attrs;
  attrs.in1_min = in1_min;
  attrs.offsets.assign(static_cast<std::size_t>(channels * span), 0);
  ThresholdAttrs threshold;
  threshold.thresholds.assign(static_cast<std::size_t>(channels), 0);
  std::vector<std::uint8_t> negate(static_cast<std::size_t>(channels), 0);
  std::vector<std::uint8_t> negate_rows(static_cast<std::size_t>(channels), 0);
  const bool zero_gives_zero = graph.nodes[sign].as<SignAttrs>().zero_gives_zero;

  for (int c = 0; c < channels; ++c) {
    int direction = 1;
    for (int s : long_branch.steps) direction *= float_step_direction(graph.nodes[s], c);
    for (int s : steps) direction *= float_step_direction(graph.nodes[s], c);
    const auto z = [&](std::int64_t a, std::int64_t r) {
      float x = da.real(a), y = dv.real(r);
      for (int s : long_branch.steps) x = float_step_apply(graph.nodes[s], c, x);
      for (int s : shortcut.steps) y = float_step_apply(graph.nodes[s], c, y);
      float value = x + y;  // ONNX's Add, one float32 addition (commutative in IEEE)
      for (int s : steps) value = float_step_apply(graph.nodes[s], c, value);
      return value;
    };
    const std::int64_t n = popcount ? da.hi : 0;
    const auto flip = [&](std::int64_t a) { return popcount ? n - a : -a; };
    std::vector<std::int64_t> t;
    if (direction >= 0) {
      t = join_thresholds(da.lo, da.hi, dv.lo, dv.hi,
                          [&](std::int64_t a, std::int64_t r) { return sign_bit(z(a, r)); });
    } else if (negatable) {
      t = join_thresholds(flip(da.hi), flip(da.lo), dv.lo, dv.hi,
                          [&](std::int64_t a, std::int64_t r) { return sign_bit(z(flip(a), r)); });
      negate_rows[c] = 1;
    } else {
      t = join_thresholds(da.lo, da.hi, dv.lo, dv.hi,
                          [&](std::int64_t a, std::int64_t r) { return !sign_bit(z(a, r)); });
      negate[c] = 1;
    }
    for (std::int64_t r = dv.lo; r <= dv.hi; ++r) {
      const std::int64_t tr = t[static_cast<std::size_t>(r - dv.lo)];
      const std::int64_t index = add_operand_value(r, v_bits) - in1_min;
      attrs.offsets[static_cast<std::size_t>(c * span + index)] = -tr;
      // An ONNX Sign gives 0 where z = 0; z is monotone in a, so only the threshold's own a
      // (in the original units) can make it 0.
      if (zero_gives_zero) {
        std::int64_t a0 = tr;
        if (direction < 0 && negatable) {
          a0 = flip(tr);
        } else if (direction < 0) {
          a0 = tr - 1;
        } else if (direction == 0) {
          a0 = da.lo;
        }
        if (a0 >= da.lo && a0 <= da.hi && z(a0, r) == 0.0F) {
          fail(
              "layer '{}' (sign): channel {} is exactly 0 when '{}' yields {} and the shortcut "
              "'{}' is {}, and ONNX's Sign (torch.sign) gives 0 there, which a ±1 activation "
              "cannot hold; binarize with torch.where(x >= 0, 1., -1.) (or x > 0) instead",
              sign_name, c, producer.name, a0, graph.nodes[shortcut.producer].name,
              add_operand_value(r, v_bits));
        }
      }
    }
    // Unused entries (a bit's v1 = 0) repeat a used one, so the add's range stays tight.
    for (std::int64_t k = 1; k < span; ++k) {
      const std::int64_t v1 = in1_min + k;
      const bool used = v_bits ? (v1 == -1 || v1 == 1) : true;
      const auto at = static_cast<std::size_t>(c * span + k);
      if (!used) attrs.offsets[at] = attrs.offsets[at - 1];
    }
  }
  if (std::find(negate.begin(), negate.end(), 1) != negate.end()) threshold.negate = negate;

  // Rebuild: drop the float steps of both branches and after the add; the add joins the two
  // producers (long branch first) and the threshold takes the sign's place.
  std::vector<int> dropped = steps;
  dropped.insert(dropped.end(), branches[0].steps.begin(), branches[0].steps.end());
  dropped.insert(dropped.end(), branches[1].steps.begin(), branches[1].steps.end());
  Graph out;
  out.name = graph.name;
  out.classes = graph.classes;
  std::vector<int> index_map(graph.nodes.size(), -1);
  for (int i = 0; i < static_cast<int>(graph.nodes.size()); ++i) {
    const Node& node = graph.nodes[i];
    if (std::find(dropped.begin(), dropped.end(), i) != dropped.end()) continue;
    if (i == add) {
      index_map[i] = out.add(node.name, attrs,
                             {index_map[long_branch.producer], index_map[shortcut.producer]});
      continue;
    }
    if (i == sign) {
      index_map[i] = out.add(node.name, threshold, {index_map[add]});
      continue;
    }
    index_map[i] = copy_node(out, node, index_map,
                             i == long_branch.producer && negatable ? &negate_rows : nullptr);
  }
  return out;
}

}  // namespace bnnc
