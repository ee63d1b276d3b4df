// The AVX2 variant: the reference loops built with -mavx2 -mfma -mpopcnt (src/CMakeLists.txt),
// so popcount is the POPCNT instruction. Only called when CPUID reports AVX2 and POPCNT.
#include "runtime/kernels_generic.h"

namespace bnnc::runtime {

KernelTable kernels_avx2() {
  return {Isa::Avx2,          binary_gemm_generic,
          fixed_gemm_generic, threshold_bytes_generic,
          peak_probe_generic, nullptr};
}

}  // namespace bnnc::runtime
