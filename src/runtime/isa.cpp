#include <cstdlib>
#include <string>

#if defined(__x86_64__) && defined(__linux__)
#include <cpuid.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

#include "core/error.h"
#include "runtime/kernels.h"

namespace bnnc::runtime {

const char* isa_name(Isa isa) {
  static constexpr const char* kNames[] = {"portable", "avx2", "avx512", "amx"};
  static_assert(std::size(kNames) == static_cast<std::size_t>(Isa::Count));
  return kNames[static_cast<int>(isa)];
}

namespace {

// AMX needs the CPU's AMX-TILE and AMX-INT8 (CPUID leaf 7, EDX bits 24 and 25) and, on Linux,
// the kernel's permission for this process to use the 8 KiB tile state (arch_prctl
// ARCH_REQ_XCOMP_PERM for XFEATURE_XTILEDATA = 18), asked for once.
bool amx_usable() {
#if defined(__x86_64__) && defined(__linux__)
  static const bool usable = [] {
    unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
    if (__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx) == 0) return false;
    if ((edx & (1U << 24)) == 0 || (edx & (1U << 25)) == 0) return false;
    constexpr int kArchReqXcompPerm = 0x1023, kXfeatureXtiledata = 18;
    return syscall(SYS_arch_prctl, kArchReqXcompPerm, kXfeatureXtiledata) == 0;
  }();
  return usable;
#else
  return false;
#endif
}

}  // namespace

bool isa_supported(Isa isa) {
  switch (isa) {
    case Isa::Portable: return true;
#if defined(__x86_64__) || defined(__i386__)
    case Isa::Avx2:
      return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("popcnt") &&
             __builtin_cpu_supports("fma");
    case Isa::Avx512:
      return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
             __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512vpopcntdq") &&
             __builtin_cpu_supports("avx512vnni");
    case Isa::Amx: return isa_supported(Isa::Avx512) && amx_usable();
#else
    case Isa::Avx2:
    case Isa::Avx512:
    case Isa::Amx: return false;
#endif
    case Isa::Count: break;
  }
  return false;
}

Isa select_isa() {
  const char* forced = std::getenv("BNNC_ISA");
  if (forced != nullptr && *forced != '\0') {
    for (int i = 0; i < static_cast<int>(Isa::Count); ++i) {
      const auto isa = static_cast<Isa>(i);
      if (std::string(forced) != isa_name(isa)) continue;
      if (!isa_supported(isa)) fail("BNNC_ISA={}: this CPU does not support it", forced);
      return isa;
    }
    fail("BNNC_ISA={}: unknown instruction set (portable, avx2, avx512, amx)", forced);
  }
  if (isa_supported(Isa::Amx)) return Isa::Amx;
  if (isa_supported(Isa::Avx512)) return Isa::Avx512;
  if (isa_supported(Isa::Avx2)) return Isa::Avx2;
  return Isa::Portable;
}

const KernelTable& kernels_for(Isa isa) {
  BNNC_ASSERT(isa_supported(isa), "ISA {} not supported here", isa_name(isa));
  static const KernelTable kTables[] = {kernels_portable(), kernels_avx2(), kernels_avx512(),
                                        kernels_amx()};
  return kTables[static_cast<int>(isa)];
}

}  // namespace bnnc::runtime
