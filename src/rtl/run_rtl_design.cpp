#include "rtl/run_rtl_design.h"

#include "core/error.h"
#include "rtl/run_testbench.h"

namespace bnnc {

std::int64_t RtlRunResult::latency_cycles() const {
  if (label_cycle.empty() || first_input_cycle.empty()) return 0;
  return label_cycle[0] - first_input_cycle[0] + 1;
}

double RtlRunResult::cycles_per_frame() const {
  if (label_cycle.size() < 2) return static_cast<double>(latency_cycles());
  return static_cast<double>(label_cycle.back() - label_cycle.front()) /
         static_cast<double>(label_cycle.size() - 1);
}

std::vector<Classification> RtlRunResult::classifications() const {
  std::vector<Classification> out(labels.size());
  for (std::size_t i = 0; i < labels.size(); ++i) {
    out[i].label = labels[i];
    if (i < scores.size()) out[i].scores = scores[i];
  }
  return out;
}

RtlRunResult run_rtl_design(const std::filesystem::path& executable,
                            const std::filesystem::path& rtl_dir, const RtlInterface& io,
                            const std::vector<std::span<const std::uint8_t>>& frames,
                            const RtlRunOptions& options) {
  std::vector<std::int64_t> pixels;
  for (const auto& frame : frames) {
    if (static_cast<std::int64_t>(frame.size()) != io.frame_pixels) {
      fail("a frame of {} pixels does not fit the design's {} pixels in {} words of {}",
           frame.size(), io.frame_pixels, io.frame_words, io.input_elems);
    }
    pixels.insert(pixels.end(), frame.begin(), frame.end());
    pixels.resize(static_cast<std::size_t>((std::ssize(pixels) + io.input_elems - 1) /
                                           io.input_elems * io.input_elems));
  }
  TestbenchOptions tb;
  tb.seed = options.seed;
  tb.stall_in = tb.stall_out = options.stall;
  tb.outputs = static_cast<std::int64_t>(frames.size());
  tb.frame_words = io.frame_words;
  tb.max_idle = options.max_idle;
  tb.cwd = rtl_dir;
  const TestbenchResult run =
      run_testbench(executable, pack_words(pixels, io.input_elems, io.input_bits), tb);

  RtlRunResult result;
  result.cycles = run.cycles;
  result.deadlock = run.deadlock;
  result.first_input_cycle = run.frame_start;
  for (const TimedWord& word : run.outputs) {
    result.labels.push_back(static_cast<int>(unpack_lanes(word.hex, 1, io.class_bits, false)[0]));
    result.label_cycle.push_back(word.cycle);
  }
  std::vector<std::int64_t> scores;
  for (const TimedWord& word : run.observed) {
    for (std::int64_t v : unpack_lanes(word.hex, io.score_lanes, io.score_bits, io.score_signed)) {
      scores.push_back(v);
    }
    if (static_cast<int>(scores.size()) == io.score_words * io.score_lanes) {
      scores.resize(static_cast<std::size_t>(io.classes));
      // The golden model's scores: x · 2^shift + bias (ir/label_select_apply.h).
      for (std::size_t c = 0; c < scores.size(); ++c) {
        scores[c] =
            scores[c] * (std::int64_t{1} << io.label_shift) + (c < io.bias.size() ? io.bias[c] : 0);
      }
      result.scores.push_back(std::move(scores));
      scores.clear();
    }
  }
  return result;
}

}  // namespace bnnc
