// Shared by the folding error tests (foldings, dense orders, early exit, weight reuse, input
// reuse): small networks, and what apply_folding says of one layer's request.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/error.h"
#include "fold/folding.h"
#include "ir/infer_types.h"

namespace bnnc::test {

// bits [6,6,8] → conv 16×72 → threshold → flatten → dense 10×256 → labelselect.
inline Graph small_cnn() {
  Graph g;
  const int in = g.add("in", InputAttrs{{6, 6, 8}, DType::bit()});
  const int conv = g.add("conv", Conv2dAttrs{BinaryMatrix(16, 72), 3, 1, 0, 0}, {in});
  const int thr = g.add("thr", ThresholdAttrs{std::vector<std::int64_t>(16, 30), 1, {}}, {conv});
  const int flat = g.add("flatten", ReshapeAttrs{{256}}, {thr});
  const int fc = g.add("fc", DenseAttrs{BinaryMatrix(10, 256)}, {flat});
  g.add("label", LabelSelectAttrs{}, {fc});
  infer_types(g);
  return g;
}

// uint8 [6,6,2] → conv0 16×18 (integer input) → threshold → conv1 8×144 → threshold → flatten →
// dense 10×32 (no threshold) → labelselect.
inline Graph two_convs() {
  Graph g;
  const int in = g.add("in", InputAttrs{{6, 6, 2}, DType::uint(8)});
  const int c0 = g.add("conv0", Conv2dAttrs{BinaryMatrix(16, 18), 3, 1, 0, 0}, {in});
  const int t0 = g.add("thr0", ThresholdAttrs{std::vector<std::int64_t>(16, 30), 1, {}}, {c0});
  const int c1 = g.add("conv1", Conv2dAttrs{BinaryMatrix(8, 144), 3, 1, 0, 0}, {t0});
  const int t1 = g.add("thr1", ThresholdAttrs{std::vector<std::int64_t>(8, 70), 1, {}}, {c1});
  const int flat = g.add("flatten", ReshapeAttrs{{32}}, {t1});
  const int fc = g.add("fc", DenseAttrs{BinaryMatrix(10, 32)}, {flat});
  g.add("label", LabelSelectAttrs{}, {fc});
  infer_types(g);
  return g;
}

// apply_folding's message for a folding of this one layer, or "no error".
inline std::string folding_error(const DataflowGraph& g, const LayerFolding& layer) {
  Folding f;
  f.layers = {layer};
  try {
    apply_folding(g, f);
  } catch (const Error& e) {
    return e.what();
  }
  return "no error";
}

}  // namespace bnnc::test
