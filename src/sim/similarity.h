// How much work the data makes redundant in each binary layer of a streamlined network, measured
// on the golden model's activations (docs/similarity.md): input similarity and weight similarity
// (Fu et al. 2019), the bit operations and buffer reads input reuse and weight reuse would skip,
// and the synapses early termination skips (O3BNN, sim/early_exit.h).
//
// Work is counted per output window (a conv's output pixel, a dense layer's one input vector),
// for K kernels of N synapses, SIMD synapses to a chunk, SF = ⌈N/SIMD⌉ chunks per kernel:
//   plain          ops K·N bits (K·SF chunks);   reads K·N weight bits + N input bits
//                  (K·SF + SF words): the window is read once for all kernels.
//   input reuse    the first window of an output row is computed plainly; every next one from
//                  its left neighbour's K results, on the positions D where the two windows
//                  differ: ops K·|D|; reads K·|D| weight bits + N input bits (the whole window is
//                  read to find D).
//   weight reuse   kernel b from its tree parent on the d_b positions where they differ
//                  (fold/kernel_similarity.h): ops N + Σ d_b; reads N + Σ d_b weight bits + N.
// Each figure comes in three granularities:
//   bit        single synapses skipped;
//   chunk      a SIMD-wide chunk is skipped only when every bit of it is (an engine that keeps
//              the plain datapath and skips equal chunks);
//   compacted  the needed bits packed together, ⌈|D|/SIMD⌉ chunks (an engine that compacts the
//              differing bits). Reads stay at the chunk figure for input reuse, whose mask is
//              only known at run time; weight reuse's masks are static, so its deltas can be
//              stored packed.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "io/dataset.h"
#include "ir/graph.h"

namespace bnnc {

// Work summed over every window of every image analysed.
struct ReuseWork {
  double bit_ops = 0, chunk_ops = 0, compacted_ops = 0;
  double bit_reads = 0, chunk_reads = 0, compacted_reads = 0;
};

struct LayerSimilarity {
  std::string name;
  std::string kind;  // "conv2d", "dense" or "maxpool"
  int synapses = 0;  // N (a pool: its window's K·K)
  int kernels = 0;   // K
  int windows = 0;   // output windows per image
  int simd = 0;
  bool simd_from_folding = false;

  // conv2d with at least two outputs per row: mean 1 − |D|/N over horizontally adjacent windows,
  // and the fraction of SIMD chunks wholly equal between them.
  std::optional<double> input_similarity, equal_chunks_input;
  // conv2d and dense with at least two kernels.
  std::optional<double> weight_similarity_nn, weight_similarity_mst, equal_chunks_weight;
  // The nearest-kernel figure of K random kernels of N bits (seed kRandomKernelSeed): what
  // chance alone gives a layer of this shape, ≈ 0.5 + O(√(ln K / N)).
  std::optional<double> weight_similarity_nn_random;
  int negated_edges = 0;

  ReuseWork plain, input, weight;  // input: plain work where input reuse does not apply
  bool input_reuse_applies = false;
  bool weight_reuse_applies = false;

  // Fraction of the synapses (a pool: of its window inputs) that early termination skips, and
  // of the SIMD chunks when it can stop only at a chunk's end; empty when the layer's output is
  // not thresholded (the last layer's popcounts go to the label select whole).
  std::optional<double> early_exit, early_exit_chunk;
  double early_exit_skipped = 0, early_exit_total = 0;  // synapses (pool inputs), all images

  // A bit max-pool, per PE (the powers of two that divide its channels): over every window and
  // every lock-step group of PE consecutive channels (the rows one NF step of the MVTU in front
  // computes together), the fraction in which every channel of the group is decided before the
  // window's last input (by a 1; a 0 on AND channels) — what an OR-pool skip in a PE-wide engine
  // could skip at least one input of — and the fraction of the inputs the whole group could skip
  // (at PE 1 the per-channel early_exit figure).
  struct PoolGroup {
    int pe = 1;
    double decided_early = 0, skipped = 0;
  };
  std::vector<PoolGroup> pool_groups;

  // Fraction of the layer's input bits that are 1 (+1): sparse or dense inputs make equal
  // neighbours, and decide how soon an OR pool finds its 1.
  double input_ones = 0;

  std::string recommend;  // "input", "weight" or "none" (recommend_reuse)
};

inline constexpr std::uint64_t kRandomKernelSeed = 1;

struct SimilarityReport {
  std::vector<LayerSimilarity> layers;  // binary conv2d/dense layers and bit max-pools, in order
  int images = 0;
};

struct SimilarityOptions {
  int default_simd = 32;
  std::map<std::string, int> simd;    // per layer name, from a folding; others get default_simd
  std::function<void(int)> progress;  // called with the images done so far, may be empty
};

// Analyses images [0, count) of data. Throws bnnc::Error when the graph has no binary conv2d or
// dense layer (one whose input is bits), and when an image does not fit the network's input.
SimilarityReport analyze_similarity(const Graph& graph, const Dataset& data, int count,
                                    const SimilarityOptions& options);

// The strategy the figures favour (docs/similarity.md): with g the share of chunk operations an
// engine that compacts the differing bits skips,
//   "input"   if g_input ≥ 0.10 and g_input ≥ g_weight + 0.05 (input reuse has run-time costs
//             weight reuse has not: a mask per window, K saved results, a variable latency);
//   "weight"  else if g_weight ≥ 0.10;
//   "none"    else.
std::string recommend_reuse(const LayerSimilarity& layer);

// 1 − with/without, 0 when without is 0.
double skipped_fraction(double with, double without);

}  // namespace bnnc
