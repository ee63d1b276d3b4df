// The float steps of a trained graph (batchnorm, affine) as the streamliner evaluates them: one
// channel at a time, exactly as the float reference computes them (batchnorm_apply.h,
// affine_apply.h), and the search that turns a monotone sign of them into a threshold.
#pragma once

#include <cstdint>
#include <functional>

#include "ir/affine_apply.h"
#include "ir/batchnorm_apply.h"
#include "ir/graph.h"

namespace bnnc {

inline bool is_float_step(const Node& node) {
  return node.op() == Op::BatchNorm || node.op() == Op::Affine;
}

// +1 when the step is non-decreasing in its input for channel c, −1 non-increasing, 0 constant.
inline int float_step_direction(const Node& node, int c) {
  if (node.op() == Op::Affine) return affine_direction(node.as<AffineAttrs>(), c);
  const float alpha = batchnorm_scale(node.as<BatchNormAttrs>(), c);
  return alpha > 0.0F ? 1 : (alpha < 0.0F ? -1 : 0);
}

inline float float_step_apply(const Node& node, int c, float x) {
  if (node.op() == Op::Affine) return affine_apply(node.as<AffineAttrs>(), c, x);
  return batchnorm_apply(node.as<BatchNormAttrs>(), c, x);
}

// Smallest x in [lo, hi + 1] with fires(x), for fires non-decreasing on [lo, hi] (hi + 1: never).
inline std::int64_t first_firing(std::int64_t lo, std::int64_t hi,
                                 const std::function<bool(std::int64_t)>& fires) {
  std::int64_t begin = lo, end = hi + 1;
  while (begin < end) {
    const std::int64_t mid = begin + (end - begin) / 2;
    if (fires(mid)) {
      end = mid;
    } else {
      begin = mid + 1;
    }
  }
  return begin;
}

}  // namespace bnnc
