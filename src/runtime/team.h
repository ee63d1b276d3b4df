// A team of threads that run one job together and meet again at its end: the intra-layer
// parallelism of batch-1 inference, where a layer lasts about a microsecond, so helpers spin
// on an atomic instead of sleeping on a condition variable.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
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
  // Inside a job: waits until every member of the team has reached it.
  void barrier();

 private:
  void helper(int t);

  int size_;
  std::vector<std::thread> helpers_;
  const std::function<void(int)>* job_ = nullptr;
  std::atomic<std::uint64_t> generation_{0};
  std::atomic<int> remaining_{0};
  std::atomic<bool> quit_{false};
  alignas(64) std::atomic<int> arrived_{0};
  alignas(64) std::atomic<std::uint64_t> barrier_generation_{0};
};

}  // namespace bnnc::runtime
