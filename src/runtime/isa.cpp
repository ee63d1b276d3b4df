#include <cstdlib>
#include <string>

#include "core/error.h"
#include "runtime/kernels.h"

namespace bnnc::runtime {

const char* isa_name(Isa isa) {
  static constexpr const char* kNames[] = {"portable", "avx2", "avx512"};
  static_assert(std::size(kNames) == static_cast<std::size_t>(Isa::Count));
  return kNames[static_cast<int>(isa)];
}

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
#else
    case Isa::Avx2:
    case Isa::Avx512: return false;
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
    fail("BNNC_ISA={}: unknown instruction set (portable, avx2, avx512)", forced);
  }
  if (isa_supported(Isa::Avx512)) return Isa::Avx512;
  if (isa_supported(Isa::Avx2)) return Isa::Avx2;
  return Isa::Portable;
}

const KernelTable& kernels_for(Isa isa) {
  BNNC_ASSERT(isa_supported(isa), "ISA {} not supported here", isa_name(isa));
  static const KernelTable kTables[] = {kernels_portable(), kernels_avx2(), kernels_avx512()};
  return kTables[static_cast<int>(isa)];
}

}  // namespace bnnc::runtime
