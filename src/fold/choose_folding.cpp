#include "fold/choose_folding.h"

#include <fmt/format.h>

#include <algorithm>
#include <limits>
#include <map>
#include <optional>
#include <string>

#include "core/divisors.h"
#include "fold/balance_latency.h"
#include "fold/choose_dense_orders.h"
#include "fold/estimate_timeline.h"
#include "fold/folding_file.h"

namespace bnnc {

namespace {

// Foldings of one MVTU without padding (padding only wastes cycles when searching), and at each
// PE and SIMD the variants `limits` allows (MMV 1, the output-stationary order).
std::vector<LayerFolding> candidates(const Block& b, const CycleLimits& limits) {
  std::vector<LayerFolding> result;
  const int channels = b.simd_channels();
  const MvtuVariants* v = limits.variants;
  for (int pe : divisors(b.mh)) {
    for (int simd : divisors(channels)) {
      result.push_back({b.name, pe, simd, 1, 0, 0});
      if (v && v->weight_reuse && b.can_reuse_weights()) {
        LayerFolding f{b.name, pe, simd, 1, 0, 0};
        f.weight_reuse = true;
        result.push_back(f);
      }
      if (v && v->early_exit && b.can_exit_early()) {
        LayerFolding f{b.name, pe, simd, 1, 0, 0};
        f.early_exit = true;
        result.push_back(f);
      }
      if (v && v->input_reuse && b.can_reuse_inputs()) {
        LayerFolding f{b.name, pe, simd, 1, 0, 0};
        f.input_reuse = true;
        result.push_back(f);
      }
      if (limits.allow_mmv && b.is_conv() && pe == b.mh && simd == channels) {
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

// Cost of the blocks of `blocks` after the first, or −1 when one of them exceeds its limit.
std::int64_t segment_cost(const std::vector<Block>& folded, const CycleLimits& limits) {
  std::int64_t cost = 0;
  for (std::size_t k = 1; k < folded.size(); ++k) {
    if (folded[k].cycles > limits.of(folded[k])) return -1;
    Resources r = estimate_block(folded[k], limits.device);
    r += estimate_input_fifo(folded[k], folded[k - 1]);
    // A URAM holds the bits of 8 BRAM18s.
    cost += r.luts + limits.luts_per_bram18 * (r.bram18 + 8 * r.urams);
  }
  return cost;
}

}  // namespace

bool is_vector_block(const Block& b) {
  return b.pixels_in() == 1 && b.pixels_out() == 1 && b.kind != BlockKind::Input;
}

Folding choose_folding_for_cycles(const DataflowGraph& graph, std::int64_t max_cycles) {
  return choose_folding_for_cycles(graph, max_cycles, nullptr);
}

std::int64_t expected_bottleneck(const DataflowGraph& folded, const MvtuVariants* variants) {
  std::int64_t bottleneck = 0;
  for (const Block& b : folded.blocks) {
    std::int64_t cycles = b.cycles;
    if (variants && (b.early_exit || b.weight_reuse || b.input_reuse)) {
      Block expected = b;
      if (variants->expect(expected)) cycles = expected.cycles;
    }
    bottleneck = std::max(bottleneck, cycles);
  }
  return bottleneck;
}

Folding choose_folding_for_cycles(const DataflowGraph& graph, std::int64_t max_cycles,
                                  const Device* device, const Budget& budget,
                                  const MvtuVariants* variants,
                                  std::optional<Folding>* with_variants) {
  const auto fits = [&](const Folding& f) {
    const Resources total = estimate_graph(apply_folding(graph, f), device).total;
    return !device_overflow(usage_of(total), *device) &&
           (budget.luts == 0 || total.luts <= budget.luts) &&
           (budget.bram18 == 0 || total.bram18 <= budget.bram18);
  };
  const auto search = [&](const MvtuVariants* allowed) {
    // MMV only when the target cannot be met without it (see CycleLimits::allow_mmv).
    const auto cheapest = [&](std::int64_t price) {
      try {
        return choose_folding_for_limits(
            graph, {max_cycles, max_cycles, price, false, device, 0, allowed});
      } catch (const Error&) {
        return choose_folding_for_limits(graph,
                                         {max_cycles, max_cycles, price, true, device, 0, allowed});
      }
    };
    const Folding folding = cheapest(kLutsPerBram18);
    if (!device || fits(folding)) return folding;
    for (std::int64_t price : {kLutsPerBram18 / 10, kLutsPerBram18 * 10}) {
      Folding other = cheapest(price);
      if (fits(other)) return other;
    }
    return folding;
  };
  const Folding plain = search(nullptr);
  if (!variants || (!variants->weight_reuse && !variants->early_exit && !variants->input_reuse)) {
    return plain;
  }
  Folding chosen;
  try {
    chosen = search(variants);
  } catch (const Error&) {
    return plain;
  }
  if (with_variants) *with_variants = chosen;
  // Keep the variants only where they pay, by the estimate: cheaper, no worse in frames/s per LUT
  // (bottleneck × LUTs at the expected cycles), within the limit and, for a part, fitting it.
  const auto score = [&](const Folding& f, std::int64_t* cost, std::int64_t* bottleneck) {
    const DataflowGraph folded = apply_folding(graph, f);
    const Resources r = estimate_graph(folded, device).total;
    *cost = r.luts + kLutsPerBram18 * (r.bram18 + 8 * r.urams);
    *bottleneck = expected_bottleneck(folded, variants);
    return static_cast<double>(*bottleneck) * static_cast<double>(r.luts);
  };
  std::int64_t plain_cost = 0, plain_cycles = 0, cost = 0, cycles = 0;
  const double plain_area_time = score(plain, &plain_cost, &plain_cycles);
  const double area_time = score(chosen, &cost, &cycles);
  const bool any = std::any_of(
      chosen.layers.begin(), chosen.layers.end(),
      [](const LayerFolding& f) { return f.weight_reuse || f.early_exit || f.input_reuse; });
  if (!any || cost >= plain_cost || area_time > plain_area_time || cycles > max_cycles ||
      (device && !fits(chosen))) {
    return plain;
  }
  return chosen;
}

Folding choose_folding_for_limits(const DataflowGraph& graph, const CycleLimits& limits) {
  const std::int64_t max_cycles = limits.stream;
  if (max_cycles < 1 || limits.vector < 1) {
    fail("the target needs fewer than 1 cycle per frame; lower the target fps");
  }
  const std::vector<int> mvtus = graph.mvtus();
  // Stage 0 chooses the input width; stage k ≥ 1 the folding of MVTU k − 1.
  const Block& input = graph.blocks[0];
  const int total = static_cast<int>(input.elements_out());
  std::vector<std::vector<LayerFolding>> options(mvtus.size() + 1);
  std::vector<int> input_widths;
  for (int d : divisors(total)) {
    if (total / d <= max_cycles && (d % input.ofm_c == 0 || input.ofm_c % d == 0) &&
        (limits.max_input_elems == 0 || d <= limits.max_input_elems)) {
      input_widths.push_back(d);
    }
  }
  if (input_widths.empty()) {
    fail("layer '{}': the input cannot stream {} elements in {} cycles{}", input.name, total,
         max_cycles,
         limits.max_input_elems > 0
             ? fmt::format(" at most {} elements a word", limits.max_input_elems)
             : std::string());
  }
  for (int d : input_widths) options[0].push_back({"", 0, 0, 1, 0, d});
  for (std::size_t k = 0; k < mvtus.size(); ++k)
    options[k + 1] = candidates(graph.blocks[mvtus[k]], limits);

  const auto folding_of_pair = [&](std::size_t stage, const LayerFolding& prev,
                                   const LayerFolding& cur) {
    Folding f;
    f.pool_words = limits.pool_words;
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
    // The previous stage's variants at one PE, SIMD and MMV fold this segment alike: only the
    // cheapest of them can be on the best path through this stage.
    std::vector<std::size_t> previous;
    for (std::size_t p = 0; p < options[stage - 1].size(); ++p) {
      if (steps[stage - 1][p].cost == std::numeric_limits<std::int64_t>::max()) continue;
      const LayerFolding& f = options[stage - 1][p];
      auto same = std::find_if(previous.begin(), previous.end(), [&](std::size_t q) {
        const LayerFolding& g = options[stage - 1][q];
        return g.pe == f.pe && g.simd == f.simd && g.mmv == f.mmv && g.cols == f.cols;
      });
      if (same == previous.end()) {
        previous.push_back(p);
      } else if (steps[stage - 1][p].cost < steps[stage - 1][*same].cost) {
        *same = p;
      }
    }
    for (std::size_t c = 0; c < options[stage].size(); ++c) {
      const LayerFolding& current = options[stage][c];
      const bool variant = current.weight_reuse || current.early_exit || current.input_reuse;
      std::optional<Block> expected;  // the variant block at its expected cycles
      for (std::size_t p : previous) {
        std::vector<Block> folded =
            fold_blocks(chain, folding_of_pair(stage, options[stage - 1][p], current));
        if (variant) {
          // fold_blocks may have put width converters before it: found by name.
          Block& mvtu = *std::find_if(folded.begin(), folded.end(), [&](const Block& b) {
            return b.kind == BlockKind::Mvtu && b.name == current.name;
          });
          if (!expected) {
            expected = mvtu;
            if (!limits.variants->expect(*expected)) break;
          }
          mvtu = *expected;
        }
        if (stage == 1 && folded[0].cycles > max_cycles) continue;
        const std::int64_t cost = segment_cost(folded, limits);
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
          b.name, limits.of(b), b.mh, b.mw, b.ofm_h, b.ofm_w);
    }
  }
  // Walk back from the cheapest final choice.
  const std::vector<Step>& last = steps.back();
  int choice = static_cast<int>(
      std::min_element(last.begin(), last.end(),
                       [](const Step& a, const Step& b) { return a.cost < b.cost; }) -
      last.begin());
  Folding folding;
  folding.pool_words = limits.pool_words;
  folding.layers.resize(mvtus.size());
  for (std::size_t stage = options.size() - 1; stage >= 1; --stage) {
    folding.layers[stage - 1] = options[stage][choice];
    choice = steps[stage][choice].from;
  }
  folding.input_elems = options[0][choice].cols;
  return folding;
}

namespace {

// The cheapest folding for the limits, or nothing when a layer cannot meet them.
std::optional<Folding> try_limits(const DataflowGraph& graph, const CycleLimits& limits) {
  try {
    return choose_folding_for_limits(graph, limits);
  } catch (const Error&) {
    return std::nullopt;  // below what full unfolding reaches
  }
}

// Stream limits tried: a geometric grid (ratio 9/8) from 1 to `slowest`.
std::vector<std::int64_t> limit_grid(std::int64_t slowest) {
  std::vector<std::int64_t> grid;
  for (std::int64_t c = 1; c < slowest; c = std::max(c + 1, c + c / 8)) grid.push_back(c);
  grid.push_back(slowest);
  return grid;
}

}  // namespace

int max_input_elems(const Block& input, int input_bits) {
  const bool pixels = input.pixels_out() > 1;
  // A vector input (one pixel) is cut into elements, an image into whole pixels.
  const int unit = pixels ? input.ofm_c : 1;
  const int unit_bits = unit * input.in_bits;
  if (input_bits > 0 && input_bits < unit_bits) {
    fail("input '{}': --input-bits {} is narrower than one {} of {} bits", input.name, input_bits,
         pixels ? "pixel" : "element", unit_bits);
  }
  const int bits = input_bits > 0 ? input_bits : kDefaultMaxInputBits;
  return std::max(1, bits / unit_bits) * unit;
}

Folding choose_folding_for_latency(const DataflowGraph& graph, const Budget& budget,
                                   const LatencyOf& latency_of, const Device* device) {
  // The input word: whole pixels up to the budget's width, which the cost model does not price.
  const int input_cap = max_input_elems(graph.blocks[0], budget.input_bits);
  // The estimates run on the blocks alone: copying the network's weights for each of the
  // thousands of candidates would cost more than estimating them.
  DataflowGraph shell;
  shell.blocks = graph.blocks;
  // The searches ask whether a folding fits and then what it costs, one after the other: the last
  // estimate is kept for the second question (folding_json names a folding whole).
  std::string last_estimated;
  Resources last_total;
  const auto total_of = [&](const Folding& folding) {
    std::string key = folding_json(folding);
    if (key != last_estimated) {
      last_total = estimate_graph(apply_folding(shell, folding), device).total;
      last_estimated = std::move(key);
    }
    return last_total;
  };
  const auto fits = [&](const Folding& folding) {
    const Resources total = total_of(folding);
    return (budget.luts == 0 || total.luts <= budget.luts) &&
           (budget.bram18 == 0 || total.bram18 <= budget.bram18) &&
           (budget.urams == 0 || total.urams <= budget.urams) &&
           (!device || !device_overflow(usage_of(total), *device));
  };
  const auto cost = [&](const Folding& folding) {
    const Resources r = total_of(folding);
    return r.luts + kLutsPerBram18 * (r.bram18 + 8 * r.urams);
  };
  const auto estimated = [&](const Folding& folding) {
    return estimate_timeline(apply_folding(shell, folding)).latency;
  };
  constexpr std::int64_t kUnmeasured = std::numeric_limits<std::int64_t>::max();
  // A folding is simulated once: the dense orders and the final comparison ask again for foldings
  // already measured (about 10 s a frame on ResNet-18).
  std::map<std::string, std::int64_t> measured_latency;
  const auto measured = [&](const Folding& folding) {
    if (!latency_of) return estimated(folding);
    std::string key = folding_json(folding);
    const auto it = measured_latency.find(key);
    if (it != measured_latency.end()) return it->second;
    const std::int64_t latency = latency_of(apply_folding(graph, folding)).value_or(kUnmeasured);
    measured_latency.emplace(std::move(key), latency);
    return latency;
  };
  // Steps 1–3 for one rule of the max-pools' words (Folding::pool_words): the best folding
  // found and its measured latency, and the one the trades reach.
  struct Candidates {
    Folding folding;
    std::int64_t latency = 0;
    std::optional<Folding> traded;
    std::int64_t traded_latency = 0;
  };
  const auto search = [&](PoolWords pool_words) {
    // Fitting is not monotone in the cycle limit: a slower design needs fewer LUTs but, with
    // deeper weight memories, may need more BRAM. So each limit is tried with three prices of a
    // BRAM18 in LUTs — cheap, the default, dear — which steer the memories between block RAM and
    // LUTRAM; the first folding that fits wins. MMV is a candidate once a convolution is fully
    // unfolded (the balancing below tries it at any PE and SIMD).
    const std::int64_t prices[] = {kLutsPerBram18 / 10, kLutsPerBram18, kLutsPerBram18 * 10};
    const auto fitting = [&](std::int64_t stream, std::int64_t vector) -> std::optional<Folding> {
      for (std::int64_t price : prices) {
        std::optional<Folding> candidate = try_limits(
            shell, {stream, vector, price, true, device, input_cap, nullptr, pool_words});
        if (candidate && fits(*candidate)) return candidate;
      }
      return std::nullopt;
    };
    // The slowest sensible folding: everything at PE = SIMD = 1.
    Folding unfolded;
    unfolded.pool_words = pool_words;
    const std::int64_t slowest = estimate_graph(apply_folding(shell, unfolded)).bottleneck_cycles;
    const std::vector<std::int64_t> grid = limit_grid(slowest);

    // 1. The smallest common bottleneck on the grid that fits, then refined down to the cycle
    // between it and the grid point below (binary search). Lowering the bottleneck evens the
    // layers out: each gets just enough parallelism to meet it (LP-BNN's load balancing).
    std::optional<Folding> best;
    std::size_t g = 0;
    for (; g < grid.size() && !best; ++g) best = fitting(grid[g], grid[g]);
    if (!best) {
      const Estimate e = estimate_graph(
          apply_folding(shell, choose_folding_for_cycles(shell, slowest, device, budget)), device);
      if (device) {
        if (const std::optional<std::string> overflow = device_overflow(usage_of(e.total), *device))
          fail("no folding fits: even the most folded design {}", *overflow);
      }
      fail(
          "budget: no folding fits: even the most folded design needs {} LUTs and {} BRAM18 "
          "(budget {} LUTs, {} BRAM18)",
          e.total.luts, e.total.bram18, budget.luts, budget.bram18);
    }
    std::int64_t lo = g >= 2 ? grid[g - 2] + 1 : 1, hi = grid[g - 1];
    while (lo < hi) {
      const std::int64_t mid = lo + (hi - lo) / 2;
      if (std::optional<Folding> candidate = fitting(mid, mid)) {
        best = std::move(candidate);
        hi = mid;
      } else {
        lo = mid + 1;
      }
    }
    const std::int64_t bottleneck = hi;
    std::vector<Folding> starts{*best};

    // 2. The vector phase (layers on one pixel: the fully-connected tail) does not overlap with
    // the rest — each such layer adds its whole time to the latency — while the streaming layers
    // overlap each other. So trade: relax the streaming limit step by step above the smallest
    // bottleneck, spend what that frees on the smallest vector limit that still fits (binary
    // search), and keep the folding with the lowest estimated latency. Past 4× the bottleneck the
    // streaming layers alone take longer than any saving.
    std::int64_t best_estimate = estimated(*best);
    for (std::int64_t stream = bottleneck; stream <= std::min(slowest, 4 * bottleneck);
         stream = std::max(stream + 1, stream + stream / 8)) {
      std::optional<Folding> found;
      std::int64_t vlo = 1, vhi = stream;
      while (vlo <= vhi) {
        const std::int64_t mid = vlo + (vhi - vlo) / 2;
        if (std::optional<Folding> candidate = fitting(stream, mid)) {
          found = std::move(candidate);
          vhi = mid - 1;
        } else {
          vlo = mid + 1;
        }
      }
      if (!found) continue;
      const std::int64_t found_estimate = estimated(*found);
      if (found_estimate < best_estimate) {
        best = std::move(found);
        best_estimate = found_estimate;
      }
    }
    starts.push_back(*best);

    // 3. Per layer (fold/balance_latency.h): from the balanced foldings above, and from common
    // limits above the smallest one (which leave resources for the layers where a cycle saved
    // shortens the frame), greedy moves of one layer at a time — MMV, PE, SIMD, the input width —
    // by estimated latency saved per resource.
    for (const std::int64_t stream : {bottleneck * 3 / 2, bottleneck * 2, bottleneck * 4}) {
      if (stream > slowest) break;
      if (std::optional<Folding> found = fitting(stream, stream)) starts.push_back(*found);
    }
    struct Ranked {
      Folding folding;
      std::int64_t estimate = 0;
    };
    std::vector<Ranked> ranked;
    for (const Folding& start : starts) {
      Folding balanced = balance_latency(shell, start, {fits, cost, input_cap});
      const std::int64_t e = estimated(balanced);
      ranked.push_back({std::move(balanced), e});
    }
    std::stable_sort(ranked.begin(), ranked.end(),
                     [](const Ranked& x, const Ranked& y) { return x.estimate < y.estimate; });
    // The estimate ranks; the simulator decides among the few best and the folding of step 2.
    constexpr std::size_t kMeasured = 3;
    std::int64_t best_latency = measured(*best);
    const auto keep_if_faster = [&](const Folding& f) {
      const std::int64_t latency = measured(f);
      if (latency < best_latency) {
        best_latency = latency;
        best = f;
      }
    };
    for (std::size_t i = 0; i < std::min(kMeasured, ranked.size()); ++i)
      keep_if_faster(ranked[i].folding);
    // From the best of them, trades too (one layer faster paid for by another slower; dearer:
    // up to 8 levels each way for every pair, so once): a second candidate, measured, which
    // step 4 treats as the first.
    std::optional<Folding> traded;
    std::int64_t traded_latency = kUnmeasured;
    if (!ranked.empty()) {
      traded = balance_latency(shell, ranked.front().folding, {fits, cost, input_cap, true});
      traded_latency = measured(*traded);
    }
    return Candidates{*best, best_latency, std::move(traded), traded_latency};
  };
  // Both rules, the lower measured latency kept (paced on a tie). The greedy moves are not
  // monotone in what a pool costs: on ResNet-18 with shortcuts the search with paced pools ends
  // at 22,424 cycles and with the producers' words at 19,226; without shortcuts 12,908 against
  // 15,142 (docs/latency-search.md, "Pools at their producer's pace").
  Candidates chosen = search(PoolWords::Paced);
  try {
    Candidates wide = search(PoolWords::Producer);
    if (wide.latency < chosen.latency) {
      chosen.folding = std::move(wide.folding);
      chosen.latency = wide.latency;
    }
    if (wide.traded && wide.traded_latency < chosen.traded_latency) {
      chosen.traded = std::move(wide.traded);
      chosen.traded_latency = wide.traded_latency;
    }
  } catch (const Error&) {
    // Nothing fits with the producers' words: the paced pools' folding stands.
  }
  // 4. Each dense layer's loop order, input- or output-stationary, and its folding for that order
  // (fold/choose_dense_orders.h): never slower than the folding found so far. For the folding
  // with trades and the one without, the lower measured latency kept (the one without on a tie):
  // the trades' better estimate need not survive the dense orders (LFC-W1A1 on the xc7z045: 148
  // cycles traded against 160, but 125 against 103 after this step).
  Folding result = choose_dense_orders(shell, chosen.folding, {fits, measured, cost});
  if (chosen.traded) {
    Folding other = choose_dense_orders(shell, *chosen.traded, {fits, measured, cost});
    if (measured(other) < measured(result)) result = std::move(other);
  }
  return result;
}

}  // namespace bnnc
