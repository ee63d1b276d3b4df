#include "runtime/team.h"

namespace bnnc::runtime {

namespace {
// Spins a while, then yields: on a loaded machine the member being waited for may need the core.
inline void spin_pause(int& spins) {
  if (++spins < 4096) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
    return;
  }
  spins = 0;
  std::this_thread::yield();
}
}  // namespace

Team::Team(int threads) : size_(threads < 1 ? 1 : threads) {
  for (int t = 1; t < size_; ++t) helpers_.emplace_back([this, t] { helper(t); });
}

Team::~Team() {
  quit_.store(true, std::memory_order_release);
  for (std::thread& thread : helpers_) thread.join();
}

void Team::helper(int t) {
  std::uint64_t seen = 0;
  for (;;) {
    std::uint64_t now;
    int spins = 0;
    while ((now = generation_.load(std::memory_order_acquire)) == seen) {
      if (quit_.load(std::memory_order_acquire)) return;
      spin_pause(spins);
    }
    seen = now;
    (*job_)(t);
    remaining_.fetch_sub(1, std::memory_order_acq_rel);
  }
}

void Team::run(const std::function<void(int)>& job) {
  if (size_ == 1) {
    job(0);
    return;
  }
  job_ = &job;
  remaining_.store(size_ - 1, std::memory_order_relaxed);
  generation_.fetch_add(1, std::memory_order_acq_rel);
  job(0);
  int spins = 0;
  while (remaining_.load(std::memory_order_acquire) != 0) spin_pause(spins);
}

void Team::barrier() {
  if (size_ == 1) return;
  const std::uint64_t generation = barrier_generation_.load(std::memory_order_acquire);
  if (arrived_.fetch_add(1, std::memory_order_acq_rel) == size_ - 1) {
    arrived_.store(0, std::memory_order_relaxed);
    barrier_generation_.fetch_add(1, std::memory_order_acq_rel);
    return;
  }
  int spins = 0;
  while (barrier_generation_.load(std::memory_order_acquire) == generation) spin_pause(spins);
}

}  // namespace bnnc::runtime
