// The dataflow graph: one streaming block per piece of a layer, as FINN builds it, with the
// folding of every block. Vocabulary (FINN's, kept on purpose; DESIGN.md §3):
//
//   MH, MW   a matrix layer's rows (output channels) and columns (synapses, K·K·C for a conv)
//   PE       rows computed in parallel; row r lives in PE r mod PE, at slot r div PE
//   SIMD     synapses each PE consumes per cycle
//   NF       neuron fold   = MH/PE  (MH padded up to a multiple of PE with rows that never fire)
//   SF       synapse fold  = MW/SIMD (MW padded up to a multiple of SIMD with bits that add 0)
//   MMV      output pixels computed in parallel, sharing the weights
//   cycles   per frame: an MVTU takes NF · SF · OFM_H · OFM_W / MMV
//
// Blocks stream elements in words; a block's `in_elems`/`out_elems` say how many elements make
// one word (a MVTU reads SIMD and writes PE). A width converter (DWC) sits wherever a producer's
// word differs from its consumer's.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ir/graph.h"

namespace bnnc {

enum class BlockKind {
  Input,             // the input stream (pixels, possibly through a quantize table)
  Thresholding,      // a threshold with no matrix layer before it (e.g. on raw pixels)
  FmPadding,         // adds the border of a padded conv
  Swu,               // sliding window unit: streaming im2col with a line buffer
  Mvtu,              // matrix-vector(-threshold) unit
  StreamingMaxPool,  // OR/AND pooling on bits
  LabelSelect,       // argmax (+ per-class bias)
  Dwc,               // stream width converter
  Duplicate,         // a fork: copies its stream to every consumer (FINN's DuplicateStreams)
  AddStreams,        // a join: adds two integer streams element by element (a residual add)
  GlobalSumPool,     // global average pooling kept as a sum: HWC → [C] (ir/op.h)
  Count
};

const char* block_kind_name(BlockKind kind);

// The loop order of a dense MVTU (docs/dense-order.md). Output-stationary (FINN's): per group of
// PE rows, all SF input words, so a row's result is ready after SF cycles but the last group
// needs the whole vector. Input-stationary: per input word of SIMD synapses, all NF groups of
// rows update their accumulators, so the whole output is ready NF cycles after the last word.
enum class DenseOrder { Output, Input };

const char* dense_order_name(DenseOrder order);  // "output", "input"

struct Block {
  std::string name;
  BlockKind kind = BlockKind::Input;
  std::vector<int> inputs;  // blocks it reads (two for AddStreams)
  int layer = -1;           // the IR node it computes (MVTU: the dense/conv2d)
  int threshold = -1;       // MVTU: the fused threshold node, or -1 (raw popcounts out)

  // Feature maps (HWC); a vector is 1×1×C.
  int ifm_h = 1, ifm_w = 1, ifm_c = 1;
  int ofm_h = 1, ofm_w = 1, ofm_c = 1;
  int kernel = 1, stride = 1, pad = 0;
  // FmPadding in front of a padded max-pool: the border takes, per channel, the value that never
  // wins the pool (the input type's least value, its greatest for a min channel) instead of the
  // conv's pad value (pad_element in fold/pad_element.h).
  // A zero-padded convolution (ir/op.h, PadMode::Zero): its FMPadding fills the border with bit 0
  // and its MVTU leaves out the synapses that fall there, from the window's position in the
  // image_h × image_w input (docs/zero-padding.md). Its output is the signed dot product y.
  bool zero_pad = false;
  int image_h = 0, image_w = 0;  // MVTU of a conv: the input image before padding

  // Matrix (MVTU only): real and padded sizes, and the folding.
  int mh = 0, mw = 0;
  int mh_padded = 0, mw_padded = 0;
  int pe = 1, simd = 1, mmv = 1;

  int in_bits = 1, out_bits = 1;    // width of one element in and out
  int in_elems = 1, out_elems = 1;  // elements per stream word in and out
  int acc_bits = 0;                 // MVTU accumulator width

  std::int64_t cycles = 0;  // per frame, set by apply_folding; with early_exit, the worst case

  // MVTU: stop a PE-row group's synapse loop once every row's output is decided (early
  // termination, sim/early_exit.h); its cycles per vector then depend on the data.
  bool early_exit = false;

