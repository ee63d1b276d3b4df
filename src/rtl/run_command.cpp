#include "rtl/run_command.h"

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <deque>
#include <fstream>

#include "core/error.h"

namespace bnnc {

std::filesystem::path find_program(const std::string& name) {
  if (name.find('/') != std::string::npos) {
    return ::access(name.c_str(), X_OK) == 0 ? std::filesystem::path(name)
                                             : std::filesystem::path();
  }
  const char* path = std::getenv("PATH");
  std::string dirs = path != nullptr ? path : "/usr/bin:/bin";
  std::size_t begin = 0;
  while (begin <= dirs.size()) {
    const std::size_t end = std::min(dirs.find(':', begin), dirs.size());
    const std::filesystem::path candidate =
        std::filesystem::path(dirs.substr(begin, end - begin)) / name;
    if (end > begin && ::access(candidate.c_str(), X_OK) == 0) return candidate;
    begin = end + 1;
  }
  return {};
}

std::filesystem::path require_program(const std::string& name, const std::string& package) {
  std::filesystem::path path = find_program(name);
  if (path.empty()) {
    fail("{} not found in PATH: install the Debian package '{}' (apt-get install {})", name,
         package, package);
  }
  return path;
}

int run_command(const std::vector<std::string>& argv, const std::filesystem::path& cwd,
                const std::filesystem::path& log, bool big_stack) {
  BNNC_ASSERT(!argv.empty(), "run_command without a program");
  std::vector<char*> args;
  for (const std::string& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);
  const pid_t pid = ::fork();
  if (pid < 0) return -1;
  if (pid == 0) {
    // The child: only async-signal-safe calls until exec.
    const int null = ::open("/dev/null", O_RDONLY);
    if (null >= 0) ::dup2(null, 0);
    if (!log.empty()) {
      const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
      if (fd >= 0) {
        ::dup2(fd, 1);
        ::dup2(fd, 2);
      }
    }
    if (!cwd.empty() && ::chdir(cwd.c_str()) != 0) ::_exit(126);
    struct rlimit stack {};
    if (big_stack && ::getrlimit(RLIMIT_STACK, &stack) == 0 && stack.rlim_cur != stack.rlim_max) {
      stack.rlim_cur = stack.rlim_max;
      ::setrlimit(RLIMIT_STACK, &stack);
    }
    ::execvp(args[0], args.data());
    ::_exit(127);
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return -1;
  }
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

std::string command_first_line(const std::vector<std::string>& argv) {
  char name[] = "/tmp/bnnc-version-XXXXXX";
  const int fd = ::mkstemp(name);
  if (fd < 0) return {};
  ::close(fd);
  std::string line;
  if (run_command(argv, {}, name) == 0) {
    std::ifstream in(name);
    std::getline(in, line);
  }
  std::filesystem::remove(name);
  return line;
}

std::string tail_of_file(const std::filesystem::path& path, int lines) {
  std::ifstream in(path);
  std::deque<std::string> last;
  std::string line;
  while (std::getline(in, line)) {
    last.push_back(line);
    if (static_cast<int>(last.size()) > lines) last.pop_front();
  }
  std::string text;
  for (const std::string& l : last) text += (text.empty() ? "" : " | ") + l;
  return text;
}

}  // namespace bnnc
