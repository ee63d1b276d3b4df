// Element types of bnnc tensors.
//
//   bit          one binary value: bit 1 = +1, bit 0 = −1 (DESIGN.md §2)
//   uintN/intN   integers (popcounts, pixels, accumulators)
//   fixed<W,F>   W-bit signed fixed point with F fractional bits: raw integer r means r / 2^F
//   float        only in un-streamlined graphs (batch-norm in floating point)
//
// The golden model holds every non-float value as its raw integer; the float reference holds the
// real value (a bit is ±1.0, fixed<W,F> is raw / 2^F).
#pragma once

#include <cstdint>
#include <string>

namespace bnnc {

enum class TypeKind { Bit, UInt, Int, Fixed, Float };

struct DType {
  TypeKind kind = TypeKind::Float;
  int bits = 32;      // total width
  int frac_bits = 0;  // Fixed only

  static DType bit() { return {TypeKind::Bit, 1, 0}; }
  static DType uint(int bits) { return {TypeKind::UInt, bits, 0}; }
  static DType sint(int bits) { return {TypeKind::Int, bits, 0}; }
  static DType fixed(int bits, int frac_bits) { return {TypeKind::Fixed, bits, frac_bits}; }
  static DType float32() { return {TypeKind::Float, 32, 0}; }

  bool is_bit() const { return kind == TypeKind::Bit; }
  bool is_float() const { return kind == TypeKind::Float; }
  // Integer-valued in the golden model: uint, int, fixed (raw) — not bits, not float.
  bool is_integer() const {
    return kind == TypeKind::UInt || kind == TypeKind::Int || kind == TypeKind::Fixed;
  }
  bool operator==(const DType&) const = default;
};

// The raw values an element of a non-float type can take (a bit's are 0 and 1).
struct ValueRange {
  std::int64_t lo = 0, hi = 0;
};
ValueRange value_range(const DType& type);
// Two's complement: int and fixed.
bool is_signed(const DType& type);

// "bit", "uint8", "int16", "fixed<8,7>", "float".
std::string to_string(const DType& type);

// Smallest width of an unsigned integer that holds 0..max_value.
int uint_bits_for(long long max_value);
// Smallest width of a two's-complement integer that holds min_value..max_value.
int int_bits_for(long long min_value, long long max_value);

}  // namespace bnnc
