// The CPU engine's kernels and their instruction-set variants (ggml's model: one table of
// function pointers per ISA, each variant compiled with its own flags, picked at run time).
//
// Layouts (chosen once by the plan, cpu_plan.h):
//  - Bit activations: per pixel ceil(C/64) words, channel c in bit c % 64 of word c / 64; bits
//    past C are 0. A binary layer's input row (one dense input or one conv window) is K words:
//    for a conv, the K·K taps in (ky, kx) order, each tap's C bits starting on a fresh word.
//    A conv's rows are read in place from its (padded) input image (implicit im2col): row i
//    starts at row_offsets[i] (the window's top-left pixel) and its word k lies col_offsets[k]
//    further (the tap's pixel and word), so no window is ever copied.
//  - Binary weights in panels of 8 rows: panel p holds word k of rows 8p..8p+7 at
//    panels[(p·K + k)·8 + lane]. Rows past MH are all-zero. Padding bits are 0 in both operands.
//  - Fixed-point input rows: bytes a = x + offset (so that every x fits 0..255), K4 groups of 4
//    bytes; weights as ±1 int8 in panels of 16 rows: panels[((p·K4 + k)·16 + lane)·4 + j].
//    A conv reads its rows in place from the padded byte image, group k at col_offsets[k]: each
//    window row (kernel·C contiguous bytes) takes ⌈kernel·C/4⌉ groups, and the bytes of the last
//    group past the window row (the next pixels) get weight 0, as do columns past MW.
//
// The maths (DESIGN.md §2). Bits: with D = popcount(a XOR w) the number of mismatches over the
// N real synapses (padding bits are 0 in both, so they never mismatch), P = N − D, and
// "P ≥ T" ⇔ "D ≤ N − T" = dmax. Fixed point: with s = ±1, Σ s·x = Σ s·a − offset·Σ s, so
// "Σ s·x ≥ T" ⇔ "Σ s·a ≥ T + offset·Σ s" = amin (both per row, precomputed by the plan).
#pragma once

#include <cstddef>
#include <cstdint>
#include <new>
#include <vector>

