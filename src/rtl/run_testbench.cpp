#include "rtl/run_testbench.h"

#include <unistd.h>

#include <fstream>
#include <sstream>

#include "core/error.h"
#include "rtl/run_command.h"

namespace bnnc {

std::vector<std::uint32_t> pack_words(const std::vector<std::int64_t>& values, int elems,
                                      int bits) {
  BNNC_ASSERT(elems > 0 && bits > 0 && values.size() % static_cast<std::size_t>(elems) == 0,
              "{} values do not make words of {}", values.size(), elems);
  const std::size_t units = static_cast<std::size_t>((elems * bits + 31) / 32);
  const std::size_t words = values.size() / static_cast<std::size_t>(elems);
  std::vector<std::uint32_t> out(words * units, 0);
  for (std::size_t w = 0; w < words; ++w) {
    for (int e = 0; e < elems; ++e) {
      const auto value = static_cast<std::uint64_t>(
          values[w * static_cast<std::size_t>(elems) + static_cast<std::size_t>(e)]);
      for (int b = 0; b < bits; ++b) {
        if (((value >> std::min(b, 63)) & 1U) == 0) continue;
        const int bit = e * bits + b;
        out[w * units + static_cast<std::size_t>(bit / 32)] |= std::uint32_t{1} << (bit % 32);
      }
    }
  }
  return out;
}

std::vector<std::int64_t> unpack_lanes(const std::string& hex, int lanes, int bits,
                                       bool is_signed) {
  // Bit i of the word is bit i % 4 of digit (size − 1 − i / 4).
  const auto bit_at = [&](int i) {
    const int digit = static_cast<int>(hex.size()) - 1 - i / 4;
    if (digit < 0) return 0;
    const char c = hex[static_cast<std::size_t>(digit)];
    const int value = c <= '9' ? c - '0' : c - 'a' + 10;
    return (value >> (i % 4)) & 1;
  };
  std::vector<std::int64_t> out;
  for (int l = 0; l < lanes; ++l) {
    std::int64_t v = 0;
    for (int b = 0; b < bits; ++b) v |= static_cast<std::int64_t>(bit_at(l * bits + b)) << b;
    if (is_signed && bits < 64 && ((v >> (bits - 1)) & 1) != 0) v -= std::int64_t{1} << bits;
    out.push_back(v);
  }
  return out;
}

TestbenchResult run_testbench(const std::filesystem::path& executable,
                              const std::vector<std::uint32_t>& units,
                              const TestbenchOptions& options) {
  char folder[] = "/tmp/bnnc-tb-XXXXXX";
  if (::mkdtemp(folder) == nullptr) fail("cannot create a temporary folder for the testbench");
  const std::filesystem::path dir = folder;
  const std::filesystem::path in = dir / "in.bin", out = dir / "out.txt", log = dir / "tb.log";
  {
    std::ofstream file(in, std::ios::binary);
    file.write(reinterpret_cast<const char*>(units.data()),
               static_cast<std::streamsize>(units.size() * sizeof(std::uint32_t)));
    if (!file) fail("{}: cannot write the testbench input", in.string());
  }
  const int status = run_command(
      {executable.string(), "--in", in.string(), "--out", out.string(), "--seed",
       std::to_string(options.seed), "--stall-in", fmt::format("{}", options.stall_in),
       "--stall-out", fmt::format("{}", options.stall_out), "--outputs",
       std::to_string(options.outputs), "--frame-words", std::to_string(options.frame_words),
       "--max-idle", std::to_string(options.max_idle)},
      options.cwd, log, /*big_stack=*/true);
  TestbenchResult result;
  if (status == 3) result.deadlock = tail_of_file(log, 1);
  if (status != 0 && status != 3) {
    const std::string message = tail_of_file(log, 3);
    std::filesystem::remove_all(dir);
    fail("testbench {} failed (exit {}): {}", executable.string(), status, message);
  }
  std::ifstream text(out);
  std::string kind;
  while (text >> kind) {
    if (kind == "in") {
      std::int64_t frame = 0, cycle = 0;
      text >> frame >> cycle;
      result.frame_start.push_back(cycle);
    } else if (kind == "out" || kind == "obs") {
      TimedWord word;
      text >> word.cycle >> word.hex;
      (kind == "out" ? result.outputs : result.observed).push_back(std::move(word));
    } else if (kind == "end") {
      text >> result.cycles;
    } else {
      break;
    }
  }
  std::filesystem::remove_all(dir);
  return result;
}

}  // namespace bnnc
