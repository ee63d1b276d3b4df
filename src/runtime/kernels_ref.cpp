#include "runtime/kernels_generic.h"

namespace bnnc::runtime {

void binary_gemm_ref(const BinaryGemmArgs& args) { binary_gemm_generic(args); }
void fixed_gemm_ref(const FixedGemmArgs& args) { fixed_gemm_generic(args); }
void threshold_bytes_ref(const ThresholdBytesArgs& args) { threshold_bytes_generic(args); }
double peak_probe_ref(std::int64_t iterations) { return peak_probe_generic(iterations); }

KernelTable kernels_portable() {
  return {Isa::Portable,           binary_gemm_generic, fixed_gemm_generic,
          threshold_bytes_generic, peak_probe_generic,  nullptr};
}

}  // namespace bnnc::runtime
