// run_command's child processes (src/rtl/run_command.h): the testbench's stack limit.
#include <gtest/gtest.h>
#include <sys/resource.h>

#include <algorithm>
#include <fstream>
#include <string>

#include "rtl/run_command.h"
#include "test_support.h"

namespace bnnc {
namespace {

// What `ulimit -S -s` prints for a limit: kilobytes, or "unlimited".
std::string ulimit_text(rlim_t limit) {
  return limit == RLIM_INFINITY ? "unlimited" : std::to_string(limit / 1024);
}

std::string child_soft_stack(bool big_stack, const std::filesystem::path& dir) {
  const std::filesystem::path log = dir / (big_stack ? "big.txt" : "plain.txt");
  EXPECT_EQ(run_command({"/bin/sh", "-c", "ulimit -S -s"}, {}, log, big_stack), 0);
  std::ifstream in(log);
  std::string line;
  std::getline(in, line);
  return line;
}

// A Verilated design of AlexNet/8's size overflows an 8 MB stack (exit 139): with big_stack the
// child's soft limit is the hard one, without it the parent's soft limit.
TEST(RunCommand, BigStackRaisesTheSoftStackLimitToTheHardOne) {
  struct rlimit saved {};
  ASSERT_EQ(::getrlimit(RLIMIT_STACK, &saved), 0);
  // An 8 MB soft limit (the usual default) below the hard one, when the hard one allows it.
  struct rlimit low = saved;
  low.rlim_cur = std::min<rlim_t>(saved.rlim_max, rlim_t{8} << 20);
  ASSERT_EQ(::setrlimit(RLIMIT_STACK, &low), 0);
  const std::filesystem::path dir = test::temp_dir("run-command");
  const std::string plain = child_soft_stack(false, dir), big = child_soft_stack(true, dir);
  ::setrlimit(RLIMIT_STACK, &saved);
  EXPECT_EQ(plain, ulimit_text(low.rlim_cur));
  EXPECT_EQ(big, ulimit_text(saved.rlim_max));
  if (low.rlim_cur == saved.rlim_max) GTEST_SKIP() << "hard stack limit is 8 MB: nothing to raise";
}

}  // namespace
}  // namespace bnnc
