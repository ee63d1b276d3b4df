#include "io/idx_reader.h"

#include <fmt/format.h>

#include "core/error.h"

namespace bnnc {

namespace {

std::uint32_t read_be32(std::span<const std::uint8_t> bytes, std::size_t offset) {
  return (std::uint32_t{bytes[offset]} << 24) | (std::uint32_t{bytes[offset + 1]} << 16) |
         (std::uint32_t{bytes[offset + 2]} << 8) | std::uint32_t{bytes[offset + 3]};
}

struct IdxHeader {
  std::uint32_t magic = 0;
  std::uint32_t count = 0;
  std::uint32_t rows = 1;  // images only
  std::uint32_t cols = 1;
  std::size_t data_offset = 0;
};

// Reads the header and checks it against the length of bytes. Returns the problem as a message
// without the file name, or "" when there is none. Every size is checked before it is used, so
// a corrupt header can neither read past the end nor ask for a huge allocation.
std::string check_idx_header(std::span<const std::uint8_t> bytes, IdxHeader& header) {
  if (bytes.size() < 4) {
    return fmt::format("IDX header is truncated ({} bytes; the magic number alone has 4)",
                       bytes.size());
  }
  header.magic = read_be32(bytes, 0);
  if (header.magic != kIdxLabelsMagic && header.magic != kIdxImagesMagic) {
    return fmt::format("bad IDX magic number {:#010x} (expected {} labels or {} images)",
                       header.magic, kIdxLabelsMagic, kIdxImagesMagic);
  }
  const bool images = header.magic == kIdxImagesMagic;
  const char* kind = images ? "images" : "labels";
  header.data_offset = images ? 16 : 8;
  if (bytes.size() < header.data_offset) {
    return fmt::format("IDX header is truncated ({} bytes; an IDX {} header has {})", bytes.size(),
                       kind, header.data_offset);
  }
  header.count = read_be32(bytes, 4);
  if (images) {
    header.rows = read_be32(bytes, 8);
    header.cols = read_be32(bytes, 12);
    if (header.rows == 0 || header.cols == 0) {
      return fmt::format("IDX images are {}x{} pixels", header.rows, header.cols);
    }
  }
  const std::uint64_t item_bytes = std::uint64_t{header.rows} * header.cols;
  const std::uint64_t available = bytes.size() - header.data_offset;
  // Compared by division: count × rows × cols overflows 64 bits in a corrupt header.
  if (header.count > available / item_bytes) {
    if (images) {
      return fmt::format(
          "IDX file is truncated: its header declares {} images of {}x{} ({} bytes each) but "
          "only {} bytes follow",
          header.count, header.rows, header.cols, item_bytes, available);
    }
    return fmt::format(
        "IDX file is truncated: its header declares {} labels but only {} bytes follow",
        header.count, available);
  }
  const std::uint64_t used = header.count * item_bytes;
  if (used != available) {
    return fmt::format("IDX file has {} bytes after the {} {} its header declares",
                       available - used, header.count, kind);
  }
  return {};
}

IdxHeader parse_idx_header(std::span<const std::uint8_t> bytes, const std::string& source,
                           std::uint32_t expected_magic) {
  IdxHeader header;
  const std::string problem = check_idx_header(bytes, header);
  if (!problem.empty()) fail("{}: {}", source, problem);
  if (header.magic != expected_magic) {
    const bool want_images = expected_magic == kIdxImagesMagic;
    fail("{}: IDX {} file (magic {}) where IDX {} (magic {}) were expected", source,
         want_images ? "labels" : "images", header.magic, want_images ? "images" : "labels",
         expected_magic);
  }
  return header;
}

}  // namespace

bool is_idx(std::span<const std::uint8_t> bytes) {
  IdxHeader header;
  return check_idx_header(bytes, header).empty();
}

Dataset parse_idx_images(std::span<const std::uint8_t> bytes, const std::string& source) {
  const IdxHeader header = parse_idx_header(bytes, source, kIdxImagesMagic);
  if (header.count == 0) fail("{}: IDX file holds no images", source);
  // The checks above bound every size by the file length (at most kMaxDataFileBytes), so they
  // fit an int.
  Dataset data;
  data.source = source;
  data.count = static_cast<int>(header.count);
  data.height = static_cast<int>(header.rows);
  data.width = static_cast<int>(header.cols);
  data.channels = 1;
  data.pixels.assign(bytes.begin() + static_cast<std::ptrdiff_t>(header.data_offset), bytes.end());
  return data;
}

std::vector<int> parse_idx_labels(std::span<const std::uint8_t> bytes, const std::string& source) {
  const IdxHeader header = parse_idx_header(bytes, source, kIdxLabelsMagic);
  return {bytes.begin() + static_cast<std::ptrdiff_t>(header.data_offset), bytes.end()};
}

Dataset read_idx_images(const std::string& path) {
  return parse_idx_images(read_file_bytes(path), path);
}

std::vector<int> read_idx_labels(const std::string& path) {
  return parse_idx_labels(read_file_bytes(path), path);
}

}  // namespace bnnc
