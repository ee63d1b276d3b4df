// Input reuse at the granularity of whole windows, for any instruction-set variant: a conv window
// whose every input word equals its left neighbour's (a uniform background) has that neighbour's
// outputs, bit for bit, so it is copied instead of computed; the other windows go to the variant's
// plain binary_gemm, compacted (docs/similarity.md, "Input reuse in the CPU engine"). Unlike the
// word-skipping kernels (binary_gemm_input_reuse) no window depends on a partial result of
// another and the plain kernel keeps its blocking; the cost is one compare per word until the
// first difference, and a copy of each output row.
#pragma once

#include "runtime/kernels.h"

namespace bnnc::runtime {

// What `gemm` computes on `args` (whose reuse_run gives the windows per output row; 0 or 1: no
// window is compared), with the windows equal to their left neighbour copied.
void binary_gemm_skip_equal_windows(const BinaryGemmArgs& args,
                                    void (*gemm)(const BinaryGemmArgs&));

}  // namespace bnnc::runtime
