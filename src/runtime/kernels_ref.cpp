#include "runtime/kernels_generic.h"

#include <algorithm>
#include <bit>
#include <limits>

namespace bnnc::runtime {

void binary_gemm_ref(const BinaryGemmArgs& args) { binary_gemm_generic(args); }
void binary_gemm_early_exit_ref(const BinaryGemmArgs& args) {
  binary_gemm_early_exit_generic(args);
}
void binary_gemm_input_reuse_ref(const BinaryGemmArgs& args) {
  binary_gemm_input_reuse_generic(args);
}
void fixed_gemm_ref(const FixedGemmArgs& args) { fixed_gemm_generic(args); }
void threshold_bytes_ref(const ThresholdBytesArgs& args) { threshold_bytes_generic(args); }
void add_threshold_ref(const AddThresholdArgs& args) { add_threshold_generic(args); }
double peak_probe_ref(std::int64_t iterations) { return peak_probe_generic(iterations); }
double byte_peak_probe_ref(std::int64_t iterations) { return byte_peak_probe_generic(iterations); }

KernelTable kernels_portable() {
  KernelTable table;
  table.isa = Isa::Portable;
  table.binary_gemm = binary_gemm_generic;
  table.binary_gemm_early_exit = binary_gemm_early_exit_generic;
  table.binary_gemm_input_reuse = binary_gemm_input_reuse_generic;
  table.fixed_gemm = fixed_gemm_generic;
  table.threshold_bytes = threshold_bytes_generic;
  table.peak_probe = peak_probe_generic;
  table.add_threshold = add_threshold_generic;
  table.byte_peak_probe = byte_peak_probe_generic;
  return table;
}

void make_row_dmax(const std::int64_t* dmax, int panel_count, int k, PreparedWeights& out) {
  const std::int64_t most = std::int64_t{64} * k;
  out.row_dmax.clear();
  if (most > std::numeric_limits<std::int16_t>::max()) return;
  out.row_dmax.resize(static_cast<std::size_t>(panel_count) * 8);
  for (std::size_t r = 0; r < out.row_dmax.size(); ++r) {
    out.row_dmax[r] = static_cast<std::int16_t>(std::clamp<std::int64_t>(dmax[r], -1, most));
  }
}

void make_input_major(const std::uint64_t* panels, int panel_count, int k, int cols,
                      const std::int64_t* dmax, const std::uint8_t* neg, PreparedWeights& out) {
  PreparedWeights::InputMajor& im = out.input_major;
  im = {};
  using InputMajor = PreparedWeights::InputMajor;
  if (cols < InputMajor::kLeastCols || cols > InputMajor::kMostCols || cols > 64 * k) return;
  const std::int64_t half = cols / 2;
  std::int64_t top = 1;  // 2^(slices−1): the counters lie in [top − 1.5·half − 1, top + 2·half + 1]
  int slices = 1;
  while (top <= 2 * half + 1) {
    top *= 2;
    ++slices;
  }
  const int rows = panel_count * 8;
  im.cols = cols;
  im.slices = slices;
  im.words = (rows + 511) / 512 * 8;
  im.column_bytes = static_cast<std::size_t>(im.words) * 8;
  const auto words = static_cast<std::size_t>(im.words);
  // The kernel lists the columns as 32-bit byte offsets.
  if ((static_cast<std::size_t>(k) * 64 + 1) * im.column_bytes >
      std::numeric_limits<std::uint32_t>::max()) {
    im = {};
    return;
  }
  im.columns.assign((static_cast<std::size_t>(k) * 64 + 1) * words, 0);
  im.neg.assign(words, 0);
  im.start.assign(4 * static_cast<std::size_t>(slices) * words, 0);
  // Row r's counters' start on each side and parity, from W_r and its limit d_r. Rows past the
  // panels (up to a whole vector) keep 0: their bits are never stored.
  auto set_start = [&](int r, std::int64_t ones, std::int64_t d) {
    const auto word = static_cast<std::size_t>(r / 64);
    const std::uint64_t bit = std::uint64_t{1} << (r % 64);
    for (int side = 0; side < 2; ++side) {
      for (int parity = 0; parity < 2; ++parity) {
        // Side 0: c ≥ ⌈(W − d + S)/2⌉ fires; side 1: c ≥ ⌊(W + d − N + S)/2⌋ + 1 does not.
        const std::int64_t base =
            side == 0 ? -((d - ones - parity) >> 1) : ((ones + d - cols + parity) >> 1) + 1;
        const std::int64_t value = top - std::clamp(base, -half - 1, half + 1);
        const auto variant = static_cast<std::size_t>(2 * side + parity);
        for (int j = 0; j < slices; ++j) {
          if ((value >> j & 1) != 0) {
            im.start[(variant * static_cast<std::size_t>(slices) + static_cast<std::size_t>(j)) *
                         words +
                     word] |= bit;
          }
        }
      }
    }
  };
  for (int r = 0; r < rows; ++r) {
    const int p = r / 8, lane = r % 8;
    std::int64_t ones = 0;  // W_r
    for (int word = 0; word < k; ++word) {
      const std::uint64_t bits =
          panels[(static_cast<std::size_t>(p) * static_cast<std::size_t>(k) + word) * 8 + lane];
      ones += std::popcount(bits);
      for (std::uint64_t rest = bits; rest != 0; rest &= rest - 1) {
        const auto column = static_cast<std::size_t>(word * 64 + std::countr_zero(rest));
        im.columns[column * words + static_cast<std::size_t>(r / 64)] |= std::uint64_t{1}
                                                                         << (r % 64);
      }
    }
    if ((neg[p] >> lane & 1) != 0) {
      im.neg[static_cast<std::size_t>(r / 64)] |= std::uint64_t{1} << (r % 64);
    }
    set_start(r, ones, std::clamp<std::int64_t>(dmax[r], -1, cols));
  }
}

}  // namespace bnnc::runtime
