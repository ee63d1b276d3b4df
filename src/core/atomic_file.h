// Writing a file so that a failure never destroys what was there: the bytes go to a uniquely
// named temporary beside the target ("TARGET.bnnc-tmp-PID-N", same folder so that the rename
// stays on one file system), are flushed to the disk, and only then renamed over the target. A
// full disk, a write error or a kill leaves the target's previous bytes whole; a failure removes
// the temporary and throws bnnc::Error naming the target and the reason ("no space left on
// device"). Temporaries that a killed earlier run left (same marker, a process id no longer
// alive) are removed on the next write to that target.
//
// The target must be a regular file or absent: a folder, FIFO or device is refused (writing
// "through" /dev/full or a FIFO would fail or hang, and a rename would replace it). A symbolic
// link is followed: the file it points to is replaced, the link stays.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace bnnc {

void write_file_atomically(const std::string& path, std::span<const std::uint8_t> bytes);
void write_file_atomically(const std::string& path, std::string_view bytes);

// For writers that only write by name (libtorch's archives): they write temporary_path(), then
// commit() flushes it and renames it over the target. Without commit() (an exception on the
// way), the destructor removes the temporary.
class AtomicFile {
 public:
  explicit AtomicFile(const std::string& target);
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;
  ~AtomicFile();

  const std::string& temporary_path() const { return temporary_; }
  void commit();

 private:
  std::string target_;     // the path given, for messages
  std::string real_;       // the file replaced (the target with symbolic links followed)
  std::string temporary_;  // "" once committed
};

// Throws bnnc::Error unless write_file_atomically(path, ...) could succeed now: the target is a
// regular file or absent, and its folder exists and takes a new file (one is created and
// removed). For writers that work for hours before they write (bnnc train).
void check_writable(const std::string& path);

// The marker in a temporary's name, after the target's file name.
inline constexpr std::string_view kTemporaryMarker = ".bnnc-tmp-";

}  // namespace bnnc
