// CIFAR-10 binary records (the "binary version": data_batch_N.bin, test_batch.bin; BNN-PYNQ's
// deer.bin is one record).
//
// Each record is 3073 bytes: one label byte (0..9), then the 32×32 red plane, the green plane and
// the blue plane, each row-major. The reader transposes the planes to bnnc's HWC order.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "io/dataset.h"

namespace bnnc {

inline constexpr int kCifar10Side = 32;
inline constexpr int kCifar10Channels = 3;
inline constexpr int kCifar10Classes = 10;
inline constexpr std::size_t kCifar10RecordBytes = 1 + 32 * 32 * 3;

Dataset read_cifar10(const std::string& path);

// The same on bytes already in memory; source names them in messages.
Dataset parse_cifar10(std::span<const std::uint8_t> bytes, const std::string& source);

// True when bytes are whole records whose label bytes are all 0..9.
bool is_cifar10(std::span<const std::uint8_t> bytes);

// True when bytes could be meant as records but may be cut short: the label byte of every record
// that starts within them is 0..9. Format detection uses it to say "wrong length" rather than
// "unknown format".
bool looks_like_cifar10(std::span<const std::uint8_t> bytes);

}  // namespace bnnc
