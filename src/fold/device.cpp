#include "fold/device.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>

#include "core/ceil_div.h"
#include "core/error.h"
#include "core/text_format.h"

namespace bnnc {

namespace {

// The vendor's counts for the whole part: AMD/Xilinx product tables (DS190 Zynq-7000 SoC
// Overview, Table 1; DS891 Zynq UltraScale+ MPSoC Overview; DS890 UltraScale Architecture and
// Product Overview, Kintex UltraScale and Virtex UltraScale+ tables; XMP103 UltraScale+ Product
// Selection Guide), cross-checked against the "Available" column of public Vivado
// report_utilization runs for the part (all but the xc7z045's DSPs); LUTRAM (not in the
// Zynq-7000 table) is Vivado's "LUT as Memory" available, which is the tables' distributed RAM in
// bits / 64. docs/devices.md lists each number with its source.
constexpr std::array<Device, 5> kDevices = {{
    // Zynq-7000 Z-7020: 85K logic cells; 140 × 36Kb BRAM (4.9 Mb); 220 DSP48E1 (DS190).
    {"xc7z020", "Pynq-Z1", 53'200, 106'400, 17'400, 140, 0, 220},
    // Zynq UltraScale+ ZU3EG: 154K system logic cells; 1.8 Mb distributed RAM; 216 × 36Kb BRAM
    // (7.6 Mb); no UltraRAM; 360 DSP48E2 (DS891).
    {"xczu3eg", "Ultra96", 70'560, 141'120, 28'800, 216, 0, 360},
    // Zynq-7000 Z-7045: 350K logic cells; 545 × 36Kb BRAM (19.2 Mb); 900 DSP48E1 (DS190).
    {"xc7z045", "ZC706", 218'600, 437'200, 70'400, 545, 0, 900},
    // Kintex UltraScale KU115: 1,451K system logic cells; 18.4 Mb distributed RAM; 2,160 × 36Kb
    // BRAM (75.9 Mb); no UltraRAM; 5,520 DSP48E2 (DS890).
    {"xcku115", "ADM-PCIE-8K5", 663'360, 1'326'720, 293'760, 2'160, 0, 5'520},
    // Virtex UltraScale+ VU9P: 2,586K system logic cells; 36.1 Mb distributed RAM; 2,160 × 36Kb
    // BRAM (75.9 Mb); 960 UltraRAM (270 Mb); 6,840 DSP48E2 (DS890, XMP103).
    {"xcvu9p", "AWS F1", 1'182'240, 2'364'480, 591'840, 2'160, 960, 6'840},
}};

std::int64_t capped(std::int64_t total, int percent) { return total * percent / 100; }

}  // namespace

DeviceCaps device_caps(const Device& d) {
  return {capped(d.luts, kLutCapPercent),        capped(d.ffs, kLutCapPercent),
          capped(d.lutram_luts, kLutCapPercent), capped(d.bram18(), kHardBlockCapPercent),
          capped(d.urams, kHardBlockCapPercent), capped(d.dsps, kHardBlockCapPercent)};
}

std::span<const Device> known_devices() { return kDevices; }

std::string known_device_names() {
  std::string names;
  for (const Device& d : kDevices) {
    if (!names.empty()) names += ", ";
    names += d.name;
  }
  return names;
}

const Device& find_device(std::string_view name) {
  std::string lower(name);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  for (const Device& d : kDevices) {
    if (d.name == lower) return d;
  }
  fail("--device: '{}' is not a known part (known: {})", name, known_device_names());
}

const char* memory_kind_name(MemoryKind kind) {
  switch (kind) {
    case MemoryKind::Lutram: return "lutram";
    case MemoryKind::Bram: return "bram";
    case MemoryKind::Uram: return "uram";
  }
  return "?";
}

std::int64_t rom_distinct_columns(std::int64_t depth, std::int64_t width) {
  // A column (one output bit over the D words) is one of 2^D functions of the address.
  return depth < 40 ? std::min(width, std::int64_t{1} << depth) : width;
}

std::int64_t lutram_rom_luts(std::int64_t depth, std::int64_t width) {
  if (depth <= 0 || width <= 0) return 0;
  // A LUT per distinct column up to 64 words (a LUT6 holds 64), and past that 1.3 LUTs per
  // column and 64 words with the wide multiplexers (measured 1.2–1.4). A shallow ROM has few
  // distinct columns, which Yosys builds once each (opt_merge), moving bnn_rom's read registers
  // to the address: fitted to Yosys 0.23 (synth_xilinx -family xc7) on bnn_mvtu with PE·SIMD =
  // 1,024 random weight bits at 8, 9, 12, 16 and 32 words (+241, +690, +960, +1,015, +1,024 LUTs
  // over the same unit with its weights in BRAM: 0.94–1.35 a distinct column) and CNV-W1A1's
  // conv3 (9 words of 16,384 bits: +750) and conv4 (48 of 6,144: +6,145; docs/devices.md).
  const double columns = static_cast<double>(rom_distinct_columns(depth, width));
  return static_cast<std::int64_t>(
             depth <= 64 ? columns : 1.3 * columns * static_cast<double>(ceil_div(depth, 64))) +
         1;
}

std::int64_t bram18_for(std::int64_t depth, std::int64_t width) {
  if (depth <= 0 || width <= 0) return 0;
  static constexpr std::array<std::pair<int, int>, 6> kShapes = {
      {{16384, 1}, {8192, 2}, {4096, 4}, {2048, 9}, {1024, 18}, {512, 36}}};
  std::int64_t best = INT64_MAX;
  for (const auto& [shape_depth, shape_width] : kShapes) {
    best = std::min(best, ceil_div(depth, shape_depth) * ceil_div(width, shape_width));
  }
  return best;
}

std::int64_t urams_for(std::int64_t depth, std::int64_t width) {
  if (depth <= 0 || width <= 0) return 0;
  return ceil_div(depth, 4096) * ceil_div(width, 72);  // one aspect ratio: 4K × 72
}

MemoryKind place_memory(std::int64_t depth, std::int64_t width, const Device& device) {
  const DeviceCaps caps = device_caps(device);
  // Shares compared as cross-multiplied fractions (cost_a / cap_a < cost_b / cap_b).
  struct Option {
    MemoryKind kind;
    std::int64_t cost, cap;
  };
  std::array<Option, 3> options = {{{MemoryKind::Lutram, lutram_rom_luts(depth, width), caps.luts},
                                    {MemoryKind::Bram, bram18_for(depth, width), caps.bram18},
                                    {MemoryKind::Uram, urams_for(depth, width), caps.urams}}};
  const Option* best = &options[0];
  for (const Option& o : options) {
    if (o.cap <= 0) continue;
    if (static_cast<double>(o.cost) * static_cast<double>(best->cap) <
        static_cast<double>(best->cost) * static_cast<double>(o.cap)) {
      best = &o;
    }
  }
  return best->kind;
}

std::optional<std::string> device_overflow(const Usage& u, const Device& d) {
  const DeviceCaps caps = device_caps(d);
  struct Check {
    std::int64_t used, total, cap;
    int percent;
    const char* unit;
  };
  const Check checks[] = {
      {u.luts, d.luts, caps.luts, kLutCapPercent, "LUTs"},
      {u.lutram_luts, d.lutram_luts, caps.lutram_luts, kLutCapPercent, "LUTRAM LUTs"},
      {u.ffs, d.ffs, caps.ffs, kLutCapPercent, "FFs"},
      {u.bram18, d.bram18(), caps.bram18, kHardBlockCapPercent, "BRAM18"},
      {u.urams, d.urams, caps.urams, kHardBlockCapPercent, "URAMs"},
      {u.dsps, d.dsps, caps.dsps, kHardBlockCapPercent, "DSPs"},
  };
  for (const Check& c : checks) {
    if (c.used > c.cap) {
      return fmt::format("needs {} {} but {} has {} (cap {} %: {})", format_count(c.used), c.unit,
                         d.name, format_count(c.total), c.percent, format_count(c.cap));
    }
  }
  return std::nullopt;
}

}  // namespace bnnc
