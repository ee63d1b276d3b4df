// A compiled design: everything the back end derives from a network and a folding request, from
// the folded streaming blocks to the reason there is no RTL. compile_design makes one,
// save_design writes it as a design folder (the files bnnc compile writes), load_design reads
// such a folder back for the commands that run it (simulate, verify, synth).
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "design/calibrate_variants.h"
#include "fold/choose_folding.h"
#include "fold/choose_weight_reuse.h"
#include "fold/dataflow_graph.h"
#include "fold/device.h"
#include "fold/estimate_resources.h"
#include "fold/estimate_timeline.h"
#include "fold/folding.h"
#include "fold/size_fifos.h"
#include "ir/graph.h"

namespace bnnc {

// How to fold: exactly one of a folding, a folding file, a target frame rate or a latency budget.
struct FoldingRequest {
  std::optional<Folding> folding;        // this one, as a test or a tool picked it
  std::string folding_file;              // bnnc's folding.json or FINN's folding_config.json
  double target_fps = 0.0;               // the cheapest folding reaching this many frames/s
  std::optional<Budget> latency_budget;  // the lowest measured latency within this budget
  double clock_mhz = 200.0;              // the clock target_fps and the reports count at
  // The part to fit (--device): memories placed on it, and a design that does not fit refused.
  const Device* device = nullptr;
  // With a part: what the design may use of it — its caps, or tighter (--budget).
  Budget device_budget;
  // Bits per input word (--input-bits, docs/pixel-parallel.md); 0 = the folding's own. Not with
  // a latency budget: there the width is the search's, at most Budget::input_bits.
  int input_bits = 0;
  // --early-exit on: every MVTU that can (Block::can_exit_early) gets the early-exit variant, on
  // top of whatever folding the other fields choose (the folding search counts its worst case).
  bool early_exit = false;
  // --reuse: the weight-reuse MVTU on every layer that can take it, or only where it pays
  // (fold/choose_weight_reuse.h), after early exit has taken its layers; or (Input) the
  // input-reuse MVTU on every layer that can take it (fold/choose_input_reuse.h).
  ReuseMode reuse = ReuseMode::Off;
  // --calibration-data: images on which each variant's mean cycles per layer are measured
  // (design/calibrate_variants.h). With --target-fps and --early-exit on or --reuse auto, the
  // folding search then chooses per layer among the plain unit and those variants at their
  // measured means, rather than switching early exit on everywhere and choosing reuse on the
  // plain unit's folding. Empty: no calibration (the behaviour described above).
  CalibrationFrames calibration_frames;
  // With a latency budget: also search the network with its global sum pool and the dense layer
  // after it as one dense layer on the pool's pixels, and keep the faster
  // (passes/fuse_pool_into_dense.h). Tests turn it off to compare the two.
  bool pool_into_dense = true;
  // Told what the calibration is simulating (a few seconds per run on CNV).
  std::function<void(const std::string&)> progress;

  static FoldingRequest given(Folding f) {
    FoldingRequest r;
    r.folding = std::move(f);
    return r;
  }
  static FoldingRequest from_file(std::string path) {
    FoldingRequest r;
    r.folding_file = std::move(path);
    return r;
  }
};

struct Design {
  std::string model;           // what the reports call the network (the model's path)
  double clock_mhz = 200.0;    // the request's; load_design does not know it and keeps 200
  Graph graph;                 // the network as given (model.bnnc)
  DataflowGraph folded;        // its streaming blocks, folded
  Folding folding;             // folding_of(folded), what folding.json holds
  FifoDepths fifo_depths;      // size_fifos(folded)
  Estimate estimate;           // resources and the bottleneck
  Timeline timeline_estimate;  // the analytic timeline of one frame (estimate_timeline)
  // One frame measured by the cycle simulator; none when it does not model the design (MMV > 1)
  // and after load_design, which does not measure.
  std::optional<Timeline> timeline_simulated;
  // Whether that frame was the first calibration image (else all zeros): the early-exit and
  // input-reuse units' cycles depend on the pixels.
  bool latency_on_calibration_image = false;
  std::optional<std::string> rtl_unsupported;  // why there is no RTL; nullopt when there is
  // The variants' measured means (--calibration-data); none without.
  std::optional<Calibration> calibration;
  // With a calibration: the bottleneck at the expected cycles (an early-exit layer's measured
  // fraction of its worst case; estimate.bottleneck_cycles counts the worst case).
  std::int64_t expected_bottleneck_cycles = 0;
  // What the search with the variants found (--target-fps with calibration), kept or not: its
  // estimate, expected bottleneck and the layers it gave a variant.
  struct VariantSearch {
    std::int64_t luts = 0, bram18 = 0, expected_bottleneck_cycles = 0;
    std::vector<std::string> early_exit, weight_reuse, input_reuse;  // layer names
    bool kept = false;
  };
  std::optional<VariantSearch> variant_search;

  // The request's part; none (and after load_design): memories estimated as Yosys maps them.
  const Device* device = nullptr;

  // The timeline the reports give: the measured one when there is one.
  const Timeline& timeline() const {
    return timeline_simulated ? *timeline_simulated : timeline_estimate;
  }
};

}  // namespace bnnc
