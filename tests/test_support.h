// Helpers shared by every test executable.
#pragma once

#include <filesystem>
#include <string>

namespace bnnc::test {

// The folder of data trained by others (../shared/external), from BNNC_EXTERNAL_DATA or the
// build-time default. Empty when it is absent: tests that need it GTEST_SKIP with a message.
std::filesystem::path external_data();

// external_data() / relative, or an empty path when that file or folder is missing.
std::filesystem::path external_file(const std::string& relative);

// A file's whole text ("" when it cannot be read).
std::string read_text(const std::filesystem::path& path);

// A fresh, empty temporary folder for one test (removed at the next run of the same test).
std::filesystem::path temp_dir(const std::string& name);

struct CommandResult {
  int exit_code = -1;
  std::string out;  // stdout
  std::string err;  // stderr
};

// Runs the built bnnc CLI with the given argument string (shell-quoted by the caller);
// `environment` ("PATH=/nowhere") is set for that run only.
CommandResult run_bnnc(const std::string& arguments, const std::string& environment = "");

// Runs bnnc under a shell command prefix ("timeout 10", "prlimit --fsize=4096"); exit_code is -1
// when a signal ended it.
CommandResult run_bnnc_under(const std::string& prefix, const std::string& arguments);

}  // namespace bnnc::test

// Skips the current test with a message naming what is missing.
#define BNNC_REQUIRE_EXTERNAL(path_var, relative)                                 \
  const std::filesystem::path path_var = ::bnnc::test::external_file(relative);   \
  if (path_var.empty()) {                                                         \
    GTEST_SKIP() << "external data '" << (relative)                               \
                 << "' not found (set BNNC_EXTERNAL_DATA to ../shared/external)"; \
  }
