#include "test_support.h"

#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

namespace bnnc::test {

std::filesystem::path external_data() {
  const char* from_env = std::getenv("BNNC_EXTERNAL_DATA");
  std::filesystem::path path = from_env != nullptr ? from_env : BNNC_EXTERNAL_DATA_DEFAULT;
  if (!std::filesystem::is_directory(path)) return {};
  return path;
}

std::filesystem::path external_file(const std::string& relative) {
  const std::filesystem::path root = external_data();
  if (root.empty()) return {};
  std::filesystem::path path = root / relative;
  if (!std::filesystem::exists(path)) return {};
  return path;
}

std::filesystem::path temp_dir(const std::string& name) {
  // One folder per process: ctest runs test executables in parallel.
  std::filesystem::path path =
      std::filesystem::temp_directory_path() / "bnnc-tests" / std::to_string(::getpid()) / name;
  std::filesystem::remove_all(path);
  std::filesystem::create_directories(path);
  return path;
}

std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

CommandResult run_bnnc(const std::string& arguments, const std::string& environment) {
  return run_bnnc_under(environment.empty() ? "" : "env " + environment, arguments);
}

CommandResult run_bnnc_under(const std::string& prefix, const std::string& arguments) {
  static int counter = 0;
  const std::filesystem::path dir = std::filesystem::temp_directory_path() / "bnnc-tests" / "cli";
  std::filesystem::create_directories(dir);
  const std::string stem = std::to_string(::getpid()) + "-" + std::to_string(counter++);
  const std::filesystem::path out = dir / (stem + ".out");
  const std::filesystem::path err = dir / (stem + ".err");
  const std::string command = (prefix.empty() ? "" : prefix + " ") + std::string("'") +
                              BNNC_BINARY + "' " + arguments + " >'" + out.string() + "' 2>'" +
                              err.string() + "' </dev/null";
  const int status = std::system(command.c_str());
  CommandResult result;
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  result.out = read_text(out);
  result.err = read_text(err);
  std::filesystem::remove(out);
  std::filesystem::remove(err);
  return result;
}

}  // namespace bnnc::test
