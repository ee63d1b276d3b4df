#include "runtime/team.h"

#include <algorithm>
#include <string>
#include <system_error>
#include <utility>

#include "core/error.h"

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

// Reloads of one wait (~25 µs on a free core) after which the member waited for has surely lost
// its core: a batch-1 layer lasts 0.1–10 µs, and the members' shares of it differ by far less.
constexpr int kCrowdedSpins = 1 << 16;
// Short jobs run on the caller alone after a crowded one, doubling up to kMaxSoloJobs while each
// try finds the team crowded again: a try costs at most a few scheduler slices (milliseconds),
// kMaxSoloJobs batch-1 jobs far longer.
constexpr std::int64_t kMinSoloJobs = 64;
constexpr std::int64_t kMaxSoloJobs = std::int64_t{1} << 14;

// The choice between all members and the caller alone for short jobs: a trial runs four blocks
// of kTrialCalls calls (all, alone, all, alone) and keeps the way of the lower block median for
// a period that starts at kMinKeepCalls and doubles while the trials agree. The first trial
// comes after kTrialCalls calls (the caches warm).
constexpr std::size_t kTrialCalls = 32;
constexpr std::int64_t kMinKeepCalls = 1024;
constexpr std::int64_t kMaxKeepCalls = std::int64_t{1} << 20;
}  // namespace

Team::Team(int threads)
    : size_(threads < 1 ? 1 : threads),
      slots_(std::make_unique<Slot[]>(size_)),
      short_members_(size_),
      chosen_members_(size_),
      keep_left_(static_cast<std::int64_t>(kTrialCalls)),
      keep_period_(0) {
  block_seconds_.reserve(kTrialCalls);
  // A thread that cannot start (no memory for its stack, a process limit) is the machine's
  // refusal, not the user's error: stop the helpers already started (destroying a joinable
  // std::thread would terminate the process) and report it as an internal error, exit 3.
  try {
    for (int t = 1; t < size_; ++t) helpers_.emplace_back([this, t] { helper(t); });
  } catch (const std::system_error& error) {
    const std::size_t started = helpers_.size();
    stop_helpers();
    throw InternalError("cannot start thread " + std::to_string(started + 2) + " of " +
                        std::to_string(size_) + ": " + error.what());
  }
}

Team::~Team() { stop_helpers(); }

void Team::stop_helpers() {
  quit_.store(true, std::memory_order_release);
  start_.generation.fetch_add(1, std::memory_order_acq_rel);
  start_.generation.notify_all();
  for (std::thread& thread : helpers_) thread.join();
  helpers_.clear();
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
  if (sleepers_.count.load(std::memory_order_relaxed) != 0) {
    sleepers_.woke = true;
    start_.generation.notify_all();
  }
}

void Team::wait_until(const std::atomic<std::uint64_t>& counter, std::uint64_t target, int t,
                      Watch watch) {
  if (counter.load(std::memory_order_acquire) >= target) return;
  const auto* lines = static_cast<const char*>(watch.data);
  const std::size_t watched = watch.bytes <= Watch::kMaxLines * 64 ? watch.bytes : 0;
  int spins = 0;
  int waited = 0;
  do {
    for (std::size_t b = 0; b < watched; b += 64) __builtin_prefetch(lines + b);
    if (t == 0 && !sleepers_.checked && spins == kWakeCheckSpins) wake_sleepers();
    if (++waited == kCrowdedSpins) crowded_.store(true, std::memory_order_relaxed);
    spin_pause(spins);
  } while (counter.load(std::memory_order_acquire) < target);
}

void Team::run_job(void (*entry)(const void*, int), const void* job, Watch watch, Pace pace) {
  if (size_ == 1) {
    entry(job, 0);
    return;
  }
  start_.invoke = entry;
  const std::uint64_t generation = start_.generation.load(std::memory_order_relaxed) + 1;
  start_.generation.store(generation, std::memory_order_release);
  // A helper that has slept a while (between two batch calls) is woken at once; the fenced
  // check in the waits covers one that is falling asleep just now.
  sleepers_.checked = false;
  sleepers_.woke = false;
  if (sleepers_.count.load(std::memory_order_relaxed) != 0) wake_sleepers();
  entry(job, 0);
  // A helper still asleep has not finished, so the caller waits on it and wakes it there.
  for (int t = 1; t < size_; ++t) wait_until(slots_[t].done, generation, 0, watch);
  // Every member has finished, so none writes crowded_ before the next job. In a loop of short
  // jobs the helpers spin from one to the next; one that fell asleep all the same lost its core
  // (or the caller lost its own) for longer than its spin. The first job after a solo period
  // wakes them by design and says nothing either way.
  const bool slow = crowded_.exchange(false, std::memory_order_relaxed) || sleepers_.woke;
  const bool probe = std::exchange(probe_, false);
  if (pace == Pace::Long || (probe && sleepers_.woke)) return;
  if (slow) {
    solo_period_ = std::clamp(2 * solo_period_, kMinSoloJobs, kMaxSoloJobs);
    solo_left_ = solo_period_;
    probe_ = true;
  } else {
    solo_period_ = 0;
  }
}

void Team::finished_short(int members, double seconds) {
  // A call of a crowded stretch runs alone whatever the choice: it says nothing about it.
  if (size_ == 1 || members != short_members_) return;
  if (trial_block_ < 0) {
    if (--keep_left_ > 0) return;
    trial_block_ = 0;
    short_members_ = size_;
    probe_ = true;  // the helpers may sleep after a stretch alone: waking them is not crowding
    block_seconds_.clear();
    return;
  }
  block_seconds_.push_back(seconds);
  if (block_seconds_.size() < kTrialCalls) return;
  std::nth_element(block_seconds_.begin(), block_seconds_.begin() + kTrialCalls / 2,
                   block_seconds_.end());
  block_medians_[trial_block_] = block_seconds_[kTrialCalls / 2];
  block_seconds_.clear();
  if (++trial_block_ < kTrialBlocks) {
    short_members_ = trial_block_ % 2 == 0 ? size_ : 1;
    probe_ = short_members_ > 1;
    return;
  }
  const double all = std::min(block_medians_[0], block_medians_[2]);
  const double alone = std::min(block_medians_[1], block_medians_[3]);
  const int choice = alone < all ? 1 : size_;
  keep_period_ = choice == chosen_members_
                     ? std::clamp(2 * keep_period_, kMinKeepCalls, kMaxKeepCalls)
                     : kMinKeepCalls;
  probe_ = choice > 1;
  short_members_ = chosen_members_ = choice;
  keep_left_ = keep_period_;
  trial_block_ = -1;
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
