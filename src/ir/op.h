// The operations of bnnc's IR and their attributes.
//
// A tensor is HWC (channels innermost) or a vector [C]; the channel of an element is always its
// innermost index. Each op below says what it computes in both interpreters: the golden model
// (integers and bits, the streamlined graph) and the float reference (real values, the graph
// as trained, batch-norm in floating point).
//
// The list of ops is the std::variant OpAttrs; its order is the order of enum Op and of the
// name table in op.cpp, and a static_assert there fails to compile when they disagree.
#pragma once

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "ir/binary_matrix.h"
#include "ir/dtype.h"

namespace bnnc {

using Shape = std::vector<int>;

// The network's input: raw image pixels (uint8, HWC) or any declared type.
struct InputAttrs {
  Shape shape;
  DType dtype = DType::uint(8);
};

// uint8 pixel → fixed point through a 256-entry table of raw values: out = table[pixel].
// (CNV's first layer: pixel/255·2−1 rounded to fixed<8,7>; a table keeps any such rounding
// exact.) Real value: table[pixel] / 2^frac_bits.
struct QuantizeAttrs {
  std::vector<std::int32_t> table;  // 256 entries
  DType dtype = DType::fixed(8, 7);
};

// Binary-weight fully connected layer, weights MH × MW, input a vector [MW].
//   bit input:            golden P = popcount(XNOR(x, w)) ∈ [0, MW]; real value 2P − MW.
//   integer/fixed input:  golden acc = Σ (w ? x : −x) on raw values; real value acc / 2^F.
struct DenseAttrs {
  BinaryMatrix weights;
};

// How a convolution fills the border of `pad` pixels around its input.
//   Value: every border pixel holds pad_value in every channel, a raw value of the input's type
//     (for bit input 1 = +1 or 0 = −1: FINN-R's 1-bit-datapath padding; for fixed point the raw
//     integer). Every window has all K·K·C synapses, and the output means what it means without
//     padding (a popcount P over N = K·K·C bits).
//   Zero: the border holds the value 0, which a ±1 tensor cannot hold (PyTorch's and ONNX's
//     padding). Only for bit input (for integer input, Value with pad_value 0 is the same thing).
//     A padded synapse contributes nothing, so a window at the border has fewer synapses than N
//     and a popcount would not say what the output is; the output is instead the signed dot
//     product over the valid synapses V(oy, ox) of the window:
//         y = Σ_{s ∈ V} x_s·w_s ∈ [−|V|, |V|]   (x, w = ±1; y ≡ |V| mod 2)
//     an intN of the golden model, whose real value is y itself (scale 1, offset 0).
//     In the interior |V| = N and y = 2P − N; at the border y may have the other parity than N,
//     which is why it cannot be stored as a popcount P = (y + N)/2.
enum class PadMode { Value, Zero, Count };

// Binary-weight 2-D convolution on an HWC input, weights MH × (K·K·C) in (ky, kx, c) order,
// border padding of `pad` pixels as pad_mode says. Computes as DenseAttrs per window, except for
// PadMode::Zero (above).
struct Conv2dAttrs {
  BinaryMatrix weights;
  int kernel = 3;
  int stride = 1;
  int pad = 0;
  std::int64_t pad_value = 0;  // PadMode::Value only
  PadMode pad_mode = PadMode::Value;

