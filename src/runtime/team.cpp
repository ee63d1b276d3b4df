#include "runtime/team.h"

namespace bnnc::runtime {

namespace {
// Spins a while, then yields: on a loaded machine the member being waited for may need the core.
// The spin is a plain reload, without PAUSE: under a hypervisor a loop of PAUSEs reads as a vCPU
// spinning on a lock (pause-loop exiting), and KVM then takes the core away, which measured here
// cost 65 µs per wait. About 2^18 reloads (~100 µs) before each yield.
inline void spin_pause(int& spins) {
  if (++spins < (1 << 18)) {
    std::atomic_signal_fence(std::memory_order_seq_cst);
    return;
  }
  spins = 0;
  std::this_thread::yield();
}
}  // namespace

Team::Team(int threads)
    : size_(threads < 1 ? 1 : threads), slots_(std::make_unique<Slot[]>(size_)) {
  for (int t = 1; t < size_; ++t) helpers_.emplace_back([this, t] { helper(t); });
}

Team::~Team() {
  quit_.store(true, std::memory_order_release);
  start_.generation.fetch_add(1, std::memory_order_acq_rel);
  start_.generation.notify_all();
  for (std::thread& thread : helpers_) thread.join();
}

// Between jobs a helper spins for about 2^18 reloads (the next job of a batch-1 loop comes within
// microseconds), then sleeps on the generation (a futex) so that an idle team costs no CPU.
void Team::helper(int t) {
  std::uint64_t seen = 0;
  for (;;) {
    std::uint64_t now;
    int spins = 0;
    while ((now = start_.generation.load(std::memory_order_acquire)) == seen) {
      if (++spins < (1 << 18)) {
        std::atomic_signal_fence(std::memory_order_seq_cst);
      } else {
        start_.generation.wait(seen, std::memory_order_acquire);
      }
    }
    if (quit_.load(std::memory_order_acquire)) return;
    seen = now;
    start_.invoke(start_.job, t);
    slots_[t].done.store(seen, std::memory_order_release);
  }
}

void Team::run_job(void (*entry)(void*, int), void* job) {
  if (size_ == 1) {
    entry(job, 0);
    return;
  }
  start_.invoke = entry;
  start_.job = job;
  const std::uint64_t generation = start_.generation.load(std::memory_order_relaxed) + 1;
  start_.generation.store(generation, std::memory_order_release);
  start_.generation.notify_all();
  entry(job, 0);
  for (int t = 1; t < size_; ++t) {
    int spins = 0;
    while (slots_[t].done.load(std::memory_order_acquire) != generation) spin_pause(spins);
  }
}

void Team::barrier(int t) {
  if (size_ == 1) return;
  // Every member reaches the same barriers in the same order, so member t's count after this
  // one is the count every other member must reach.
  const std::uint64_t count = slots_[t].barriers.load(std::memory_order_relaxed) + 1;
  slots_[t].barriers.store(count, std::memory_order_release);
  for (int other = 0; other < size_; ++other) {
    if (other == t) continue;
    int spins = 0;
    while (slots_[other].barriers.load(std::memory_order_acquire) < count) spin_pause(spins);
  }
}

}  // namespace bnnc::runtime
