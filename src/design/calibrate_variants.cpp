#include "design/calibrate_variants.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <memory>
#include <span>
#include <tuple>

#include "core/ceil_div.h"
#include "core/divisors.h"
#include "fold/choose_input_reuse.h"
#include "fold/choose_weight_reuse.h"
#include "fold/kernel_similarity.h"
#include "fold/size_fifos.h"
#include "fold/weight_reuse_schedule.h"
#include "sim/cycle_simulator.h"
#include "sim/golden_model.h"
#include "sim/sum_input_reuse_c.h"

namespace bnnc {

namespace {

// Per MVTU, its cycles spent on vectors per frame on `frames`.
std::map<std::string, double> measure(const DataflowGraph& folded,
                                      const CalibrationFrames& frames) {
  std::vector<std::span<const std::uint8_t>> spans(frames.begin(), frames.end());
  SimulationOptions options;
  options.fifo_depths = size_fifos(folded);
  const SimulationResult sim = simulate_dataflow(folded, spans, options);
  std::map<std::string, double> result;
  for (std::size_t i = 0; i < folded.blocks.size(); ++i) {
    const Block& b = folded.blocks[i];
    if (b.kind != BlockKind::Mvtu) continue;
    // A padding block may run a few vectors into a frame that never comes (cycle_simulator.h):
    // no more than whole frames count.
    const double worst = static_cast<double>(b.cycles) * static_cast<double>(frames.size());
    result[b.name] = std::min(static_cast<double>(sim.work_cycles[i]), worst) /
                     static_cast<double>(frames.size());
  }
  return result;
}

// Per layer that can take input reuse, the mean max(1, c) over its reusing windows on `frames` at
// every SIMD it can be folded at (sim/sum_input_reuse_c.h), from the golden model's activations.
void measure_input_reuse_c(const DataflowGraph& lowered, const CalibrationFrames& frames,
                           std::vector<LayerCalibration>& layers) {
  struct Layer {
    LayerCalibration* calibration;
    const Block* block;
    std::vector<int> simds;
    std::vector<std::int64_t> sums;
  };
  std::vector<Layer> todo;
  for (LayerCalibration& l : layers) {
    const Block& b = lowered.blocks[static_cast<std::size_t>(lowered.find(l.name))];
    if (!b.can_reuse_inputs()) continue;
    const std::vector<int> simds = divisors(b.simd_channels());
    todo.push_back({&l, &b, simds, std::vector<std::int64_t>(simds.size(), 0)});
  }
  if (todo.empty()) return;
  for (const auto& frame : frames) {
    const std::vector<GoldenTensor> values = run_golden_layers(lowered.ir, frame);
    for (Layer& l : todo) {
      const Node& node = lowered.ir.nodes[static_cast<std::size_t>(l.block->layer)];
      const GoldenTensor& in = values[static_cast<std::size_t>(node.inputs[0])];
      const std::vector<std::int64_t> sums =
          sum_input_reuse_c(node.as<Conv2dAttrs>(), in, l.block->ofm_h, l.block->ofm_w, l.simds);
      for (std::size_t k = 0; k < sums.size(); ++k) l.sums[k] += sums[k];
    }
  }
  for (Layer& l : todo) {
    const double windows = static_cast<double>(frames.size()) * l.block->ofm_h *
                           static_cast<double>(l.block->ofm_w - 1);
    for (std::size_t k = 0; k < l.simds.size(); ++k) {
      l.calibration->input_reuse_c[l.simds[k]] = static_cast<double>(l.sums[k]) / windows;
    }
  }
}

}  // namespace

double input_reuse_cycles(const Block& b, double mean_c) {
  const double first = b.ofm_h, rest = first * (b.ofm_w - 1);
  const auto nf = static_cast<double>(b.nf()), sf = static_cast<double>(b.sf());
  return first * nf * sf + rest * (sf + (nf - 1) * mean_c);
}

const LayerCalibration* Calibration::find(const std::string& name) const {
  for (const LayerCalibration& l : layers) {
    if (l.name == name) return &l;
  }
  return nullptr;
}

Calibration calibrate_variants(const DataflowGraph& lowered, const Folding& reference,
                               const CalibrationFrames& frames, bool early_exit, bool weight_reuse,
                               bool input_reuse,
                               const std::function<void(const std::string&)>& progress) {
  Calibration c;
  c.images = static_cast<int>(frames.size());
  const DataflowGraph plain = apply_folding(lowered, reference);
  for (int i : plain.mvtus()) {
    const Block& b = plain.blocks[static_cast<std::size_t>(i)];
    if (!b.can_exit_early() && !b.can_reuse_weights() && !b.can_reuse_inputs()) continue;
    c.layers.push_back({b.name, b.pe, b.simd, static_cast<double>(b.cycles)});
  }
  if (frames.empty() || c.layers.empty()) return c;
  if (early_exit) {
    Folding exit = reference;
    bool any = false;
    for (LayerFolding& f : exit.layers) {
      const Block& b = plain.blocks[static_cast<std::size_t>(plain.find(f.name))];
      if (b.can_exit_early() && f.mmv == 1 && f.dense_order == DenseOrder::Output) {
        f.early_exit = true, f.weight_reuse = false, any = true;
      }
    }
    if (any) {
      if (progress)
        progress(fmt::format("calibration: {} images, early exit on every layer", frames.size()));
      for (const auto& [name, cycles] : measure(apply_folding(lowered, exit), frames)) {
        const Block& b = plain.blocks[static_cast<std::size_t>(plain.find(name))];
        for (LayerCalibration& l : c.layers) {
          if (l.name == name && b.can_exit_early()) l.early_exit = cycles;
        }
      }
    }
  }
  if (weight_reuse) {
    Folding base = reference;
    for (LayerFolding& f : base.layers) f.early_exit = false;
    const Folding reuse = with_weight_reuse(lowered, base, ReuseMode::Weight);
    const bool any = std::any_of(reuse.layers.begin(), reuse.layers.end(),
                                 [](const LayerFolding& f) { return f.weight_reuse; });
    if (any) {
      if (progress)
        progress(fmt::format("calibration: {} images, weight reuse on every layer", frames.size()));
      const DataflowGraph folded = apply_folding(lowered, reuse);
      const std::map<std::string, double> cycles = measure(folded, frames);
      for (LayerCalibration& l : c.layers) {
        const Block& b = folded.blocks[static_cast<std::size_t>(folded.find(l.name))];
        if (b.weight_reuse) l.weight_reuse = cycles.at(l.name);
      }
    }
  }
  if (input_reuse) {
    if (progress) {
      progress(
          fmt::format("calibration: {} images, input reuse's lanes at every SIMD (golden model)",
                      frames.size()));
    }
    measure_input_reuse_c(lowered, frames, c.layers);
    Folding base = reference;
    for (LayerFolding& f : base.layers) f.early_exit = f.weight_reuse = false;
    const Folding reuse = with_input_reuse(lowered, base);
    const bool any = std::any_of(reuse.layers.begin(), reuse.layers.end(),
                                 [](const LayerFolding& f) { return f.input_reuse; });
    if (any) {
      if (progress)
        progress(fmt::format("calibration: {} images, input reuse on every layer", frames.size()));
      const DataflowGraph folded = apply_folding(lowered, reuse);
      const std::map<std::string, double> cycles = measure(folded, frames);
      for (LayerCalibration& l : c.layers) {
        const Block& b = folded.blocks[static_cast<std::size_t>(folded.find(l.name))];
        if (b.input_reuse) l.input_reuse = cycles.at(l.name);
      }
    }
  }
  return c;
}

MvtuVariants variants_from(const DataflowGraph& lowered, const Calibration& calibration,
                           bool early_exit, bool weight_reuse, bool input_reuse) {
  // Per layer the fraction of the plain unit's cycles early exit took at the reference folding.
  auto exit_fraction = std::make_shared<std::map<std::string, double>>();
  for (const LayerCalibration& l : calibration.layers) {
    if (l.early_exit >= 0 && l.plain > 0) (*exit_fraction)[l.name] = l.early_exit / l.plain;
  }
  // The spanning tree per layer and the schedule per (layer, PE, SIMD), computed once.
  struct Summary {
    std::int64_t vector_cycles = 0, positions = 0, ideal_cycles = 0;
    int groups = 0;
  };
  struct Cache {
    std::map<std::string, KernelSimilarity> trees;
    std::map<std::tuple<std::string, int, int>, Summary> schedules;
  };
  auto cache = std::make_shared<Cache>();
  MvtuVariants v;
  v.early_exit = early_exit && !exit_fraction->empty();
  v.weight_reuse = weight_reuse;
  // Per layer, per SIMD, the mean max(1, c) of its reusing windows.
  auto input_c = std::make_shared<std::map<std::string, std::map<int, double>>>();
  for (const LayerCalibration& l : calibration.layers) {
    if (!l.input_reuse_c.empty()) (*input_c)[l.name] = l.input_reuse_c;
  }
  v.input_reuse = input_reuse && !input_c->empty();
  v.expect = [&lowered, exit_fraction, cache, input_c](Block& b) {
    if (b.input_reuse) {
      const auto layer = input_c->find(b.name);
      if (layer == input_c->end()) return false;
      const auto c = layer->second.find(b.simd);
      if (c == layer->second.end()) return false;
      const auto expected = static_cast<std::int64_t>(std::ceil(input_reuse_cycles(b, c->second)));
      if (expected >= b.cycles) return false;
      b.cycles = expected;
      return true;
    }
    if (b.early_exit) {
      const auto it = exit_fraction->find(b.name);
      if (it == exit_fraction->end()) return false;
      const auto expected =
          static_cast<std::int64_t>(std::ceil(it->second * static_cast<double>(b.cycles)));
      if (expected >= b.cycles) return false;
      b.cycles = expected;
      return true;
    }
    if (!b.weight_reuse) return false;
    const BinaryMatrix& weights = lowered.ir.nodes[static_cast<std::size_t>(b.layer)].weights();
    auto tree = cache->trees.find(b.name);
    if (tree == cache->trees.end())
      tree = cache->trees.emplace(b.name, kernel_similarity(weights)).first;
    const auto key = std::make_tuple(b.name, b.pe, b.simd);
    auto s = cache->schedules.find(key);
    if (s == cache->schedules.end()) {
      const WeightReuseSchedule full = weight_reuse_schedule(weights, tree->second, b.pe, b.simd);
      s = cache->schedules
              .emplace(key, Summary{full.vector_cycles, full.positions, full.ideal_cycles,
                                    static_cast<int>(full.groups.size())})
              .first;
    }
    if (s->second.vector_cycles >= b.nf() * b.sf()) return false;
    b.reuse_vector_cycles = s->second.vector_cycles;
    b.reuse_groups = s->second.groups;
    b.reuse_synapses = s->second.positions;
    b.reuse_ideal_cycles = s->second.ideal_cycles;
    b.cycles = b.reuse_vector_cycles * b.pixels_out();
    return true;
  };
  return v;
}

}  // namespace bnnc
