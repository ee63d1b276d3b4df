// bnnc compile --calibration-data: the mean cycles of each MVTU variant measured on representative
// images by the cycle simulator, and the model the folding search takes from them.
//
// At a reference folding (the plain unit's for the request) the images run through the cycle
// simulator up to three times: with early exit on every layer that can take it, with weight reuse
// on every layer that can take it, and (for --reuse auto) with input reuse on every layer that can
// take it. Per MVTU the cycles it spent on its vectors, per frame
// (SimulationResult::work_cycles), are the measured means; the plain unit's are its static
// NF·SF·pixels. No second model: the simulator's EarlyExitMvtu and WeightReuseMvtu are what is
// measured.
//
// The search then prices a variant at another PE and SIMD as:
//   weight reuse  its schedule's cycles (fold/weight_reuse_schedule.h): static, the weights decide
//                 them; the calibration measures the same figure at the reference folding;
//   early exit    the plain unit's cycles × the fraction measured at the reference folding (the
//                 data decide it; an approximation away from the reference, as the fraction
//                 depends on PE and SIMD);
//   input reuse   at the reference SIMD, first-in-row windows NF·SF and the others SF + (NF − 1)·c̄,
//                 c̄ the mean max(1, c) the measurement implies (exact at the reference folding: a
//                 window's cycles are linear in it, and c does not depend on PE); at another SIMD
//                 not known (the variant does not apply there). The folding search itself does not
//                 try input reuse; `--reuse auto` adds it on the folding found
//                 (design/compile_design.cpp).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "fold/choose_folding.h"
#include "fold/dataflow_graph.h"
#include "fold/folding.h"

namespace bnnc {

struct LayerCalibration {
  std::string name;
  int pe = 1, simd = 1;      // the reference folding it was measured at
  double plain = 0;          // the plain unit's cycles per frame (NF·SF·pixels)
  double early_exit = -1;    // measured mean cycles per frame; −1: not measured (cannot take it)
  double weight_reuse = -1;  // measured mean cycles per frame; −1: not measured
  double input_reuse = -1;   // measured mean cycles per frame; −1: not measured
};

struct Calibration {
  int images = 0;
  std::vector<LayerCalibration> layers;  // per MVTU that can take a variant, in order
  const LayerCalibration* find(const std::string& name) const;
};

using CalibrationFrames = std::vector<std::vector<std::uint8_t>>;

// `progress` is told what is being simulated (it may take seconds on a large network).
Calibration calibrate_variants(const DataflowGraph& lowered, const Folding& reference,
                               const CalibrationFrames& frames, bool early_exit, bool weight_reuse,
                               bool input_reuse,
                               const std::function<void(const std::string&)>& progress = {});

// The variants for the folding search (fold/choose_folding.h). `lowered` must outlive the result
// (the weights are read from it).
MvtuVariants variants_from(const DataflowGraph& lowered, const Calibration& calibration,
                           bool early_exit, bool weight_reuse);

}  // namespace bnnc
