#include "rtl/verilator_build.h"

#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "core/error.h"
#include "core/fnv_hash.h"
#include "rtl/rtl_sources.h"
#include "rtl/run_command.h"

namespace bnnc {

namespace {

std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail("{}: cannot read", path.string());
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// Flags of every build. -O3: Verilator's own optimisations. No --threads: the designs are too
// small for threads to pay (measured slower, docs/rtl.md). -Wno-WIDTHCONCAT: Verilator flags any
// replication wider than 8,192 bits as "probably wrong", and warnings stop a build; a wide layer's
// words are that wide on purpose (a 1,000-class label select's biases, 11,000 bits; an
// input-stationary dense layer's 1,000 thresholds, 13,000 bits: AlexNet/8's fc3).
const std::vector<std::string>& build_flags() {
  static const std::vector<std::string> flags = {
      "--cc",       "--exe", "--prefix",    "Vtop", "-O3",
      "--x-assign", "fast",  "--x-initial", "fast", "-Wno-WIDTHCONCAT"};
  return flags;
}

// What make compiles the generated model with (-O2 runs the CNV 1.3× faster than the default
// -Os); the Verilator runtime (verilated.o, verilated_threads.o) is compiled once per Verilator
// version into the cache and copied into later builds, which saves about 3 s of CPU per build.
const std::vector<std::string>& make_flags() {
  static const std::vector<std::string> flags = {"OPT_FAST=-O2"};
  return flags;
}
constexpr const char* kRuntimeObjects[] = {"verilated.o", "verilated_threads.o"};

void copy_if_exists(const std::filesystem::path& from, const std::filesystem::path& to) {
  std::error_code error;
  if (std::filesystem::exists(from)) {
    std::filesystem::copy_file(from, to, std::filesystem::copy_options::overwrite_existing, error);
  }
}

}  // namespace

std::filesystem::path bnnc_cache_dir() {
  if (const char* dir = std::getenv("BNNC_CACHE_DIR"); dir != nullptr && *dir != '\0') return dir;
  if (const char* dir = std::getenv("XDG_CACHE_HOME"); dir != nullptr && *dir != '\0') {
    return std::filesystem::path(dir) / "bnnc";
  }
  if (const char* home = std::getenv("HOME"); home != nullptr && *home != '\0') {
    return std::filesystem::path(home) / ".cache" / "bnnc";
  }
  return std::filesystem::temp_directory_path() / "bnnc-cache";
}

void require_verilator_tools() {
  require_program("verilator", "verilator");
  require_program("make", "make");
  require_program("g++", "g++");
}

VerilatorBuild build_verilator(const VerilatorBuildRequest& request) {
  require_verilator_tools();
  const std::filesystem::path verilator = find_program("verilator");
  const std::string version = command_first_line({verilator.string(), "--version"});

  FnvHash hash;
  hash.add(version);
  hash.add(request.top);
  for (const std::string& flag : build_flags()) hash.add(flag);
  for (const std::string& flag : make_flags()) hash.add(flag);
  hash.add(request.observe ? "observe" : "");
  for (const auto& [name, value] : request.params) hash.add(name + "=" + value);
  hash.add(rtl_source("tb_stream.cpp"));
  for (const auto& source : request.sources) {
    hash.add(source.filename().string());
    hash.add(read_text(source));
  }
  // Includes beside the sources are part of what is compiled.
  if (!request.sources.empty()) {
    for (const auto& entry :
         std::filesystem::directory_iterator(request.sources[0].parent_path())) {
      if (entry.path().extension() == ".vh") hash.add(read_text(entry.path()));
    }
  }

  const std::filesystem::path root = bnnc_cache_dir() / "verilator";
  const std::filesystem::path done = root / hash.hex();
  VerilatorBuild build;
  build.executable = done / "tb";
  if (std::filesystem::exists(build.executable)) {
    build.cached = true;
    return build;
  }

  // Build in a folder of our own and rename it into place: a concurrent build of the same
  // design (parallel tests) then never sees half a build.
  const auto start = std::chrono::steady_clock::now();
  const std::filesystem::path work = root / (hash.hex() + ".tmp-" + std::to_string(::getpid()));
  std::error_code error;
  std::filesystem::remove_all(work, error);
  std::filesystem::create_directories(work / "src", error);
  if (error) fail("{}: cannot create the build folder ({})", work.string(), error.message());
  {
    std::ofstream tb(work / "tb_stream.cpp");
    const std::string_view text = rtl_source("tb_stream.cpp");
    tb.write(text.data(), static_cast<std::streamsize>(text.size()));
  }
  std::vector<std::string> argv = {verilator.string()};
  for (const std::string& flag : build_flags()) argv.push_back(flag);
  argv.insert(argv.end(), {"--top-module", request.top, "-Isrc", "-Mdir", "obj", "-o", "../tb"});
  if (request.observe) argv.insert(argv.end(), {"+define+BNN_OBSERVE", "-CFLAGS", "-DTB_OBSERVE"});
  for (const auto& [name, value] : request.params) argv.push_back("-G" + name + "=" + value);
  for (const auto& source : request.sources) {
    const std::filesystem::path copy = work / "src" / source.filename();
    std::filesystem::copy_file(source, copy, std::filesystem::copy_options::overwrite_existing);
    argv.push_back("src/" + source.filename().string());
  }
  if (!request.sources.empty()) {
    for (const auto& entry :
         std::filesystem::directory_iterator(request.sources[0].parent_path())) {
      if (entry.path().extension() == ".vh") {
        std::filesystem::copy_file(entry.path(), work / "src" / entry.path().filename(),
                                   std::filesystem::copy_options::overwrite_existing);
      }
    }
  }
  argv.push_back("tb_stream.cpp");
  const std::filesystem::path log = work / "build.log";
  int status = run_command(argv, work, log);
  const std::filesystem::path runtime = root / ("runtime-" + FnvHash(version).hex());
  if (status == 0) {
    // make takes objects newer than their sources as built.
    for (const char* object : kRuntimeObjects)
      copy_if_exists(runtime / object, work / "obj" / object);
    std::vector<std::string> make = {"make", "-C", "obj", "-f", "Vtop.mk", "-j", "2"};
    make.insert(make.end(), make_flags().begin(), make_flags().end());
    status = run_command(make, work, log);
  }
  if (status != 0 || !std::filesystem::exists(work / "tb")) {
    fail("Verilator build of '{}' failed (exit {}; log {}): {}", request.top, status, log.string(),
         tail_of_file(log, 4));
  }
  if (!std::filesystem::exists(runtime / kRuntimeObjects[0])) {
    std::error_code ignored;
    const std::filesystem::path partial = runtime.string() + ".tmp-" + std::to_string(::getpid());
    std::filesystem::create_directories(partial, ignored);
    for (const char* object : kRuntimeObjects)
      copy_if_exists(work / "obj" / object, partial / object);
    std::filesystem::rename(partial, runtime, ignored);
    std::filesystem::remove_all(partial, ignored);
  }
  // Keep the executable and the log; the generated C++ is large and no longer needed.
  std::filesystem::remove_all(work / "obj", error);
  std::filesystem::rename(work, done, error);
  if (error) {
    // Another process finished the same build first: use its result.
    std::filesystem::remove_all(work, error);
    if (!std::filesystem::exists(build.executable)) {
      fail("{}: cannot move the build into the cache", done.string());
    }
  }
  build.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return build;
}

}  // namespace bnnc
