// The contents of the RTL blocks' memories, as $readmemh text (one hexadecimal word per line,
// most significant digit first, address 0 first). Each function writes the layout its block's
// header comment in rtl/ describes; the maths of what a bit means is derived there.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "fold/dataflow_graph.h"

namespace bnnc {

// A word of `width` bits built field by field; to_hex() gives ⌈width/4⌉ digits.
class HexWord {
 public:
  explicit HexWord(int width);
  // Stores the low `bits` bits of value (two's complement) at bit `offset`.
  void set(int offset, int bits, std::int64_t value);
  std::string to_hex() const;

 private:
  int width_;
  std::vector<std::uint64_t> words_;
};

// MVTU weights: NF·SF words of PE·SIMD bits; word nf·SF + sf (sf·NF + nf for a dense layer in
// the input-stationary order), PE p, bit s = weight of row nf·PE + p, column sf·SIMD + s. Padded
// rows are 0; padded columns 1 for binary input (so that XNOR with the zero-filled input adds
// nothing), 0 for integer input.
std::string mvtu_weight_rom(const Block& mvtu, const Graph& ir);

// Weight-reuse MVTU schedule (rtl/bnn_mvtu_wr.sv): one word per cycle of the vector
// (fold/weight_reuse_schedule.h), bit 0 full (group 0: computed in full from the input word), 1
// the group's first cycle, 2 its last, then PE lanes of {active, negated, row (RW bits), parent
// (RW), c (ACC_BITS+2, signed), SIMD × {enable, weight bit, position (SFW bits)}}, RW =
// max(1, ⌈log2 MH⌉), SFW = max(1, ⌈log2 IN_WORDS⌉). In full, position is the cycle and the
// enable masks the columns past MW; otherwise lane j's k-th cycle walks the k-th position of D in
// column j.
std::string weight_reuse_rom(const Block& mvtu, const Graph& ir);

// MVTU thresholds: NF words of PE lanes {negate, T (ACC_BITS+2 bits)}, T clamped into
// [lo, hi + 1] of the accumulator type; padded rows never fire.
std::string mvtu_threshold_rom(const Block& mvtu, const Graph& ir);

// Thresholding: CH/LANES words of LANES lanes {negate, T (BITS+2 bits)}, T clamped likewise.
std::string thresholding_rom(const Block& thresholding, const Graph& ir);

// Quantize table: 2^8 words of the output element width.
std::string quantize_rom(const Block& input, const Graph& ir);

// Label-select bias: ⌈C/LANES⌉ words of LANES score_bits-bit lanes (0 past the classes).
std::string label_bias_rom(const Block& label, const Graph& ir, int score_bits);

// Join table (bnn_add_streams with TABLE = 1), the ROM of the lanes in slot k of a channel group
// (G: one pixel's channels in a word, k < G): C/G·span words of table_bits bits, word g·span + i
// = offsets[(g·G + k)·span + i] (ir/op.h).
std::string add_table_rom(const Block& join, const Graph& ir, int slot);

// The signed width that holds every score + bias of a label select.
int label_score_bits(const Block& label, const Graph& ir);

// The threshold of a comparison "x ≥ t" on values in `range`, moved into [lo, hi + 1] without
// changing any outcome.
std::int64_t clamp_threshold(std::int64_t t, ValueRange range);

}  // namespace bnnc
