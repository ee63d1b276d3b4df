// The CPU engine's plan: compiled once from a streamlined graph (weights packed into the
// kernels' panels, thresholds turned into mismatch limits, one buffer per tensor), then run on
// any number of images by cpu_engine.h.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ir/graph.h"
#include "runtime/kernels.h"
#include "runtime/zero_pad_correction.h"

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

enum class StepKind { Quantize, Threshold, Repack, BinaryLayer, FixedLayer, MaxPool, Add, Label };

struct Step {
  StepKind kind = StepKind::Threshold;
  std::string name;                 // the node (for a fused layer: the dense/conv)
  int in = -1, in2 = -1, out = -1;  // buffers
  std::int64_t macs = 0;            // per frame

  // Binary/fixed layer: geometry.
  int kernel = 1, stride = 1, pad = 0, rows = 0, cols = 0;
  std::int64_t pad_value = 0;
  bool direct = false;  // the input rows are the input buffer itself (dense, 1×1 conv)
  int k = 0;            // words per input row (binary) or 4-byte groups (fixed)
  int panels = 0;
  // Weights and per-row limits on 64-byte boundaries, as the kernels read them: a 512-bit load
  // that straddles two cache lines costs two (an unaligned 128 KB vector, which the allocator
  // places 16 bytes past a page, made LFC's batch-1 fc1 take 1.47 µs instead of 1.05).
  template <typename T>
  using Aligned = std::vector<T, CacheLineAllocator<T>>;
  Aligned<std::uint64_t> bin_panels;
  PreparedWeights prepared;  // filled by the engine when its variant has prepare_binary
  Aligned<std::int8_t> fixed_panels;
  Aligned<std::int64_t> dmax;
  std::vector<std::uint8_t> neg8;
  std::vector<std::int32_t> amin, correction;
  std::vector<std::uint16_t> neg16;
  int offset = 0;  // fixed input: stored byte = value + offset
  bool fused = false;
  // A conv's implicit im2col (kernels.h): where each output pixel's window starts in the padded
  // input image and where each of its K words (binary) or 4-byte groups (fixed) lies from there.
  std::vector<std::int32_t> row_offsets, col_offsets;
  // Fixed layer fed by a quantize of uint8 pixels that nothing else reads: the quantize runs
  // inside the layer's byte image, byte = byte_table[pixel] (= table[pixel] + offset).
  std::vector<std::uint8_t> byte_table;
  // A zero-padded conv on bits: pad bit 0, then the border corrected (zero_pad_correction.h);
  // dmax then holds the interior thresholds.
  bool zero_padded = false;
  ZeroPadCorrection zero_pad;

  // Threshold (standalone), Quantize, MaxPool, Label.
  std::vector<std::int64_t> thresholds;
  std::vector<std::uint8_t> negate;
  std::vector<std::uint8_t> t8;  // threshold on uint8 input: ThresholdBytesArgs
  std::vector<std::uint64_t> never_words, neg_words;
  std::vector<std::int32_t> table;
  std::vector<std::uint64_t> min_mask;  // maxpool on bits: AND channels, per pixel words
  std::vector<std::uint8_t> min_channels;
  std::vector<std::int64_t> bias;
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

}  // namespace bnnc::runtime
