// The cycle-level simulator of a folded dataflow graph: every block is a small state machine
// that, each clock cycle, may read one word from its input FIFO and write one word to its output
// FIFO, at the rate its folding allows (an MVTU spends SF cycles per PE-row group, reading its
// input vector during the first group); full FIFOs stall producers (backpressure), empty ones
// starve consumers. Values are computed with the golden model's meaning of every op, so the
// classes and scores must equal the golden model's — the simulator is tested against it.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "fold/dataflow_graph.h"
#include "ir/classification.h"

namespace bnnc {

struct SimulationOptions {
  // Words per FIFO in front of each block input, [block][input] (size_fifos); empty: 2 each.
  std::vector<std::vector<int>> fifo_depths;
  std::int64_t max_cycles_without_progress = 1'000'000;  // deadlock detection
};

struct SimulationResult {
  std::vector<int> labels;                        // one per frame
  std::vector<std::vector<std::int64_t>> scores;  // the label-select's input (+ bias)
  std::vector<std::int64_t> first_input_cycle;    // per frame
  std::vector<std::int64_t> label_cycle;          // per frame: the cycle its class came out
  std::int64_t cycles = 0;                        // total simulated
  std::vector<std::int64_t> busy_cycles;          // per block
  // Per block, the first and last cycle it did anything (read, computed or wrote) over the whole
  // run: with one frame, that frame's measured timeline.
  std::vector<std::int64_t> first_busy_cycle, last_busy_cycle;

  // Per block, an MVTU's cycles spent on its vectors over the run: NF·SF per vector for the plain
  // one; for an early-exit one its issue slots used (EarlyExitMvtu::work_cycles), which depend on
  // the data (0 for the other blocks). Counted as they happen: a padding block that runs ahead
  // into the border of a frame that never comes makes a few vectors more than frames × pixels.
  std::vector<std::int64_t> work_cycles;
  // Per block, an input-reuse MVTU's vectors that reused their row's previous one, and the sums
  // of their c = max_j |D ∩ column j| and of their |D| (sim/input_reuse_mvtu.h); 0 for the
  // other blocks.
  std::vector<std::int64_t> reuse_vectors, reuse_c_sum, reuse_d_sum;

  std::int64_t latency_cycles() const;  // of the first frame
  double cycles_per_frame() const;      // steady state, between the first and last
  // Per frame, the class and its scores: what compare_with_oracle takes.
  std::vector<Classification> classifications() const;
};

// Streams the frames (raw input values, HWC) through the design. Throws bnnc::Error on a
// deadlock (naming the stuck blocks) or a malformed graph.
SimulationResult simulate_dataflow(const DataflowGraph& graph,
                                   const std::vector<std::span<const std::uint8_t>>& frames,
                                   const SimulationOptions& options = {});

}  // namespace bnnc
