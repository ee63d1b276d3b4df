// A team of threads that run one job together and meet again at its end: the intra-layer
// parallelism of batch-1 inference, where a layer lasts about a microsecond, so helpers spin
// on an atomic instead of sleeping on a condition variable.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <thread>
#include <type_traits>
#include <vector>

namespace bnnc::runtime {

class Team {
 public:
  explicit Team(int threads);
  ~Team();
  Team(const Team&) = delete;
  Team& operator=(const Team&) = delete;

  int size() const { return size_; }
  // Runs job(t) for t in [0, size) (t = 0 on the calling thread) and returns when all are done.
  // The job is called through a plain pointer to it (no std::function, whose captures would be
  // one more allocation and one more cache line for a helper to fetch from the caller's core).
  template <typename Job>
  void run(Job&& job) {
    run_job(&invoke<std::remove_reference_t<Job>>, &job);
  }
  // Inside a job, called by member t: waits until every member of the team has reached it.
  void barrier(int t);

 private:
  template <typename Job>
  static void invoke(void* job, int t) {
    (*static_cast<Job*>(job))(t);
  }
  void run_job(void (*entry)(void*, int), void* job);
  void helper(int t);

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
    void (*invoke)(void*, int) = nullptr;
    void* job = nullptr;
  };
  Start start_;
  std::atomic<bool> quit_{false};
};

}  // namespace bnnc::runtime
