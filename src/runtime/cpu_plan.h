// The CPU engine's plan: compiled once from a streamlined graph (weights packed into the
// kernels' panels, thresholds turned into mismatch limits, one buffer per tensor), then run on
// any number of images by cpu_engine.h.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ir/graph.h"
#include "runtime/cpu_step.h"

namespace bnnc::runtime {

enum class Storage { U8, I32, Bits };

// One tensor of one frame: HWC (a vector is 1×1×C). Bits: words_per_pixel words per pixel.
struct BufferSpec {
  Storage storage = Storage::I32;
  int h = 1, w = 1, c = 1;
  int words_per_pixel = 0;
  std::size_t frame_bytes = 0;  // rounded up to 64 so that frames start on a cache line
  int alias_of = -1;            // a reshape: the bytes of that buffer, seen with a new shape
};

struct CpuPlan {
  std::vector<BufferSpec> buffers;
  std::vector<Step> steps;
  int input_buffer = 0;
  std::size_t input_size = 0;  // bytes (uint8 pixels) per image
  std::int64_t macs_per_frame = 0;
};

// Compiles a streamlined graph that ends in labelselect. Throws bnnc::Error naming the layer the
// engine cannot run (float ops, a fixed-point input wider than 8 bits).
CpuPlan compile_cpu_plan(const Graph& graph);

// The largest mismatch count D = N − P of a binary layer for which its output x ≥ threshold: x =
// P, or on a zero-padded conv's interior x = 2·P0 − N (zero_pad_correction.h); clamped to [−1, N]
// (−1 never fires, N always does). The plan's fused thresholds and the engine's fused adds both
// take their limits from here.
std::int64_t layer_mismatch_limit(const BinaryLayerStep& layer, std::int64_t threshold);

}  // namespace bnnc::runtime
