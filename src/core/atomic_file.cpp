#include "core/atomic_file.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <charconv>
#include <filesystem>

#include "core/errno_text.h"
#include "core/error.h"
#include "core/read_file.h"

namespace bnnc {

namespace fs = std::filesystem;

namespace {

std::atomic<unsigned> temporary_counter{0};

bool process_alive(long pid) {
  // EPERM: the process exists but belongs to someone else.
  return ::kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM;
}

// Removes "NAME.bnnc-tmp-PID-N" beside `real` whose PID is not a live process. Best effort: a
// temporary that cannot be removed is left alone, it does not stop this write.
void remove_stale_temporaries(const fs::path& real) {
  const std::string prefix = real.filename().string() + std::string(kTemporaryMarker);
  const fs::path folder = real.parent_path().empty() ? fs::path(".") : real.parent_path();
  std::error_code error;
  for (fs::directory_iterator it(folder, error), end; !error && it != end; it.increment(error)) {
    const std::string name = it->path().filename().string();
    if (!name.starts_with(prefix)) continue;
    const std::string_view rest = std::string_view(name).substr(prefix.size());
    long pid = 0;
    const auto [next, status] = std::from_chars(rest.data(), rest.data() + rest.size(), pid);
    if (status != std::errc() || next == rest.data() || pid <= 0 || process_alive(pid)) continue;
    std::error_code ignored;
    fs::remove(it->path(), ignored);
  }
}

void sync_folder(const fs::path& real) {
  const fs::path folder = real.parent_path().empty() ? fs::path(".") : real.parent_path();
  const int fd = ::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;  // the rename is done; durability of the folder entry is best effort
  ::fsync(fd);
  ::close(fd);
}

}  // namespace

AtomicFile::AtomicFile(const std::string& target) : target_(target), real_(target) {
  if (target.empty()) fail("'': empty path (a file to write expected)");
  struct stat status {};
  if (::lstat(target.c_str(), &status) == 0 && S_ISLNK(status.st_mode)) {
    std::error_code error;
    const fs::path resolved = fs::weakly_canonical(target, error);
    if (!error) real_ = resolved.string();
  }
  if (::stat(real_.c_str(), &status) == 0 && !S_ISREG(status.st_mode)) {
    if (S_ISDIR(status.st_mode)) fail("{}: is a folder; refusing to write over it", target);
    fail("{}: not a regular file ({}); refusing to write over it", target,
         file_kind_name(status.st_mode));
  }
  remove_stale_temporaries(real_);
  temporary_ = real_ + std::string(kTemporaryMarker) + std::to_string(::getpid()) + "-" +
               std::to_string(temporary_counter++);
}

AtomicFile::~AtomicFile() {
  if (!temporary_.empty()) ::unlink(temporary_.c_str());
}

void AtomicFile::commit() {
  const int fd = ::open(temporary_.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) fail("{}: cannot write: {}", target_, errno_text(errno));
  const bool synced = ::fsync(fd) == 0;
  const int sync_error = errno;
  ::close(fd);
  if (!synced) fail("{}: cannot write: {}", target_, errno_text(sync_error));
  if (::rename(temporary_.c_str(), real_.c_str()) != 0) {
    fail("{}: cannot write: {}", target_, errno_text(errno));
  }
  temporary_.clear();
  sync_folder(real_);
}

void write_file_atomically(const std::string& path, std::span<const std::uint8_t> bytes) {
  AtomicFile file(path);
  const int fd =
      ::open(file.temporary_path().c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
  if (fd < 0) fail("{}: cannot write: {}", path, errno_text(errno));
  std::size_t done = 0;
  int error = 0;
  while (done < bytes.size()) {
    const ssize_t wrote = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (wrote < 0 && errno == EINTR) continue;
    if (wrote <= 0) {
      error = wrote < 0 ? errno : EIO;
      break;
    }
    done += static_cast<std::size_t>(wrote);
  }
  // fsync before the rename: otherwise a crash soon after can leave an empty file under the
  // target's name (the rename reaches the disk before the data).
  if (error == 0 && ::fsync(fd) != 0) error = errno;
  if (::close(fd) != 0 && error == 0) error = errno;
  if (error != 0) {
    fail("{}: cannot write ({} of {} bytes written): {}", path, done, bytes.size(),
         errno_text(error));
  }
  file.commit();
}

void write_file_atomically(const std::string& path, std::string_view bytes) {
  write_file_atomically(
      path, std::span(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()));
}

void check_writable(const std::string& path) {
  const AtomicFile probe(path);  // refuses a folder, FIFO or device as the target
  const int fd =
      ::open(probe.temporary_path().c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) {
    const std::string folder = fs::path(path).parent_path().string();
    fail("{}: cannot write there ({}: {})", path, folder.empty() ? "." : folder, errno_text(errno));
  }
  ::close(fd);  // the probe's destructor removes the file
}

}  // namespace bnnc
