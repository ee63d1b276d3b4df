// Team: every member runs every job, barriers order the members' writes, and a helper that fell
// asleep between jobs (the caller then wakes it only when it finds itself waiting on it) is
// never left asleep: each of these would hang or count wrong.
#include "runtime/team.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <thread>
#include <vector>

namespace bnnc::runtime {
namespace {

// Jobs in a row, each member writing its own slot, then (after a barrier) reading all of them.
void run_jobs(Team& team, int jobs, std::chrono::microseconds pause) {
  const int size = team.size();
  std::vector<std::uint64_t> written(static_cast<std::size_t>(size) * 8, 0);
  std::vector<std::uint64_t> sums(static_cast<std::size_t>(size), 0);
  for (int job = 1; job <= jobs; ++job) {
    team.run(
        [&](int t) {
          written[static_cast<std::size_t>(t) * 8] = static_cast<std::uint64_t>(job) * (t + 1);
          team.barrier(t, Watch{written.data(), written.size() * 8});
          std::uint64_t sum = 0;
          for (int other = 0; other < size; ++other)
            sum += written[static_cast<std::size_t>(other) * 8];
          sums[static_cast<std::size_t>(t)] = sum;
          team.barrier(t);
        },
        Watch{sums.data(), sums.size() * 8});
    const std::uint64_t want = static_cast<std::uint64_t>(job) * size * (size + 1) / 2;
    for (int t = 0; t < size; ++t)
      ASSERT_EQ(sums[static_cast<std::size_t>(t)], want) << "job " << job;
    if (pause.count() > 0) std::this_thread::sleep_for(pause);
  }
}

TEST(Team, BackToBackJobsSeeEveryMembersWrites) {
  for (int size : {1, 2, 3}) {
    Team team(size);
    // Three members on a 2-core machine yield to each other: fewer jobs.
    run_jobs(team, size <= 2 ? 20000 : 300, std::chrono::microseconds(0));
  }
}

// Pauses longer than a helper's spin (~100 µs), so that it sleeps before most jobs, and pauses
// around it, so that some jobs start while it is falling asleep.
TEST(Team, SleepingHelpersAreWoken) {
  for (int size : {2, 3}) {
    Team team(size);
    for (int pause_us : {2000, 300, 120, 80, 50, 30}) {
      run_jobs(team, 40, std::chrono::microseconds(pause_us));
    }
  }
}

TEST(Team, JobWithoutBarrierWakesSleepingHelper) {
  Team team(2);
  for (int job = 0; job < 50; ++job) {
    std::this_thread::sleep_for(std::chrono::microseconds(job % 2 == 0 ? 1000 : 90));
    int ran = 0;
    team.run([&](int t) {
      if (t == 1) ran = 1;
    });
    ASSERT_EQ(ran, 1) << "job " << job;
  }
}

}  // namespace
}  // namespace bnnc::runtime
