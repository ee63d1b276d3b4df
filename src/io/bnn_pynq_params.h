// Reading BNN-PYNQ's per-PE parameter files (../shared/external/SOURCES.md §1).
//
// A trained layer is a matrix of `rows` × `cols` binary weights (padded: rows to a multiple of
// PE, cols to a multiple of SIMD), folded over PE processing elements of SIMD synapses each:
//
//   <layer>-<pe>-weights.bin   WMEM = rows·cols/(PE·SIMD) little-endian uint64 words. Row r lives
//                              in PE r % PE at local slot r / PE; each row takes SF = cols/SIMD
//                              consecutive words; bit i (LSB = 0) of the row's word j is synapse
//                              j·SIMD + i (bits ≥ SIMD are unused). Bit 1 = +1.
//   <layer>-<pe>-thres.bin     TMEM = rows/PE little-endian int64, one per row in local-slot order.
//
// The reader keeps the bits apart from their meaning: it returns the matrix and the thresholds
// exactly as stored (cropped to the rows/cols that are real); the importer converts the
// thresholds to bnnc's "≥" rule.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "ir/binary_matrix.h"

namespace bnnc {

struct BnnPynqLayerSpec {
  int index = 0;  // L in "L-P-weights.bin"
  int rows = 0;   // MH as stored (padded to a multiple of pe)
  int cols = 0;   // MW as stored (padded to a multiple of simd)
  int pe = 1;
  int simd = 1;
  int used_rows = 0;  // the real neurons: rows past it are padding and dropped
  int used_cols = 0;  // the real synapses: cols past it are padding (weight bit 1, input bit 0)
  bool has_thresholds = true;

  int neuron_fold() const { return rows / pe; }     // NF = TMEM
  int synapse_fold() const { return cols / simd; }  // SF
  std::int64_t words_per_pe() const {               // WMEM
    return static_cast<std::int64_t>(neuron_fold()) * synapse_fold();
  }
};

struct BnnPynqLayer {
  BinaryMatrix weights;                  // used_rows × used_cols
  std::vector<std::int64_t> thresholds;  // used_rows raw values ("fires when acc > t"), or empty
};

// Checks that FOLDER exists and that its L-P-weights.bin files could belong to the given layers
// (no layer or PE index beyond them), so that a folder of another network is reported as such
// ("FOLDER does not look like BNN-PYNQ LFC: …") rather than as a missing file.
void check_bnn_pynq_folder(const std::string& folder, const std::string& topology,
                           const std::vector<BnnPynqLayerSpec>& layers);

// Reads one layer's PE files. topology names the network in messages ("LFC").
BnnPynqLayer read_bnn_pynq_layer(const std::string& folder, const std::string& topology,
                                 const BnnPynqLayerSpec& layer);

}  // namespace bnnc