  // MVTU: the weight-reuse variant (fold/weight_reuse_schedule.h): each kernel from its parent in
  // the kernels' spanning tree on the positions where they differ; cycles static, set with the
  // schedule's per-vector cost by apply_folding (reuse_vector_cycles, 0 without).
  bool weight_reuse = false;
  std::int64_t reuse_vector_cycles = 0;
  int reuse_groups = 0;  // the schedule's groups per vector
  // Per vector: synapses computed (Σ |D|, against MH·MW plain) and the cycles full compaction
  // across lanes would take (WeightReuseSchedule::ideal_cycles), for the reports.
  std::int64_t reuse_synapses = 0, reuse_ideal_cycles = 0;

  // MVTU: the input-reuse variant (sim/input_reuse_mvtu.h): each window of an output row from the
  // previous window's P on the positions where the two differ; its cycles depend on the data
  // (`cycles` stays the plain worst case, NF·SF a vector, which the first window of a row takes).
  bool input_reuse = false;

  // AddStreams with a table on its second input (ir/op.h AddAttrs): entries per channel and the
  // signed width of an offset; 0 without one.
  int table_span = 0, table_bits = 0;

  // Pixels side by side in one word in and out (fold/stream_order.h): an MVTU's MMV, the SWU's
  // MMV windows, the input's whole pixels; 1 = one pixel's channel group (or a run of a vector).
  int in_pixels = 1, out_pixels = 1;
  // StreamingMaxPool: it (and its border) keeps its producer's pixels a word whatever its pace
  // (Folding::pool_words, PoolWords::Producer); false: the fewest that keep the pace.
  bool producer_words = false;
  DenseOrder dense_order = DenseOrder::Output;  // MVTU of a dense layer: its loop order

  std::int64_t pixels_in() const { return static_cast<std::int64_t>(ifm_h) * ifm_w; }
  std::int64_t pixels_out() const { return static_cast<std::int64_t>(ofm_h) * ofm_w; }
  std::int64_t elements_in() const { return pixels_in() * ifm_c; }  // per frame
  std::int64_t elements_out() const { return pixels_out() * ofm_c; }
  // An MVTU computing a convolution (its windows come from an SWU) rather than a dense layer.
  bool is_conv() const { return kernel > 1 || ofm_h * ofm_w > 1; }
  // The channels SIMD must divide without padding: a convolution's input channels (the SWU emits
  // one channel group of a pixel at a time), a dense layer's columns.
  int simd_channels() const { return is_conv() ? mw / (kernel * kernel) : mw; }
  // Whether the early-exit MVTU can compute it: binary input and one fused threshold per row (an
  // output that is a popcount or a sum of pixels is never decided before its last synapse), no zero
  // padding (its border synapses would need their own count of what remains).
  bool can_exit_early() const {
    return kind == BlockKind::Mvtu && threshold >= 0 && in_bits == 1 && out_bits == 1 && !zero_pad;
  }

  // Whether the weight-reuse MVTU can compute it: binary input (the correction counts matches),
  // at least two rows, no zero padding (the border would change D per window).
  bool can_reuse_weights() const {
    return kind == BlockKind::Mvtu && in_bits == 1 && mh >= 2 && !zero_pad;
  }

  // Whether the input-reuse MVTU can compute it: a convolution whose output rows have at least
  // two windows (one without neighbours has nothing to reuse), binary input (the recurrence
  // counts matches), no zero padding (the border would change the synapses per window). The
  // folding must also give it MMV 1 (fold/folding.cpp).
  bool can_reuse_inputs() const {
    return kind == BlockKind::Mvtu && is_conv() && ofm_w >= 2 && in_bits == 1 && !zero_pad;
  }

  std::int64_t nf() const { return mh_padded / pe; }
  std::int64_t sf() const { return mw_padded / simd; }
  int in_word_bits() const { return in_bits * in_elems; }
  int out_word_bits() const { return out_bits * out_elems; }
};

struct DataflowGraph {
  Graph ir;                   // the streamlined network it was lowered from
  std::vector<Block> blocks;  // topological order; the last one yields the class

  std::vector<int> mvtus() const;                   // indices of the MVTU blocks, in order
  std::vector<std::vector<int>> consumers() const;  // per block, the blocks that read it
  int find(const std::string& name) const;
};

}  // namespace bnnc
