#include "fold/balance_latency.h"

#include <algorithm>
#include <limits>
#include <map>
#include <optional>
#include <tuple>
#include <utility>
#include <vector>

#include "core/divisors.h"
#include "core/error.h"
#include "fold/choose_folding.h"
#include "fold/estimate_resources.h"
#include "fold/estimate_timeline.h"

namespace bnnc {

namespace {

// The MVTU's own LUTs + price · BRAM18 at a folding (its weights placed as Yosys would, without
// a part): at one cycle count PE · SIMD is fixed, but a PE's accumulator and comparator are paid
// once per PE, so the fewer, wider PEs cost less (CNV-W1A1's conv4 at 324 cycles on the xc7z045:
// PE 256 × SIMD 32, 18,544 LUTs; PE 64 × SIMD 128, 14,551).
std::int64_t mvtu_cost(Block b, const LayerFolding& f) {
  b.pe = f.pe, b.simd = f.simd, b.mmv = f.mmv;
  b.dense_order = f.dense_order;
  b.mh_padded = b.mh, b.mw_padded = b.mw;
  b.in_elems = f.simd * f.mmv, b.out_elems = f.pe * f.mmv;
  b.in_pixels = b.out_pixels = f.mmv;
  const Resources r = estimate_block(b);
  return r.luts + kLutsPerBram18 * (r.bram18 + 8 * r.urams);
}

}  // namespace

std::vector<std::pair<std::int64_t, LayerFolding>> cycle_levels(const Block& b,
                                                                const LayerFolding& current) {
  struct Pick {
    std::int64_t width;
    std::int64_t cost;
    LayerFolding folding;
  };
  std::map<std::int64_t, Pick> best, cheapest;
  const std::vector<int> mmvs = b.is_conv() ? divisors(b.ofm_w) : std::vector<int>{1};
  std::vector<int> simds = divisors(b.simd_channels());
  // A conv may also take several kernel taps a cycle: SIMD = t·C for t dividing K²
  // (docs/pixel-parallel.md, "SIMD over kernel taps"). An image's few channels need it for any
  // speed; a deep conv for the levels between its powers of two (CNV-W1A1's conv1, 64 × 64
  // channels at MMV 4: 1,764 cycles, then 1,008 at +75 % synapses without taps; with 3 taps
  // PE 64 × SIMD 192 at MMV 2 takes 1,176 at +50 %; docs/latency-search.md).
  if (b.is_conv()) {
    for (int t : divisors(b.kernel * b.kernel)) {
      if (t > 1) simds.push_back(t * b.simd_channels());
    }
  }
  for (int pe : divisors(b.mh)) {
    for (int simd : simds) {
      for (int mmv : mmvs) {
        const std::int64_t cycles =
            static_cast<std::int64_t>(b.mh / pe) * (b.mw / simd) * b.pixels_out() / mmv;
        const std::int64_t width = static_cast<std::int64_t>(pe) * simd * mmv;
        LayerFolding f{b.name, pe, simd, mmv, 0, 0, current.dense_order, false};
        const std::int64_t cost = mvtu_cost(b, f);
        const Pick pick{width, cost, f};
        const auto keep = [&](std::map<std::int64_t, Pick>& picks, auto key) {
          auto it = picks.find(cycles);
          if (it == picks.end()) {
            picks.emplace(cycles, pick);
          } else if (key(pick) < key(it->second)) {
            it->second = pick;
          }
        };
        keep(best, [](const Pick& p) {
          return std::tuple(p.width, p.folding.mmv, p.cost, p.folding.simd);
        });
        keep(cheapest, [](const Pick& p) {
          return std::tuple(p.cost, p.width, p.folding.mmv, p.folding.simd);
        });
      }
    }
  }
  std::vector<std::pair<std::int64_t, LayerFolding>> result;
  for (const auto& [cycles, pick] : best) {
    result.emplace_back(cycles, pick.folding);
    // A wider or more pixel-parallel folding that is cheaper (its weights in a narrower memory)
    // at the same cycles comes second: the cheapest under a cap. (VGG-16's 28×28 convs at 28,224
    // cycles: MMV 1 needs PE·SIMD = 65,536 weight bits a cycle, MMV 2 half of them.)
    const Pick& other = cheapest.at(cycles);
    if (other.cost < pick.cost) result.emplace_back(cycles, other.folding);
  }
  return result;
}

namespace {

std::int64_t cycles_of(const Block& b, const LayerFolding& f) {
  const std::int64_t rows = f.rows > 0 ? f.rows : b.mh;
  const std::int64_t cols = f.cols > 0 ? f.cols : b.mw;
  return (rows + f.pe - 1) / f.pe * ((cols + f.simd - 1) / f.simd) * b.pixels_out() / f.mmv;
}

}  // namespace

Folding balance_latency(const DataflowGraph& graph, Folding start, const BalanceSearch& search) {
  // Every MVTU named, in order, so a move replaces one entry.
  const Folding named = folding_of(apply_folding(graph, start));
  const std::vector<int> mvtus = graph.mvtus();
  BNNC_ASSERT(named.layers.size() == mvtus.size(), "{} foldings for {} MVTUs", named.layers.size(),
              mvtus.size());
  std::vector<std::vector<std::pair<std::int64_t, LayerFolding>>> levels;
  for (std::size_t i = 0; i < mvtus.size(); ++i)
    levels.push_back(cycle_levels(graph.blocks[mvtus[i]], named.layers[i]));
  // Input widths: whole pixels, or a divisor of one pixel's channels; at most the cap.
  const Block& input = graph.blocks[0];
  const auto total = static_cast<int>(input.elements_out());
  std::vector<int> input_widths;
  for (int d : divisors(total)) {
    if ((d % input.ofm_c == 0 || input.ofm_c % d == 0) &&
        (search.max_input_elems == 0 || d <= search.max_input_elems)) {
      input_widths.push_back(d);
    }
  }
  const auto input_width = [&](const Folding& f) {
    return f.input_elems > 0 ? f.input_elems : input.ofm_c;
  };

  struct Scored {
    std::int64_t latency = std::numeric_limits<std::int64_t>::max();
    std::int64_t cost = 0;
  };
  const auto score = [&](const Folding& f) -> std::optional<Scored> {
    try {
      if (!search.fits(f)) return std::nullopt;
      return Scored{estimate_timeline(apply_folding(graph, f)).latency, search.cost(f)};
    } catch (const Error&) {
      return std::nullopt;  // a combination the folding rules refuse
    }
  };
  const std::optional<Scored> first = score(named);
  if (!first) return named;

  constexpr int kLevelsTried = 4;  // per layer and move: the next few cycle levels down
  // Greedy descent from `folding` (which fits): the move with the most latency saved per
  // resource, until none fits or saves.
  const auto descend = [&](Folding from, Scored current) {
    Folding folding = std::move(from);
    for (;;) {
      std::vector<Folding> moves;
      std::int64_t slowest = total / input_width(folding);
      for (std::size_t i = 0; i < mvtus.size(); ++i) {
        const std::int64_t now = cycles_of(graph.blocks[mvtus[i]], folding.layers[i]);
        slowest = std::max(slowest, now);
        const auto& lv = levels[i];
        auto it = std::lower_bound(lv.begin(), lv.end(), now,
                                   [](const auto& l, std::int64_t c) { return l.first < c; });
        for (int n = 0; n < kLevelsTried && it != lv.begin(); ++n) {
          --it;
          Folding f = folding;
          f.layers[i] = it->second;
          moves.push_back(std::move(f));
        }
      }
      {
        auto it = std::upper_bound(input_widths.begin(), input_widths.end(), input_width(folding));
        for (int n = 0; n < 3 && it != input_widths.end(); ++n, ++it) {
          Folding f = folding;
          f.input_elems = *it;
          moves.push_back(std::move(f));
        }
      }
      // The slowest layers together under a lower cap, each at its cheapest level under it.
      for (const std::int64_t cap : {slowest * 7 / 8, slowest * 3 / 4, slowest / 2}) {
        Folding f = folding;
        bool possible = cap >= 1;
        for (std::size_t i = 0; i < mvtus.size() && possible; ++i) {
          if (cycles_of(graph.blocks[mvtus[i]], f.layers[i]) <= cap) continue;
          const auto& lv = levels[i];
          auto it = std::upper_bound(lv.begin(), lv.end(), cap,
                                     [](std::int64_t c, const auto& l) { return c < l.first; });
          if (it == lv.begin()) {
            possible = false;
          } else {
            f.layers[i] = std::prev(it)->second;
          }
        }
        if (total / input_width(f) > cap) {
          auto it = std::find_if(input_widths.begin(), input_widths.end(),
                                 [&](int d) { return total / d <= cap; });
          if (it == input_widths.end()) {
            possible = false;
          } else {
            f.input_elems = *it;
          }
        }
        if (possible) moves.push_back(std::move(f));
      }

      std::optional<Folding> chosen;
      Scored chosen_score;
      double chosen_ratio = 0;
      for (Folding& f : moves) {
        const std::optional<Scored> s = score(f);
        if (!s || s->latency >= current.latency) continue;
        const auto saved = static_cast<double>(current.latency - s->latency);
        const std::int64_t extra = s->cost - current.cost;
        // Faster and no dearer: always worth it; else the most saved per resource.
        const double ratio = extra <= 0 ? saved * 1e12 : saved / static_cast<double>(extra);
        if (!chosen || ratio > chosen_ratio) {
          chosen = std::move(f);
          chosen_score = *s;
          chosen_ratio = ratio;
        }
      }
      if (!chosen) return std::pair{folding, current};
      folding = std::move(*chosen);
      current = chosen_score;
    }
  };
  auto [best, best_score] = descend(named, *first);

  // Out of a local optimum: the greedy spends resources in the order of their ratio, which may
  // leave too little for a step that saves more overall. So slow one layer down by one or two
  // levels, descend again from there, and keep the result when it is faster; until no layer's
  // step helps (a bounded number of rounds).
  constexpr int kRounds = 8;
  for (int round = 0; round < kRounds; ++round) {
    bool improved = false;
    for (std::size_t i = 0; i < mvtus.size(); ++i) {
      const std::int64_t now = cycles_of(graph.blocks[mvtus[i]], best.layers[i]);
      const auto& lv = levels[i];
      auto it = std::upper_bound(lv.begin(), lv.end(), now,
                                 [](std::int64_t c, const auto& l) { return c < l.first; });
      for (int n = 0; n < 2 && it != lv.end(); ++n, ++it) {
        Folding f = best;
        f.layers[i] = it->second;
        const std::optional<Scored> s = score(f);
        if (!s) continue;
        auto [g, g_score] = descend(f, *s);
        if (g_score.latency < best_score.latency) {
          best = std::move(g);
          best_score = g_score;
          improved = true;
          break;
        }
      }
    }
    if (improved) continue;
    if (!search.trades) break;
    // A trade: a layer whose faster level would shorten the frame but does not fit, paid for by
    // another layer slower (up to 8 levels, at most twice its cycles), in one move. Neither half is
    // a greedy step: the faster level alone does not fit, and after the slowing alone the descent
    // spends what it freed on cheaper savings first, or buys the slowed layer back. (ResNet-18 with
    // shortcuts on the xcvu9p: its last conv at 3,528 cycles instead of 7,056, paid for by the FC
    // at SIMD 16: 15,405 → 14,875 simulated; docs/latency-search.md, "Trades".)
    constexpr int kTradeLevels = 8;  // down to 3,528 from 7,056 on ResNet-18's 7×7 convs
    for (std::size_t j = 0; j < mvtus.size() && !improved; ++j) {
      const std::int64_t now_j = cycles_of(graph.blocks[mvtus[j]], best.layers[j]);
      const auto& lj = levels[j];
      auto up = std::lower_bound(lj.begin(), lj.end(), now_j,
                                 [](const auto& l, std::int64_t c) { return l.first < c; });
      for (int n = 0; n < kTradeLevels && up != lj.begin() && !improved; ++n) {
        --up;
        Folding faster = best;
        faster.layers[j] = up->second;
        try {
          // Fitting, the descent would have taken it had it helped.
          if (search.fits(faster) ||
              estimate_timeline(apply_folding(graph, faster)).latency >= best_score.latency)
            continue;
        } catch (const Error&) {
          continue;  // a combination the folding rules refuse
        }
        std::optional<Folding> paid;
        Scored paid_score;
        for (std::size_t i = 0; i < mvtus.size(); ++i) {
          if (i == j) continue;
          const std::int64_t now_i = cycles_of(graph.blocks[mvtus[i]], best.layers[i]);
          const auto& li = levels[i];
          auto down = std::upper_bound(li.begin(), li.end(), now_i,
                                       [](std::int64_t c, const auto& l) { return c < l.first; });
          for (int m = 0; m < kTradeLevels && down != li.end() && down->first <= 2 * now_i;
               ++m, ++down) {
            Folding f = faster;
            f.layers[i] = down->second;
            const std::optional<Scored> s = score(f);
            if (s && s->latency < best_score.latency &&
                (!paid ||
                 std::tie(s->latency, s->cost) < std::tie(paid_score.latency, paid_score.cost))) {
              paid = std::move(f);
              paid_score = *s;
            }
          }
        }
        if (!paid) continue;
        auto [g, g_score] = descend(*paid, paid_score);
        best = std::move(g);
        best_score = g_score;
        improved = true;
      }
    }
    if (!improved) break;
  }
  return best;
}

}  // namespace bnnc
