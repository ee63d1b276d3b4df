// NumPy .npy arrays (as np.save writes them; FINN's test vectors are .npy).
//
// Layout: the magic "\x93NUMPY", a major and a minor version byte, the header length (2 bytes
// little-endian in version 1.0, 4 bytes in 2.0 and 3.0), then the header, a Python dict literal
// such as {'descr': '<f4', 'fortran_order': False, 'shape': (1, 3, 32, 32), }, then the
// elements. bnnc reads C-order arrays of bool, signed and unsigned integers of 1..8 bytes,
// float32 and float64, in either byte order.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "io/dataset.h"

namespace bnnc {

enum class NpyType {
  Bool,
  Int8,
  Int16,
  Int32,
  Int64,
  UInt8,
  UInt16,
  UInt32,
  UInt64,
  Float32,
  Float64
};

struct NpyArray {
  std::string descr;  // the dtype as the header writes it, e.g. "<f4"
  NpyType type = NpyType::Float64;
  std::vector<std::int64_t> shape;  // empty for a 0-d array (one element)
  std::vector<std::uint8_t> data;   // the elements in C order, in this machine's byte order

  std::size_t size() const;  // number of elements
  // Element index (flat, C order) as a double: exact for every float32/float64 and for integers
  // up to 2^53, which covers every value a pixel or label check accepts.
  double value(std::size_t index) const;
  bool is_integer_type() const { return type != NpyType::Float32 && type != NpyType::Float64; }
};

NpyArray read_npy(const std::string& path);

// The same on bytes already in memory; source names them in messages.
NpyArray parse_npy(std::span<const std::uint8_t> bytes, const std::string& source);

// True when bytes start with the .npy magic "\x93NUMPY".
bool is_npy(std::span<const std::uint8_t> bytes);

// Images from an array (no labels). The layout is fixed by the rank, not guessed from sizes:
//   [N, C, H, W]  NCHW, as PyTorch and FINN write it; transposed to HWC
//   [N, H, W]     one channel
//   [N, F]        F features: height 1, width F, one channel
// Every value must be an integer in 0..255 (raw pixels, not pixel/255).
Dataset dataset_from_npy(const NpyArray& array, const std::string& source);

// Labels from an array of any shape, flattened: integral values that fit an int.
std::vector<int> labels_from_npy(const NpyArray& array, const std::string& source);

// "(1, 3, 32, 32)", as NumPy prints a shape, for messages.
std::string npy_shape_string(const std::vector<std::int64_t>& shape);

}  // namespace bnnc
