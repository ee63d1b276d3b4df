// An MVTU block on 8-bit input (the first layer's shape: binary weights, thresholds, signed
// 14-bit accumulators) from its folding alone, for the estimate tests (tests/unit/fold_test.cpp,
// tests/unit/device_test.cpp): MH = PE·NF rows, MW = SIMD·SF columns, MMV windows a word.
#pragma once

#include "fold/dataflow_graph.h"

namespace bnnc::test {

inline Block integer_mvtu_block(int mmv, int pe, int simd, int nf, int sf) {
  Block b;
  b.name = "conv0";
  b.kind = BlockKind::Mvtu;
  b.threshold = 0;
  b.mh = b.mh_padded = pe * nf;
  b.mw = b.mw_padded = simd * sf;
  b.pe = pe, b.simd = simd, b.mmv = mmv;
  b.in_bits = 8, b.acc_bits = 14;
  b.in_elems = simd * mmv, b.out_elems = pe * mmv;
  return b;
}

}  // namespace bnnc::test
