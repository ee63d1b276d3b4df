// Reading a file the user named, so that no input can hang bnnc or make it allocate what the file
// does not hold: the file is opened without blocking (a FIFO would wait for a writer forever) and
// must be a regular file no larger than the caller's cap, checked before a byte is allocated.
// Every refusal is a bnnc::Error of one line naming the path:
//   "PATH: no such file", "PATH: permission denied", "PATH: is a folder, not WHAT",
//   "PATH: not a regular file (a FIFO)", "PATH: file of N bytes is larger than CAP bytes (...)",
//   "'': empty path (WHAT expected)".
// `what` names what the caller expected ("a bnnc model file").
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace bnnc {

// The whole file, at most max_bytes long.
std::vector<std::uint8_t> read_file(const std::string& path, std::uint64_t max_bytes,
                                    std::string_view what);

// The first `count` bytes (fewer when the file is shorter), with the same checks but no cap: to
// check a magic number before a large file is read whole.
std::vector<std::uint8_t> read_file_prefix(const std::string& path, std::size_t count,
                                           std::string_view what);

// The kind of a file that is not a regular one, for messages: "a FIFO", "a socket", ...
std::string file_kind_name(unsigned mode);

}  // namespace bnnc
