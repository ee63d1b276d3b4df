// bnnc compile --calibration-data: the mean cycles of each MVTU variant measured on representative
// images by the cycle simulator, and the model the folding search takes from them.
//
// At a reference folding (the plain unit's for the request) the images run through the cycle
// simulator up to three times: with early exit on every layer that can take it, with weight reuse
// on every layer that can take it, and (for --reuse auto) with input reuse on every layer that can
// take it. Per MVTU the cycles it spent on its vectors, per frame
// (SimulationResult::work_cycles), are the measured means; the plain unit's are its static
// NF·SF·pixels. No second model: the simulator's EarlyExitMvtu, WeightReuseMvtu and
// InputReuseMvtu are what is measured; for input reuse the golden model's activations also give
// c at every SIMD (below).
//
// The search then prices a variant at another PE and SIMD as:
//   weight reuse  its schedule's cycles (fold/weight_reuse_schedule.h): static, the weights decide
//                 them; the calibration measures the same figure at the reference folding;
//   early exit    the plain unit's cycles × the fraction measured at the reference folding (the
//                 data decide it; an approximation away from the reference, as the fraction
//                 depends on PE and SIMD);
//   input reuse   first-in-row windows NF·SF and the others SF + (NF − 1)·c̄(SIMD), c̄ the mean
//                 max(1, c) over the images' reusing windows at that SIMD, counted directly from
//                 the layer's input in the golden model (sim/sum_input_reuse_c.h: D depends on
//                 the input only, so c at every SIMD comes from one pass, and a window's cycles
//                 are linear in max(1, c) whatever PE is: exact on the calibration images at every
//                 PE and SIMD). The simulator's mean at the reference folding is the same figure
//                 (a test checks it).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
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
  // Input reuse: per SIMD the layer can take (a divisor of its input channels), the mean max(1, c)
  // over the reusing windows of the images (sim/sum_input_reuse_c.h); empty: not measured.
  std::map<int, double> input_reuse_c = {};
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
                           bool early_exit, bool weight_reuse, bool input_reuse);

// The expected cycles per frame of an input-reuse MVTU folded as `b` (at b's PE and SIMD) with mean
// max(1, c) `mean_c` over its reusing windows: OFM_H first-in-row windows of NF·SF cycles and
// OFM_H·(OFM_W − 1) of SF + (NF − 1)·mean_c.
double input_reuse_cycles(const Block& b, double mean_c);

}  // namespace bnnc
