// One step of the CPU engine's plan (cpu_plan.h): a variant of one small struct per kind, each
// holding what its loop or kernel reads. The engine runs a step with std::visit over overloads
// (cpu_engine.cpp), so a new kind fails to compile until the engine handles it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "ir/op.h"
#include "runtime/kernels.h"
#include "runtime/zero_pad_correction.h"

namespace bnnc::runtime {

// Weights and per-row limits on 64-byte boundaries, as the kernels read them: a 512-bit load
// that straddles two cache lines costs two (an unaligned 128 KB vector, which the allocator
// places 16 bytes past a page, made LFC's batch-1 fc1 take 1.47 µs instead of 1.05).
template <typename T>
using CacheLineVector = std::vector<T, CacheLineAllocator<T>>;

// What every step has: the node it runs (for a fused layer: the dense/conv), its buffers.
struct StepHeader {
  std::string name;
  int in = -1, out = -1;  // buffers
  std::int64_t macs = 0;  // per frame
};

// uint8 pixels → int32 values through a table of 256.
struct QuantizeStep : StepHeader {
  std::vector<std::int32_t> table;
};

// A standalone threshold: bit c = (v ≥ thresholds[c]) XOR negate[c].
struct ThresholdStep : StepHeader {
  std::vector<std::int64_t> thresholds;
  std::vector<std::uint8_t> negate;
  // On uint8 input, as threshold_bytes reads them (ThresholdBytesArgs): the thresholds clamped
  // to 0..255 and, per 64 channels, the channels that never fire (T > 255) and those negated.
  std::vector<std::uint8_t> byte_thresholds;
  std::vector<std::uint64_t> never_fire_words, negate_words;
};

// A reshape of bits whose channels do not fill whole words: the bits move to the new layout.
struct RepackStep : StepHeader {};

// What the binary and fixed-point layers share: the conv's window (a dense layer is a 1×1
// window on a 1×1 image) and the layer's rows in panels.
struct LayerStep : StepHeader {
  int kernel = 1, stride = 1, pad = 0;
  std::int64_t pad_value = 0;
  int rows = 0, cols = 0;  // MH, MW
  int panel_count = 0;     // of 8 rows (binary) or 16 (fixed)
  bool fused = false;      // a threshold follows in the kernel: the output is bits
  // A conv's implicit im2col (kernels.h): where each output pixel's window starts in the padded
  // input image and where each of its words (binary) or 4-byte groups (fixed) lies from there.
  std::vector<std::int32_t> row_offsets, col_offsets;
};

// A residual add and the threshold after it, run inside the conv whose counts it adds (the
// engine fuses them when its kernels can, KernelTable::binary_gemm_add): each output bit compares
// the conv's count with a limit the add's other input picks at the same pixel, so that the
// counts are never stored (kernels.h, BinaryGemmArgs::shortcut_bits).
struct FusedAdd {
  std::string name;  // the add's
  int in2 = -1;      // the shortcut's buffer
  AddThresholdMode mode = AddThresholdMode::Bits;
  // The add's limits on the conv's output value x (AddStep::limits) and its table's span and
  // least shortcut value (Table).
  std::vector<std::int32_t> limits;
  std::int64_t span = 0, in1_min = 0;
  // The same as mismatch limits of the kernel (8 per panel, −1 on rows past MH; the layer's
  // max_mismatches hold those of a shortcut bit 0): Bits, those of a shortcut bit 1; Table, one
  // per (row, shortcut value) at r·span + v − in1_min.
  CacheLineVector<std::int64_t> max_mismatches_one;
  std::vector<std::int32_t> max_mismatches_table;
};

// A dense or conv layer on bits (binary_gemm).
struct BinaryLayerStep : LayerStep {
  bool direct = false;    // the input rows are the input buffer itself (dense, 1×1 conv)
  int words_per_row = 0;  // K
  CacheLineVector<std::uint64_t> panels;
  PreparedWeights prepared;  // filled by the engine when its variant has prepare_binary
  // Fused threshold: the largest mismatch count that fires, 8 per panel (dmax), and the negated
  // rows, one byte per panel.
  CacheLineVector<std::int64_t> max_mismatches;
  std::vector<std::uint8_t> negate_bits;
  // A zero-padded conv on bits: pad bit 0, then the border corrected (zero_pad_correction.h);
  // max_mismatches then holds the interior thresholds.
  bool zero_padded = false;
  ZeroPadCorrection zero_pad;
  // Run with the variant's early-exit kernel (set by the engine, CpuEngineOptions).
  bool early_exit = false;
  // A conv run with the variant's input-reuse kernel, or with its windows equal to their left
  // neighbour copied (skip_equal_windows.h); set by the engine, CpuEngineOptions.
  bool input_reuse = false;
  bool skip_equal_windows = false;
  // A residual add and its threshold fused into the layer by the engine: the output is their
  // bits (fused is then set, max_mismatches and negate_bits being the add's).
  std::optional<FusedAdd> add;
};

// A dense or conv layer on fixed-point input, binary weights (fixed_gemm).
struct FixedLayerStep : LayerStep {
  int groups_per_row = 0;  // K4, 4-byte groups
  int offset = 0;          // stored byte = value + offset
  CacheLineVector<std::int8_t> panels;
  std::vector<std::int32_t> correction;  // offset·Σ s per row
  // Fused threshold: the smallest Σ s·a that fires, 16 per panel (amin), and the negated rows,
  // 16 bits per panel.
  CacheLineVector<std::int32_t> min_sums;
  std::vector<std::uint16_t> negate_bits;
  // Fed by a quantize of uint8 pixels that nothing else reads: the quantize runs inside the
  // layer's byte image, byte = byte_table[pixel] (= table[pixel] + offset).
  std::vector<std::uint8_t> byte_table;
};

// Max over each window; the channels marked in min_channels take the min. A window reads only
// its pixels inside the input: the `pad` border never wins (ir/op.h).
struct MaxPoolStep : StepHeader {
  int kernel = 1, stride = 1, pad = 0;
  std::vector<std::uint8_t> min_channels;
  std::vector<std::uint64_t> min_mask;  // on bits: the min_channels per pixel word
};

// Element-wise sum of an int32 tensor and an int32 or bit tensor (a residual join), the second
// through the add's per-channel table when it has one (ir/op.h, ir/add_apply.h).
struct AddStep : StepHeader {
  int in2 = -1;
  AddAttrs attrs;
  bool in2_bits = false;
  // The threshold after the add in the same step (its one reader, per-channel thresholds): the
  // output is bits, each the compare of in0 with a limit (kernels.h, AddThresholdArgs).
  bool fused = false;
  AddThresholdMode mode = AddThresholdMode::Bits;
  std::vector<std::int32_t> limits;
  std::vector<std::uint64_t> negate_words;
  // The step before this one is the binary conv whose counts are in0 and nothing else reads
  // them (cpu_plan orders it so): the engine may run this step inside it (FusedAdd).
  bool after_own_conv = false;
};

// Global average pooling kept as a sum (ir/op.h): per channel the sum over the pixels, of ±1 on
// bits (2·ones − H·W), of the values on int32; the output is int32.
struct GlobalSumPoolStep : StepHeader {};

// The class: the highest score · 2^shift + bias (ir/label_select_apply.h), ties to the lowest
// index.
struct LabelStep : StepHeader {
  LabelSelectAttrs select;
};

using Step = std::variant<QuantizeStep, ThresholdStep, RepackStep, BinaryLayerStep, FixedLayerStep,
                          MaxPoolStep, AddStep, GlobalSumPoolStep, LabelStep>;

inline const StepHeader& header(const Step& step) {
  return std::visit([](const StepHeader& h) -> const StepHeader& { return h; }, step);
}

}  // namespace bnnc::runtime
