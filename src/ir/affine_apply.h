// The floating-point meaning of affine, in one place (as batchnorm_apply.h for batchnorm): the
// float reference computes it and the streamliner derives thresholds from it.
//
// Each kind is one correctly rounded float32 operation, as ONNX's Add/Mul/Div and PyTorch
// compute it (a Sub imports as an add of −k, which IEEE arithmetic computes identically).
// Rounding is monotone, so out is non-decreasing in x for add and for mul/div by k > 0,
// non-increasing for k < 0, and constant for mul by 0: what lets a sign after it become a
// threshold on x.
#pragma once

#include "ir/op.h"

namespace bnnc {

inline float affine_constant(const AffineAttrs& a, int c) {
  return a.constant.size() == 1 ? a.constant[0] : a.constant[static_cast<std::size_t>(c)];
}

inline float affine_apply(const AffineAttrs& a, int c, float x) {
  const float k = affine_constant(a, c);
  switch (a.kind) {
    case AffineKind::Add: return x + k;
    case AffineKind::Mul: return x * k;
    case AffineKind::Div: return x / k;
  }
  return x;
}

// +1 when affine_apply is non-decreasing in x for channel c, −1 when non-increasing, 0 when
// constant.
inline int affine_direction(const AffineAttrs& a, int c) {
  if (a.kind == AffineKind::Add) return 1;
  const float k = affine_constant(a, c);
  return k > 0.0F ? 1 : (k < 0.0F ? -1 : 0);
}

}  // namespace bnnc
