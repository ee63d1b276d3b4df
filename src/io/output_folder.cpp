#include "io/output_folder.h"

#include <signal.h>
#include <unistd.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cerrno>
#include <fstream>
#include <map>
#include <sstream>
#include <system_error>
#include <vector>

#include "core/atomic_file.h"
#include "core/error.h"
#include "core/fnv_hash.h"
#include "core/read_file.h"

namespace bnnc {

namespace fs = std::filesystem;

namespace {

constexpr const char* kStagingMarker = ".bnnc-tmp-";

// What a design folder holds is bnnc's own, but a user may have put anything at its paths: read
// through core/read_file (regular files only, never blocking, capped).
constexpr std::uint64_t kMaxOutputFileBytes = std::uint64_t{4} << 30;

std::string read_bytes(const fs::path& path) {
  const std::vector<std::uint8_t> bytes =
      read_file(path.string(), kMaxOutputFileBytes, "a file bnnc wrote");
  return {bytes.begin(), bytes.end()};
}

std::string hash_of(const fs::path& path) { return FnvHash(read_bytes(path)).hex(); }

// The manifest's files (relative path → hash); empty when there is none.
std::map<std::string, std::string> read_manifest(const fs::path& dir) {
  const fs::path path = dir / kOutputManifest;
  std::map<std::string, std::string> files;
  std::error_code error;
  if (!fs::is_regular_file(fs::symlink_status(path, error))) return files;
  try {
    const nlohmann::json json = nlohmann::json::parse(read_bytes(path));
    for (const auto& [name, hash] : json.at("files").items()) {
      files[name] = hash.get<std::string>();
    }
  } catch (const nlohmann::json::exception& e) {
    fail("{}: not a bnnc manifest ({}); remove it, or give --force", path.string(), e.what());
  }
  return files;
}

void write_manifest(const fs::path& dir, const std::map<std::string, std::string>& files) {
  nlohmann::ordered_json json;
  json["written_by"] = "bnnc " BNNC_VERSION;
  json["files"] = nlohmann::ordered_json::object();
  for (const auto& [name, hash] : files) json["files"][name] = hash;
  // Atomically: a reader sees the old manifest or the new one.
  write_file_atomically((dir / kOutputManifest).string(), json.dump(2) + "\n");
}

// The files under dir, as paths relative to it, in order; sub-folders are walked, links are not.
std::vector<std::string> files_under(const fs::path& dir) {
  std::vector<std::string> files;
  for (const auto& entry : fs::recursive_directory_iterator(dir)) {
    if (entry.is_regular_file()) files.push_back(fs::relative(entry.path(), dir).generic_string());
  }
  std::sort(files.begin(), files.end());
  return files;
}

// ".NAME.bnnc-tmp-": what the staging folders for the target NAME start with. (Built with
// append: GCC 12's -Wrestrict misfires on "." + string.)
std::string staging_prefix(const fs::path& target) {
  std::string prefix(1, '.');
  prefix.append(target.filename().string());
  prefix.append(kStagingMarker);
  return prefix;
}

bool process_exists(long pid) { return ::kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM; }

// Staging folders of earlier runs for this target whose process is gone (killed mid-write).
void remove_leftovers(const fs::path& target) {
  const std::string prefix = staging_prefix(target);
  std::error_code error;
  for (const auto& entry : fs::directory_iterator(target.parent_path(), error)) {
    const std::string name = entry.path().filename().string();
    if (!name.starts_with(prefix)) continue;
    const std::string pid = name.substr(prefix.size());
    if (pid.empty() || pid.find_first_not_of("0123456789") != std::string::npos) continue;
    if (!process_exists(std::stol(pid))) fs::remove_all(entry.path(), error);
  }
}

// Throws when `relative` inside `target` passes through a link or a non-folder, or is itself a
// link or something other than a regular file (what bnnc writes is never anything else).
void check_no_link(const fs::path& target, const fs::path& shown, const std::string& relative,
                   bool force) {
  fs::path at = target, named = shown;
  const fs::path rel = relative;
  for (auto part = rel.begin(); part != rel.end(); ++part) {
    at /= *part;
    named /= *part;
    std::error_code error;
    const fs::file_status status = fs::symlink_status(at, error);
    if (!fs::exists(status)) return;
    const bool last = std::next(part) == rel.end();
    if (fs::is_symlink(status)) {
      if (last && force) return;  // the link itself is replaced, not followed
      fail(
          "{}: a symbolic link; bnnc does not write through links inside its output folder "
          "(remove it{})",
          named.string(), last ? ", or give --force" : "");
    }
    if (!last && !fs::is_directory(status)) {
      fail("{}: in the way (bnnc writes a folder there)", named.string());
    }
    if (last && !fs::is_regular_file(status)) fail("{}: in the way (not a file)", named.string());
  }
}

}  // namespace

OutputFolder::OutputFolder(const fs::path& target, bool force) : force_(force) {
  fs::path normal = target.lexically_normal();
  if (!normal.has_filename()) normal = normal.parent_path();  // "out/" → "out"
  if (normal.empty() || normal == "." || normal == "..") {
    fail("'{}': give a folder of its own to write to (e.g. --out design)", target.string());
  }
  shown_ = normal;
  target_ = fs::absolute(normal);
  std::error_code error;
  const fs::file_status status = fs::status(target_, error);
  if (fs::exists(status) && !fs::is_directory(status)) {
    fail("{}: exists and is not a folder", target.string());
  }
  fs::create_directories(target_.parent_path(), error);
  if (error) {
    fail("{}: cannot create the folder ({})", target_.parent_path().string(), error.message());
  }
  remove_leftovers(target_);
  staging_ = target_.parent_path() / (staging_prefix(target_) + std::to_string(::getpid()));
  fs::remove_all(staging_, error);  // this process's own, from an earlier OutputFolder
  fs::create_directory(staging_, error);
  if (error) {
    fail("{}: cannot create a folder beside it to write into ({})", target.string(),
         error.message());
  }
}

OutputFolder::~OutputFolder() {
  std::error_code ignored;
  if (!committed_) fs::remove_all(staging_, ignored);
}

void OutputFolder::commit() {
  std::map<std::string, std::string> written;
  for (const std::string& file : files_under(staging_)) {
    if (file == kOutputManifest) continue;
    written[file] = hash_of(staging_ / file);
  }
  std::error_code error;
  if (!fs::exists(target_, error)) {
    write_manifest(staging_, written);
    fs::rename(staging_, target_, error);
    if (error)
      fail("{}: cannot move the output into place ({})", target_.string(), error.message());
    committed_ = true;
    return;
  }
  // Every check before the first move, so that a refusal leaves the target as it was.
  const std::map<std::string, std::string> earlier = read_manifest(target_);
  for (const auto& [file, hash] : written) {
    check_no_link(target_, shown_, file, force_);
    if (!earlier.contains(file) && !force_ && fs::exists(fs::symlink_status(target_ / file))) {
      fail("{}: in the way (bnnc did not write it; move it, or give --force to replace it)",
           (shown_ / file).string());
    }
  }
  for (const auto& [file, hash] : earlier) {
    if (!written.contains(file)) check_no_link(target_, shown_, file, false);
  }
  // The manifest lists old and new files until every move is done: a run killed in between
  // leaves only files a later run may replace.
  std::map<std::string, std::string> both = earlier;
  for (const auto& [file, hash] : written) both[file] = hash;
  write_manifest(target_, both);
  for (const auto& [file, hash] : written) {
    const fs::path to = target_ / file;
    fs::create_directories(to.parent_path(), error);
    if (error) fail("{}: cannot create ({})", to.parent_path().string(), error.message());
    fs::rename(staging_ / file, to, error);
    if (error) fail("{}: cannot write ({})", to.string(), error.message());
  }
  for (const auto& [file, hash] : earlier) {
    if (written.contains(file)) continue;
    const fs::path stale = target_ / file;
    fs::remove(stale, error);
    // A folder bnnc made for its files (rtl/) goes with the last of them, unless it holds more.
    for (fs::path dir = stale.parent_path(); dir != target_; dir = dir.parent_path()) {
      if (!fs::is_empty(dir, error) || error) break;
      fs::remove(dir, error);
    }
  }
  write_manifest(target_, written);
  committed_ = true;
  fs::remove_all(staging_, error);
}

void check_output_folder(const fs::path& dir) {
  const std::map<std::string, std::string> files = read_manifest(dir);
  if (files.empty()) {
    fail(
        "{}: no {} (not a folder bnnc compile wrote, or written before bnnc kept one; run "
        "bnnc compile again)",
        dir.string(), kOutputManifest);
  }
  for (const auto& [file, hash] : files) {
    const fs::path path = dir / file;
    std::error_code error;
    if (!fs::is_regular_file(fs::symlink_status(path, error))) {
      fail("{}: missing (bnnc compile wrote it; run bnnc compile again)", path.string());
    }
    if (hash_of(path) != hash) {
      fail("{}: changed since bnnc compile wrote it (run bnnc compile again)", path.string());
    }
  }
}

}  // namespace bnnc
