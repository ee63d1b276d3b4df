// The variant simulator tests' two steps (early exit, weight reuse, input reuse): a compiled
// design through the cycle simulator with the FIFO depths bnnc sized for it, and its classes and
// scores against the golden model.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "design/compile_design.h"
#include "sim/compare_with_oracle.h"
#include "sim/cycle_simulator.h"
#include "sim/golden_model.h"

namespace bnnc::test {

using Frames = std::vector<std::span<const std::uint8_t>>;

inline SimulationResult simulate_design(const Design& design, const Frames& frames) {
  SimulationOptions options;
  options.fifo_depths = design.fifo_depths;
  return simulate_dataflow(design.folded, frames, options);
}

inline void expect_golden(const Design& design, const SimulationResult& sim, const Frames& frames,
                          const std::string& what) {
  ASSERT_EQ(sim.labels.size(), frames.size()) << what;
  std::vector<Classification> golden;
  for (const auto& frame : frames) golden.push_back(run_golden(design.folded.ir, frame));
  const Comparison c = compare_with_oracle(golden, sim.classifications(), {});
  ASSERT_EQ(c.mismatches, 0) << what << ", first at frame " << c.first_mismatch;
}

}  // namespace bnnc::test
