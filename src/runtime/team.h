// A team of threads that run one job together and meet again at its end: the intra-layer
// parallelism of batch-1 inference, where a layer lasts about a microsecond, so helpers spin
// on an atomic instead of sleeping on a condition variable.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <thread>
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
  void run(const std::function<void(int)>& job);
  // Inside a job, called by member t: waits until every member of the team has reached it.
  void barrier(int t);

 private:
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
  const std::function<void(int)>* job_ = nullptr;
  alignas(64) std::atomic<std::uint64_t> generation_{0};
  std::atomic<bool> quit_{false};
};

}  // namespace bnnc::runtime
