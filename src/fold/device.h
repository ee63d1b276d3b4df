// FPGA parts a design can be compiled for (`bnnc compile --device D`): their resources, the share
// of each a design may use, and where a memory goes on them. docs/devices.md gives the source of
// every number and the reasons for the caps.
//
// Vocabulary: LUTRAM = LUTs of SLICEM slices, which alone can be distributed RAM or shift
// registers (the other LUTs are logic only); BRAM18 = an 18-Kbit block RAM (a RAMB36 is two);
// URAM = a 288-Kbit UltraRAM (4K × 72), only on UltraScale+ parts that have it.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace bnnc {

struct Device {
  std::string_view name;   // the part, lower case, as Vivado spells it without package
  std::string_view board;  // the board bnnc's docs associate it with
  std::int64_t luts = 0;
  std::int64_t ffs = 0;
  std::int64_t lutram_luts = 0;  // LUTs that can be distributed RAM (SLICEM)
  std::int64_t bram36 = 0;
  std::int64_t urams = 0;
  std::int64_t dsps = 0;

  std::int64_t bram18() const { return 2 * bram36; }
};

// The share of a part a design may fill (docs/devices.md says why): routing congestion makes
// placement fail or lose its clock well before every LUT is used; block RAM, UltraRAM and DSP
// columns are hard blocks that place near fully.
inline constexpr int kLutCapPercent = 80;
inline constexpr int kHardBlockCapPercent = 90;

// The resources a design may use on a part: each of its counts under its cap.
struct DeviceCaps {
  std::int64_t luts = 0;
  std::int64_t ffs = 0;
  std::int64_t lutram_luts = 0;
  std::int64_t bram18 = 0;
  std::int64_t urams = 0;
  std::int64_t dsps = 0;
};
DeviceCaps device_caps(const Device& device);

// Every known part, in the order docs/devices.md lists them.
std::span<const Device> known_devices();
// "xc7z020, xczu3eg, ..." for messages and --help.
std::string known_device_names();
// Throws bnnc::Error naming the known parts when `name` is none of them (case-insensitive).
const Device& find_device(std::string_view name);

// Where a memory of `depth` words of `width` bits lives.
enum class MemoryKind { Lutram, Bram, Uram };
const char* memory_kind_name(MemoryKind kind);

// What one memory costs in each kind of storage.
std::int64_t lutram_rom_luts(std::int64_t depth, std::int64_t width);
// The columns of a ROM that can differ: at most 2^depth (each bit's values over the words).
std::int64_t rom_distinct_columns(std::int64_t depth, std::int64_t width);
std::int64_t bram18_for(std::int64_t depth, std::int64_t width);
std::int64_t urams_for(std::int64_t depth, std::int64_t width);

// The kind that takes the smallest share of the part's capped resource of that kind — so small
// memories land in LUTs, wide shallow ones in BRAM and large deep ones in URAM where the part has
// it (each URAM is 8 BRAM18s' worth of bits, and a VU9P has 960 of them beside 4,320 BRAM18).
MemoryKind place_memory(std::int64_t depth, std::int64_t width, const Device& device);

// A resource a design over-uses on a part, as "needs 152,000 LUTs but xc7z020 has 53,200 (cap
// 80 %: 42,560)"; nothing when every count is under its cap. Checked in the order LUTs, LUTRAM,
// FFs, BRAM18, URAM, DSPs.
struct Usage {
  std::int64_t luts = 0, ffs = 0, lutram_luts = 0, bram18 = 0, urams = 0, dsps = 0;
};
std::optional<std::string> device_overflow(const Usage& usage, const Device& device);

}  // namespace bnnc
