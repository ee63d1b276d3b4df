// Choosing a folding for the whole network.
//
// choose_folding_for_cycles: the cheapest folding whose bottleneck is at most `max_cycles`
// (from --target-fps F --clock-mhz M: max_cycles = M·10^6 / F). Unlike FINN's SetFolding, which
// raises each layer's parallelism alone and ignores resources, this is one search over the
// whole chain: a dynamic programme over the MVTUs in order whose state is the previous MVTU's
// folding, so the cost of each layer includes the blocks between it and the previous one — the
// SWU and padding at its SIMD, the pool at the previous PE, and the width converter that a PE
// ≠ SIMD boundary needs. Cost = LUTs + kLutsPerBram18 · BRAM18.
//
// choose_folding_for_latency: the folding with the lowest latency found whose estimate fits a
// budget (docs/latency-search.md). It starts from the smallest common bottleneck that fits (a scan
// and a binary search over the cheapest foldings for a cycle limit, at three BRAM prices:
// lowering the bottleneck evens the layers out — LP-BNN's load balancing), then trades between
// the streaming phase and the vector phase (the fully-connected tail, whose layers run one after
// the other). From those and from looser common limits, balance_latency makes per-layer moves
// (MMV, PE, SIMD, the input width) by estimated latency saved per resource. The best few by
// estimate are measured (latency_of); last, each dense layer's loop order (choose_dense_orders.h).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>

#include "fold/estimate_resources.h"
#include "fold/folding.h"

namespace bnnc {

inline constexpr std::int64_t kLutsPerBram18 = 300;

// The widest input word the latency search takes when --input-bits is not given: 21 RGB pixels
// of 8 bits (one pixel, when a pixel is wider). The cost model does not count a word's width, so
// without a cap the search widens it for any saving (1,344-bit words for AlexNet).
inline constexpr int kDefaultMaxInputBits = 512;

// Throws bnnc::Error naming the layer that cannot reach max_cycles even fully unfolded.
Folding choose_folding_for_cycles(const DataflowGraph& graph, std::int64_t max_cycles);

// A block in the vector phase of a frame: it reads and writes one pixel (a dense layer, the
// width converters between dense layers, the label-select).
bool is_vector_block(const Block& b);

// The MVTU variants the search may choose besides the plain unit (bnnc compile
// --calibration-data, design/calibrate_variants.h). `expect` takes a block folded at some PE and
// SIMD with weight_reuse, early_exit or input_reuse set and sets its expected cycles per frame (a
// weight-reuse block also its schedule's fields, which the estimate reads); it returns false when
// the variant does not apply there or is not faster than the plain unit at that folding.
struct MvtuVariants {
  bool weight_reuse = false;
  bool early_exit = false;
  bool input_reuse = false;
  std::function<bool(Block&)> expect;
};

// The bottleneck of a folded design in expected cycles: a variant block's from `variants` (an
// early-exit or input-reuse block's own cycles are its worst case), every other block's own.
std::int64_t expected_bottleneck(const DataflowGraph& folded, const MvtuVariants* variants);

// Cycle limits per phase: `vector` for vector-phase blocks, `stream` for every other block.
struct CycleLimits {
  std::int64_t stream = 0;
  std::int64_t vector = 0;
  std::int64_t luts_per_bram18 = kLutsPerBram18;  // the search's price of a BRAM18
  // MMV > 1 (several output pixels at once) once a conv is fully unfolded. Off by default: the
  // cycle simulator and the RTL do not implement it yet. choose_folding_for_cycles turns it on
  // only for a target that cannot be met without it (a folding file may also ask for it).
  bool allow_mmv = false;
  // The part the memories are placed on (estimate_block); none: as Yosys maps them.
  const Device* device = nullptr;
  // The most elements an input word may carry; 0 = any.
  int max_input_elems = 0;
  // Variants to try per MVTU besides the plain unit; none: the plain unit only.
  const MvtuVariants* variants = nullptr;
  // The pixels a word of max-pools on pixel groups (fold/folding.h).
  PoolWords pool_words = PoolWords::Paced;
  std::int64_t of(const Block& b) const { return is_vector_block(b) ? vector : stream; }
};

// The cheapest folding (LUTs + luts_per_bram18 · BRAM18) in which every block meets its phase's
// limit (the same search).
Folding choose_folding_for_limits(const DataflowGraph& graph, const CycleLimits& limits);

struct Budget {
  std::int64_t luts = 0;    // 0 = unlimited
  std::int64_t bram18 = 0;  // 0 = unlimited
  std::int64_t urams = 0;   // 0 = unlimited (checked only for a part that has URAM)
  // The widest input word the latency search may choose, in bits (--input-bits): whole pixels
  // up to it (docs/latency-search.md, "The input word"). 0 = kDefaultMaxInputBits, or one pixel
  // when a pixel is wider; a width given narrower than one pixel is refused.
  int input_bits = 0;
};

// The same for a part (`device`): memories are placed on it and, of the cheapest foldings at three
// BRAM prices (as the latency search tries them), the first that fits the part and `budget`
// (tighter than the part where nonzero) is returned — else the one at the default price, which
// compile_design then refuses naming the resource.
//
// With `variants`, the search also tries them per layer at their expected cycles (a layer that
// reuses weights or inputs or exits early may meet the limit with fewer lanes), and keeps that
// folding only
// when it costs less than the plain unit's and its estimated frames/s per LUT (expected
// bottleneck × LUTs) is no worse; otherwise it returns the plain unit's. `with_variants`, when
// given, receives the search's folding with the variants whether it was kept or not (none when
// that search found no folding).
Folding choose_folding_for_cycles(const DataflowGraph& graph, std::int64_t max_cycles,
                                  const Device* device, const Budget& budget = {},
                                  const MvtuVariants* variants = nullptr,
                                  std::optional<Folding>* with_variants = nullptr);

// The latency of a folded design, in cycles: the caller's measurement (the cycle simulator,
// src/sim/measure_timeline.h, comes after fold/ in the data's path) or nothing for a design it
// cannot measure (which the search then skips). Without one, the search uses estimate_timeline.
using LatencyOf = std::function<std::optional<std::int64_t>(const DataflowGraph&)>;

// The most elements a word of at most `input_bits` bits (Budget::input_bits, 0 = the default)
// carries on the input block `input`: whole pixels, or for a one-pixel (vector) input whole
// elements. Throws bnnc::Error naming --input-bits when a given width is narrower than one pixel.
int max_input_elems(const Block& input, int input_bits);

// Throws bnnc::Error when no folding fits the budget (and, for a part, the part's caps).
Folding choose_folding_for_latency(const DataflowGraph& graph, const Budget& budget,
                                   const LatencyOf& latency_of = {},
                                   const Device* device = nullptr);

}  // namespace bnnc
