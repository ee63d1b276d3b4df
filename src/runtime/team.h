// A team of threads that run one job together and meet again at its end: the intra-layer
// parallelism of batch-1 inference, where a layer lasts about a microsecond, so helpers spin
// on an atomic instead of sleeping on a condition variable.
//
// Spinning pays only while every member has a core. On a loaded machine a member loses its
// core for a scheduler slice (milliseconds) and every barrier waits for it, and a helper that
// spun until it fell asleep is woken late, its spinning counted against it by the scheduler:
// 2-thread batch-1 latency was 10–15× the 1-thread figure under load. So a short job in which
// a wait outlasted any layer (kCrowdedSpins) or a helper had to be woken marks the team crowded,
// and the next short jobs run on the caller alone while the helpers sleep; the team tries again
// after a number of jobs that doubles while it stays crowded (team.cpp).
//
// Even with every member on its own core, a batch-1 call may be faster on the caller alone: each
// hand-off costs a line transfer between the cores, ~0.3 µs on an AMD Zen 5 host where LFC's
// whole call takes 2.9 µs on one core (bench/README.md, 2026-12-06). So the caller reports each
// short call's time (finished_short), and the team tries both ways now and then and keeps the
// faster (team.cpp).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <new>
#include <thread>
#include <type_traits>
#include <vector>

namespace bnnc::runtime {

// Bytes a waiting member reads as soon as its wait ends (at most kMaxLines cache lines; a longer
// range is not watched). While it waits it keeps fetching their lines, so that the last lines
// the other members write cross to its core with their arrival flag, not one transfer after it
// (~145 ns here, for a batch-1 layer a quarter of its time).
struct Watch {
  static constexpr std::size_t kMaxLines = 4;
  const void* data = nullptr;
  std::size_t bytes = 0;
};

class Team {
 public:
  explicit Team(int threads);
  ~Team();
  Team(const Team&) = delete;
  Team& operator=(const Team&) = delete;

  int size() const { return size_; }

  // Short jobs (batch-1 inference: microseconds between barriers) are watched for crowding; a
  // long job's waits may last as long as its work, and it always gets every member.
  enum class Pace { Long, Short };
  // Called by the caller once per job, before planning it: the members the job may use, size(),
  // or 1 while the team is crowded and the job is short (the caller then runs it without run()).
  int claim_members(Pace pace) {
    if (pace == Pace::Long) return size_;
    if (solo_left_ == 0) return short_members_;
    --solo_left_;
    return 1;
  }
  // Called by the caller after a short job's whole call (claim_members to its last step), with
  // the members it claimed and the call's time: the measure by which the team picks, for short
  // jobs, all of its members or the caller alone.
  void finished_short(int members, double seconds);
  // Whether finished_short reads the next short call's time: only while a trial is under way
  // (between trials it counts calls), so the caller reads no clock on the other calls.
  bool times_short_calls() const { return trial_block_ >= 0; }
  // What claim_members gives a short job outside a crowded stretch: size() or 1.
  int short_members() const { return short_members_; }
  // Runs job(t) for t in [0, size) (t = 0 on the calling thread) and returns when all are done.
  // The job is called through a plain pointer (no std::function, whose captures would be one
  // more allocation and one more cache line for a helper to fetch from the caller's core). A
  // trivially copyable job of at most kInlineJobBytes travels inside the start line itself, so
  // that a helper learns of the job and has all of it in one line transfer; a batch-1 job that
  // captures values rather than references to the caller's stack then reads nothing the caller
  // has just written (measured here: start+end of an empty job 0.38–0.39 µs, against 0.48–0.50
  // µs when it reads its captures from the caller's stack). `watch` (see Watch) is what the
  // caller reads after the job.
  static constexpr std::size_t kInlineJobBytes = 48;
  template <typename Job>
  static constexpr bool kCarriesInline = std::is_trivially_copyable_v<Job> &&
                                         sizeof(Job) <= kInlineJobBytes &&
                                         alignof(Job) <= alignof(std::uint64_t);
  template <typename Job>
  void run(Job&& job, Watch watch = {}, Pace pace = Pace::Long) {
    using J = std::remove_cvref_t<Job>;
    if constexpr (kCarriesInline<J>) {
      std::memcpy(start_.job, std::addressof(job), sizeof(J));
      run_job(&invoke<J>, std::addressof(job), watch, pace);
    } else {
      const J* pointed = std::addressof(job);
      std::memcpy(start_.job, &pointed, sizeof pointed);
      run_job(&invoke_pointed<J>, pointed, watch, pace);
    }
  }
  // Inside a job, called by member t: waits until every member of the team has reached it.
  // `watch` is what member t reads next (the other members' output).
  void barrier(int t, Watch watch = {});

