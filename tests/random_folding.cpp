#include "random_folding.h"

#include <vector>

#include "core/divisors.h"

namespace bnnc::test {

namespace {

int pick_divisor(int n, std::mt19937_64& rng) {
  const std::vector<int> all = divisors(n);
  return all[std::uniform_int_distribution<std::size_t>(0, all.size() - 1)(rng)];
}

}  // namespace

Folding random_folding(const DataflowGraph& graph, std::mt19937_64& rng) {
  Folding f;
  for (int i : graph.mvtus()) {
    const Block& b = graph.blocks[static_cast<std::size_t>(i)];
    // A braced list evaluates in order: PE is drawn before SIMD, whatever the compiler.
    f.layers.push_back({b.name, pick_divisor(b.mh, rng), pick_divisor(b.simd_channels(), rng)});
  }
  f.input_elems = pick_divisor(graph.blocks[0].ofm_c, rng);
  return f;
}

Folding random_pixel_folding(const DataflowGraph& graph, std::mt19937_64& rng) {
  Folding f;
  for (int i : graph.mvtus()) {
    const Block& b = graph.blocks[static_cast<std::size_t>(i)];
    LayerFolding layer{b.name};
    layer.pe = pick_divisor(b.mh, rng);
    layer.simd = pick_divisor(b.simd_channels(), rng);
    if (b.is_conv()) layer.mmv = pick_divisor(b.ofm_w, rng);
    f.layers.push_back(layer);
  }
  const int widths[] = {0, 8, 24, 64, 100, 512};
  f.input_bits = widths[rng() % std::size(widths)];
  const Block& input = graph.blocks[0];
  if (f.input_bits < input.in_bits * (input.pixels_out() > 1 ? input.ofm_c : 1)) f.input_bits = 0;
  return f;
}

Folding random_taps_folding(const DataflowGraph& graph, std::mt19937_64& rng) {
  Folding f = random_pixel_folding(graph, rng);
  for (LayerFolding& layer : f.layers) {
    const Block& b = graph.blocks[static_cast<std::size_t>(graph.find(layer.name))];
    if (!b.is_conv() || b.kernel == 1 || rng() % 3 == 0) continue;
    int taps = 1;
    while (taps == 1) taps = pick_divisor(b.kernel * b.kernel, rng);
    layer.simd = taps * b.simd_channels();
  }
  return f;
}

int random_dense_orders(Folding& folding, const DataflowGraph& graph, std::mt19937_64& rng) {
  int input = 0;
  for (LayerFolding& f : folding.layers) {
    const int i = graph.find(f.name);
    if (i < 0 || graph.blocks[static_cast<std::size_t>(i)].is_conv()) continue;
    f.dense_order = rng() % 2 == 0 ? DenseOrder::Input : DenseOrder::Output;
    input += f.dense_order == DenseOrder::Input ? 1 : 0;
  }
  return input;
}

}  // namespace bnnc::test