namespace bnnc::runtime {

// Amx: the AVX-512 variant whose large binary and fixed-point layers run on the AMX tile unit
// (TDPBUSD, 16·16·64 byte MACs per instruction), kernels_amx.cpp.
enum class Isa { Portable, Avx2, Avx512, Amx, Count };

// "portable", "avx2", "avx512", "amx".
const char* isa_name(Isa isa);

// A binary layer's weights re-laid for a variant's own unit, made once per layer by
// KernelTable::prepare_binary from the bit panels (only the AMX variant has one). AMX: bits as
// bytes s = 2w − 1 (±1) in the tile layout of TDPBUSD, for each group t of 16 rows and word k a
// 16 × 64-byte tile at tiles[(t·K + k)·1024], byte 4·n + j of tile row q = s of bit 4q + j of row
// 16t + n; and Σ w per row. With a ∈ {0, 1} the input bits, Σ a·s = 2·Σ a·w − Σ a, so the
// mismatches are D = Σ a + Σ w − 2·Σ a·w = Σ w − Σ a·s: one byte dot product per row.
// Storage on 64-byte boundaries: a tile row that straddles two cache lines costs two loads.
template <typename T>
struct CacheLineAllocator {
  using value_type = T;
  CacheLineAllocator() = default;
  template <typename U>
  explicit CacheLineAllocator(const CacheLineAllocator<U>&) {}
  T* allocate(std::size_t n) {
    return static_cast<T*>(::operator new (n * sizeof(T), std::align_val_t{64}));
  }
  void deallocate(T* p, std::size_t) { ::operator delete (p, std::align_val_t{64}); }
  bool operator==(const CacheLineAllocator&) const { return true; }
};

struct PreparedWeights {
  std::vector<std::int8_t, CacheLineAllocator<std::int8_t>> tiles;
  std::vector<std::int32_t> row_sums;  // 16 per group
  // The one-row layout (KernelTable::prepare_binary_row, batch 1): the panels in groups of
  // kRowGroupPanels, word-major inside a group, so that a pass over a group reads its weights
  // as one sequential stream instead of one stream per panel. Group g (first panel G0 = 16·g,
  // size S = min(16, panel_count − G0)) starts where panel G0 starts in the panel layout and
  // holds word k of its panel G0 + j at rows[(G0·K + k·S + j)·8 + lane].
  static constexpr int kRowGroupPanels = 16;
  std::vector<std::uint64_t, CacheLineAllocator<std::uint64_t>> rows;
  // The fused threshold of a layer in the one-row layout as 16-bit integers (make_row_dmax): 2
  // bytes a row for its kernel to read instead of 8. Empty when the layer has none or its rows
  // are too wide for them (K·64 > 32767).
  std::vector<std::int16_t, CacheLineAllocator<std::int16_t>> row_dmax;
  // The input-major layout of a fused layer on one input row (make_input_major; the AVX-512
  // kernel reads it when present). With a the input's bits over the N real synapses, n1 of them
  // 1, and W_r = Σ_k w_rk, the mismatches are D_r = n1 + W_r − 2·Σ_{a_k=1} w_rk
  //                                             = n1 − W_r + 2·Σ_{a_k=0} w_rk,
  // so a call adds up only the weight columns of the inputs on the rarer side (S ≤ ⌊N/2⌋ of
  // them: at most half of the weights are read) and decides "D_r ≤ dmax_r" as "c_r ≥ t_r" on
  // that sum c_r, with t_r = base_r + ⌊S/2⌋ (one base per side and parity of S; the 0 side's
  // decision is the negation of the fire). The sums run bit-sliced, one bit of 512 rows a
  // vector: counters of `slices` bits start at 2^(slices−1) − t_r, so the top bit is the decision.
  struct InputMajor {
    static constexpr int kLeastCols = 256, kMostCols = 16384;  // N, the layers it is made for
    int cols = 0;                                              // N
    int slices = 0;  // counter bits: 2^(slices−1) > 2·⌊N/2⌋ + 1
    int words = 0;   // 64-bit words of a column: the rows rounded up to 512
    std::size_t column_bytes = 0;
    // Column k (k < 64·K: bit k % 64 of input word k / 64) = bit r of word r/64 is w_rk; column
    // 64·K is all zero (pads a call's list). The real synapses are the bits k < N.
    std::vector<std::uint64_t, CacheLineAllocator<std::uint64_t>> columns;
    // The counters' start for side s (0: the inputs that are 1, 1: those that are 0) and parity
    // p of S: slice j of row r at bit r of start[((2·s + p)·slices + j)·words + r/64], each
    // 2^(slices−1) − base_r with base_r clamped to [−⌊N/2⌋ − 1, ⌊N/2⌋ + 1] (exact: 0 ≤ c_r ≤ S).
    std::vector<std::uint64_t, CacheLineAllocator<std::uint64_t>> start;
    std::vector<std::uint64_t, CacheLineAllocator<std::uint64_t>> neg;  // bit r: negated
  };
  InputMajor input_major;
};

// The input-major layout of a fused binary layer (PreparedWeights::InputMajor) from its panels
// (k words a row, cols real synapses), mismatch limits (8 per panel) and negated rows (a byte
// per panel). Left empty for layers outside kLeastCols ≤ cols ≤ kMostCols. The engine makes it only
// where the real synapses are the input's bits 0 … N − 1 (a dense layer, or every bit of the row
// real).
void make_input_major(const std::uint64_t* panels, int panel_count, int k, int cols,
                      const std::int64_t* dmax, const std::uint8_t* neg, PreparedWeights& out);

// PreparedWeights::row_dmax from a layer's dmax (8 per panel) over rows of k words: each clamped
// to [−1, 64·k], exact because a row's mismatch count D lies in [0, 64·k] (−1 never fires, 64·k
// always does). Nothing when 64·k does not fit in 16 bits.
void make_row_dmax(const std::int64_t* dmax, int panel_count, int k, PreparedWeights& out);

// A binary layer on M input rows: out[i][r] for rows r of panels [panel_begin, panel_end).
struct BinaryGemmArgs {
  // M rows of K words: word k of row i at a + row(i) + col(k), with row(i) = row_offsets[i]
  // (or i·lda when null) and col(k) = col_offsets[k] (or k when null).
  const std::uint64_t* a = nullptr;
  std::size_t lda = 0;
  const std::int32_t* row_offsets = nullptr;
  const std::int32_t* col_offsets = nullptr;
  int m = 0;
  int k = 0;  // words per row
  const std::uint64_t* panels = nullptr;
  const PreparedWeights* prepared = nullptr;  // the variant's own copy of panels, if it made one
  int panel_begin = 0, panel_end = 0;
  int rows = 0;  // MH
  int cols = 0;  // N, the real synapses
  // Fused threshold: bit r of output row i = (D ≤ dmax[r]) XOR bit r of neg.
  const std::int64_t* dmax = nullptr;  // 8 per panel (−1 on padding rows: never fires)
  // The same thresholds as 16-bit integers (PreparedWeights::row_dmax), or null: what the
  // one-row kernel reads when dmax is set.
  const std::int16_t* dmax16 = nullptr;
  const std::uint8_t* neg = nullptr;  // one byte per panel
  std::uint8_t* out_bits = nullptr;   // panel p of row i → byte p at out_bits + i·ldo
  std::size_t ldo = 0;                // bytes
  // Or, when out_bits is null: P = N − D of rows < MH into out_counts[i·ldc + r].
  std::int32_t* out_counts = nullptr;
  std::size_t ldc = 0;
  // Input reuse (binary_gemm_input_reuse): rows i with i % reuse_run ≠ 0 are computed from row
  // i − 1's counts (a conv's output row of reuse_run windows); 0 or 1: every row in full.
  int reuse_run = 0;
  // A residual add and the threshold after it, fused into the layer (read by binary_gemm_add
  // only): the limit of output row r of input row i is picked by the add's other input at the
  // same pixel (kernels.h AddThresholdArgs gives the same compare on the layer's counts):
  //   shortcut_bits (Bits): bit r of the bytes at shortcut_bits + i·ld_shortcut picks
  //     dmax_one[r] where it is 1, dmax[r] where it is 0;
  //   shortcut_values (Table): v = shortcut_values[i·ld_shortcut + r] picks
  //     dmax_table[r·table_span + v − table_min] (int32, −1 on rows past MH never fires).
  // add_limits are the add's own limits on the layer's output value x (AddThresholdArgs::limits),
  // for a zero-padded conv's border positions, where x is corrected after the kernel.
  const std::uint8_t* shortcut_bits = nullptr;
  const std::int32_t* shortcut_values = nullptr;
  std::size_t ld_shortcut = 0;  // bytes (Bits) or values (Table) per input row
  const std::int64_t* dmax_one = nullptr;
  const std::int32_t* dmax_table = nullptr;
  std::int64_t table_span = 0, table_min = 0;
  const std::int32_t* add_limits = nullptr;
};

// A fixed-point-input binary-weight layer (the first layer of CNV).
struct FixedGemmArgs {
  // M rows of K4 groups of 4 bytes: group k of row i at a + row(i) + col(k) bytes, with
  // row(i) = row_offsets[i] (or i·lda when null), col(k) = col_offsets[k] (or 4k when null).
  const std::uint8_t* a = nullptr;
  std::size_t lda = 0;
  const std::int32_t* row_offsets = nullptr;
  const std::int32_t* col_offsets = nullptr;
  int m = 0;
  int k4 = 0;
  const std::int8_t* panels = nullptr;
  int panel_begin = 0, panel_end = 0;  // panels of 16 rows
  int rows = 0;
  // Fused threshold: bit r = (Σ s·a ≥ amin[r]) XOR neg bit r; two bytes per panel.
  const std::int32_t* amin = nullptr;  // 16 per panel (INT32_MAX on padding rows)
  const std::uint16_t* neg = nullptr;  // one per panel
  std::uint8_t* out_bits = nullptr;
  std::size_t ldo = 0;
  // Or Σ s·x = Σ s·a − correction[r] into out_counts.
  const std::int32_t* correction = nullptr;
  std::int32_t* out_counts = nullptr;
  std::size_t ldc = 0;
};

// Binarizes one pixel of n uint8 channels (the LFC input layer): word w of dst gets, for each
// channel c = 64w + j < n, bit j = ((src[c] ≥ t8[c]) AND NOT never) XOR neg; bits past n are 0.
// (A threshold T ≤ 0 is t8 = 0; T > 255 sets `never`.) t8 holds 64·⌈n/64⌉ bytes.
struct ThresholdBytesArgs {
  const std::uint8_t* src = nullptr;
  int n = 0;
  const std::uint8_t* t8 = nullptr;
  const std::uint64_t* never = nullptr;
  const std::uint64_t* neg = nullptr;
  std::uint64_t* dst = nullptr;
};

// A residual block's add and the threshold after it, fused (cpu_plan: an add whose one reader is
// a per-channel threshold). For pixel p < pixels and channel c < channels, with x = in0[p·C + c]
// and v the element of in1, the output bit is (x + term ≥ T[c]) XOR neg, written as a compare
// of x with a limit the plan computed, T[c] − term (clamped to int32: in0's type keeps x inside):
//   Bits  (in1 bits, the identity shortcut's ±1): limits[c] where v's bit is 0, limits[C + c]
//         where it is 1;
//   Table (in1 int32, a join table, ir/op.h AddAttrs): limits[c·span + v − in1_min];
//   Sum   (in1 int32 added as it is): x + v ≥ limits[c] (the add's type fits int32).
// Bits past C in each pixel's words are 0.
enum class AddThresholdMode { Bits, Table, Sum };
struct AddThresholdArgs {
  AddThresholdMode mode = AddThresholdMode::Bits;
  const std::int32_t* x = nullptr;          // pixels × channels
  const std::uint64_t* in1_bits = nullptr;  // Bits: pixels × in1_words
  const std::int32_t* in1 = nullptr;        // Table, Sum: pixels × channels
  int in1_words = 0;
  const std::int32_t* limits = nullptr;
  std::int64_t span = 0, in1_min = 0;  // Table
  const std::uint64_t* neg = nullptr;  // ⌈C/64⌉ words
  std::uint64_t* dst = nullptr;        // pixels × out_words
  int out_words = 0;
  std::size_t pixels = 0;
  int channels = 0;
};

struct KernelTable {
  Isa isa = Isa::Portable;
  void (*binary_gemm)(const BinaryGemmArgs&) = nullptr;
  void (*fixed_gemm)(const FixedGemmArgs&) = nullptr;
  void (*threshold_bytes)(const ThresholdBytesArgs&) = nullptr;
  // A register-only loop of XOR, popcount, add on the widest vectors, `iterations` times; returns
  // the binary MACs it performed (the caller times it: the machine's own peak).
  double (*peak_probe)(std::int64_t iterations) = nullptr;
  // Null unless the variant reads binary weights in a layout of its own (PreparedWeights).
  void (*prepare_binary)(const std::uint64_t* panels, int panel_count, int k,
                         PreparedWeights& out) = nullptr;
  // A tile unit (AMX): binary layers on at least tile_min_rows input rows and tile_min_panels
  // panels per call run on it (a team member's share of a layer needs more, kernels_amx.cpp),
  // and tile_peak_probe is its register-only peak (TDPBUSD on loaded tiles, byte MACs).
  int tile_min_rows = 0;
  int tile_min_panels = 0;
  double (*tile_peak_probe)(std::int64_t iterations) = nullptr;
  // binary_gemm with early termination (docs/similarity.md, "CPU engine"): the same outputs,
  // each panel's rows stopping once their fused thresholds are decided. Null when the variant
  // has none (the engine then runs binary_gemm; the AVX-512 and AMX variants, not measured).
  void (*binary_gemm_early_exit)(const BinaryGemmArgs&) = nullptr;
  // binary_gemm with input reuse (docs/similarity.md, "CPU engine"): the same outputs, each row
  // after the first of a run of args.reuse_run starting from its left neighbour's mismatch
  // counts and visiting only the input words where the two windows differ. Null when the
  // variant has none (the engine then runs binary_gemm; AVX-512 and AMX, not measured).
  void (*binary_gemm_input_reuse)(const BinaryGemmArgs&) = nullptr;
  // Null unless the variant's kernel for one input row (m = 1: batch-1 dense layers) reads the
  // one-row layout (PreparedWeights::rows), which this makes; binary_gemm reads it when present.
  // The engine makes it only for the layers that have one input row per frame.
  void (*prepare_binary_row)(const std::uint64_t* panels, int panel_count, int k,
                             PreparedWeights& out) = nullptr;
  // dst[e] = table[src[e]] for e < n (a 256-byte table: the first layer's quantize, fused into
  // its byte image). Null when the variant has none (the engine then runs a plain loop); the
  // AVX-512 variant's, on CPUs with AVX512-VBMI, looks up 64 bytes with two VPERMI2B.
  void (*byte_lookup)(const std::uint8_t* table, const std::uint8_t* src, std::uint8_t* dst,
                      std::size_t n) = nullptr;
  void (*add_threshold)(const AddThresholdArgs&) = nullptr;
  // binary_gemm with a residual add's threshold in its output (BinaryGemmArgs::shortcut_bits or
  // shortcut_values set, out_bits written). Null when the variant has none (the engine then runs
  // the layer's counts and the add as two steps); the AVX-512 variant's, also the AMX one's.
  void (*binary_gemm_add)(const BinaryGemmArgs&) = nullptr;
  // The fixed-point layers' byte dot product alone, on registers, `iterations` times (VPDPBUSD on
  // AVX-512 and AMX, VPMADDUBSW + VPADDW on AVX2, a plain multiply-add loop otherwise); returns the
  // byte MACs it performed: the peak of the unit a fixed-point layer runs on (bnnc bench).
  double (*byte_peak_probe)(std::int64_t iterations) = nullptr;
  // binary_gemm reads PreparedWeights::input_major for one input row with a fused threshold when
  // it is present (the AVX-512 variant, and so the AMX one); the engine makes it for such layers.
  bool reads_input_major = false;
};
// The tables are built at start-up on every CPU, so kernels_avx512() lists its fields in order:
// a KernelTable declared there and then assigned field by field was zeroed with an AVX-512 store,
// an illegal instruction on a CPU without AVX-512.

// The reference twins: plain loops, the meaning every variant must match bit for bit. They are
// also the portable variant.
void binary_gemm_ref(const BinaryGemmArgs& args);
void binary_gemm_early_exit_ref(const BinaryGemmArgs& args);
void binary_gemm_input_reuse_ref(const BinaryGemmArgs& args);
void fixed_gemm_ref(const FixedGemmArgs& args);
void threshold_bytes_ref(const ThresholdBytesArgs& args);
void add_threshold_ref(const AddThresholdArgs& args);
double peak_probe_ref(std::int64_t iterations);
double byte_peak_probe_ref(std::int64_t iterations);

KernelTable kernels_portable();
KernelTable kernels_avx2();
KernelTable kernels_avx512();
KernelTable kernels_amx();

// True when this CPU can run the variant (CPUID, not build flags).
bool isa_supported(Isa isa);
// The best supported variant, or the one BNNC_ISA (portable|avx2|avx512) forces; an unknown or
// unsupported BNNC_ISA throws bnnc::Error.
Isa select_isa();
const KernelTable& kernels_for(Isa isa);

}  // namespace bnnc::runtime
