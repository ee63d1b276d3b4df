#include "runtime/kernels_generic.h"

#include <algorithm>
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

}  // namespace bnnc::runtime
