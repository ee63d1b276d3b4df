// What a numeric flag must look like, checked on its text before CLI11 converts it: CLI11 itself
// reads "nan", "inf", hex ("0x10") and octal ("010"), and lets "-1" wrap to 2^64 − 1 for an
// unsigned flag. A flag's value must be one plain decimal number, finite, in the flag's range;
// the failure is one line naming the flag, its text and the range (exit 2).
#pragma once

#include <CLI/CLI.hpp>

#include <cstdint>
#include <string>

namespace bnnc::cli {

// A whole number from min to max.
CLI::Validator integer_in(std::int64_t min, std::int64_t max);

// A finite real number from min to max (min itself excluded when min_open).
CLI::Validator number_in(double min, double max, bool min_open = false);

// The upper bound of --threads: more than any machine bnnc runs on has, few enough that
// starting them cannot exhaust the process's memory map.
inline constexpr std::int64_t kMaxThreads = 1024;

}  // namespace bnnc::cli
