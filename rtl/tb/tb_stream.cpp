// The Verilator testbench of bnnc's RTL: streams words into a top module's s_axis port and
// collects the words of its m_axis port, stalling both sides at random (seeded), and writes
// what came out with the cycle it came out in. It serves a whole generated design (bnn_top, with
// its scores observation port, built with -DTB_OBSERVE) and every block on its own (the block
// tests), since every bnnc block has the same AXI-Stream ports.
//
//   tb --in FILE --out FILE [--seed S] [--stall-in P] [--stall-out P] [--outputs N]
//      [--frame-words W] [--max-idle C]
//
// --in: the input words, each ⌈width/32⌉ little-endian 32-bit units (bit 0 first). The source
// presents a word with probability 1 − stall-in each cycle it has none presented and holds it
// until taken (AXI-Stream: valid never drops before the handshake); the sink is ready with
// probability 1 − stall-out each cycle. --out gets one line per event:
//   in FRAME CYCLE     the first word of frame FRAME (every W words) was taken in CYCLE
//   out CYCLE HEX      an output word (most significant digit first)
//   obs CYCLE HEX      a word taken by the label select (-DTB_OBSERVE)
// and a last line "end CYCLES". It stops after N output words, or with exit code 3 and a message
// when nothing moves on any port for C cycles (a deadlock) before that.
#include <verilated.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <type_traits>
#include <vector>

#include "Vtop.h"

namespace {

// A port's width in 32-bit units, and reading/writing it from/to such units.
template <typename T>
constexpr std::size_t units_of(const T&) {
  return sizeof(T) <= 4 ? 1 : 2;
}
template <std::size_t N>
constexpr std::size_t units_of(const VlWide<N>&) {
  return N;
}
template <typename T>
void put(T& port, const std::uint32_t* units) {
  if constexpr (sizeof(T) <= 4) {
    port = static_cast<T>(units[0]);
  } else {
    port = static_cast<T>((static_cast<std::uint64_t>(units[1]) << 32) | units[0]);
  }
}
template <std::size_t N>
void put(VlWide<N>& port, const std::uint32_t* units) {
  for (std::size_t i = 0; i < N; ++i) port[i] = units[i];
}
template <typename T>
std::string hex(const T& port) {
  char text[32];
  std::snprintf(text, sizeof text, "%llx", static_cast<unsigned long long>(port));
  return text;
}
template <std::size_t N>
std::string hex(const VlWide<N>& port) {
  std::string text;
  for (std::size_t i = N; i-- > 0;) {
    char unit[16];
    std::snprintf(unit, sizeof unit, text.empty() ? "%x" : "%08x", port[i]);
    if (!text.empty() || port[i] != 0 || i == 0) text += unit;
  }
  return text;
}

[[noreturn]] void fail(const std::string& message, int code = 2) {
  std::fprintf(stderr, "tb: %s\n", message.c_str());
  std::exit(code);
}

}  // namespace

int main(int argc, char** argv) {
  std::string in_path, out_path;
  std::uint64_t seed = 1;
  double stall_in = 0.0, stall_out = 0.0;
  long long outputs = -1, frame_words = 0, max_idle = 1000000;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (i + 1 >= argc) fail("flag " + arg + " needs a value");
    const char* value = argv[++i];
    if (arg == "--in")
      in_path = value;
    else if (arg == "--out")
      out_path = value;
    else if (arg == "--seed")
      seed = std::strtoull(value, nullptr, 10);
    else if (arg == "--stall-in")
      stall_in = std::atof(value);
    else if (arg == "--stall-out")
      stall_out = std::atof(value);
    else if (arg == "--outputs")
      outputs = std::atoll(value);
    else if (arg == "--frame-words")
      frame_words = std::atoll(value);
    else if (arg == "--max-idle")
      max_idle = std::atoll(value);
    else
      fail("unknown flag " + arg);
  }
  if (in_path.empty() || out_path.empty()) fail("--in and --out are required");

  auto context = std::make_unique<VerilatedContext>();
  auto top = std::make_unique<Vtop>(context.get());
  const std::size_t units = units_of(top->s_axis_tdata);

  std::vector<std::uint32_t> input;
  if (std::FILE* f = std::fopen(in_path.c_str(), "rb")) {
    std::uint32_t buffer[4096];
    std::size_t n = 0;
    while ((n = std::fread(buffer, sizeof buffer[0], 4096, f)) > 0) {
      input.insert(input.end(), buffer, buffer + n);
    }
    std::fclose(f);
  } else {
    fail("cannot read " + in_path);
  }
  if (input.size() % units != 0) fail(in_path + ": not a whole number of input words");
  const std::size_t words = input.size() / units;
  std::FILE* out = std::fopen(out_path.c_str(), "w");
  if (out == nullptr) fail("cannot write " + out_path);

  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> uniform(0.0, 1.0);

  const auto tick = [&] {
    top->clk = 0;
    top->eval();
    top->clk = 1;
    top->eval();
  };
  top->rst = 1;
  top->s_axis_tvalid = 0;
  top->m_axis_tready = 0;
  for (int i = 0; i < 4; ++i) tick();
  top->rst = 0;

  std::size_t next = 0;  // next input word
  bool presented = false;
  long long received = 0, idle = 0, cycle = 0;
  for (; outputs < 0 || received < outputs; ++cycle) {
    if (!presented && next < words && uniform(rng) >= stall_in) {
      put(top->s_axis_tdata, &input[next * units]);
      presented = true;
    }
    top->s_axis_tvalid = presented ? 1 : 0;
    top->m_axis_tready = uniform(rng) >= stall_out ? 1 : 0;
    top->clk = 0;
    top->eval();
    bool moved = false;
    if (presented && top->s_axis_tready) {
      if (frame_words > 0 && next % static_cast<std::size_t>(frame_words) == 0) {
        std::fprintf(out, "in %zu %lld\n", next / static_cast<std::size_t>(frame_words), cycle);
      }
      ++next;
      presented = false;
      moved = true;
    }
    if (top->m_axis_tvalid && top->m_axis_tready) {
      std::fprintf(out, "out %lld %s\n", cycle, hex(top->m_axis_tdata).c_str());
      ++received;
      moved = true;
    }
#ifdef TB_OBSERVE
    if (top->obs_tvalid) {
      std::fprintf(out, "obs %lld %s\n", cycle, hex(top->obs_tdata).c_str());
      moved = true;
    }
#endif
    top->clk = 1;
    top->eval();
    idle = moved ? 0 : idle + 1;
    if (outputs < 0 && next == words && idle > max_idle) break;
    if (idle > max_idle) {
      std::fprintf(out, "end %lld\n", cycle);
      std::fclose(out);
      fail("deadlock: nothing moved for " + std::to_string(max_idle) + " cycles at cycle " +
               std::to_string(cycle) + " (" + std::to_string(next) + " of " +
               std::to_string(words) + " input words taken, " + std::to_string(received) +
               " outputs)",
           3);
    }
  }
  std::fprintf(out, "end %lld\n", cycle);
  std::fclose(out);
  top->final();
  return 0;
}
