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

// Reloads after which the caller, still waiting on a helper, checks whether it must wake one.
constexpr int kWakeCheckSpins = 64;
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
//
// A helper that sleeps first counts itself in sleepers_ and then (after a seq_cst fence) checks
// the generation once more inside wait(); the caller stores the generation and, only when it
// finds itself waiting on a helper, fences and reads sleepers_ (wake_sleepers). Of the two
// fenced loads at least one sees the other's store, so either the helper does not sleep or the
// caller wakes it. The caller thus never pays for a notify (a locked add that drains its store
// buffer, ~0.09 µs here) while its helpers spin, which in a batch-1 loop is always.
void Team::helper(int t) {
  std::uint64_t seen = 0;
  for (;;) {
    std::uint64_t now;
    int spins = 0;
    while ((now = start_.generation.load(std::memory_order_acquire)) == seen) {
      if (++spins < (1 << 18)) {
        std::atomic_signal_fence(std::memory_order_seq_cst);
        continue;
      }
      sleepers_.count.fetch_add(1, std::memory_order_seq_cst);
      std::atomic_thread_fence(std::memory_order_seq_cst);
      start_.generation.wait(seen, std::memory_order_acquire);
      sleepers_.count.fetch_sub(1, std::memory_order_relaxed);
      spins = 0;
    }
    if (quit_.load(std::memory_order_acquire)) return;
    seen = now;
    start_.invoke(start_.job, t);
    slots_[t].done.store(seen, std::memory_order_release);
  }
}

void Team::wake_sleepers() {
  sleepers_.checked = true;
  std::atomic_thread_fence(std::memory_order_seq_cst);
  if (sleepers_.count.load(std::memory_order_relaxed) != 0) start_.generation.notify_all();
}

void Team::wait_until(const std::atomic<std::uint64_t>& counter, std::uint64_t target, int t,
                      Watch watch) {
  if (counter.load(std::memory_order_acquire) >= target) return;
  const auto* lines = static_cast<const char*>(watch.data);
  const std::size_t watched = watch.bytes <= Watch::kMaxLines * 64 ? watch.bytes : 0;
  int spins = 0;
  do {
    for (std::size_t b = 0; b < watched; b += 64) __builtin_prefetch(lines + b);
    if (t == 0 && !sleepers_.checked && spins == kWakeCheckSpins) wake_sleepers();
    spin_pause(spins);
  } while (counter.load(std::memory_order_acquire) < target);
}

void Team::run_job(void (*entry)(void*, int), void* job, Watch watch) {
  if (size_ == 1) {
    entry(job, 0);
    return;
  }
  start_.invoke = entry;
  start_.job = job;
  const std::uint64_t generation = start_.generation.load(std::memory_order_relaxed) + 1;
  start_.generation.store(generation, std::memory_order_release);
  // A helper that has slept a while (between two batch calls) is woken at once; the fenced
  // check in the waits covers one that is falling asleep just now.
  sleepers_.checked = false;
  if (sleepers_.count.load(std::memory_order_relaxed) != 0) wake_sleepers();
  entry(job, 0);
  // A helper still asleep has not finished, so the caller waits on it and wakes it there.
  for (int t = 1; t < size_; ++t) wait_until(slots_[t].done, generation, 0, watch);
}

void Team::barrier(int t, Watch watch) {
  if (size_ == 1) return;
  // Every member reaches the same barriers in the same order, so member t's count after this
  // one is the count every other member must reach.
  const std::uint64_t count = slots_[t].barriers.load(std::memory_order_relaxed) + 1;
  slots_[t].barriers.store(count, std::memory_order_release);
  for (int other = 0; other < size_; ++other) {
    if (other != t) wait_until(slots_[other].barriers, count, t, watch);
  }
}

}  // namespace bnnc::runtime
