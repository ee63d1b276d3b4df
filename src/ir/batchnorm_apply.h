// The floating-point meaning of batchnorm, in one place: the float reference computes it and the
// streamliner derives integer thresholds from it, so the two agree to the last bit, ties included.
//
// Written as PyTorch's CPU inference does it: α = γ/√(var+ε), out = (x + bias)·α + (β − mean·α),
// all in float32. Every step is a correctly rounded float operation, and rounding is monotone, so
// out is non-decreasing in x when α > 0, non-increasing when α < 0 and constant when α = 0 — the
// property that makes "sign(out) = +1" a threshold on x (DESIGN.md §2).
#pragma once

#include <cmath>

#include "ir/op.h"

namespace bnnc {

inline float batchnorm_scale(const BatchNormAttrs& bn, int c) {
  return bn.gamma[c] / std::sqrt(bn.var[c] + bn.eps);
}

inline float batchnorm_apply(const BatchNormAttrs& bn, int c, float x) {
  const float alpha = batchnorm_scale(bn, c);
  const float shift = bn.beta[c] - bn.mean[c] * alpha;
  const float in = bn.bias.empty() ? x : x + bn.bias[c];
  return in * alpha + shift;
}

// sign with sign(0) = +1 (DESIGN.md §2), as a bit.
inline bool sign_bit(float x) { return x >= 0.0F; }

}  // namespace bnnc
