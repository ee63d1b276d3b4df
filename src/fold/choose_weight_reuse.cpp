#include "fold/choose_weight_reuse.h"

#include <algorithm>

#include "fold/estimate_resources.h"

namespace bnnc {

namespace {

LayerFolding& layer_of(Folding& folding, const std::string& name) {
  auto it = std::find_if(folding.layers.begin(), folding.layers.end(),
                         [&](const LayerFolding& f) { return f.name == name; });
  if (it == folding.layers.end()) it = folding.layers.insert(folding.layers.end(), {name});
  return *it;
}

// Cycles per frame × LUTs: lower is more frames/s per LUT.
double area_time(const DataflowGraph& lowered, const Folding& folding, const Device* device,
                 std::int64_t* cycles) {
  const Estimate e = estimate_graph(apply_folding(lowered, folding), device);
  *cycles = e.bottleneck_cycles;
  return static_cast<double>(e.bottleneck_cycles) * static_cast<double>(e.total.luts);
}

}  // namespace

Folding with_weight_reuse(const DataflowGraph& lowered, Folding folding, ReuseMode mode,
                          const Device* device) {
  if (mode == ReuseMode::Off || mode == ReuseMode::Input) return folding;
  // The layers that can take it, as the folding has them.
  const DataflowGraph plain = apply_folding(lowered, folding);
  Folding all = folding;
  std::vector<std::string> candidates;
  for (int i : plain.mvtus()) {
    const Block& b = plain.blocks[static_cast<std::size_t>(i)];
    if (!b.can_reuse_weights() || b.mmv != 1 || b.dense_order != DenseOrder::Output ||
        b.early_exit || b.input_reuse) {
      continue;
    }
    layer_of(all, b.name).weight_reuse = true;
    candidates.push_back(b.name);
  }
  if (mode == ReuseMode::Weight) return all;

  const DataflowGraph reused = apply_folding(lowered, all);
  std::vector<const Block*> faster;
  for (const std::string& name : candidates) {
    const Block& b = reused.blocks[static_cast<std::size_t>(reused.find(name))];
    if (b.reuse_vector_cycles < b.nf() * b.sf()) {
      faster.push_back(&plain.blocks[static_cast<std::size_t>(plain.find(name))]);
    }
  }
  std::stable_sort(faster.begin(), faster.end(),
                   [](const Block* a, const Block* b) { return a->cycles > b->cycles; });
  std::int64_t plain_cycles = 0;
  const double plain_score = area_time(lowered, folding, device, &plain_cycles);
  Folding best = folding, trial = folding;
  double best_score = plain_score;
  std::int64_t best_cycles = plain_cycles;
  for (const Block* b : faster) {
    layer_of(trial, b->name).weight_reuse = true;
    std::int64_t cycles = 0;
    const double score = area_time(lowered, trial, device, &cycles);
    if (score < best_score || (score == best_score && cycles < best_cycles)) {
      best = trial, best_score = score, best_cycles = cycles;
    }
  }
  return best_cycles < plain_cycles && best_score <= plain_score ? best : folding;
}

}  // namespace bnnc
