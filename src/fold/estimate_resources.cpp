#include "fold/estimate_resources.h"

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <numeric>

#include "core/ceil_div.h"
#include "fold/pixel_group.h"
#include "fold/size_fifos.h"

namespace bnnc {

namespace {

int bits_for(std::int64_t max_value) {
  int bits = 1;
  while ((std::int64_t{1} << bits) <= max_value) ++bits;
  return bits;
}

// Distributed RAM: a RAM64M holds 64 words × 3 bits in 4 LUTs, a RAM32M 32 × 6.
std::int64_t lutram_luts(std::int64_t depth, std::int64_t width) {
  if (depth <= 32) return ceil_div(width * 2, 3);
  return ceil_div(depth, 64) * ceil_div(width * 4, 3);
}

}  // namespace

Usage usage_of(const Resources& r) {
  return {r.luts, r.ffs, r.lutram_luts, r.bram18, r.urams, r.dsps};
}

Resources estimate_memory(std::int64_t depth, std::int64_t width) {
  if (depth <= 0 || width <= 0) return {};
  if (depth <= 64) {
    const std::int64_t luts = lutram_luts(depth, width);
    return {luts, 0, 0, 0, 0, luts};
  }
  return {0, 0, bram18_for(depth, width)};
}

namespace {

// memory_libmap's choice: 129 per RAMB18, one per 64 bits of logic ROM.
MemoryKind yosys_rom_kind(std::int64_t depth, std::int64_t width) {
  return depth * width < 64 * 129 * bram18_for(depth, width) ? MemoryKind::Lutram
                                                             : MemoryKind::Bram;
}

// Multiplexers joining the pieces of a ROM deeper than one block holds (measured W·log2 of the
// number of pieces, roughly).
std::int64_t cascade_luts(std::int64_t depth, std::int64_t piece_depth, std::int64_t width) {
  const std::int64_t pieces = ceil_div(depth, piece_depth);
  return pieces > 1
             ? width * static_cast<std::int64_t>(std::ceil(std::log2(static_cast<double>(pieces))))
             : 0;
}

// A ROM in the given kind of storage.
Resources estimate_rom_in(std::int64_t depth, std::int64_t width, MemoryKind kind) {
  if (depth <= 0 || width <= 0) return {};
  switch (kind) {
    case MemoryKind::Lutram: {
      // Logic, and bnn_rom's two output registers — on the address instead when the ROM has
      // fewer distinct columns than bits (Yosys builds each once; lutram_rom_luts).
      const std::int64_t columns = rom_distinct_columns(depth, width);
      return {lutram_rom_luts(depth, width), 2 * (columns < width ? bits_for(depth - 1) : width),
              0};
    }
    case MemoryKind::Bram:
      return {cascade_luts(depth, 1024, width), width, bram18_for(depth, width)};
    case MemoryKind::Uram: {
      Resources r{cascade_luts(depth, 4096 * 8, width), width, 0};
      r.urams = urams_for(depth, width);  // URAMs cascade in columns of 8 without LUTs
      return r;
    }
  }
  return {};
}

// Where a ROM goes: on a part where place_memory puts it, else where Yosys would.
MemoryKind rom_kind(std::int64_t depth, std::int64_t width, const Device* device) {
  return device ? place_memory(depth, width, *device) : yosys_rom_kind(depth, width);
}

}  // namespace

Resources estimate_rom(std::int64_t depth, std::int64_t width, const Device* device) {
  if (depth <= 0 || width <= 0) return {};
  return estimate_rom_in(depth, width, rom_kind(depth, width, device));
}

std::optional<MemoryKind> weights_kind(const Block& b, const Device* device) {
  if (b.kind == BlockKind::AddStreams && b.table_span > 0)
    return rom_kind(join_table_depth(b), b.table_bits, device);
  if (b.kind != BlockKind::Mvtu) return std::nullopt;
  return rom_kind(b.nf() * b.sf(), static_cast<std::int64_t>(b.pe) * b.simd, device);
}

std::int64_t join_table_depth(const Block& b) {
  return static_cast<std::int64_t>(b.ifm_c / (b.in_elems / b.in_pixels)) * b.table_span;
}

std::optional<MemoryKind> thresholds_kind(const Block& b, const Device* device) {
  if (b.kind != BlockKind::Mvtu || b.threshold < 0) return std::nullopt;
  return rom_kind(b.nf(), static_cast<std::int64_t>(b.pe) * (b.acc_bits + 3), device);
}

namespace {

// bnn_pixel_group (a padding, SWU, max-pool or reordering converter on words of several pixels;
// docs/pixel-parallel.md, "In the RTL"): one distributed-RAM bank per input lane, `slots` input
// words deep, and every read (an output lane, each of a pool lane's K² taps) reads each bank it
// can reach — any of the P_in pixel positions, the channel positions its lane takes — and keeps
// one. Fitted to Yosys 0.23 (synth_xilinx -family xc7 -flatten on the module alone) on four
// instances, LUTs within 8 % and FFs within 14 % on each (docs/pixel-parallel.md, "What it
// costs"): a bank bit takes one
// RAM32M (4 LUTs, 2 bits, up to 32 words) or RAM64M (4 LUTs, 1 bit, 64 words) per 3 reads;
// past 64 words each read bit of a candidate bank a LUT more per 64 words (the depth's mux);
// the counters and compares about 21·EW LUTs and 5·EW FFs per output pixel (EW: the width of a
// pixel count), the slot adders AW/3 LUTs a read; the word register an FF an output bit.
Resources estimate_pixel_group(const Block& b) {
  const std::int64_t in_g = b.in_elems / b.in_pixels, out_g = b.out_elems / b.out_pixels;
  const bool window = b.kind == BlockKind::Swu || b.kind == BlockKind::StreamingMaxPool;
  const bool taps = b.kind == BlockKind::Swu && out_g > b.ifm_c;
  const bool out_run = b.ofm_c % out_g != 0;
  const std::int64_t reads =
      b.out_elems * (b.kind == BlockKind::StreamingMaxPool ? std::int64_t{b.kernel} * b.kernel : 1);
  const std::int64_t spacing = taps ? in_g : std::gcd(in_g, out_g);
  const std::int64_t candidates = out_run ? b.in_elems : b.in_pixels * (in_g / spacing);
  // The words from the oldest one still read to the newest: a window's K − 1 rows and a word,
  // or two pixel groups, plus the read-ahead (src/rtl/pixel_group_buffer.cpp walks them).
  const std::int64_t row = static_cast<std::int64_t>(b.ifm_w) * b.ifm_c;
  const std::int64_t behind =
      window
          ? ceil_div((b.kernel - 1) * row, b.in_elems) + 1
          : ceil_div(2 * std::max<std::int64_t>(b.in_pixels, b.out_pixels) * b.ifm_c, b.in_elems);
  const std::int64_t slots = static_cast<std::int64_t>(std::bit_ceil(
      static_cast<std::uint64_t>(std::max<std::int64_t>(2, behind + pixel_group_slack(b)))));
  // A sliding window, max-pool or padding whose output pixel groups stay in a row (a padding's
  // may cross one: its run starts 2·PAD earlier; rtl/bnn_pixel_group.sv, LINEAR) reads its MMV
  // pixels at each (pool) tap as runs: per output channel lane and tap, each of the NL layers of
  // P banks the run spans once, then per output lane bit and tap a P-to-1 choice (a LUT6 per 4
  // inputs) and its position; one set of counters. The 2 LUTs a lane bit beyond the choice are
  // fitted to Yosys on three SWUs (docs/pixel-parallel.md, "What it costs": −8.4 %, −7.8 %,
  // −4.7 %), the pools' and paddings' terms on four instances ("The estimate of run-reading
  // pools and paddings").
  const bool padding = b.kind == BlockKind::FmPadding;
  const bool pool = b.kind == BlockKind::StreamingMaxPool;
  const bool crosses_row = padding && b.ofm_w % b.out_pixels != 0;
  const bool linear = !out_run &&
                      (b.ofm_w % b.out_pixels == 0 || (padding && b.out_pixels <= b.ofm_w)) &&
                      (taps || out_g % in_g == 0 || in_g % out_g == 0) && (window || padding);
  const std::int64_t run_taps = pool ? std::int64_t{b.kernel} * b.kernel : 1;
  const std::int64_t step = padding ? 1 : b.stride;
  const std::int64_t layers =
      (static_cast<std::int64_t>(b.out_pixels - 1) * step + (crosses_row ? 2 * b.pad : 0)) /
          b.in_pixels +
      1;
  const std::int64_t ports =
      linear ? out_g * run_taps * layers * b.in_pixels * (in_g / spacing) : reads * candidates;
  const std::int64_t counted_pixels = linear ? 1 : b.out_pixels;
  const std::int64_t lane_mux =
      linear ? b.out_elems * b.in_bits * run_taps * (ceil_div(b.in_pixels - 1, 3) + (pool ? 0 : 2))
             : 0;
  const std::int64_t banks = b.in_elems;
  const std::int64_t reads_per_bank = ceil_div(ports, banks);
  // Yosys keeps a run-reading max-pool's banks in flip-flops up to 16 slots (measured at 8 and
  // 16; at 32 and 64 the same pool takes RAM32M/RAM64M again): a slots-to-1 multiplexer per read
  // bit (2 LUT6 and a MUXF7 at 8, about 5 LUTs at 16).
  const bool ff_banks = linear && pool && slots <= 16;
  const std::int64_t ram_luts =
      ff_banks      ? 0
      : slots <= 32 ? banks * ceil_div(b.in_bits, 2) * ceil_div(reads_per_bank, 3) * 4
                    : banks * b.in_bits * ceil_div(slots, 64) * ceil_div(reads_per_bank, 3) * 4;
  const std::int64_t bank_mux = ff_banks ? ports * b.in_bits * ceil_div(5 * slots, 16) : 0;
  const std::int64_t aw = bits_for(slots - 1);
  const std::int64_t ew =
      bits_for(2 * (b.pixels_in() + b.pixels_out() + pixel_group_slack(b) * b.in_pixels)) + 2;
  const std::int64_t depth_mux =
      slots > 64 && !ff_banks ? ports * b.in_bits * ceil_div(slots, 64) : 0;
  const std::int64_t addresses = linear ? out_g * run_taps * layers * b.in_pixels : reads;
  // A run-reading padding checks each output pixel against the border and the words read (a
  // pair of compares a pixel, no counters); one crossing a row picks one of two run positions
  // per lane bit.
  const std::int64_t pixel_checks = linear && padding ? 4 * ew * b.out_pixels : 0;
  const std::int64_t row_choice = linear && crosses_row ? 7 * b.out_elems * b.in_bits : 0;
  Resources r;
  r.lutram_luts = ram_luts;
  r.luts = 60 + ram_luts + bank_mux + depth_mux + lane_mux + pixel_checks + row_choice +
           21 * ew * counted_pixels + ceil_div(addresses * aw, 3);
  r.ffs = 40 + b.out_word_bits() + 5 * ew * counted_pixels + 8 * ew +
          (ff_banks ? banks * b.in_bits * slots : 0);
  return r;
}

// A binary synapse's share of its PE's popcount (estimate_block): 1.24 LUTs on bnn_popcount alone
// (SIMD 8–1,024), 1.30 on the MVTUs of the main job's LFC synthesized whole (PE 16 × SIMD 128:
// 3,419 LUTs against 3,299 at 1.24; docs/rtl.md, "Popcount").
constexpr double kBinarySynapseLuts = 1.30;

// An integer-input MVTU's adders (estimate_block), LUTs per input bit and synapse: a PE's
// kIntPerPe, a window's kIntSum (its Σ x and what else grows with the windows). Fitted to Yosys
// 0.23 on bnn_mvtu at MMV 1, PE 8, SIMD 9 and PE 16, SIMD 3 (8-bit input; 1.6 LUTs a bit per PE
// also on the adders alone at PE 4 and 16, SIMD 9); docs/rtl.md, "Integer input".
constexpr double kIntPerPe = 1.6, kIntSum = 3.0;
// The same MVTU with its adders in DSP chains (bnn_mvtu's USE_DSP 2): what stays in logic,
// fitted to Yosys 0.23 (synth_xilinx -family xc7) on six units, 8-bit input, PE 4–16, SIMD 9 and
// 21, SF 1 and 3 (tests/unit/fold_test.cpp, Fold.DspChainMvtuEstimateIsNearYosys: −4 … +14 %).
// Per window and input bit its skew registers (kDspSkewPerInputBit); per distinct weight column
// — a lane's weights, as few as the ROM's 2^depth allows, which Yosys builds once each — its
// skew and operand choice (kDspPerColumn, far less when the weight ROM is at most 8 words deep,
// where they merge into the ROM's LUTs); and with SF = 1 no accumulator adder, only the
// threshold's compare.
constexpr double kDspBase = 113.0, kDspSkewPerInputBit = 0.45, kDspPerColumn = 2.75,
                 kDspPerShallowColumn = 0.6;

// bnn_mvtu's SUM_BITS for integer input: a word's partial sum, IN_BITS + ⌈log2(SIMD + 1)⌉ + 1.
std::int64_t integer_sum_bits(const Block& b) { return b.in_bits + bits_for(b.simd) + 1; }

}  // namespace

int dsp_chain_form(const Block& b) {
  if (b.kind != BlockKind::Mvtu || b.in_bits < 2 || b.in_bits > 24 ||
      b.dense_order != DenseOrder::Output || b.weight_reuse || b.input_reuse || b.early_exit ||
      b.zero_pad)
    return 0;
  // A pair's weight word ±1 ± 2^F (F the partial sum's bits) takes F + 2 bits of the slice's
  // 25-bit A port, and the two sums 2F of its 48.
  return integer_sum_bits(b) + 2 <= 25 ? 2 : 1;
}

std::int64_t dsp_slices(const Block& b, int dsp_pe) {
  const int form = dsp_chain_form(b);
  if (form == 0 || dsp_pe <= 0) return 0;
  const std::int64_t chains = form == 2 ? ceil_div(dsp_pe, 2) : dsp_pe;
  return static_cast<std::int64_t>(b.mmv) * chains * b.simd;
}

int dsp_pes_within(const Block& b, std::int64_t slices) {
  const int form = dsp_chain_form(b);
  if (form == 0 || slices <= 0) return 0;
  const std::int64_t chains = slices / (static_cast<std::int64_t>(b.mmv) * b.simd);
  return static_cast<int>(std::min<std::int64_t>(b.pe, form * chains));
}

Resources estimate_block(const Block& b, const Device* device, std::optional<MemoryKind> weights_in,
                         int dsp_pe) {
  if (is_pixel_group(b)) return estimate_pixel_group(b);
  Resources r;
  const std::int64_t in_word = b.in_word_bits(), out_word = b.out_word_bits();
  switch (b.kind) {
    case BlockKind::Input:
      // A wire, or a quantize table per element (about 14 LUTs for 8 bits; not counted: the
      // block does not know whether it has one).
      break;
    case BlockKind::Thresholding: {
      // One comparator per lane; thresholds in a ROM of C/lanes words of lanes·(bits + 3).
      const std::int64_t lanes = b.in_elems;
      r.luts = 40 + lanes * b.in_bits / 2;
      r.ffs = 10 + lanes;
      r += estimate_rom(ceil_div(b.ifm_c, lanes), lanes * (b.in_bits + 3), device);
      break;
    }
    case BlockKind::FmPadding:
      r.luts = 30 + in_word;
      r.ffs = 20 + in_word;
      break;
    case BlockKind::Swu: {
      // Address counters, and a line buffer of K + 1 image rows. With SIMD over kernel taps
      // (t = SIMD / C taps a word) the buffer is read at t taps a cycle: t banks of a t-th of
      // the depth (the same bits, more BRAMs when shallow) and a t-to-1 multiplexer per output
      // bit (a LUT6 takes 4 inputs of a wider one, so ⌈(t − 1) / 3⌉ LUTs a bit).
      const std::int64_t taps = std::max(1, b.out_elems / b.out_pixels / b.ifm_c);
      const std::int64_t words =
          static_cast<std::int64_t>(b.kernel + 1) * b.ifm_w * b.ifm_c / b.in_elems;
      r.luts = 60 + ceil_div(3 * out_word, 2) + out_word * ceil_div(taps - 1, 3);
      r.ffs = 40 + out_word;
      const Resources bank = estimate_memory(ceil_div(words, taps), in_word);
      for (std::int64_t t = 0; t < taps; ++t) r += bank;
      break;
    }
    case BlockKind::Mvtu: {
      // Per PE: the XNORs and popcount of SIMD synapses, rtl/bnn_popcount.sv with its counters
      // on LUT6_2 and carry chains (BNN_XILINX_PRIMITIVES) — measured with Yosys 0.23
      // synth_xilinx on the module alone (docs/rtl.md, "Popcount"): 10, 19, 39, 83, 154, 330,
      // 631 LUTs at SIMD 8, 16, 32, 64, 128, 256, 512, about 1.24·SIMD alone and 1.30 inside
      // the whole LFC design (kBinarySynapseLuts); an integer input (Σ ±x as
      // 2·Σ_{w=1} x − Σ x, rtl/bnn_mvtu.sv) the adders of the inputs its weights select, and per
      // window the sum of its inputs, which its PEs share (kInt*: fitted to Yosys on bnn_mvtu,
      // docs/rtl.md, "Integer input") — then the accumulator and the threshold comparator, 2 LUTs
      // per accumulator bit. Control and the input buffer of SF words are shared. Weights: one ROM
      // of NF·SF words of PE·SIMD bits; thresholds: one of NF words of PE·(acc + 3) bits.
      const double simd = b.simd;
      const double input_bits = simd * b.in_bits;
      BNNC_ASSERT(dsp_pe == 0 || (dsp_chain_form(b) > 0 && dsp_pe <= b.pe),
                  "block '{}': {} PEs in DSP chains", b.name, dsp_pe);
      const std::int64_t lut_pes = b.pe - dsp_pe;
      const std::int64_t synapse_luts =
          b.in_bits == 1 ? static_cast<std::int64_t>(std::llround(kBinarySynapseLuts * simd))
                         : static_cast<std::int64_t>(std::llround(input_bits * kIntPerPe));
      const std::int64_t window_sum_luts =
          b.in_bits == 1 ? 0
                         : (lut_pes > 0 ? std::llround(kIntSum * input_bits) : 0) +
                               (dsp_pe > 0 ? std::llround(kDspSkewPerInputBit * input_bits) : 0);
      const std::int64_t per_pe = synapse_luts + 2 * b.acc_bits + 2;
      const std::int64_t per_dsp_pe = (b.sf() == 1 ? 0 : b.acc_bits) + b.acc_bits + 2;
      const std::int64_t sum_bits =
          bits_for(static_cast<std::int64_t>(b.simd) << std::min(b.in_bits - 1, 32));
      const std::int64_t buffer_luts = lutram_luts(b.sf(), in_word);
      r.luts =
          60 + buffer_luts + b.mmv * (lut_pes * per_pe + dsp_pe * per_dsp_pe + window_sum_luts);
      if (dsp_pe > 0) {
        const std::int64_t depth = b.nf() * b.sf(),
                           width = static_cast<std::int64_t>(dsp_pe) * b.simd;
        const double columns = static_cast<double>(rom_distinct_columns(depth, width));
        // A LUT lane beside the chains waits their SIMD stages in shift registers (bnn_mvtu's
        // g_part_delayed): a LUT a sum bit and 32 stages.
        const std::int64_t delay_luts =
            static_cast<std::int64_t>(b.mmv) * lut_pes * integer_sum_bits(b) * ceil_div(b.simd, 32);
        r.luts +=
            delay_luts +
            std::llround(kDspBase + (depth <= 8 ? kDspPerShallowColumn : kDspPerColumn) * columns);
        r.dsps = dsp_slices(b, dsp_pe);
      }
      r.ffs = 40 + 2 * in_word + b.mmv * b.pe * (sum_bits + 2 * b.acc_bits + 1);
      r.lutram_luts = buffer_luts;
      if (b.dense_order == DenseOrder::Input) {
        // Input-stationary (docs/dense-order.md): no input buffer (each word is held for its NF
        // cycles in a register), but the accumulators of all NF·PE rows: per PE a memory of NF
        // words, read and written back every cycle — registers when NF = 1, else distributed
        // RAM (an asynchronous read, as the accumulate stage needs it in the same cycle).
        const std::int64_t acc_luts =
            b.nf() == 1 ? 0 : lutram_luts(b.nf(), static_cast<std::int64_t>(b.pe) * b.acc_bits);
        r.luts = 60 + acc_luts + b.pe * per_pe + window_sum_luts;
        r.ffs = 40 + 2 * in_word + b.pe * (sum_bits + 2 * b.acc_bits + 1);
        r.lutram_luts = acc_luts;
      }
      if (b.early_exit) {
        // Early exit (rtl/bnn_mvtu_exit.sv): per row the bounds compare, the input buffer's own
        // read port and the squash. Yosys measured +13–29 % of the plain unit's LUTs per layer on
        // CNV-W1A1, +19 % over its seven early-exit layers (docs/similarity.md): 19 % of the
        // unit's logic here, its memories unchanged.
        r.luts += ceil_div(r.luts * 19, 100);
      }
      if (b.weight_reuse) {
        // Weight reuse (fold/weight_reuse_schedule.h, rtl/bnn_mvtu_wr.sv). Each
        // (PE, SIMD lane) reads its own position of its column. P memory: per PE a copy of the G
        // words of PE results (its parent's group) and a PE:1 choice of the lane; the correction
        // adder (±P_parent + c + 2m) per PE; the finished vector's outputs in registers, leaving
        // through an NF:1 multiplexer. The schedule replaces the weight ROM: per cycle and PE,
        // SIMD positions (address, weight, valid), per group and PE the parent, sign and c.
        //
        // The LUTs, ROMs included, are fitted to Yosys (synth_xilinx; docs/similarity.md,
        // "Calibration"), not derived from those parts: with PE 1, 1.74 per (SIMD lane × SF word)
        // and 1.1 per row, less 40 — within 4 % of CNV-W1A1's fc6 and fc7 (977 and 1,422 LUTs) and
        // sfc's fc1, fc2 and fc3 (659, 668 and 415); with PE > 1 the P memory and the output buffer
        // are registers, written PE at a time and read through MH:1 choices: 3.4 more per (row ×
        // accumulator bit × PE), fitted to the one such unit measured (sfc's fc0 at PE 2,
        // SIMD 49: 20,476 LUTs).
        const std::int64_t pe = b.pe, groups = std::max(1, b.reuse_groups);
        Resources roms =
            estimate_rom(b.reuse_vector_cycles, pe * b.simd * (bits_for(b.sf() - 1) + 2), device);
        roms +=
            estimate_rom(groups, pe * (bits_for(groups) + bits_for(pe) + b.acc_bits + 1), device);
        if (b.threshold >= 0) roms += estimate_rom(b.nf(), pe * (b.acc_bits + 3), device);
        // The fit is of the unit's LUTs with its ROMs, so theirs are counted in it.
        const double lane_words = static_cast<double>(pe) * b.simd * static_cast<double>(b.sf());
        std::int64_t luts = std::llround(1.74 * lane_words + 1.1 * b.mh) - 40;
        if (pe > 1) luts += std::llround(3.4 * b.mh * b.acc_bits * static_cast<double>(pe));
        r.luts = std::max<std::int64_t>(luts - roms.luts, 100);
        const std::int64_t column_luts = pe * b.simd * ceil_div(b.sf(), 64);
        r.ffs += static_cast<std::int64_t>(b.mh) * b.out_bits + pe * b.acc_bits;
        r.lutram_luts = column_luts + pe * lutram_luts(groups, pe * b.acc_bits);
        r += roms;
        break;
      }
      if (b.input_reuse) {
        // Input reuse (sim/input_reuse_mvtu.h, rtl/bnn_mvtu_ir.sv): the plain unit's datapath and
        // thresholds; the weights a logic ROM whatever their size (each SIMD lane reads its PE bits
        // at its own address, asynchronously); and more logic for the per-lane position lists and
        // counts (written at a data-dependent index), the SF:1 input-bit choice per lane, the
        // lanes' gating and the P memory. An empirical fit to Yosys (synth_xilinx, the module
        // alone; docs/similarity.md, "Input reuse in the engines") on CNV-W1A1's conv1 (PE 32,
        // SIMD 32, NF 2, SF 18: 6,945 LUTs, the plain unit 3,739) and conv2 (16, 32, 8, 18: 5,676
        // against 3,460): over the plain unit with its weights in logic, 1.77 LUTs per (PE, SIMD)
        // lane and 0.143 per SIMD lane and SF² (the lane's structures grow faster than SF: conv3,
        // SF 36, measured 16,086 against the fit's 11,516 — the estimate is low there).
        const double lanes = static_cast<double>(b.pe) * b.simd;
        const double sf = static_cast<double>(b.sf());
        r.luts += std::llround(1.77 * lanes + 0.143 * b.simd * sf * sf);
        r += estimate_rom_in(b.nf() * b.sf(), static_cast<std::int64_t>(b.pe) * b.simd,
                             MemoryKind::Lutram);
        if (b.threshold >= 0)
          r += estimate_rom(b.nf(), static_cast<std::int64_t>(b.pe) * (b.acc_bits + 3), device);
        break;
      }
      if (weights_in) {
        r +=
            estimate_rom_in(b.nf() * b.sf(), static_cast<std::int64_t>(b.pe) * b.simd, *weights_in);
      } else {
        r += estimate_rom(b.nf() * b.sf(), static_cast<std::int64_t>(b.pe) * b.simd, device);
      }
      if (b.threshold >= 0)
        r += estimate_rom(b.nf(), static_cast<std::int64_t>(b.pe) * (b.acc_bits + 3), device);
      if (b.zero_pad) {
        // Zero padding (docs/zero-padding.md), no memory: the window-origin counters (wy, wx),
        // the tap counters (ky, kx, channel group), two adders and four comparators on pixel
        // coordinates, and per PE the choice between 2·matches − SIMD and 0 in accumulator width;
        // with MMV windows a word, per further window a column adder and two comparators, and
        // the choice per lane (MMV · PE).
        const std::int64_t coord = bits_for(std::max(b.image_h, b.image_w) + 2 * b.pad + b.kernel);
        const std::int64_t taps =
            2 * bits_for(b.kernel) +
            bits_for(b.sf() / (static_cast<std::int64_t>(b.kernel) * b.kernel));
        r.luts += 2 * coord + taps + 2 * coord + 4 * ceil_div(coord, 2) + 10 +
                  (b.mmv - 1) * (coord + 2 * ceil_div(coord, 2)) +
                  static_cast<std::int64_t>(b.mmv) * b.pe * b.acc_bits;
        // SIMD over kernel taps: a test per tap (a carry, a row adder, two comparators) and per
        // tap and window (a column adder, two comparators), the synapses inside per window, and
        // per lane and synapse the mask before the popcount (not measured in Yosys yet).
        const std::int64_t taps_a_word =
            b.simd > b.simd_channels() ? b.simd / b.simd_channels() : 1;
        if (taps_a_word > 1) {
          const std::int64_t mmv = b.mmv;
          r.luts += taps_a_word * (3 * coord + 2 * ceil_div(coord, 2)) +
                    mmv * taps_a_word * (coord + 2 * ceil_div(coord, 2) + bits_for(b.simd)) +
                    mmv * b.pe * b.simd;
        }
        r.ffs += 2 * coord + taps + 3;
      }
      break;
    }
    case BlockKind::StreamingMaxPool: {
      // Separable max: K − 1 pixels of the row and K − 1 rows of row maxima, both small RAMs.
      const std::int64_t groups = b.ifm_c / b.in_elems;
      r.luts = 60 + 2 * in_word;
      r.ffs = 30 + 2 * in_word;
      for (int k = 1; k < b.kernel; ++k) {
        r += estimate_memory(groups, in_word);
        r += estimate_memory(static_cast<std::int64_t>(b.ofm_w) * groups, in_word);
      }
      break;
    }
    case BlockKind::LabelSelect:
      r.luts = 10 + ceil_div(9 * b.in_elems * (b.in_bits + 1), 5);
      r.ffs = 2 * (b.in_bits + bits_for(b.ifm_c));
      break;
    case BlockKind::Dwc: {
      // A buffer of in + out elements moved in chunks of g = gcd(in, out) elements: each chunk
      // position selects among the in/g chunks of a word (measured 0.6 LUT per buffer bit and
      // choice). A vector that fits one word on both sides is a plain register.
      if (b.elements_in() <= std::min(b.in_elems, b.out_elems)) {
        r.luts = 10;
        r.ffs = b.out_elems * b.in_bits;
        break;
      }
      const std::int64_t g = std::gcd(b.in_elems, b.out_elems);
      const std::int64_t chunks = (b.in_elems + b.out_elems) / g;
      const std::int64_t chunk_bits = g * b.in_bits;
      r.luts = 20 + ceil_div(6 * chunks * chunk_bits * (b.in_elems / g + 1), 10);
      r.ffs = (b.in_elems + 2 * b.out_elems) * b.in_bits;
      break;
    }
    case BlockKind::Duplicate:  // a word register, a pending bit per consumer, the handshake
      r.luts = 10 + in_word;
      r.ffs = 2 * in_word;
      break;
    case BlockKind::AddStreams:  // an adder per lane
      r.luts = 20 + b.in_elems * b.out_bits;
      r.ffs = out_word;
      if (b.table_span > 0) {
        // Each lane reads its channel's rows of the table, C/G·span offsets (G: one pixel's
        // channels in a word), from a ROM of its own (bnn_rom, two read registers) at base + v1 −
        // in1_min (an adder of the address's bits); C·span offsets in all. Input 0 waits for the
        // read in two registers a lane. Where the ROMs go: as an MVTU's weights (placed on a
        // part, moved by estimate_graph's rebalancing; `weights_in` overrides).
        const std::int64_t depth = join_table_depth(b);
        const MemoryKind kind = weights_in ? *weights_in : *weights_kind(b, device);
        Resources rom = estimate_rom_in(depth, b.table_bits, kind);
        rom.luts += bits_for(depth);
        rom.ffs += 2 * b.in_bits;
        r.luts += b.in_elems * rom.luts;
        r.ffs += b.in_elems * rom.ffs + bits_for(depth);
        r.bram18 += b.in_elems * rom.bram18;
        r.urams += b.in_elems * rom.urams;
      }
      break;
    case BlockKind::GlobalSumPool:  // an adder per lane, a sum per channel (C/lanes words)
      r.luts = 20 + b.in_elems * b.out_bits + bits_for(b.pixels_in());
      r.ffs = out_word + bits_for(b.pixels_in());
      r += estimate_memory(ceil_div(b.ifm_c, b.in_elems), out_word);
      break;
    case BlockKind::Count: break;
  }
  return r;
}

Resources estimate_fifo(std::int64_t depth, std::int64_t width) {
  if (depth <= 0 || width <= 0) return {};
  if (depth <= 2) return {width + 4, depth * width + 4, 0};
  const std::int64_t pointer_bits = bits_for(depth);
  if (depth <= 64) {
    const std::int64_t srl_luts = width * ceil_div(depth, 32);
    return {srl_luts + 8 + pointer_bits, width + pointer_bits, 0, 0, 0, srl_luts};
  }
  Resources r = estimate_memory(depth, width);
  r.luts += 16 + 2 * pointer_bits;
  r.ffs += width + 2 * pointer_bits;
  return r;
}

Resources estimate_input_fifo(const Block& block, const Block& producer) {
  return estimate_fifo(input_fifo_depth(block, producer), block.in_word_bits());
}

namespace {

// A kind's share of the part: used / cap (a kind the part lacks is full at any use).
double share(std::int64_t used, std::int64_t cap) {
  return cap > 0 ? static_cast<double>(used) / static_cast<double>(cap) : (used > 0 ? 1e9 : 0.0);
}

std::int64_t used_of(const Resources& r, MemoryKind kind) {
  switch (kind) {
    case MemoryKind::Lutram: return r.luts;
    case MemoryKind::Bram: return r.bram18;
    case MemoryKind::Uram: return r.urams;
  }
  return 0;
}

std::int64_t cap_of(const DeviceCaps& caps, MemoryKind kind) {
  switch (kind) {
    case MemoryKind::Lutram: return caps.luts;
    case MemoryKind::Bram: return caps.bram18;
    case MemoryKind::Uram: return caps.urams;
  }
  return 0;
}

Resources minus(Resources a, const Resources& b) {
  a.luts -= b.luts;
  a.ffs -= b.ffs;
  a.bram18 -= b.bram18;
  a.urams -= b.urams;
  a.dsps -= b.dsps;
  a.lutram_luts -= b.lutram_luts;
  return a;
}

// See estimate_graph: move weight ROMs out of an over-full kind of storage.
void rebalance_weights(const DataflowGraph& graph, const Device& device, Estimate& e) {
  const DeviceCaps caps = device_caps(device);
  constexpr MemoryKind kKinds[] = {MemoryKind::Lutram, MemoryKind::Bram, MemoryKind::Uram};
  for (std::size_t round = 0; round < graph.blocks.size(); ++round) {
    std::optional<MemoryKind> full;
    for (MemoryKind k : kKinds) {
      if (used_of(e.total, k) > cap_of(caps, k)) full = k;
    }
    if (!full) return;
    int best_block = -1;
    MemoryKind best_to = *full;
    Resources best_r;
    double best_score = 0.0;
    for (int i = 0; i < static_cast<int>(graph.blocks.size()); ++i) {
      if (e.weights[i] != full) continue;
      for (MemoryKind to : kKinds) {
        if (to == *full || cap_of(caps, to) == 0) continue;
        const Resources r = estimate_block(graph.blocks[i], &device, to, e.dsp_pes[i]);
        const Resources after = minus(e.total, e.blocks[i]);
        Resources moved = after;
        moved += r;
        if (used_of(moved, to) > cap_of(caps, to)) continue;  // would overfill the other kind
        const double freed =
            share(used_of(e.blocks[i], *full) - used_of(r, *full), cap_of(caps, *full));
        const double taken = share(used_of(r, to) - used_of(e.blocks[i], to), cap_of(caps, to));
        if (freed <= 0) continue;
        const double score = freed / std::max(taken, 1e-9);
        if (score > best_score) {
          best_score = score;
          best_block = i;
          best_to = to;
          best_r = r;
        }
      }
    }
    if (best_block < 0) return;
    e.total = minus(e.total, e.blocks[best_block]);
    e.total += best_r;
    e.blocks[best_block] = best_r;
    e.weights[best_block] = best_to;
  }
}

}  // namespace

Estimate estimate_graph(const DataflowGraph& graph, const Device* device) {
  Estimate e;
  const std::vector<std::vector<int>> depths = size_fifos(graph);
  std::int64_t dsps_left = device ? device_caps(*device).dsps : 0;
  for (int i = 0; i < static_cast<int>(graph.blocks.size()); ++i) {
    const Block& b = graph.blocks[i];
    const int dsp_pe = dsp_pes_within(b, dsps_left);
    dsps_left -= dsp_slices(b, dsp_pe);
    e.dsp_pes.push_back(dsp_pe);
    e.blocks.push_back(estimate_block(b, device, std::nullopt, dsp_pe));
    e.weights.push_back(weights_kind(b, device));
    Resources fifos;
    for (int depth : depths[i]) fifos += estimate_fifo(depth, b.in_word_bits());
    e.fifos.push_back(fifos);
    e.total += e.blocks.back();
    e.total += e.fifos.back();
    if (b.cycles > e.bottleneck_cycles) {
      e.bottleneck_cycles = b.cycles;
      e.bottleneck_block = i;
    }
  }
  if (device) rebalance_weights(graph, *device, e);
  return e;
}

}  // namespace bnnc
