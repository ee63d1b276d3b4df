#include "io/cifar10_reader.h"

#include "core/error.h"

namespace bnnc {

bool looks_like_cifar10(std::span<const std::uint8_t> bytes) {
  if (bytes.empty()) return false;
  for (std::size_t offset = 0; offset < bytes.size(); offset += kCifar10RecordBytes) {
    if (bytes[offset] >= kCifar10Classes) return false;
  }
  return true;
}

bool is_cifar10(std::span<const std::uint8_t> bytes) {
  return bytes.size() % kCifar10RecordBytes == 0 && looks_like_cifar10(bytes);
}

Dataset parse_cifar10(std::span<const std::uint8_t> bytes, const std::string& source) {
  if (bytes.empty())
    fail("{}: empty file (CIFAR-10 records are {} bytes)", source, kCifar10RecordBytes);
  if (bytes.size() % kCifar10RecordBytes != 0) {
    fail("{}: CIFAR-10 file length {} is not a multiple of {} bytes", source, bytes.size(),
         kCifar10RecordBytes);
  }
  const std::size_t count = bytes.size() / kCifar10RecordBytes;
  constexpr std::size_t kPlane = kCifar10Side * kCifar10Side;
  constexpr std::size_t kImage = kPlane * kCifar10Channels;

  Dataset data;
  data.source = source;
  data.count = static_cast<int>(count);  // at most kMaxDataFileBytes / 3073
  data.height = kCifar10Side;
  data.width = kCifar10Side;
  data.channels = kCifar10Channels;
  data.pixels.resize(count * kImage);
  data.labels.resize(count);
  for (std::size_t n = 0; n < count; ++n) {
    const std::uint8_t* record = bytes.data() + n * kCifar10RecordBytes;
    if (record[0] >= kCifar10Classes) {
      fail("{}: record {} has label {} (CIFAR-10 labels are 0..{})", source, n, record[0],
           kCifar10Classes - 1);
    }
    data.labels[n] = record[0];
    const std::uint8_t* planes = record + 1;
    std::uint8_t* image = data.pixels.data() + n * kImage;
    for (std::size_t p = 0; p < kPlane; ++p) {
      for (std::size_t c = 0; c < kCifar10Channels; ++c) {
        image[p * kCifar10Channels + c] = planes[c * kPlane + p];
      }
    }
  }
  return data;
}

Dataset read_cifar10(const std::string& path) { return parse_cifar10(read_file_bytes(path), path); }

}  // namespace bnnc
