#include "fold/estimate_timeline.h"

#include <algorithm>

#include "core/ceil_div.h"

namespace bnnc {

namespace {

// The fraction of its input frame a block must have read before it can emit its first output.
double needed_fraction(const Block& b) {
  const auto in_pixels = static_cast<double>(b.pixels_in());
  switch (b.kind) {
    case BlockKind::Swu:
    case BlockKind::StreamingMaxPool:
      // K − 1 full rows and K pixels of the next one.
      return std::min(1.0, ((b.kernel - 1) * static_cast<double>(b.ifm_w) + b.kernel) / in_pixels);
    case BlockKind::Mvtu: return 0.0;         // reads (and accumulates) from the first word on
    case BlockKind::LabelSelect: return 1.0;  // every score
    case BlockKind::Thresholding:
    case BlockKind::Duplicate:
    case BlockKind::AddStreams:  // one word
      return std::min(1.0,
                      static_cast<double>(b.in_elems) / (in_pixels * static_cast<double>(b.ifm_c)));
    case BlockKind::GlobalSumPool:  // every pixel but the last, and one word of that
      return std::min(1.0, (in_pixels - 1 + static_cast<double>(b.in_elems) / b.ifm_c) / in_pixels);
    case BlockKind::Dwc: return 0.0;  // reads from the first word on
    case BlockKind::FmPadding:        // the border comes first, from nothing
    case BlockKind::Input:
    case BlockKind::Count: break;
  }
  return 0.0;
}

// Groups of PE rows holding real rows (the rest only pad the matrix: they never fire and the
// frame's last output leaves before them).
std::int64_t real_groups(const Block& b) { return ceil_div(b.mh, b.pe); }

// Windows of an SWU that read the last pixel of its input that is not a border its padding
// adds (pad = 0: the last window only). Behind a padding they are still to come when the last
// real pixel arrives: the padding writes the bottom border as fast as the SWU takes it.
// The first output row (column) of a window block whose window reaches input row (column) `last`.
int first_window_reaching(const Block& swu, int last) {
  return std::max(0, (last - swu.kernel + 1 + swu.stride - 1) / swu.stride);
}

std::int64_t windows_after_last_pixel(const Block& swu, int pad) {
  const int oy = first_window_reaching(swu, swu.ifm_h - pad - 1);
  const int ox = first_window_reaching(swu, swu.ifm_w - pad - 1);
  return static_cast<std::int64_t>(swu.ofm_h - oy - 1) * swu.ofm_w + (swu.ofm_w - ox);
}

// Windows of an SWU that read the last row of its input that is not a border its padding adds:
// they can start only once that row starts arriving.
std::int64_t windows_reading_last_row(const Block& swu, int pad) {
  const int oy = first_window_reaching(swu, swu.ifm_h - pad - 1);
  return static_cast<std::int64_t>(swu.ofm_h - oy) * swu.ofm_w;
}

// The border rows a window or pool block's input padding adds (0 without one).
int input_border(const DataflowGraph& graph, const Block& b) {
  const Block& in = graph.blocks[static_cast<std::size_t>(b.inputs[0])];
  return in.kind == BlockKind::FmPadding ? in.pad : 0;
}

// The cycles per frame at which an SWU's windows can leave: its own, or its consumers' when
// one is slower. An SWU emits its windows only as fast as the MVTU behind it takes them, so
// the windows still to come when its last input pixel arrives (windows_after_last_pixel) leave
// at that MVTU's pace, not at the SWU's (AlexNet's conv3.swu at 2,646 cycles a frame feeds an
// MVTU at 7,938: its last 16 windows take about 621 cycles, not 216).
std::int64_t window_pace(const DataflowGraph& graph, std::size_t swu) {
  std::int64_t pace = graph.blocks[swu].cycles;
  for (const Block& c : graph.blocks) {
    if (std::find(c.inputs.begin(), c.inputs.end(), static_cast<int>(swu)) != c.inputs.end()) {
      pace = std::max(pace, c.cycles);
    }
  }
  return pace;
}

// Cycles a block still works after its last input arrived: one output pixel's worth (an MVTU
// reads a vector during the first of its NF groups of SF cycles, then computes the others).
// `pace`: the cycles per frame its output can leave at (window_pace for an SWU).
std::int64_t tail(const Block& b, int pad, std::int64_t pace) {
  switch (b.kind) {
    case BlockKind::Mvtu:
      // Input-stationary: the pass of the last word over all NF groups, the words past MW that
      // only pad the columns (a pass each), and the real groups of the last pass emitting.
      if (b.dense_order == DenseOrder::Input) {
        return (b.sf() - ceil_div(b.mw, b.simd)) * b.nf() + real_groups(b);
      }
      // Weight reuse: the groups after the first (which read the vector), then the words of the
      // finished vector leave one a cycle.
      if (b.weight_reuse) return b.reuse_vector_cycles - b.sf() + real_groups(b);
      // Early exit: the groups after the last input at the share of its worst case that
      // b.cycles holds (its worst case unless the caller put the expected cycles a calibration
      // measured there, design/calibrate_variants.h).
      if (b.early_exit) {
        const std::int64_t worst = b.nf() * b.sf() * b.pixels_out() / std::max(1, b.mmv);
        return (real_groups(b) - 1) * b.sf() * b.cycles / std::max<std::int64_t>(1, worst) + 1;
      }
      return (real_groups(b) - 1) * b.sf() + 1;
    case BlockKind::Swu: {  // the windows that read the last real pixel
      // All but the last wait for the MVTU to take the one before (its pace); the last leaves
      // at the SWU's own, and the MVTU's tail counts the rest of its work on it.
      const std::int64_t n = windows_after_last_pixel(b, pad);
      return std::max<std::int64_t>(
          1, (pace * (n - 1) + b.cycles) / std::max<std::int64_t>(1, b.pixels_out()));
    }
    case BlockKind::StreamingMaxPool:  // the last output pixel
      return std::max(1, b.ofm_c / std::max(1, b.out_elems));
    case BlockKind::Dwc:  // the words one input word becomes
      return std::max(1, b.in_elems / std::max(1, b.out_elems));
    default: return 1;
  }
}

}  // namespace

Timeline estimate_timeline(const DataflowGraph& graph) {
  Timeline t;
  t.blocks.resize(graph.blocks.size());
  // When each block's first output leaves: its start, except for a dense layer, which must
  // have read its whole input before the first group of rows is done (output-stationary) or
  // emits everything after its last input word (input-stationary). Its consumers start from
  // there, its output spread over [first output, end].
  std::vector<std::int64_t> first_out(graph.blocks.size(), 0);
  // The cycles in which each block emits its last row of pixels. A block emits a row as fast as
  // the rows it reads arrive, or at its own pace when slower; with stride S (a pool, a strided
  // window) a row comes while the last of its S input rows arrives, so rows come in bursts
  // shorter than their average period (AlexNet's pool1 emits each row in one of conv1's rows,
  // 154 cycles, then waits one). Only streaming blocks' rows matter (below).
  std::vector<std::int64_t> last_row(graph.blocks.size(), 0);
  // When each block's last output leaves: its end, except for a window or pool that still reads
  // input rows no window needs ((H − K) mod S of them), after its last output. Its consumers
  // count from its last output.
  std::vector<std::int64_t> last_out(graph.blocks.size(), 0);
  for (std::size_t i = 0; i < graph.blocks.size(); ++i) {
    const Block& b = graph.blocks[i];
    BlockTiming& timing = t.blocks[i];
    std::int64_t producer_end = 0;
    // An SWU behind a padding: its window on the padding's producer (see windows_after_last_pixel).
    int pad = 0;
    if (b.kind == BlockKind::Swu && graph.blocks[b.inputs[0]].kind == BlockKind::FmPadding) {
      pad = graph.blocks[b.inputs[0]].pad;
      producer_end = std::max(last_out[b.inputs[0]], last_out[graph.blocks[b.inputs[0]].inputs[0]]);
    }
    // Behind a padding, the rows it needs first are partly border, which the padding writes
    // from nothing: what it waits for is the real rows and pixels of the padding's producer.
    if (pad > 0) {
      const Block& padding = graph.blocks[b.inputs[0]];
      const std::int64_t p_end = last_out[padding.inputs[0]];
      const double real = std::max(0, (b.kernel - 1 - pad) * padding.ifm_w + b.kernel - pad);
      const double fraction = std::min(1.0, real / static_cast<double>(padding.pixels_in()));
      const std::int64_t from = first_out[padding.inputs[0]];
      // The padding writes a word a cycle at most, border words too: the rows it writes before
      // the ones the window needs take it at least that fraction of its own cycles, counted from
      // the frame's first cycle (it writes its top border before any input arrives).
      const auto own_pace =
          static_cast<std::int64_t>(needed_fraction(b) * static_cast<double>(padding.cycles));
      timing.start =
          std::max(
              {own_pace, first_out[b.inputs[0]],
               from + static_cast<std::int64_t>(fraction * static_cast<double>(p_end - from))}) +
          1;
    }
    // A producer emits its frame spread over [start, last output] (at its own rate, or at a slower
    // consumer's), so the part a block needs first arrives that fraction of the way through.
    for (int input : b.inputs) {
      if (pad > 0) break;  // above
      const std::int64_t from = first_out[input];
      const auto needed = static_cast<std::int64_t>(needed_fraction(b) *
                                                    static_cast<double>(last_out[input] - from));
      timing.start = std::max(timing.start, from + needed + 1);
      producer_end = std::max(producer_end, last_out[input]);
    }
    // It cannot run faster than its own rate, nor finish before its last input arrived.
    // (An MVTU's groups of padded rows come last: the output-stationary order skips their SF
    // cycles, the input-stationary their cycles in the last pass.)
    const std::int64_t padded_groups = b.nf() - real_groups(b);
    const std::int64_t own = b.kind != BlockKind::Mvtu || b.weight_reuse ? b.cycles
                             : b.dense_order == DenseOrder::Input
                                 ? b.cycles - padded_groups
                                 : b.cycles - padded_groups * b.sf();
    const std::int64_t pace = b.kind == BlockKind::Swu ? window_pace(graph, i) : b.cycles;
    timing.end = std::max(timing.start + own, producer_end + tail(b, pad, pace));
    last_row[i] = ceil_div(pace, std::max(1, b.ofm_h));
    std::int64_t inherited = 0;
    for (int input : b.inputs) inherited = std::max(inherited, last_row[input]);
    if ((b.kind == BlockKind::Swu || b.kind == BlockKind::StreamingMaxPool) && b.ofm_h > 1) {
      // A last row that needs no input row the one before it did not (it reads only the bottom
      // border) follows that one at the block's own pace.
      const int last_real = b.ifm_h - 1 - input_border(graph, b);
      const int oy = b.ofm_h - 1;
      if (std::min(oy * b.stride + b.kernel - 1, last_real) <=
          std::min((oy - 1) * b.stride + b.kernel - 1, last_real)) {
        inherited = 0;
      }
    }
    last_row[i] = std::max(last_row[i], inherited);
    // The windows that read the producer's last real row start when that row starts arriving,
    // at their pace: when its rows come in bursts, more windows are left at its end than those
    // after its last pixel (AlexNet's conv2 behind pool1: 84 windows from 154 cycles before
    // pool1's end, not 59 from its end). The first group of windows needs (MMV − 1)·S + K − pad
    // pixels of that row.
    if (b.kind == BlockKind::Swu) {
      const int p = pad > 0 ? graph.blocks[b.inputs[0]].inputs[0] : b.inputs[0];
      const int real_w = b.ifm_w - 2 * pad;
      const double first = std::min(
          1.0, ((b.out_pixels - 1) * b.stride + b.kernel - pad) / static_cast<double>(real_w));
      const std::int64_t n = windows_reading_last_row(b, pad);
      const std::int64_t row_start =
          last_out[p] - last_row[p] +
          static_cast<std::int64_t>(first * static_cast<double>(last_row[p]));
      timing.end = std::max(timing.end, row_start + (pace * (n - 1) + b.cycles) /
                                                        std::max<std::int64_t>(1, b.pixels_out()));
    }
    last_out[i] = timing.end;
    if (b.kind == BlockKind::Swu || b.kind == BlockKind::StreamingMaxPool) {
      // Unread rows of a padding's bottom border come from nothing.
      const int unread = b.ifm_h - ((b.ofm_h - 1) * b.stride + b.kernel) - input_border(graph, b);
      last_out[i] -= std::max(0, unread) * last_row[b.inputs[0]];
    }
    first_out[i] = timing.start;
    if (b.kind == BlockKind::Mvtu && !b.is_conv()) {
      first_out[i] = b.dense_order == DenseOrder::Input
                         ? std::max(timing.start, timing.end - real_groups(b))
                         : std::max(timing.start + b.sf(), producer_end + 1);
    }
  }
  t.latency = t.blocks.empty() ? 0 : t.blocks.back().end;
  return t;
}

}  // namespace bnnc
