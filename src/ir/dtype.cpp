#include "ir/dtype.h"

#include <fmt/format.h>

#include "core/error.h"

namespace bnnc {

std::string to_string(const DType& type) {
  switch (type.kind) {
    case TypeKind::Bit: return "bit";
    case TypeKind::UInt: return fmt::format("uint{}", type.bits);
    case TypeKind::Int: return fmt::format("int{}", type.bits);
    case TypeKind::Fixed: return fmt::format("fixed<{},{}>", type.bits, type.frac_bits);
    case TypeKind::Float: return "float";
  }
  return "?";
}

ValueRange value_range(const DType& type) {
  switch (type.kind) {
    case TypeKind::Bit: return {0, 1};
    case TypeKind::UInt: return {0, (std::int64_t{1} << type.bits) - 1};
    case TypeKind::Int:
    case TypeKind::Fixed:
      return {-(std::int64_t{1} << (type.bits - 1)), (std::int64_t{1} << (type.bits - 1)) - 1};
    case TypeKind::Float: break;
  }
  BNNC_ASSERT(false, "a float type has no raw value range");
  return {};
}

bool is_signed(const DType& type) {
  return type.kind == TypeKind::Int || type.kind == TypeKind::Fixed;
}

int uint_bits_for(long long max_value) {
  int bits = 1;
  while (bits < 63 && (1LL << bits) <= max_value) ++bits;
  return bits;
}

int int_bits_for(long long min_value, long long max_value) {
  int bits = 2;
  while (bits < 63 && (min_value < -(1LL << (bits - 1)) || max_value > (1LL << (bits - 1)) - 1)) {
    ++bits;
  }
  return bits;
}

}  // namespace bnnc