  bool zero_padded() const { return pad > 0 && pad_mode == PadMode::Zero; }
};

// Floating-point batch normalisation with an optional bias before it, per channel:
//   out = (in + bias − mean) · γ/√(var+ε) + β       (exactly as batchnorm_apply computes it)
struct BatchNormAttrs {
  std::vector<float> gamma, beta, mean, var;
  std::vector<float> bias;  // empty = no bias
  float eps = 1e-5F;
};

// Floating-point element-wise arithmetic with a constant, one per channel or one for all:
//   add: out = in + k[c]     mul: out = in · k[c]     div: out = in / k[c]
// one float32 operation each, as ONNX's Add/Mul/Div compute it (affine_apply.h). An imported
// ONNX graph keeps its scale and shift chains (Mul/Add/Sub/Div, written-out batch-norms) here
// until the streamliner absorbs them into thresholds or drops them before the label-select.
enum class AffineKind { Add, Mul, Div };
struct AffineAttrs {
  AffineKind kind = AffineKind::Mul;
  std::vector<float> constant;  // 1 (every channel) or C values
};

// Float → bit: +1 (bit 1) when in ≥ 0, else −1. sign(0) = +1 (the straight-through convention).
// zero_gives_zero: imported from ONNX's Sign (torch.sign), which gives 0 for exactly 0 — a value
// no ±1 activation holds. The float reference then yields 0, and the streamliner refuses the sign
// when an input the producer can yield makes it exactly 0 (elsewhere the two meanings agree).
struct SignAttrs {
  bool zero_gives_zero = false;
};

// Integer → bit: per channel c, bit = (in ≥ thresholds[c]) XOR negate[c], on the raw integers of
// its input: a popcount P, a fixed-point accumulator, pixels, or the signed dot product y of a
// zero-padded convolution (PadMode::Zero: then y ≥ T, with the same T at every position).
// thresholds holds one value per channel now; the layout [C][n] is ready for n > 1 (multi-bit
// activations) later. negate is empty unless a channel's batch-norm scale was negative and its
// producer's weight row could not be negated instead (e.g. a threshold on raw pixels).
struct ThresholdAttrs {
  std::vector<std::int64_t> thresholds;  // C × thresholds_per_channel
  int thresholds_per_channel = 1;
  std::vector<std::uint8_t> negate;  // empty, or C flags
};

// K×K max-pool with stride S over HWC (trailing rows/cols that do not fill a window are
// dropped). On bits, max is OR. Channels listed in min_channels take the minimum instead (AND
// on bits): the streamliner sets this where a pool before a decreasing batch-norm moved past it.
// `pad` pixels around the input (ResNet's 3×3/2 pad 1) never win: a window takes the max (min)
// over its pixels inside the input only, as PyTorch pads with −∞. On bits that is padding with
// 0 for OR and 1 for AND. pad < kernel, so every window holds at least one pixel of the input.
// Output size (H + 2·pad − K)/S + 1.
struct MaxPoolAttrs {
  int kernel = 2;
  int stride = 2;
  std::vector<std::uint8_t> min_channels;  // empty, or C flags
  int pad = 0;
};

// Same elements, new shape (row-major, so flattening HWC keeps channels innermost).
struct ReshapeAttrs {
  Shape shape;
};

// Element-wise integer add of two tensors of one shape (a residual join). With `offsets` empty,
// out = in0 + in1. Otherwise in1 first goes through a per-channel table:
// out[.., c] = in0[.., c] + offsets[c * span + (v1 − in1_min)], span = offsets.size() / C,
// where v1 is the golden model's raw value of in1[.., c] (±1 for bits, the integer otherwise)
// and v1 − in1_min lies in [0, span).
//   in0 is an integer (a popcount, accumulator, or zero-padded conv's y); in1 an integer or bits.
//   The table is how a residual block's two real-valued batch-norm branches stay exact: the
//   threshold after the join fires at in0 ≥ T[c][v1], one exact threshold per shortcut value,
//   written as one threshold T0[c] and offsets T0[c] − T[c][v1] (docs/residual.md).
//   Before streamlining (an imported graph) both inputs may be float: out = in0 + in1 in float32,
//   as ONNX's Add, and offsets stay empty. (add_apply.h computes the term in1 contributes.)
struct AddAttrs {
  std::vector<std::int64_t> offsets;  // empty, or C × span
  std::int64_t in1_min = 0;
};

// Global average pooling kept as a sum: HWC → a vector [C], out[c] = Σ over the H·W pixels of
// in[y, x, c] in real values. On bits (±1) the golden model's raw value is that signed sum,
// 2·ones − H·W, an int; on integers or fixed point, the sum of the raw values, same scale. The
// 1/(H·W) of an average is left out: it is a positive scale, which the next layer's threshold
// absorbs and an argmax ignores, and without it the sum stays an integer that the next layer
// reads as integer input (binary weights on integers, like a first layer's pixels).
struct GlobalSumPoolAttrs {};

// The class: argmax over a vector of integer scores x[c], each compared as
//   score[c] = x[c] · 2^shift + bias[c]          (label_select_apply.h)
// ties to the lowest index. A BNN-PYNQ LFC ends in thresholds: its importer sets bias = −T so
// that the class is the largest margin P − T (DESIGN.md §2). A dense layer with a float bias
// after a global average pool (torchvision's ResNet fc) compares x[c] + o[c] with real offsets
// o[c]; exact_label_bias writes them as integer parts and the rank of their fractional parts in
// the low `shift` bits, which keeps every order and every tie (docs/residual.md).
struct LabelSelectAttrs {
  std::vector<std::int64_t> bias;  // empty, or one per class
  int shift = 0;                   // 0..kMaxLabelShift
};
inline constexpr int kMaxLabelShift = 24;

using OpAttrs = std::variant<InputAttrs, QuantizeAttrs, DenseAttrs, Conv2dAttrs, BatchNormAttrs,
                             AffineAttrs, SignAttrs, ThresholdAttrs, MaxPoolAttrs, ReshapeAttrs,
                             AddAttrs, GlobalSumPoolAttrs, LabelSelectAttrs>;

enum class Op {
  Input,
  Quantize,
  Dense,
  Conv2d,
  BatchNorm,
  Affine,
  Sign,
  Threshold,
  MaxPool,
  Reshape,
  Add,
  GlobalSumPool,
  LabelSelect,
  Count
};

// "input", "quantize", "dense", "conv2d", "batchnorm", "affine", "sign", "threshold", "maxpool",
// "reshape", "add", "globalsumpool", "labelselect".
const char* op_name(Op op);
// "add", "mul", "div".
const char* affine_kind_name(AffineKind kind);
// "value", "zero".
const char* pad_mode_name(PadMode mode);
// Number of tensor inputs the op takes.
int op_arity(Op op);
inline Op op_of(const OpAttrs& attrs) { return static_cast<Op>(attrs.index()); }

}  // namespace bnnc
