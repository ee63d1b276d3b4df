#include "design/compile_design.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <string>

#include "core/error.h"
#include "core/text_format.h"
#include "fold/choose_input_reuse.h"
#include "fold/folding_file.h"
#include "fold/lower_to_dataflow.h"
#include "passes/fuse_pool_into_dense.h"
#include "rtl/emit_rtl.h"
#include "sim/measure_timeline.h"

namespace bnnc {

namespace {

// The cycles per frame --target-fps allows.
std::int64_t max_cycles_of(const FoldingRequest& request) {
  // Both are finite and positive (the CLI checks its flags), so the quotient is too; a cycle
  // count past any folding's reach is capped before the cast (below 1, the search says so).
  const double cycles = std::floor(request.clock_mhz * 1e6 / request.target_fps);
  return cycles >= 1e18 ? std::int64_t{1'000'000'000'000'000'000}
                        : static_cast<std::int64_t>(cycles);
}

Folding choose_folding(const DataflowGraph& lowered, const FoldingRequest& request) {
  const int ways = (request.folding ? 1 : 0) + (request.folding_file.empty() ? 0 : 1) +
                   (request.target_fps > 0 ? 1 : 0) + (request.latency_budget ? 1 : 0);
  BNNC_ASSERT(ways == 1, "a folding request names {} ways to fold, not one", ways);
  BNNC_ASSERT(request.clock_mhz > 0, "clock {} MHz", request.clock_mhz);
  BNNC_ASSERT(request.input_bits == 0 || !request.latency_budget,
              "the latency search takes its input width cap in the budget, not input_bits");
  if (request.folding) return *request.folding;
  if (!request.folding_file.empty()) return read_folding_file(request.folding_file, lowered);
  if (request.target_fps > 0) {
    return choose_folding_for_cycles(lowered, max_cycles_of(request), request.device,
                                     request.device_budget);
  }
  // Each candidate's latency is measured on one simulated frame (milliseconds for CNV).
  return choose_folding_for_latency(
      lowered, *request.latency_budget,
      [](const DataflowGraph& candidate) {
        const std::optional<Timeline> t = measure_frame_timeline(candidate);
        return t ? std::optional<std::int64_t>(t->latency) : std::nullopt;
      },
      request.device);
}

// --early-exit on switches it on for every layer that can take it; off leaves the folding's own
// choice (a folding file may name it per layer).
Folding with_early_exit(const DataflowGraph& lowered, Folding folding, bool early_exit) {
  if (!early_exit) return folding;
  for (int i : lowered.mvtus()) {
    const Block& b = lowered.blocks[static_cast<std::size_t>(i)];
    if (!b.can_exit_early()) continue;
    auto it = std::find_if(folding.layers.begin(), folding.layers.end(),
                           [&](const LayerFolding& f) { return f.name == b.name; });
    if (it == folding.layers.end())
      it = folding.layers.insert(folding.layers.end(), LayerFolding{b.name});
    if (it->mmv == 1 && it->dense_order == DenseOrder::Output) it->early_exit = true;
  }
  return folding;
}

// The latency objective with calibration images: from the latency search's folding, the variants
// asked for (weight and input reuse with --reuse auto, early exit with --early-exit on) on the
// layers the calibration measured faster (at this folding: the calibration's reference, so the
// measured means are exact there), one layer and variant at a time, most cycles saved first, each
// kept only when the estimated latency falls and the design still fits the budget (and the part).
// A layer several variants make faster gets the one that saves most first; another replaces it
// only if the latency falls further. The estimated latency is the analytic timeline with every
// input-reuse and early-exit layer at its expected cycles (design/calibrate_variants.h; the
// timeline itself counts those units' worst case: every window in full, no output decided early).
Folding with_variants_for_latency(const DataflowGraph& lowered, Folding folding,
                                  const Calibration& calibration, const Budget& budget,
                                  const Device* device, bool early_exit, bool reuse) {
  const auto fits = [&](const Estimate& e) {
    return (budget.luts == 0 || e.total.luts <= budget.luts) &&
           (budget.bram18 == 0 || e.total.bram18 <= budget.bram18) &&
           (budget.urams == 0 || e.total.urams <= budget.urams) &&
           (!device || !device_overflow(usage_of(e.total), *device));
  };
  const MvtuVariants variants = variants_from(lowered, calibration, early_exit, reuse, reuse);
  const auto latency_of = [&](const DataflowGraph& folded) {
    DataflowGraph shell;  // the blocks alone: the timeline does not read the weights
    shell.blocks = folded.blocks;
    for (Block& b : shell.blocks) {
      Block expected = b;
      if ((b.input_reuse || b.early_exit) && variants.expect(expected)) b.cycles = expected.cycles;
    }
    return estimate_timeline(shell).latency;
  };
  enum class Variant { Weight, Input, Exit };
  struct Candidate {
    const LayerCalibration* layer;
    Variant variant;
    double saved;
  };
  std::vector<Candidate> faster;
  for (const LayerCalibration& l : calibration.layers) {
    if (reuse && l.weight_reuse >= 0 && l.weight_reuse < l.plain)
      faster.push_back({&l, Variant::Weight, l.plain - l.weight_reuse});
    if (reuse && l.input_reuse >= 0 && l.input_reuse < l.plain)
      faster.push_back({&l, Variant::Input, l.plain - l.input_reuse});
    if (early_exit && l.early_exit >= 0 && l.early_exit < l.plain)
      faster.push_back({&l, Variant::Exit, l.plain - l.early_exit});
  }
  std::stable_sort(faster.begin(), faster.end(),
                   [](const Candidate& a, const Candidate& b) { return a.saved > b.saved; });
  std::int64_t latency = latency_of(apply_folding(lowered, folding));
  for (const Candidate& c : faster) {
    Folding trial = folding;
    auto it = std::find_if(trial.layers.begin(), trial.layers.end(),
                           [&](const LayerFolding& f) { return f.name == c.layer->name; });
    if (it == trial.layers.end() || it->mmv != 1 ||
        (c.variant != Variant::Input && it->dense_order != DenseOrder::Output)) {
      continue;
    }
    it->weight_reuse = c.variant == Variant::Weight;
    it->input_reuse = c.variant == Variant::Input;
    it->early_exit = c.variant == Variant::Exit;
    const DataflowGraph folded = apply_folding(lowered, trial);
    const std::int64_t trial_latency = latency_of(folded);
    if (trial_latency < latency && fits(estimate_graph(folded, device))) {
      folding = std::move(trial);
      latency = trial_latency;
    }
  }
  return folding;
}

// --reuse auto with calibration images: input reuse where it pays, as fold/choose_weight_reuse.h
// chooses weight reuse. The candidates are the layers without early exit whose expected cycles
// with input reuse (design/calibrate_variants.h: from the measured mean c at this SIMD) are below
// what they have now (the plain unit's, or the weight-reuse schedule the step before chose, which
// input reuse then replaces), taken slowest layer first; the first k for the k with the best
// expected bottleneck × estimated LUTs, and none unless that design is expected faster than the
// one without and no less area-efficient. Without calibration images input reuse is not
// considered: its cycles depend on the data.
Folding with_input_reuse_auto(const DataflowGraph& lowered, Folding folding,
                              const Calibration& calibration, const Device* device) {
  const MvtuVariants variants = variants_from(lowered, calibration, true, true, true);
  const auto expected = [&](Block b) {  // a block's expected cycles (expect leaves a variant
    if (b.early_exit || b.weight_reuse || b.input_reuse) variants.expect(b);  // that does not pay)
    return b.cycles;
  };
  const auto score = [&](const Folding& f, std::int64_t* cycles) {
    const DataflowGraph folded = apply_folding(lowered, f);
    *cycles = expected_bottleneck(folded, &variants);
    return static_cast<double>(*cycles) *
           static_cast<double>(estimate_graph(folded, device).total.luts);
  };
  Folding cleared = folding;
  for (LayerFolding& f : cleared.layers) f.weight_reuse = false;
  const DataflowGraph all = apply_folding(lowered, with_input_reuse(lowered, cleared));
  const DataflowGraph now = apply_folding(lowered, folding);
  std::vector<std::pair<std::int64_t, std::string>> faster;  // cycles now, layer
  for (int i : all.mvtus()) {
    const Block& b = all.blocks[static_cast<std::size_t>(i)];
    if (!b.input_reuse) continue;
    const std::int64_t current = expected(now.blocks[static_cast<std::size_t>(now.find(b.name))]);
    Block reuse = b;
    if (variants.expect(reuse) && reuse.cycles < current) faster.emplace_back(current, b.name);
  }
  std::stable_sort(faster.begin(), faster.end(),
                   [](const auto& a, const auto& b) { return a.first > b.first; });
  std::int64_t now_cycles = 0;
  const double now_score = score(folding, &now_cycles);
  Folding best = folding, trial = folding;
  double best_score = now_score;
  std::int64_t best_cycles = now_cycles;
  for (const auto& [cycles_now, name] : faster) {
    for (LayerFolding& f : trial.layers) {
      if (f.name == name) f.input_reuse = true, f.weight_reuse = false;
    }
    std::int64_t cycles = 0;
    const double s = score(trial, &cycles);
    if (s < best_score || (s == best_score && cycles < best_cycles)) {
      best = trial, best_score = s, best_cycles = cycles;
    }
  }
  return best_cycles < now_cycles && best_score <= now_score ? best : folding;
}

// What the refusal of a design that does not fit the part names as its origin.
std::string request_name(const FoldingRequest& request) {
  if (!request.folding_file.empty()) return fmt::format("--folding {}", request.folding_file);
  if (request.target_fps > 0) return fmt::format("--target-fps {}", request.target_fps);
  if (request.latency_budget) return "--objective latency";
  return "the folding";
}

Design compile_one(const Graph& graph, const FoldingRequest& request, FrameTiming timing) {
  Design d;
  d.clock_mhz = request.clock_mhz;
  d.device = request.device;
  d.graph = graph;
  // 1. Lower to streaming blocks: folding is chosen per block, so the blocks come first.
  const DataflowGraph lowered = lower_to_dataflow(graph);
  // 2. Fold: pe/simd per block, from the file or a search whose cost model needs the blocks'
  //    shapes; the latency search already runs the cycle simulator on each candidate.
  // 3. Apply it: the block cycles everything below depends on.
  Folding folding = choose_folding(lowered, request);
  // With calibration images: the variants' means measured at that folding and, for a target
  // frame rate, the search again with the variants at those means (design/calibrate_variants.h);
  // for the latency objective with --reuse auto or --early-exit on, those variants where they
  // shorten the estimated latency within the budget. A folding file keeps the switches' meaning
  // without calibration.
  bool variants_searched = false;
  if (!request.calibration_frames.empty()) {
    d.calibration =
        calibrate_variants(lowered, folding, request.calibration_frames, request.early_exit,
                           request.reuse == ReuseMode::Weight || request.reuse == ReuseMode::Auto,
                           request.reuse == ReuseMode::Auto, request.progress);
    if (request.latency_budget && (request.reuse == ReuseMode::Auto || request.early_exit)) {
      folding = with_variants_for_latency(lowered, std::move(folding), *d.calibration,
                                          *request.latency_budget, request.device,
                                          request.early_exit, request.reuse == ReuseMode::Auto);
      variants_searched = true;
    } else if (request.target_fps > 0 && (request.early_exit || request.reuse == ReuseMode::Auto)) {
      const bool auto_reuse = request.reuse == ReuseMode::Auto;
      const MvtuVariants variants =
          variants_from(lowered, *d.calibration, request.early_exit, auto_reuse, auto_reuse);
      std::optional<Folding> found;
      folding = choose_folding_for_cycles(lowered, max_cycles_of(request), request.device,
                                          request.device_budget, &variants, &found);
      variants_searched = true;
      if (found) {
        const DataflowGraph folded = apply_folding(lowered, *found);
        const Estimate e = estimate_graph(folded, request.device);
        Design::VariantSearch v;
        v.luts = e.total.luts;
        v.bram18 = e.total.bram18;
        v.expected_bottleneck_cycles = expected_bottleneck(folded, &variants);
        for (const LayerFolding& f : found->layers) {
          if (f.early_exit) v.early_exit.push_back(f.name);
          if (f.weight_reuse) v.weight_reuse.push_back(f.name);
          if (f.input_reuse) v.input_reuse.push_back(f.name);
        }
        v.kept = std::any_of(folding.layers.begin(), folding.layers.end(), [](const auto& f) {
          return f.early_exit || f.weight_reuse || f.input_reuse;
        });
        d.variant_search = std::move(v);
      }
    }
  }
  if (!variants_searched) {
    folding = with_early_exit(lowered, std::move(folding), request.early_exit);
    folding = with_weight_reuse(lowered, std::move(folding), request.reuse, request.device);
  } else if (request.reuse == ReuseMode::Weight ||
             (request.reuse == ReuseMode::Auto && request.target_fps > 0)) {
    // weight: every layer left that can take it; auto: on the folding found, where it makes the
    // design faster and no less area-efficient (fold/choose_weight_reuse.h) — the search above
    // minimised the cost at the rate, this step raises frames/s per LUT from there.
    folding = with_weight_reuse(lowered, std::move(folding), request.reuse, request.device);
  }
  // --reuse input: every layer left that can take it (fold/choose_input_reuse.h); --reuse auto
  // with calibration images (not for the latency objective): where the measured means make the
  // design faster and no less area-efficient.
  if (request.reuse == ReuseMode::Input) folding = with_input_reuse(lowered, std::move(folding));
  if (request.reuse == ReuseMode::Auto && d.calibration && !request.latency_budget) {
    folding = with_input_reuse_auto(lowered, std::move(folding), *d.calibration, request.device);
  }
  if (request.input_bits > 0) folding.input_bits = request.input_bits;
  d.folded = apply_folding(lowered, folding);
  d.folding = folding_of(d.folded);
  // 4. Size the FIFOs: their depths follow from the folded rates (a reconvergent path must hold
  //    what the slower side has not consumed yet), and the estimate, the simulator and the RTL
  //    all use them.
  d.fifo_depths = size_fifos(d.folded);
  // 5. Estimate resources and the bottleneck, FIFOs included, so after 4; for a part, refuse a
  //    design that does not fit it (the searches look for one that does; a folding file or a
  //    target out of the part's reach gets here).
  d.estimate = estimate_graph(d.folded, d.device);
  if (d.calibration) {
    const MvtuVariants variants = variants_from(lowered, *d.calibration, true, true, true);
    d.expected_bottleneck_cycles = expected_bottleneck(d.folded, &variants);
  }
  if (d.device) {
    if (const std::optional<std::string> overflow =
            device_overflow(usage_of(d.estimate.total), *d.device)) {
      fail("{}: the folding {}", request_name(request), *overflow);
    }
    const Budget& budget = request.device_budget;
    if (budget.luts > 0 && d.estimate.total.luts > budget.luts) {
      fail("{}: the folding needs {} LUTs but --budget allows {}", request_name(request),
           format_count(d.estimate.total.luts), format_count(budget.luts));
    }
    if (budget.bram18 > 0 && d.estimate.total.bram18 > budget.bram18) {
      fail("{}: the folding needs {} BRAM18 but --budget allows {}", request_name(request),
           format_count(d.estimate.total.bram18), format_count(budget.bram18));
    }
  }
  // 6. The analytic timeline, then 7. one frame through the cycle simulator: the measured one is
  //    what the reports give, the analytic one stays as the figure to compare it with and as the
  //    fallback for designs the simulator does not model.
  d.timeline_estimate = estimate_timeline(d.folded);
  //    With calibration images the frame is the first of them: the early-exit and input-reuse
  //    units' cycles depend on the pixels (a frame of zeros is their best case).
  if (timing == FrameTiming::Simulated) {
    d.latency_on_calibration_image = !request.calibration_frames.empty();
    d.timeline_simulated = measure_frame_timeline(
        d.folded, d.latency_on_calibration_image
                      ? std::span<const std::uint8_t>(request.calibration_frames.front())
                      : std::span<const std::uint8_t>());
  }
  // 8. Whether the RTL can be emitted: last, as it needs the folded blocks and the FIFO depths.
  //    Emitting it writes files, so that is save_design's; a design without RTL keeps its folding
  //    and estimates, which are still worth having.
  d.rtl_unsupported = rtl_unsupported(d.folded);
  return d;
}

std::int64_t latency_of(const Design& d) {
  return d.timeline_simulated ? d.timeline_simulated->latency : d.timeline_estimate.latency;
}

}  // namespace

Design compile_design(const Graph& graph, const FoldingRequest& request, FrameTiming timing) {
  // 0. For the latency objective, a global sum pool and the dense layer after it may run as one
  //    dense layer on the pool's pixels (passes/fuse_pool_into_dense.h): it computes while the
  //    last conv's pixels arrive, for weights H·W times larger. Both are searched; the lower
  //    latency is kept (the pool on a tie), the fused one only when it fits at all.
  std::optional<Graph> fused;
  if (request.latency_budget && request.pool_into_dense) fused = fuse_pool_into_dense(graph);
  Design plain = compile_one(graph, request, timing);
  if (!fused) return plain;
  if (request.progress) {
    request.progress(fmt::format("{} cycles with the global pool; now the pool in the dense layer",
                                 latency_of(plain)));
  }
  try {
    Design one = compile_one(*fused, request, timing);
    if (request.progress) {
      request.progress(fmt::format("{} cycles with the pool in the dense layer: {} kept",
                                   latency_of(one),
                                   latency_of(one) < latency_of(plain) ? "that" : "the pool"));
    }
    if (latency_of(one) < latency_of(plain)) return one;
  } catch (const Error& e) {
    // Nothing fits with the pixel-wide weights: the pool's design stands.
    if (request.progress)
      request.progress(fmt::format("the pool in the dense layer: {}", e.what()));
  }
  return plain;
}

}  // namespace bnnc
