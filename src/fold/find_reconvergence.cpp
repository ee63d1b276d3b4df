#include "fold/find_reconvergence.h"

#include <algorithm>

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
    for (int s = 0; s < 2; ++s) {
      const std::vector<int>& mine = r.branch[s];
      const std::vector<int>& other = r.branch[1 - s];
      // P_s(m) by a sweep: `made` counts the outputs branch s can give from m fork pixels.
      std::int64_t made = 0, worst = 0;
      for (std::int64_t n = 0; n < pixels; ++n) {
        const std::int64_t m = fork_pixels_needed(graph, other, n);
        while (made < pixels && fork_pixels_needed(graph, mine, made) <= m) ++made;
        worst = std::max(worst, made - n);
      }
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
