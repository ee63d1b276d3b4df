// Streaming frames through a Verilated design (bnn_top built with the observation port) and
// reading back, per frame, the class, the scores the label select saw (+ its bias, as the golden
// model gives them) and the cycles.
#pragma once

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

#include "ir/classification.h"
#include "rtl/emit_rtl.h"

namespace bnnc {

struct RtlRunOptions {
  double stall = 0.0;  // probability of a gap on the input and of a not-ready on the output
  std::uint64_t seed = 1;
  std::int64_t max_idle = 1'000'000;
};

struct RtlRunResult {
  std::vector<int> labels;                        // one per frame that came out
  std::vector<std::vector<std::int64_t>> scores;  // one per frame
  std::vector<std::int64_t> first_input_cycle;    // per frame
  std::vector<std::int64_t> label_cycle;          // per frame
  std::int64_t cycles = 0;
  std::string deadlock;  // empty unless the design stopped moving

  // As the cycle simulator defines them (SimulationResult): the first frame's label cycle −
  // its first input cycle + 1, and the mean label-to-label distance.
  std::int64_t latency_cycles() const;
  double cycles_per_frame() const;
  // One per class that came out, with the scores observed for it (none when they did not come
  // out, which no oracle matches): what compare_with_oracle takes.
  std::vector<Classification> classifications() const;
};

RtlRunResult run_rtl_design(const std::filesystem::path& executable,
                            const std::filesystem::path& rtl_dir, const RtlInterface& io,
                            const std::vector<std::span<const std::uint8_t>>& frames,
                            const RtlRunOptions& options);

}  // namespace bnnc
