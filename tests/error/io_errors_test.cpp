// Bad data files must fail with one line naming the file and the problem (never crash, never read
// out of bounds: CI runs these under ASan+UBSan).
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <zlib.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "core/error.h"
#include "io/dataset.h"
#include "io/npy_reader.h"
#include "test_support.h"

namespace bnnc {
namespace {

using Bytes = std::vector<std::uint8_t>;
using ::testing::AllOf;
using ::testing::HasSubstr;

void write_file(const std::filesystem::path& path, const Bytes& bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
  ASSERT_TRUE(out.good()) << path;
}

Bytes gzip_bytes(const Bytes& bytes) {
  z_stream stream{};
  EXPECT_EQ(deflateInit2(&stream, Z_BEST_SPEED, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY),
            Z_OK);
  Bytes out(deflateBound(&stream, static_cast<uLong>(bytes.size())) + 32);
  stream.next_in = const_cast<Bytef*>(bytes.data());
  stream.avail_in = static_cast<uInt>(bytes.size());
  stream.next_out = out.data();
  stream.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(deflate(&stream, Z_FINISH), Z_STREAM_END);
  out.resize(stream.total_out);
  deflateEnd(&stream);
  return out;
}

void append_be32(Bytes& bytes, std::uint32_t value) {
  for (int shift = 24; shift >= 0; shift -= 8)
    bytes.push_back(static_cast<std::uint8_t>(value >> shift));
}

Bytes idx_file(std::uint32_t magic, const std::vector<std::uint32_t>& sizes, std::size_t data) {
  Bytes bytes;
  append_be32(bytes, magic);
  for (const std::uint32_t size : sizes) append_be32(bytes, size);
  bytes.resize(bytes.size() + data, 7);
  return bytes;
}

Bytes npy_file(const std::string& header, const Bytes& data) {
  std::string padded = header;
  while ((10 + padded.size() + 1) % 64 != 0) padded += ' ';
  padded += '\n';
  Bytes bytes = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, static_cast<std::uint8_t>(padded.size()), 0};
  // resize + copy rather than two inserts, which trip GCC 12's -Warray-bounds false positive.
  bytes.resize(10 + padded.size() + data.size());
  std::copy(padded.begin(), padded.end(), bytes.begin() + 10);
  std::copy(data.begin(), data.end(),
            bytes.begin() + 10 + static_cast<std::ptrdiff_t>(padded.size()));
  return bytes;
}

std::string npy_header(const std::string& descr, const std::string& shape) {
  return "{'descr': '" + descr + "', 'fortran_order': False, 'shape': " + shape + ", }";
}

// The message of the bnnc::Error that call throws ("" and a test failure when it throws none).
std::string error_of(const std::function<void()>& call) {
  try {
    call();
  } catch (const Error& error) {
    const std::string message = error.what();
    EXPECT_EQ(message.find('\n'), std::string::npos) << "not one line: " << message;
    return message;
  }
  ADD_FAILURE() << "no bnnc::Error thrown";
  return "";
}

std::string load_error(const std::filesystem::path& path, const std::string& labels = "") {
  return error_of([&] { load_dataset(path.string(), labels); });
}

TEST(IoErrors, IdxWrongMagicIsAnIdxError) {
  const auto dir = test::temp_dir("IoErrors.Magic");
  const auto path = dir / "file.idx";
  write_file(path, idx_file(0x00000804, {1, 2, 2, 1}, 4));
  EXPECT_THAT(load_error(path),
              AllOf(HasSubstr(path.string()),
                    HasSubstr("bad IDX magic number 0x00000804 (expected 2049 labels or 2051 "
                              "images)")));
}

TEST(IoErrors, IdxTruncatedHeaderAndData) {
  const auto dir = test::temp_dir("IoErrors.IdxTruncated");
  const auto header = dir / "header-images-idx3-ubyte";
  write_file(header, Bytes{0, 0, 8, 3, 0, 0, 0, 1, 0, 0});
  EXPECT_THAT(load_error(header),
              AllOf(HasSubstr(header.string()), HasSubstr("IDX header is truncated")));

  const auto data = dir / "data-images-idx3-ubyte";
  write_file(data, idx_file(2051, {10, 28, 28}, 784 * 9 + 5));
  EXPECT_THAT(load_error(data),
              AllOf(HasSubstr(data.string()),
                    HasSubstr("IDX file is truncated: its header declares 10 images of 28x28")));

  // Absurd sizes: 2^32−1 images of 65535×65535 must be refused before any allocation.
  const auto absurd = dir / "absurd-images-idx3-ubyte";
  write_file(absurd, idx_file(2051, {0xffffffff, 0xffff, 0xffff}, 100));
  EXPECT_THAT(load_error(absurd), AllOf(HasSubstr(absurd.string()), HasSubstr("truncated")));

  const auto labels = dir / "labels.idx";
  write_file(labels, idx_file(2049, {100}, 99));
  EXPECT_THAT(error_of([&] { load_labels(labels.string()); }),
              AllOf(HasSubstr(labels.string()), HasSubstr("declares 100 labels but only 99")));
}

TEST(IoErrors, IdxTrailingBytesAndWrongKind) {
  const auto dir = test::temp_dir("IoErrors.IdxKind");
  const auto trailing = dir / "trailing-images-idx3-ubyte";
  write_file(trailing, idx_file(2051, {1, 2, 2}, 6));
  EXPECT_THAT(load_error(trailing),
              AllOf(HasSubstr(trailing.string()), HasSubstr("2 bytes after")));

  const auto labels = dir / "t10k-labels-idx1-ubyte";
  write_file(labels, idx_file(2049, {3}, 3));
  EXPECT_THAT(load_error(labels),
              AllOf(HasSubstr(labels.string()), HasSubstr("IDX labels file (magic 2049)")));
}

TEST(IoErrors, ImageAndLabelCountsDiffer) {
  const auto dir = test::temp_dir("IoErrors.Counts");
  const auto images = dir / "t10k-images-idx3-ubyte.gz";
  const auto labels = dir / "t10k-labels-idx1-ubyte.gz";
  write_file(images, gzip_bytes(idx_file(2051, {3, 2, 2}, 12)));
  write_file(labels, gzip_bytes(idx_file(2049, {2}, 2)));
  EXPECT_THAT(load_error(images), AllOf(HasSubstr(images.string()), HasSubstr(labels.string()),
                                        HasSubstr("3 images"), HasSubstr("2 labels")));

  const auto npy_labels = dir / "labels.npy";
  write_file(npy_labels, npy_file(npy_header("|u1", "(4,)"), {1, 2, 3, 4}));
  EXPECT_THAT(load_error(images, npy_labels.string()),
              AllOf(HasSubstr(images.string()), HasSubstr(npy_labels.string()),
                    HasSubstr("3 images"), HasSubstr("4 labels")));
}

TEST(IoErrors, Cifar10LengthNotAMultipleOfARecord) {
  const auto dir = test::temp_dir("IoErrors.Cifar");
  const auto path = dir / "test_batch.bin";
  Bytes bytes(3073 * 2 + 100, 50);
  bytes[0] = 3;
  bytes[3073] = 5;
  bytes[3073 * 2] = 7;  // the label byte of the cut-off third record
  write_file(path, bytes);
  EXPECT_THAT(load_error(path),
              AllOf(HasSubstr(path.string()),
                    HasSubstr("CIFAR-10 file length 6246 is not a multiple of 3073 bytes")));
}

TEST(IoErrors, NpyBadHeader) {
  const auto dir = test::temp_dir("IoErrors.NpyHeader");
  const auto missing_colon = dir / "colon.npy";
  write_file(missing_colon,
             npy_file("{'descr' '<f4', 'fortran_order': False, 'shape': (1,), }", Bytes(4)));
  EXPECT_THAT(load_error(missing_colon),
              AllOf(HasSubstr(missing_colon.string()), HasSubstr("bad .npy header"),
                    HasSubstr("expected ':'")));

  const auto no_shape = dir / "noshape.npy";
  write_file(no_shape, npy_file("{'descr': '<f4', 'fortran_order': False, }", Bytes(4)));
  EXPECT_THAT(load_error(no_shape),
              AllOf(HasSubstr(no_shape.string()), HasSubstr("bad .npy header: no 'shape' key")));

  const auto long_header = dir / "long.npy";
  Bytes bytes = npy_file(npy_header("<f4", "(1,)"), Bytes(4));
  bytes[8] = 0xff;
  bytes[9] = 0x7f;
  write_file(long_header, bytes);
  EXPECT_THAT(load_error(long_header),
              AllOf(HasSubstr(long_header.string()), HasSubstr(".npy header is truncated")));

  const auto version = dir / "version.npy";
  bytes = npy_file(npy_header("<f4", "(1,)"), Bytes(4));
  bytes[6] = 9;
  write_file(version, bytes);
  EXPECT_THAT(load_error(version),
              AllOf(HasSubstr(version.string()), HasSubstr("unsupported .npy format version 9.0")));

  const auto fortran = dir / "fortran.npy";
  write_file(fortran,
             npy_file("{'descr': '|u1', 'fortran_order': True, 'shape': (2, 2), }", Bytes(4)));
  EXPECT_THAT(load_error(fortran), AllOf(HasSubstr(fortran.string()), HasSubstr("Fortran order")));
}

TEST(IoErrors, NpyUnsupportedDtype) {
  const auto dir = test::temp_dir("IoErrors.NpyDtype");
  const auto complex = dir / "complex.npy";
  write_file(complex, npy_file(npy_header("<c8", "(1,)"), Bytes(8)));
  EXPECT_THAT(load_error(complex),
              AllOf(HasSubstr(complex.string()), HasSubstr("unsupported .npy dtype '<c8'")));
  const auto half = dir / "half.npy";
  write_file(half, npy_file(npy_header("<f2", "(1,)"), Bytes(2)));
  EXPECT_THAT(load_error(half),
              AllOf(HasSubstr(half.string()), HasSubstr("unsupported .npy dtype '<f2'")));
  const auto record = dir / "record.npy";
  write_file(record, npy_file("{'descr': [('a', '<i4')], 'fortran_order': False, 'shape': (1,), }",
                              Bytes(4)));
  EXPECT_THAT(load_error(record),
              AllOf(HasSubstr(record.string()), HasSubstr("unsupported .npy dtype")));
}

TEST(IoErrors, NpyTruncatedData) {
  const auto dir = test::temp_dir("IoErrors.NpyData");
  const auto path = dir / "x.npy";
  write_file(path, npy_file(npy_header("<f4", "(4, 1, 28, 28)"), Bytes(4 * 784 * 4 - 10)));
  EXPECT_THAT(
      load_error(path),
      AllOf(HasSubstr(path.string()),
            HasSubstr(".npy data is truncated: shape (4, 1, 28, 28) of '<f4' needs 12544 bytes")));
  const auto absurd = dir / "absurd.npy";
  write_file(absurd, npy_file(npy_header("<f8", "(4611686018427387904, 4)"), Bytes(16)));
  EXPECT_THAT(load_error(absurd),
              AllOf(HasSubstr(absurd.string()), HasSubstr("is too large (over 2^64 bytes)")));
  const auto huge = dir / "huge.npy";
  write_file(huge, npy_file(npy_header("|u1", "(1000000000, 1000)"), Bytes(16)));
  EXPECT_THAT(load_error(huge), AllOf(HasSubstr(huge.string()),
                                      HasSubstr("needs 1000000000000 bytes but only 16 follow")));
  const auto longer = dir / "longer.npy";
  write_file(longer, npy_file(npy_header("|u1", "(1, 4)"), Bytes(6)));
  EXPECT_THAT(load_error(longer),
              AllOf(HasSubstr(longer.string()), HasSubstr("has 2 bytes after the 4 its shape")));
}

TEST(IoErrors, NpyValuesThatAreNotPixelsOrLabels) {
  const auto dir = test::temp_dir("IoErrors.NpyValues");
  const auto scaled = dir / "scaled.npy";
  std::vector<float> values(2 * 1 * 2 * 2, 1.0f);
  values[5] = 0.5f;
  Bytes data(values.size() * 4);
  std::memcpy(data.data(), values.data(), data.size());
  write_file(scaled, npy_file(npy_header("<f4", "(2, 1, 2, 2)"), data));
  EXPECT_THAT(
      load_error(scaled),
      AllOf(HasSubstr(scaled.string()),
            HasSubstr("element [1, 0, 0, 1] (flat index 5) is 0.5, not an integer in 0..255")));

  const auto big = dir / "big.npy";
  write_file(big, npy_file(npy_header("<u2", "(1, 2)"), Bytes{1, 0, 0, 1}));
  EXPECT_THAT(load_error(big), AllOf(HasSubstr(big.string()), HasSubstr("is 256, not an integer")));

  const auto vector = dir / "vector.npy";
  write_file(vector, npy_file(npy_header("|u1", "(3,)"), Bytes{1, 2, 3}));
  EXPECT_THAT(load_error(vector),
              AllOf(HasSubstr(vector.string()), HasSubstr("shape (3,) is not a batch of images")));

  const auto images = dir / "images.npy";
  write_file(images, npy_file(npy_header("|u1", "(2, 2)"), Bytes{1, 2, 3, 4}));
  const auto labels = dir / "labels.npy";
  Bytes label_data(16);
  const double half = 1.5;
  std::memcpy(label_data.data() + 8, &half, 8);
  write_file(labels, npy_file(npy_header("<f8", "(2,)"), label_data));
  EXPECT_THAT(load_error(images, labels.string()),
              AllOf(HasSubstr(labels.string()), HasSubstr("label [1] (flat index 1) is 1.5")));
}

TEST(IoErrors, MissingEmptyAndUnknownFiles) {
  const auto dir = test::temp_dir("IoErrors.Files");
  const auto missing = dir / "nothing-here.idx";
  EXPECT_THAT(load_error(missing), HasSubstr(missing.string() + ": no such file or folder"));
  EXPECT_THAT(error_of([&] { load_labels(missing.string()); }),
              HasSubstr(missing.string() + ": no such file or folder"));

  const auto empty = dir / "empty.bin";
  write_file(empty, {});
  EXPECT_THAT(load_error(empty), HasSubstr(empty.string() + ": empty file"));

  const auto text = dir / "notes.txt";
  const std::string words = "these are not pixels\n";
  write_file(text, Bytes(words.begin(), words.end()));
  EXPECT_THAT(load_error(text), HasSubstr(text.string() + ": not an IDX, CIFAR-10 or .npy file"));

  const auto zip = dir / "arrays.npz";
  write_file(zip, Bytes{'P', 'K', 3, 4, 0, 0, 0, 0});
  EXPECT_THAT(load_error(zip), AllOf(HasSubstr(zip.string()), HasSubstr("zip archive")));

  EXPECT_THAT(load_error(dir),
              AllOf(HasSubstr(dir.string()), HasSubstr("no MNIST-style test split")));

  const auto images = dir / "images.npy";
  write_file(images, npy_file(npy_header("|u1", "(2, 2)"), Bytes{1, 2, 3, 4}));
  EXPECT_THAT(load_error(images, missing.string()),
              HasSubstr(missing.string() + ": no such file or folder"));
}

TEST(IoErrors, CorruptTruncatedAndOversizedGzip) {
  const auto dir = test::temp_dir("IoErrors.Gzip");
  const Bytes idx = idx_file(2051, {4, 28, 28}, 4 * 784);
  const Bytes gz = gzip_bytes(idx);

  const auto truncated = dir / "truncated-images-idx3-ubyte.gz";
  write_file(truncated, Bytes(gz.begin(), gz.begin() + static_cast<std::ptrdiff_t>(gz.size() / 2)));
  EXPECT_THAT(load_error(truncated),
              AllOf(HasSubstr(truncated.string()), HasSubstr("gzip data is truncated")));

  const auto corrupt = dir / "corrupt-images-idx3-ubyte.gz";
  Bytes bad = gz;
  bad[gz.size() - 6] ^= 0xff;  // inside the CRC-32/length trailer
  write_file(corrupt, bad);
  EXPECT_THAT(load_error(corrupt),
              AllOf(HasSubstr(corrupt.string()), HasSubstr("corrupt gzip data")));

  const auto garbage = dir / "garbage-images-idx3-ubyte.gz";
  Bytes tail = gz;
  tail.insert(tail.end(), {1, 2, 3});
  write_file(garbage, tail);
  EXPECT_THAT(load_error(garbage),
              AllOf(HasSubstr(garbage.string()), HasSubstr("3 bytes of trailing garbage")));

  // The cap is 1 GiB by default; a small one shows the guard without inflating a gigabyte.
  const auto bomb = dir / "bomb.gz";
  write_file(bomb, gzip_bytes(Bytes(1 << 20, 0)));
  EXPECT_THAT(error_of([&] { read_file_bytes(bomb.string(), 1 << 16); }),
              AllOf(HasSubstr(bomb.string()), HasSubstr("expands to more than 65536 bytes")));
  EXPECT_THAT(error_of([&] { read_file_bytes(truncated.string(), 16); }),
              AllOf(HasSubstr(truncated.string()), HasSubstr("larger than 16 bytes")));

  // An IDX header of one 4x4 image over a megabyte of zeros: inflating stops at the header's 32
  // bytes instead of running on to the 1 GiB cap.
  Bytes lying = idx_file(2051, {1, 4, 4}, 16);
  lying.resize(lying.size() + (1 << 20), 0);
  const auto liar = dir / "liar-images-idx3-ubyte.gz";
  write_file(liar, gzip_bytes(lying));
  EXPECT_THAT(load_error(liar),
              AllOf(HasSubstr(liar.string()),
                    HasSubstr("gzip data expands past the 32 bytes its IDX header declares")));
}

// Every prefix and many seeded corruptions of small valid files: each must load or throw
// bnnc::Error, and never anything else (ASan/UBSan catch what a plain run would not).
TEST(IoErrors, TruncatedAndCorruptedFilesNeverCrash) {
  const auto dir = test::temp_dir("IoErrors.Fuzz");
  Bytes cifar(3073 * 2, 9);
  cifar[3073] = 2;
  const std::vector<Bytes> seeds = {
      idx_file(2051, {2, 3, 3}, 18),
      idx_file(2049, {5}, 5),
      gzip_bytes(idx_file(2051, {2, 3, 3}, 18)),
      npy_file(npy_header("<f4", "(1, 1, 2, 2)"), Bytes(16, 0)),
      npy_file(npy_header(">i8", "(2, 3)"), Bytes(48, 0)),
      cifar,
  };
  const auto path = dir / "sample";
  const auto check = [&](const Bytes& bytes, const std::string& what) {
    write_file(path, bytes);
    try {
      const Dataset data = load_dataset(path.string());
      EXPECT_EQ(data.pixels.size(), static_cast<std::size_t>(data.count) * data.image_size());
    } catch (const Error& error) {
      EXPECT_THAT(error.what(), HasSubstr(path.string())) << what;
    }
  };
  const std::uint32_t seed = 20261122;
  std::mt19937 random(seed);
  for (std::size_t s = 0; s < seeds.size(); ++s) {
    const Bytes& bytes = seeds[s];
    // Every cut within the headers and near the end; a sample in between (the CIFAR-10 seed
    // is 6146 bytes long).
    for (std::size_t length = 0; length <= bytes.size(); ++length) {
      if (length > 160 && length + 8 < bytes.size() && length % 61 != 0) continue;
      check(Bytes(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(length)),
            "seed file " + std::to_string(s) + " cut to " + std::to_string(length));
    }
    for (int trial = 0; trial < 200; ++trial) {
      Bytes corrupted = bytes;
      const std::size_t position = random() % corrupted.size();
      corrupted[position] = static_cast<std::uint8_t>(random());
      check(corrupted, "seed file " + std::to_string(s) + " byte " + std::to_string(position) +
                           " changed (random seed " + std::to_string(seed) + ")");
    }
  }
}

}  // namespace
}  // namespace bnnc
