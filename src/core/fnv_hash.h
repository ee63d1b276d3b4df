// 64-bit FNV-1a over bytes: a cache key and a check that a file is the one bnnc wrote, not a
// security measure (anyone may write a file with a given hash on purpose).
#pragma once

#include <fmt/format.h>

#include <cstdint>
#include <string>
#include <string_view>

namespace bnnc {

class FnvHash {
 public:
  FnvHash() = default;
  explicit FnvHash(std::string_view text) { add(text); }
  // Adds the bytes and a separator, so that ("ab", "c") and ("a", "bc") differ.
  void add(std::string_view text) {
    for (unsigned char c : text) state_ = (state_ ^ c) * 0x100000001b3ULL;
    state_ = (state_ ^ 0xFFU) * 0x100000001b3ULL;
  }
  std::string hex() const { return fmt::format("{:016x}", state_); }

 private:
  std::uint64_t state_ = 0xcbf29ce484222325ULL;
};

}  // namespace bnnc
