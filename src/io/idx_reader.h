// IDX files, the format of MNIST and Fashion-MNIST (t10k-images-idx3-ubyte, …).
//
// A big-endian header: a 4-byte magic 0x00 0x00 TYPE NDIMS, then NDIMS 4-byte sizes, then the
// elements in row-major order. bnnc reads the two kinds those data sets use, both of unsigned
// bytes (TYPE 0x08): labels (magic 2049 = 0x00000801, sizes N) and images (magic 2051 =
// 0x00000803, sizes N, rows, cols; one channel). The files are usually gzipped; the path-taking
// functions gunzip them (read_file_bytes).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "io/dataset.h"

namespace bnnc {

inline constexpr std::uint32_t kIdxLabelsMagic = 2049;
inline constexpr std::uint32_t kIdxImagesMagic = 2051;

// Images: count × rows × cols × 1, no labels (see load_dataset for the labels file beside it).
Dataset read_idx_images(const std::string& path);
std::vector<int> read_idx_labels(const std::string& path);

// The same on bytes already in memory (gunzipped); source names them in messages.
Dataset parse_idx_images(std::span<const std::uint8_t> bytes, const std::string& source);
std::vector<int> parse_idx_labels(std::span<const std::uint8_t> bytes, const std::string& source);

// True when bytes hold a well-formed IDX labels or images file: known magic and a declared size
// that matches the length exactly. Format detection uses it before looking at anything else,
// because a labels file can happen to look like CIFAR-10 records.
bool is_idx(std::span<const std::uint8_t> bytes);

}  // namespace bnnc
