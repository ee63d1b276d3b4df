#include "fold/choose_dense_orders.h"

#include <algorithm>
#include <limits>
#include <optional>
#include <vector>

#include "core/divisors.h"
#include "fold/estimate_timeline.h"

namespace bnnc {

namespace {

struct Candidate {
  Folding folding;
  std::int64_t estimate = 0;  // estimated latency
  std::int64_t cost = 0;
};

// One dense layer (`layer` of folding.layers): the candidates worth measuring.
std::vector<Candidate> shortlist(const DataflowGraph& graph, const Folding& folding,
                                 std::size_t layer, const Block& b,
                                 const DenseOrderSearch& search) {
  std::vector<Candidate> per_order[2];
  for (const DenseOrder order : {DenseOrder::Output, DenseOrder::Input}) {
    for (int pe : divisors(b.mh)) {
      for (int simd : divisors(b.mw)) {
        Folding f = folding;
        f.layers[layer] = {b.name, pe, simd, 1, 0, 0, order};
        if (!search.fits(f)) continue;
        per_order[order == DenseOrder::Input].push_back(
            {f, estimate_timeline(apply_folding(graph, f)).latency, search.cost(f)});
      }
    }
  }
  std::vector<Candidate> picked;
  for (std::vector<Candidate>& all : per_order) {
    if (all.empty()) continue;
    std::sort(all.begin(), all.end(), [](const Candidate& x, const Candidate& y) {
      return std::tie(x.estimate, x.cost) < std::tie(y.estimate, y.cost);
    });
    picked.push_back(all.front());
    // The cheapest within 1 % (and a few cycles) of the best estimate: the estimate is not exact,
    // and a much cheaper folding that is as fast when measured is the better one.
    const std::int64_t slack = all.front().estimate + all.front().estimate / 100 + 4;
    const auto cheapest =
        std::min_element(all.begin(), all.end(), [&](const Candidate& x, const Candidate& y) {
          const bool x_in = x.estimate <= slack, y_in = y.estimate <= slack;
          if (x_in != y_in) return x_in;
          return x.cost < y.cost;
        });
    if (cheapest != all.begin()) picked.push_back(*cheapest);
  }
  return picked;
}

}  // namespace

Folding choose_dense_orders(const DataflowGraph& graph, Folding folding,
                            const DenseOrderSearch& search) {
  const std::int64_t start_latency = search.latency(folding);
  std::int64_t best_latency = start_latency;
  std::int64_t best_cost = search.cost(folding);
  // Latencies within 0.5 % count as equal, and then the cheaper design wins: a few cycles of a
  // long frame are not worth a layer unfolded by hundreds of thousands of LUTs. Never slower than
  // the start, though.
  const std::int64_t tolerance = start_latency / 200;
  for (int sweep = 0; sweep < 2; ++sweep) {
    bool changed = false;
    for (std::size_t layer = 0; layer < folding.layers.size(); ++layer) {
      const int index = graph.find(folding.layers[layer].name);
      if (index < 0) continue;
      const Block& b = graph.blocks[static_cast<std::size_t>(index)];
      if (b.kind != BlockKind::Mvtu || b.is_conv()) continue;
      for (Candidate& c : shortlist(graph, folding, layer, b, search)) {
        const std::int64_t latency = search.latency(c.folding);
        if (latency > start_latency) continue;
        const bool faster = latency < best_latency - tolerance;
        const bool as_fast = latency <= best_latency + tolerance;
        if (faster || (as_fast && c.cost < best_cost)) {
          folding = std::move(c.folding);
          best_latency = latency;
          best_cost = c.cost;
          changed = true;
        }
      }
    }
    if (!changed) break;
  }
  return folding;
}

}  // namespace bnnc
