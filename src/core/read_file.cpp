#include "core/read_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "core/errno_text.h"
#include "core/error.h"

namespace bnnc {

namespace {

// An open, checked regular file; closes on every path out.
class RegularFile {
 public:
  RegularFile(const std::string& path, std::string_view what) : path_(path) {
    if (path.empty()) fail("'': empty path ({} expected)", what);
    // O_NONBLOCK: opening a FIFO returns at once instead of waiting for a writer; it is refused
    // below, and reads of a regular file ignore the flag.
    fd_ = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
    if (fd_ < 0) {
      const int error = errno;
      struct stat status {};
      // A socket cannot be opened at all (ENXIO): name what it is rather than the errno.
      if (::stat(path.c_str(), &status) == 0 && !S_ISREG(status.st_mode)) refuse(status, what);
      if (error == ENOENT) fail("{}: no such file", path);
      fail("{}: {}", path, errno_text(error));
    }
    struct stat status {};
    if (::fstat(fd_, &status) != 0) fail("{}: cannot read its size: {}", path, errno_text(errno));
    if (!S_ISREG(status.st_mode)) refuse(status, what);
    size_ = static_cast<std::uint64_t>(status.st_size);
  }
  RegularFile(const RegularFile&) = delete;
  RegularFile& operator=(const RegularFile&) = delete;
  ~RegularFile() {
    if (fd_ >= 0) ::close(fd_);
  }

  std::uint64_t size() const { return size_; }

  // Exactly `count` bytes from the start (count ≤ size()).
  std::vector<std::uint8_t> read(std::size_t count) {
    std::vector<std::uint8_t> bytes(count);
    std::size_t done = 0;
    while (done < count) {
      const ssize_t got = ::read(fd_, bytes.data() + done, count - done);
      if (got < 0 && errno == EINTR) continue;
      if (got < 0) fail("{}: read error after {} bytes: {}", path_, done, errno_text(errno));
      if (got == 0)
        fail("{}: read {} of its {} bytes (file shrank while reading)", path_, done, count);
      done += static_cast<std::size_t>(got);
    }
    return bytes;
  }

 private:
  [[noreturn]] void refuse(const struct stat& status, std::string_view what) const {
    if (S_ISDIR(status.st_mode)) fail("{}: is a folder, not {}", path_, what);
    fail("{}: not a regular file ({})", path_, file_kind_name(status.st_mode));
  }

  std::string path_;
  int fd_ = -1;
  std::uint64_t size_ = 0;
};

}  // namespace

std::string file_kind_name(unsigned mode) {
  if (S_ISDIR(mode)) return "a folder";
  if (S_ISFIFO(mode)) return "a FIFO";
  if (S_ISSOCK(mode)) return "a socket";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISLNK(mode)) return "a symbolic link";
  return "not a file";
}

std::vector<std::uint8_t> read_file(const std::string& path, std::uint64_t max_bytes,
                                    std::string_view what) {
  RegularFile file(path, what);
  if (file.size() > max_bytes) {
    fail("{}: file of {} bytes is larger than {} bytes (the limit for {})", path, file.size(),
         max_bytes, what);
  }
  return file.read(static_cast<std::size_t>(file.size()));
}

std::vector<std::uint8_t> read_file_prefix(const std::string& path, std::size_t count,
                                           std::string_view what) {
  RegularFile file(path, what);
  return file.read(static_cast<std::size_t>(std::min<std::uint64_t>(count, file.size())));
}

}  // namespace bnnc
