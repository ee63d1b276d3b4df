// How long reading a network's weights takes from where they live between batch-1 calls (L2 for
// LFC's ~363 KB): at batch 1 every weight is read once per frame, so this is a floor under the
// latency beside the compute (bnnc bench). A plain streaming read, not the kernels: the time the
// loads alone take, as the kernels issue them (64-byte vectors on avx512/amx, 32 on avx2).
#pragma once

#include <cstddef>
#include <cstdint>

#include "runtime/kernels.h"

namespace bnnc::runtime {

// Sums `words` 64-bit words at `data` (64-byte aligned, a multiple of 32 words) with the widest
// loads `isa` has; the sum only keeps the compiler from dropping the loads.
std::uint64_t stream_read(const std::uint64_t* data, std::size_t words, Isa isa);

// The seconds that `threads` threads, at once, take to each read its share of `bytes` bytes (the
// way the engine splits every layer's rows at batch 1), each from a buffer of its own that it
// reads over and over so that it stays where it fits (L1, L2, L3): the best of `runs` reads on
// each thread, then the slowest thread's.
double measure_weight_stream(std::size_t bytes, int threads, Isa isa, int runs = 2000);

}  // namespace bnnc::runtime
