#include "fold/find_reconvergence.h"

#include <algorithm>
#include <array>
#include <map>
#include <vector>

#include "core/ceil_div.h"
#include "core/error.h"

namespace bnnc {

std::int64_t input_pixels_needed(const Block& b, std::int64_t n) {
  const std::int64_t in_pixels = b.pixels_in();
  switch (b.kind) {
    case BlockKind::Swu:
    case BlockKind::StreamingMaxPool: {
      // The window of output (oy, ox) ends at input row oy·S + K − 1, column ox·S + K − 1.
      const std::int64_t oy = n / b.ofm_w, ox = n % b.ofm_w;
      const std::int64_t last =
          (oy * b.stride + b.kernel - 1) * b.ifm_w + ox * b.stride + b.kernel - 1;
      return std::min(in_pixels, last + 1);
    }
    case BlockKind::FmPadding: {
      // Output (y, x) of the padded image needs the interior pixels up to it.
      const std::int64_t y = n / b.ofm_w - b.pad, x = n % b.ofm_w - b.pad;
      if (y < 0) return 0;
      if (y >= b.ifm_h) return in_pixels;
      return y * b.ifm_w + std::clamp<std::int64_t>(x + 1, 0, b.ifm_w);
    }
    case BlockKind::LabelSelect:
    case BlockKind::GlobalSumPool: return in_pixels;
    case BlockKind::Input:
    case BlockKind::Thresholding:
    case BlockKind::Mvtu:  // one window (or vector) in, one pixel out
    case BlockKind::Dwc:
    case BlockKind::Duplicate:
    case BlockKind::AddStreams:
    case BlockKind::Count: break;
  }
  return std::min(in_pixels, n + 1);
}

namespace {

// Fork pixels the branch (blocks in stream order) needs to emit its output pixel n. Words of
// several pixels move whole: a block writes pixel n with the rest of its output group (an MVTU's
// MMV windows, a converter's word), and reads whole input words.
std::int64_t fork_pixels_needed(const DataflowGraph& graph, const std::vector<int>& branch,
                                std::int64_t n) {
  std::int64_t count = n + 1;
  for (auto it = branch.rbegin(); it != branch.rend(); ++it) {
    const Block& b = graph.blocks[*it];
    const std::int64_t out_group = std::max(1, b.out_pixels);
    const std::int64_t last = std::min(b.pixels_out(), ceil_div(count, out_group) * out_group);
    count = input_pixels_needed(b, last - 1);
    if (count == 0) return 0;
    const std::int64_t in_group = std::max(1, b.in_pixels);
    count = std::min(b.pixels_in(), ceil_div(count, in_group) * in_group);
  }
  return count;
}

// Per join input s, the most pixels branch s can be ahead of the other (the bound on its FIFO),
// by a sweep: `made` counts the outputs branch s can give from the m fork pixels the other
// needs for its output n. It depends only on the branches' shapes and pixel groups, and the
// latency search asks for it on thousands of foldings that differ elsewhere (on ResNet-18 the
// sweeps over 56×56 pixels were 70 % of the search's time), so results are kept by shape.
std::array<std::int64_t, 2> worst_leads(const DataflowGraph& graph, const Reconvergence& r,
                                        std::int64_t pixels) {
  std::vector<std::int64_t> key{pixels};
  for (const std::vector<int>& branch : r.branch) {
    key.push_back(-1);
    for (int i : branch) {
      const Block& b = graph.blocks[i];
      key.insert(key.end(), {static_cast<std::int64_t>(b.kind), b.ifm_h, b.ifm_w, b.ofm_h, b.ofm_w,
                             b.kernel, b.stride, b.pad, b.in_pixels, b.out_pixels});
    }
  }
  thread_local std::map<std::vector<std::int64_t>, std::array<std::int64_t, 2>> known;
  if (const auto it = known.find(key); it != known.end()) return it->second;
  std::array<std::int64_t, 2> worst{0, 0};
  for (int s = 0; s < 2; ++s) {
    const std::vector<int>& mine = r.branch[s];
    const std::vector<int>& other = r.branch[1 - s];
    std::int64_t made = 0;
    for (std::int64_t n = 0; n < pixels; ++n) {
      const std::int64_t m = fork_pixels_needed(graph, other, n);
      while (made < pixels && fork_pixels_needed(graph, mine, made) <= m) ++made;
      worst[static_cast<std::size_t>(s)] = std::max(worst[static_cast<std::size_t>(s)], made - n);
    }
  }
  if (known.size() >= 65536) known.clear();
  known.emplace(std::move(key), worst);
  return worst;
}

}  // namespace

std::vector<Reconvergence> find_reconvergent_paths(const DataflowGraph& graph) {
  std::vector<Reconvergence> result;
  for (int j = 0; j < static_cast<int>(graph.blocks.size()); ++j) {
    const Block& join = graph.blocks[j];
    if (join.inputs.size() < 2) continue;
    Reconvergence r;
    r.join = j;
    int forks[2] = {-1, -1};
    for (int s = 0; s < 2; ++s) {
      int k = join.inputs[s];
      while (graph.blocks[k].kind != BlockKind::Duplicate) {
        if (graph.blocks[k].inputs.size() != 1) {
          fail(
              "layer '{}': the streams it joins do not lead back to one fork through "
              "single-input blocks (nested reconvergent paths are not supported yet)",
              join.name);
        }
        r.branch[s].insert(r.branch[s].begin(), k);
        k = graph.blocks[k].inputs[0];
      }
      forks[s] = k;
    }
    if (forks[0] != forks[1]) {
      fail(
          "layer '{}': its inputs come from different forks ('{}' and '{}'), which is not "
          "supported yet",
          join.name, graph.blocks[forks[0]].name, graph.blocks[forks[1]].name);
    }
    r.fork = forks[0];
    const std::int64_t pixels = join.pixels_out();
    const std::int64_t words_per_pixel = ceil_div(join.ifm_c, std::max(1, join.in_elems));
    const std::array<std::int64_t, 2> worst_of = worst_leads(graph, r, pixels);
    for (int s = 0; s < 2; ++s) {
      const std::vector<int>& other = r.branch[1 - s];
      const std::int64_t worst = worst_of[static_cast<std::size_t>(s)];
      // That bound only keeps the design from deadlocking. At full rate the join also waits for
      // the other branch's MVTUs: each is computing one pixel (NF·SF cycles) and holds the next
      // whole vector in its input FIFO (size_fifos), while the fork, at the bottleneck's rate,
      // writes about one pixel to this branch in each such pixel time. Without these 2 pixels
      // per MVTU the PyTorch resnet_pm1 and resnet_mean (tests/interop) ran at 56 % and 65 % of
      // their bottleneck, where every word of slack decides the rate, and the RTL's registers
      // and the simulator's model gave different cycles per frame (docs/residual.md).
      std::int64_t in_flight = 0;
      for (int b : other) {
        const Block& block = graph.blocks[b];
        if (block.kind == BlockKind::Mvtu) in_flight += 2 * std::max(1, block.out_pixels);
      }
      r.depth[s] = (worst + in_flight) * words_per_pixel + 2;
    }
    result.push_back(r);
  }
  return result;
}

}  // namespace bnnc
