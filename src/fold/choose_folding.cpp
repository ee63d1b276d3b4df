#include "fold/choose_folding.h"

#include <algorithm>
#include <limits>

namespace bnnc {

namespace {

std::vector<int> divisors(int n) {
  std::vector<int> result;
  for (int d = 1; d <= n; ++d) {
    if (n % d == 0) result.push_back(d);
  }
  return result;
}

std::int64_t cost_of(const Resources& r) { return r.luts + kLutsPerBram18 * r.bram18; }

bool is_conv(const Block& b) { return b.kernel > 1 || b.ofm_h * b.ofm_w > 1; }

// Foldings of one MVTU without padding (padding only wastes cycles when searching).
std::vector<LayerFolding> candidates(const Block& b) {
  std::vector<LayerFolding> result;
  const int channels = is_conv(b) ? b.mw / (b.kernel * b.kernel) : b.mw;
  for (int pe : divisors(b.mh)) {
    for (int simd : divisors(channels)) {
      result.push_back({b.name, pe, simd, 1, 0, 0});
      if (is_conv(b) && pe == b.mh && simd == channels) {
        for (int mmv : divisors(b.ofm_w)) {
          if (mmv > 1) result.push_back({b.name, pe, simd, mmv, 0, 0});
        }
      }
    }
  }
  return result;
}

// The chain [from, to] of blocks, relinked so that block k reads block k − 1.
std::vector<Block> segment(const DataflowGraph& graph, int from, int to) {
  std::vector<Block> blocks(graph.blocks.begin() + from, graph.blocks.begin() + to + 1);
  for (int k = 0; k < static_cast<int>(blocks.size()); ++k) {
    blocks[k].inputs = k == 0 ? std::vector<int>{} : std::vector<int>{k - 1};
  }
  return blocks;
}

struct Step {
  std::int64_t cost = std::numeric_limits<std::int64_t>::max();
  int from = -1;  // candidate of the previous stage
};

// Cost of the blocks of `blocks` after the first, and whether all meet max_cycles.
std::int64_t segment_cost(const std::vector<Block>& folded, std::int64_t max_cycles) {
  std::int64_t cost = 0;
  for (std::size_t k = 1; k < folded.size(); ++k) {
    if (folded[k].cycles > max_cycles) return -1;
    cost += cost_of(estimate_block(folded[k]));
  }
  return cost;
}

}  // namespace

Folding choose_folding_for_cycles(const DataflowGraph& graph, std::int64_t max_cycles) {
  if (max_cycles < 1) fail("the target needs fewer than 1 cycle per frame; lower the target fps");
  const std::vector<int> mvtus = graph.mvtus();
  // Stage 0 chooses the input width; stage k ≥ 1 the folding of MVTU k − 1.
  const Block& input = graph.blocks[0];
  const int total = input.ofm_h * input.ofm_w * input.ofm_c;
  std::vector<std::vector<LayerFolding>> options(mvtus.size() + 1);
  std::vector<int> input_widths;
  for (int d : divisors(total)) {
    if (total / d <= max_cycles && (d % input.ofm_c == 0 || input.ofm_c % d == 0)) {
      input_widths.push_back(d);
    }
  }
  if (input_widths.empty()) {
    fail("layer '{}': the input cannot stream {} elements in {} cycles", input.name, total,
         max_cycles);
  }
  for (int d : input_widths) options[0].push_back({"", 0, 0, 1, 0, d});
  for (std::size_t k = 0; k < mvtus.size(); ++k)
    options[k + 1] = candidates(graph.blocks[mvtus[k]]);

  const auto folding_of_pair = [&](std::size_t stage, const LayerFolding& prev,
                                   const LayerFolding& cur) {
    Folding f;
    if (stage == 1) {
      f.input_elems = prev.cols;  // stage 0 keeps the input width in `cols`
    } else {
      f.layers.push_back(prev);
    }
    f.layers.push_back(cur);
    return f;
  };

  std::vector<std::vector<Step>> steps(options.size());
  steps[0].assign(options[0].size(), Step{0, -1});
  for (std::size_t stage = 1; stage < options.size(); ++stage) {
    const int from_block = stage == 1 ? 0 : mvtus[stage - 2];
    const int to_block = mvtus[stage - 1];
    // The last stage also carries the blocks after the final MVTU (the label-select).
    const int end_block =
        stage + 1 == options.size() ? static_cast<int>(graph.blocks.size()) - 1 : to_block;
    const std::vector<Block> chain = segment(graph, from_block, end_block);
    steps[stage].assign(options[stage].size(), Step{});
    for (std::size_t c = 0; c < options[stage].size(); ++c) {
      for (std::size_t p = 0; p < options[stage - 1].size(); ++p) {
        if (steps[stage - 1][p].cost == std::numeric_limits<std::int64_t>::max()) continue;
        const std::vector<Block> folded =
            fold_blocks(chain, folding_of_pair(stage, options[stage - 1][p], options[stage][c]));
        if (stage == 1 && folded[0].cycles > max_cycles) continue;
        const std::int64_t cost = segment_cost(folded, max_cycles);
        if (cost < 0) continue;
        const std::int64_t total_cost = steps[stage - 1][p].cost + cost;
        if (total_cost < steps[stage][c].cost) steps[stage][c] = {total_cost, static_cast<int>(p)};
      }
    }
    const bool any = std::any_of(steps[stage].begin(), steps[stage].end(), [](const Step& s) {
      return s.cost != std::numeric_limits<std::int64_t>::max();
    });
    if (!any) {
      const Block& b = graph.blocks[to_block];
      fail(
          "layer '{}': cannot meet {} cycles per frame even fully unfolded (MH {}, MW {}, "
          "{}×{} output pixels)",
          b.name, max_cycles, b.mh, b.mw, b.ofm_h, b.ofm_w);
    }
  }
  // Walk back from the cheapest final choice.
  const std::vector<Step>& last = steps.back();
  int choice = static_cast<int>(
      std::min_element(last.begin(), last.end(),
                       [](const Step& a, const Step& b) { return a.cost < b.cost; }) -
      last.begin());
  Folding folding;
  folding.layers.resize(mvtus.size());
  for (std::size_t stage = options.size() - 1; stage >= 1; --stage) {
    folding.layers[stage - 1] = options[stage][choice];
    choice = steps[stage][choice].from;
  }
  folding.input_elems = options[0][choice].cols;
  return folding;
}

Folding choose_folding_for_latency(const DataflowGraph& graph, const Budget& budget) {
  const auto fits = [&](const Folding& folding) {
    const Estimate e = estimate_graph(apply_folding(graph, folding));
    return (budget.luts == 0 || e.total.luts <= budget.luts) &&
           (budget.bram18 == 0 || e.total.bram18 <= budget.bram18);
  };
  // The slowest sensible folding: everything at PE = SIMD = 1.
  std::int64_t hi = estimate_graph(apply_folding(graph, Folding{})).bottleneck_cycles;
  Folding best = choose_folding_for_cycles(graph, hi);
  if (!fits(best)) {
    const Estimate e = estimate_graph(apply_folding(graph, best));
    fail(
        "budget: even the most folded design needs {} LUTs and {} BRAM18 (budget {} LUTs, {} "
        "BRAM18)",
        e.total.luts, e.total.bram18, budget.luts, budget.bram18);
  }
  std::int64_t lo = 1;
  while (lo < hi) {
    const std::int64_t mid = lo + (hi - lo) / 2;
    try {
      Folding candidate = choose_folding_for_cycles(graph, mid);
      if (fits(candidate)) {
        best = std::move(candidate);
        hi = mid;
        continue;
      }
    } catch (const Error&) {
      // mid is below what full unfolding reaches
    }
    lo = mid + 1;
  }
  return best;
}

}  // namespace bnnc
