// The steps that need no kernel from the table (kernels.h): plain loops over one frame, and the
// padded images the layers' kernels read their windows from. Pointers are to one frame of the
// step's buffers (cpu_plan.h), laid out as their BufferSpec says.
#pragma once

#include <cstdint>

#include "ir/classification.h"
#include "runtime/cpu_plan.h"

namespace bnnc::runtime {

void quantize_frame(const QuantizeStep& step, const BufferSpec& in, const std::uint8_t* src,
                    std::uint8_t* dst);
// A threshold on int32 values or (without the byte kernel) on uint8 pixels.
void threshold_frame(const ThresholdStep& step, const BufferSpec& in, const BufferSpec& out,
                     const std::uint8_t* src, std::uint8_t* dst);
void repack_frame(const BufferSpec& in, const BufferSpec& out, const std::uint8_t* src,
                  std::uint8_t* dst);
// Output rows [oy_begin, oy_end) (−1: to the last).
void maxpool_frame(const MaxPoolStep& step, const BufferSpec& in, const BufferSpec& out,
                   const std::uint8_t* src, std::uint8_t* dst, int oy_begin = 0, int oy_end = -1);
void global_sum_pool_frame(const BufferSpec& in, const std::uint8_t* src, std::uint8_t* dst);
// in0 (int32) + in1's term (int32 or bits, through the table when there is one).
void add_frame(const AddStep& step, const BufferSpec& in, const BufferSpec& in2,
               const std::uint8_t* a, const std::uint8_t* b, std::uint8_t* dst);
void label_frame(const LabelStep& step, const BufferSpec& in, const std::uint8_t* src,
                 Classification& result);

// A padded copy of a bit image into `padded` (the input itself when the layer has no padding),
// its rows [row_begin, row_end) of the padded image (−1: to the last).
const std::uint64_t* pad_bits(const BinaryLayerStep& step, const BufferSpec& in,
                              const std::uint8_t* src, std::uint8_t* padded, int row_begin = 0,
                              int row_end = -1);
// The padded byte image a fixed layer reads its windows from, its rows [row_begin, row_end).
// A fused quantize's table runs on kernels.byte_lookup when the variant has one.
void byte_image(const FixedLayerStep& step, const BufferSpec& in, const std::uint8_t* src,
                std::uint8_t* image, const KernelTable& kernels, int row_begin = 0,
                int row_end = -1);

}  // namespace bnnc::runtime
