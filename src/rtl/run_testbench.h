// Running a testbench built by build_verilator: input words in, timed output words back.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace bnnc {

struct TestbenchOptions {
  std::uint64_t seed = 1;
  double stall_in = 0.0;              // probability that the source withholds a word in a cycle
  double stall_out = 0.0;             // probability that the sink is not ready in a cycle
  std::int64_t outputs = 0;           // output words to wait for
  std::int64_t frame_words = 0;       // input words per frame (for the frame start cycles), 0: none
  std::int64_t max_idle = 1'000'000;  // cycles without any handshake that count as a deadlock
  std::filesystem::path cwd;          // where the $readmemh files are
};

struct TimedWord {
  std::int64_t cycle = 0;
  std::string hex;  // most significant digit first
};

struct TestbenchResult {
  std::vector<std::int64_t> frame_start;  // cycle each frame's first word was taken
  std::vector<TimedWord> outputs;
  std::vector<TimedWord> observed;  // obs port (a design built with observe)
  std::int64_t cycles = 0;
  std::string deadlock;  // the testbench's message when it stopped on a deadlock, else empty
};

// `units`: the input words, each ⌈width/32⌉ 32-bit units, least significant first. Throws
// bnnc::Error when the testbench cannot run or fails other than by a deadlock.
TestbenchResult run_testbench(const std::filesystem::path& executable,
                              const std::vector<std::uint32_t>& units,
                              const TestbenchOptions& options);

// Packs `elems`-element words of `bits`-bit values (element 0 lowest) into 32-bit units, each
// word ⌈elems·bits/32⌉ units; the values' low bits are used.
std::vector<std::uint32_t> pack_words(const std::vector<std::int64_t>& values, int elems, int bits);

// The lanes of a word: `lanes` values of `bits` bits from the low end of `hex`, two's complement
// when is_signed.
std::vector<std::int64_t> unpack_lanes(const std::string& hex, int lanes, int bits, bool is_signed);

}  // namespace bnnc