 private:
  // `job` is the caller's job for member 0 and, for a helper, the start line's copy of it
  // (invoke) or of a pointer to it (invoke_pointed).
  template <typename Job>
  static void invoke(const void* job, int t) {
    (*std::launder(static_cast<Job*>(const_cast<void*>(job))))(t);
  }
  template <typename Job>
  static void invoke_pointed(const void* job, int t) {
    Job* pointed = nullptr;
    if (t == 0) {
      pointed = static_cast<Job*>(const_cast<void*>(job));
    } else {
      std::memcpy(&pointed, job, sizeof pointed);
    }
    (*pointed)(t);
  }
  // Starts the job whose copy (invoke) or pointer (invoke_pointed) run() put in start_.job, runs
  // it as member 0 on `job` and waits for the helpers.
  void run_job(void (*entry)(const void*, int), const void* job, Watch watch, Pace pace);
  void stop_helpers();
  void helper(int t);
  void wait_until(const std::atomic<std::uint64_t>& counter, std::uint64_t target, int t,
                  Watch watch);
  void wake_sleepers();

  // Each member's own counters, one cache line each: a member only ever writes its own line and
  // reads the others', so a wait costs one line transfer from the member waited for.
  struct alignas(64) Slot {
    std::atomic<std::uint64_t> barriers{0};  // barriers this member has reached
    std::atomic<std::uint64_t> done{0};      // the last job generation it finished
  };

  int size_;
  std::unique_ptr<Slot[]> slots_;
  std::vector<std::thread> helpers_;
  // The job and its generation in one cache line: a helper that sees the generation change has
  // the job with it (one line transfer from the caller's core, ~145 ns here, not two).
  struct alignas(64) Start {
    std::atomic<std::uint64_t> generation{0};
    void (*invoke)(const void*, int) = nullptr;
    alignas(std::uint64_t) unsigned char job[kInlineJobBytes] = {};
  };
  static_assert(sizeof(Start) == 64);
  Start start_;
  // Helpers that are (about to be) asleep on the generation, and whether the caller has checked
  // for them in the current job (see wake_sleepers), in a line of their own: it is written by a
  // helper only when it goes to sleep or wakes, and otherwise stays in the caller's cache.
  struct alignas(64) Sleepers {
    std::atomic<std::uint32_t> count{0};
    bool checked = false;  // member 0 only
    bool woke = false;     // member 0 only: it woke a sleeping helper in the current job
  };
  Sleepers sleepers_;
  std::atomic<bool> quit_{false};
  // Set by any member whose wait outlasted kCrowdedSpins; read and cleared by the caller at the
  // end of each job.
  std::atomic<bool> crowded_{false};
  std::int64_t solo_left_ = 0;    // short jobs still to run alone (caller only)
  std::int64_t solo_period_ = 0;  // how many the last crowded job earned (caller only)
  bool probe_ = false;            // the next team job follows a solo period: its helpers are asleep
  // The choice for short jobs (caller only, finished_short): keep short_members_ for keep_left_
  // calls, then a trial of alternating blocks, all members and the caller alone.
  int short_members_;
  int chosen_members_;  // the choice of the last trial (size_ before the first)
  std::int64_t keep_left_;
  std::int64_t keep_period_;
  int trial_block_ = -1;  // the block of the trial under way, −1 while keeping
  std::vector<double> block_seconds_;
  static constexpr int kTrialBlocks = 4;  // all members, alone, all, alone
  double block_medians_[kTrialBlocks] = {};
};

}  // namespace bnnc::runtime
