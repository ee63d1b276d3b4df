#include "runtime/stream_probe.h"

#include <immintrin.h>

#include <algorithm>
#include <chrono>
#include <thread>
#include <vector>

#include "core/start_thread.h"

namespace bnnc::runtime {

namespace {

// Four independent sums, so that the adds never hold up the loads. The vector variants are
// compiled for their instruction set by attribute (bench calls them only where CPUID has it).
__attribute__((target("avx512f"))) std::uint64_t stream_read_avx512(const std::uint64_t* data,
                                                                    std::size_t words) {
  __m512i s0 = _mm512_setzero_si512(), s1 = s0, s2 = s0, s3 = s0;
  for (std::size_t i = 0; i < words; i += 32) {
    s0 = _mm512_add_epi64(s0, _mm512_load_si512(data + i));
    s1 = _mm512_add_epi64(s1, _mm512_load_si512(data + i + 8));
    s2 = _mm512_add_epi64(s2, _mm512_load_si512(data + i + 16));
    s3 = _mm512_add_epi64(s3, _mm512_load_si512(data + i + 24));
  }
  // Stored, not _mm512_reduce_add_epi64: GCC 12 warns that its extract reads an undefined
  // vector.
  alignas(64) std::uint64_t lanes[8];
  _mm512_store_si512(lanes, _mm512_add_epi64(_mm512_add_epi64(s0, s1), _mm512_add_epi64(s2, s3)));
  std::uint64_t sum = 0;
  for (std::uint64_t lane : lanes) sum += lane;
  return sum;
}

__attribute__((target("avx2"))) std::uint64_t stream_read_avx2(const std::uint64_t* data,
                                                               std::size_t words) {
  __m256i s0 = _mm256_setzero_si256(), s1 = s0, s2 = s0, s3 = s0;
  for (std::size_t i = 0; i < words; i += 16) {
    s0 = _mm256_add_epi64(s0, _mm256_load_si256(reinterpret_cast<const __m256i*>(data + i)));
    s1 = _mm256_add_epi64(s1, _mm256_load_si256(reinterpret_cast<const __m256i*>(data + i + 4)));
    s2 = _mm256_add_epi64(s2, _mm256_load_si256(reinterpret_cast<const __m256i*>(data + i + 8)));
    s3 = _mm256_add_epi64(s3, _mm256_load_si256(reinterpret_cast<const __m256i*>(data + i + 12)));
  }
  alignas(32) std::uint64_t lanes[4];
  _mm256_store_si256(reinterpret_cast<__m256i*>(lanes),
                     _mm256_add_epi64(_mm256_add_epi64(s0, s1), _mm256_add_epi64(s2, s3)));
  return lanes[0] + lanes[1] + lanes[2] + lanes[3];
}

std::uint64_t stream_read_words(const std::uint64_t* data, std::size_t words) {
  std::uint64_t s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  for (std::size_t i = 0; i < words; i += 4) {
    s0 += data[i];
    s1 += data[i + 1];
    s2 += data[i + 2];
    s3 += data[i + 3];
  }
  return s0 + s1 + s2 + s3;
}

}  // namespace

std::uint64_t stream_read(const std::uint64_t* data, std::size_t words, Isa isa) {
  switch (isa) {
    case Isa::Avx512:
    case Isa::Amx: return stream_read_avx512(data, words);
    case Isa::Avx2: return stream_read_avx2(data, words);
    default: return stream_read_words(data, words);
  }
}

double measure_weight_stream(std::size_t bytes, int threads, Isa isa, int runs) {
  using Clock = std::chrono::steady_clock;
  // Each share rounded up to whole groups of 32 words (256 bytes, one pass of the unrolled loop).
  const std::size_t share = (bytes / static_cast<std::size_t>(threads) + 255) / 256 * 32;
  std::vector<double> best(static_cast<std::size_t>(threads), 0.0);
  std::vector<std::uint64_t> sums(static_cast<std::size_t>(threads), 0);
  {
    std::vector<std::jthread> pool;  // joined when it goes out of scope, also on a throw
    for (int t = 0; t < threads; ++t) {
      pool.push_back(start_thread(
          [&, t] {
            // Allocated and filled by the thread that reads it (its core's caches, its node).
            std::vector<std::uint64_t, CacheLineAllocator<std::uint64_t>> buffer(share);
            for (std::size_t i = 0; i < share; ++i) buffer[i] = i * 0x9E3779B97F4A7C15ULL;
            std::uint64_t sum = 0;
            for (int warm = 0; warm < 16; ++warm) sum += stream_read(buffer.data(), share, isa);
            double fastest = 1e30;
            for (int run = 0; run < runs; ++run) {
              const auto start = Clock::now();
              sum += stream_read(buffer.data(), share, isa);
              fastest =
                  std::min(fastest, std::chrono::duration<double>(Clock::now() - start).count());
            }
            best[static_cast<std::size_t>(t)] = fastest;
            sums[static_cast<std::size_t>(t)] = sum;
          },
          t, threads));
    }
  }
  // The sums go nowhere else; this read keeps them (and so the loads) live.
  volatile std::uint64_t sink = 0;
  for (std::uint64_t sum : sums) sink = sum;
  static_cast<void>(sink);
  return *std::max_element(best.begin(), best.end());
}

}  // namespace bnnc::runtime
