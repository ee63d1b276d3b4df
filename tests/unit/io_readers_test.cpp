// The data readers (IDX, CIFAR-10, .npy) and load_dataset's recognition of formats by content:
// on small files written here, then on the real data sets when they are present.
#include <gtest/gtest.h>
#include <zlib.h>

#include <array>
#include <cstring>
#include <fstream>
#include <numeric>
#include <string>
#include <vector>

#include "io/cifar10_reader.h"
#include "io/dataset.h"
#include "io/idx_reader.h"
#include "io/npy_reader.h"
#include "test_support.h"

namespace bnnc {
namespace {

using Bytes = std::vector<std::uint8_t>;

void write_file(const std::filesystem::path& path, const Bytes& bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
  ASSERT_TRUE(out.good()) << path;
}

void write_gzip(const std::filesystem::path& path, const Bytes& bytes) {
  gzFile file = gzopen(path.string().c_str(), "wb");
  ASSERT_NE(file, nullptr) << path;
  ASSERT_EQ(gzwrite(file, bytes.data(), static_cast<unsigned>(bytes.size())),
            static_cast<int>(bytes.size()));
  ASSERT_EQ(gzclose(file), Z_OK);
}

void append_be32(Bytes& bytes, std::uint32_t value) {
  for (int shift = 24; shift >= 0; shift -= 8)
    bytes.push_back(static_cast<std::uint8_t>(value >> shift));
}

Bytes idx_images(std::uint32_t count, std::uint32_t rows, std::uint32_t cols, const Bytes& pixels) {
  Bytes bytes;
  append_be32(bytes, kIdxImagesMagic);
  append_be32(bytes, count);
  append_be32(bytes, rows);
  append_be32(bytes, cols);
  bytes.insert(bytes.end(), pixels.begin(), pixels.end());
  return bytes;
}

Bytes idx_labels(const Bytes& labels) {
  Bytes bytes;
  append_be32(bytes, kIdxLabelsMagic);
  append_be32(bytes, static_cast<std::uint32_t>(labels.size()));
  bytes.insert(bytes.end(), labels.begin(), labels.end());
  return bytes;
}

// A .npy file as np.save writes it: header padded with spaces and ended by '\n' so that the data
// starts at a multiple of 64 bytes.
Bytes npy_file(const std::string& descr, const std::string& shape, const Bytes& data,
               int major = 1) {
  std::string header =
      "{'descr': '" + descr + "', 'fortran_order': False, 'shape': " + shape + ", }";
  const std::size_t prefix = major == 1 ? 10 : 12;
  while ((prefix + header.size() + 1) % 64 != 0) header += ' ';
  header += '\n';
  Bytes bytes = {0x93, 'N', 'U', 'M', 'P', 'Y', static_cast<std::uint8_t>(major), 0};
  const std::size_t length_bytes = major == 1 ? 2 : 4;
  for (std::size_t i = 0; i < length_bytes; ++i) {
    bytes.push_back(static_cast<std::uint8_t>(header.size() >> (8 * i)));
  }
  bytes.insert(bytes.end(), header.begin(), header.end());
  bytes.insert(bytes.end(), data.begin(), data.end());
  return bytes;
}

template <typename T>
Bytes raw_bytes(const std::vector<T>& values) {
  Bytes bytes(values.size() * sizeof(T));
  std::memcpy(bytes.data(), values.data(), bytes.size());
  return bytes;
}

Bytes iota_bytes(std::size_t count, std::uint8_t first = 0) {
  Bytes bytes(count);
  std::iota(bytes.begin(), bytes.end(), first);
  return bytes;
}

std::array<int, 10> class_counts(const std::vector<int>& labels) {
  std::array<int, 10> counts{};
  for (const int label : labels) {
    EXPECT_GE(label, 0);
    EXPECT_LT(label, 10);
    if (label >= 0 && label < 10) ++counts[static_cast<std::size_t>(label)];
  }
  return counts;
}

TEST(IoIdx, ReadsRawImagesWithTheLabelsFileBeside) {
  const auto dir = test::temp_dir("IoIdx.Raw");
  const Bytes pixels = iota_bytes(3 * 2 * 4);
  write_file(dir / "t10k-images-idx3-ubyte", idx_images(3, 2, 4, pixels));
  write_file(dir / "t10k-labels-idx1-ubyte", idx_labels({7, 2, 1}));

  const Dataset data = load_dataset((dir / "t10k-images-idx3-ubyte").string());
  EXPECT_EQ(data.count, 3);
  EXPECT_EQ(data.height, 2);
  EXPECT_EQ(data.width, 4);
  EXPECT_EQ(data.channels, 1);
  EXPECT_EQ(data.pixels, pixels);
  EXPECT_EQ(data.labels, (std::vector<int>{7, 2, 1}));
  EXPECT_EQ(data.image(1)[0], 8);
}

TEST(IoIdx, ReadsGzippedImagesWithRawOrGzippedLabels) {
  const auto dir = test::temp_dir("IoIdx.Gzip");
  const Bytes pixels = iota_bytes(2 * 3 * 3, 100);
  write_gzip(dir / "a-images-idx3-ubyte.gz", idx_images(2, 3, 3, pixels));
  write_file(dir / "a-labels-idx1-ubyte", idx_labels({4, 5}));
  write_gzip(dir / "b-images-idx3-ubyte.gz", idx_images(2, 3, 3, pixels));
  write_gzip(dir / "b-labels-idx1-ubyte.gz", idx_labels({6, 9}));
  write_file(dir / "c-images-idx3-ubyte", idx_images(2, 3, 3, pixels));
  write_gzip(dir / "c-labels-idx1-ubyte.gz", idx_labels({0, 1}));

  const Dataset a = load_dataset((dir / "a-images-idx3-ubyte.gz").string());
  EXPECT_EQ(a.pixels, pixels);
  EXPECT_EQ(a.labels, (std::vector<int>{4, 5}));
  EXPECT_EQ(load_dataset((dir / "b-images-idx3-ubyte.gz").string()).labels,
            (std::vector<int>{6, 9}));
  EXPECT_EQ(load_dataset((dir / "c-images-idx3-ubyte").string()).labels, (std::vector<int>{0, 1}));
  EXPECT_EQ(read_idx_images((dir / "b-images-idx3-ubyte.gz").string()).pixels, pixels);
  EXPECT_EQ(read_idx_labels((dir / "b-labels-idx1-ubyte.gz").string()), (std::vector<int>{6, 9}));
}

TEST(IoIdx, NoLabelsFileBesideMeansNoLabels) {
  const auto dir = test::temp_dir("IoIdx.NoLabels");
  write_file(dir / "digit.idx", idx_images(1, 2, 2, {1, 2, 3, 4}));
  const Dataset data = load_dataset((dir / "digit.idx").string());
  EXPECT_EQ(data.count, 1);
  EXPECT_FALSE(data.has_labels());
}

TEST(IoIdx, IsIdxWantsAKnownMagicAndTheExactLength) {
  const Bytes good = idx_images(2, 2, 2, iota_bytes(8));
  EXPECT_TRUE(is_idx(good));
  EXPECT_TRUE(is_idx(idx_labels({1, 2, 3})));
  EXPECT_FALSE(is_idx(Bytes(good.begin(), good.end() - 1)));
  Bytes longer = good;
  longer.push_back(0);
  EXPECT_FALSE(is_idx(longer));
  Bytes other_magic = good;
  other_magic[3] = 0x04;
  EXPECT_FALSE(is_idx(other_magic));
}

TEST(IoIdx, ConcatenatedGzipMembersAreJoined) {
  const auto dir = test::temp_dir("IoIdx.Members");
  const Bytes whole = idx_images(2, 2, 2, iota_bytes(8, 50));
  write_gzip(dir / "first.gz", Bytes(whole.begin(), whole.begin() + 10));
  write_gzip(dir / "second.gz", Bytes(whole.begin() + 10, whole.end()));
  std::ifstream first(dir / "first.gz", std::ios::binary);
  std::ifstream second(dir / "second.gz", std::ios::binary);
  std::ofstream joined(dir / "joined-images-idx3-ubyte.gz", std::ios::binary);
  joined << first.rdbuf() << second.rdbuf();
  joined.close();
  EXPECT_EQ(read_file_bytes((dir / "joined-images-idx3-ubyte.gz").string()), whole);
  EXPECT_EQ(load_dataset((dir / "joined-images-idx3-ubyte.gz").string()).count, 2);
}

TEST(IoIdx, FolderMeansItsTestSplit) {
  const auto dir = test::temp_dir("IoIdx.Folder");
  write_gzip(dir / "t10k-images-idx3-ubyte.gz", idx_images(2, 1, 3, iota_bytes(6)));
  write_gzip(dir / "t10k-labels-idx1-ubyte.gz", idx_labels({3, 8}));
  write_gzip(dir / "train-images-idx3-ubyte.gz", idx_images(1, 1, 3, iota_bytes(3)));
  write_gzip(dir / "train-labels-idx1-ubyte.gz", idx_labels({1}));
  const Dataset data = load_dataset(dir.string());
  EXPECT_EQ(data.count, 2);
  EXPECT_EQ(data.labels, (std::vector<int>{3, 8}));
  EXPECT_NE(data.source.find("t10k-images-idx3-ubyte.gz"), std::string::npos);
}

TEST(IoIdx, LoadLabelsReadsIdxLabels) {
  const auto dir = test::temp_dir("IoIdx.LoadLabels");
  write_gzip(dir / "labels.gz", idx_labels({9, 0, 9}));
  EXPECT_EQ(load_labels((dir / "labels.gz").string()), (std::vector<int>{9, 0, 9}));
}

// Record n has label n, red = 10·n + pixel index mod 7, green = 100, blue = 200 + n.
Bytes cifar_records(int count) {
  Bytes bytes;
  for (int n = 0; n < count; ++n) {
    bytes.push_back(static_cast<std::uint8_t>(n));
    for (int p = 0; p < 1024; ++p) bytes.push_back(static_cast<std::uint8_t>(10 * n + p % 7));
    for (int p = 0; p < 1024; ++p) bytes.push_back(100);
    for (int p = 0; p < 1024; ++p) bytes.push_back(static_cast<std::uint8_t>(200 + n));
  }
  return bytes;
}

TEST(IoCifar10, TransposesPlanesToHwcAndKeepsLabels) {
  const auto dir = test::temp_dir("IoCifar10.Records");
  // Named .npy on purpose: the format is recognised from the content.
  write_file(dir / "two.npy", cifar_records(2));
  const Dataset data = load_dataset((dir / "two.npy").string());
  ASSERT_EQ(data.count, 2);
  EXPECT_EQ(data.height, 32);
  EXPECT_EQ(data.width, 32);
  EXPECT_EQ(data.channels, 3);
  EXPECT_EQ(data.labels, (std::vector<int>{0, 1}));
  for (int n = 0; n < 2; ++n) {
    const auto image = data.image(n);
    for (std::size_t p = 0; p < 1024; ++p) {
      ASSERT_EQ(image[3 * p], 10 * n + static_cast<int>(p % 7)) << n << " " << p;
      ASSERT_EQ(image[3 * p + 1], 100);
      ASSERT_EQ(image[3 * p + 2], 200 + n);
    }
  }
}

TEST(IoCifar10, ARecordStartingWithTwoZeroBytesIsNotTakenForIdx) {
  const auto dir = test::temp_dir("IoCifar10.ZeroZero");
  Bytes bytes = cifar_records(1);
  bytes[1] = 0;  // label 0, first red pixel 0: the file starts 0x00 0x00 like an IDX file
  write_file(dir / "airplane.bin", bytes);
  const Dataset data = load_dataset((dir / "airplane.bin").string());
  EXPECT_EQ(data.count, 1);
  EXPECT_EQ(data.labels, (std::vector<int>{0}));
}

TEST(IoCifar10, GzippedRecordsAreRead) {
  const auto dir = test::temp_dir("IoCifar10.Gzip");
  write_gzip(dir / "test_batch.bin.gz", cifar_records(3));
  EXPECT_EQ(load_dataset((dir / "test_batch.bin.gz").string()).labels, (std::vector<int>{0, 1, 2}));
}

TEST(IoNpy, ReadsHeaderShapeAndEveryDtype) {
  const auto dir = test::temp_dir("IoNpy.Dtypes");
  struct Case {
    std::string descr;
    Bytes data;
    NpyType type;
    std::vector<double> values;
  };
  const auto then = [](double last) { return std::vector<double>{1, 2, 3, 4, 5, last}; };
  const std::vector<Case> cases = {
      {"|u1", {1, 2, 3, 4, 5, 255}, NpyType::UInt8, then(255)},
      {"|i1", {1, 2, 3, 4, 5, 0xff}, NpyType::Int8, then(-1)},
      {"|b1", {1, 0, 1, 0, 1, 1}, NpyType::Bool, {1, 0, 1, 0, 1, 1}},
      {"<i4", raw_bytes(std::vector<std::int32_t>{1, 2, 3, 4, 5, -1}), NpyType::Int32, then(-1)},
      {"<i8", raw_bytes(std::vector<std::int64_t>{1, 2, 3, 4, 5, -1}), NpyType::Int64, then(-1)},
      {"<u2", raw_bytes(std::vector<std::uint16_t>{1, 2, 3, 4, 5, 65535}), NpyType::UInt16,
       then(65535)},
      {"<f4", raw_bytes(std::vector<float>{1, 2, 3, 4, 5, 0.5f}), NpyType::Float32, then(0.5)},
      {"<f8", raw_bytes(std::vector<double>{1, 2, 3, 4, 5, -2.25}), NpyType::Float64, then(-2.25)},
      // Big-endian: the last element is 0x00000100.
      {">i4",
       {0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 4, 0, 0, 0, 5, 0, 0, 1, 0},
       NpyType::Int32,
       then(256)},
  };
  for (std::size_t i = 0; i < cases.size(); ++i) {
    const Case& c = cases[i];
    const auto path = dir / ("case" + std::to_string(i) + ".npy");
    write_file(path, npy_file(c.descr, "(2, 3)", c.data));
    const NpyArray array = read_npy(path.string());
    EXPECT_EQ(array.descr, c.descr);
    EXPECT_EQ(array.type, c.type) << c.descr;
    EXPECT_EQ(array.shape, (std::vector<std::int64_t>{2, 3})) << c.descr;
    ASSERT_EQ(array.size(), 6u) << c.descr;
    for (std::size_t k = 0; k < 6; ++k) {
      EXPECT_EQ(array.value(k), c.values[k]) << c.descr << " element " << k;
    }
  }
}

TEST(IoNpy, ReadsFormatVersion2AndZeroDimensionalArrays) {
  const auto dir = test::temp_dir("IoNpy.Versions");
  write_file(dir / "v2.npy",
             npy_file("<i8", "(3,)", raw_bytes(std::vector<std::int64_t>{4, 5, 6}), 2));
  const NpyArray v2 = read_npy((dir / "v2.npy").string());
  EXPECT_EQ(v2.shape, (std::vector<std::int64_t>{3}));
  EXPECT_EQ(v2.value(2), 6.0);
  write_file(dir / "scalar.npy", npy_file("<f8", "()", raw_bytes(std::vector<double>{7})));
  const NpyArray scalar = read_npy((dir / "scalar.npy").string());
  EXPECT_TRUE(scalar.shape.empty());
  EXPECT_EQ(scalar.size(), 1u);
  EXPECT_EQ(load_labels((dir / "scalar.npy").string()), (std::vector<int>{7}));
}

TEST(IoNpy, FourDimensionalArraysAreNchwAndBecomeHwc) {
  const auto dir = test::temp_dir("IoNpy.Nchw");
  // [2, 3, 2, 2]: value = 100·n + 10·c + (y·2 + x).
  std::vector<float> values;
  for (int n = 0; n < 2; ++n) {
    for (int c = 0; c < 3; ++c) {
      for (int p = 0; p < 4; ++p) values.push_back(static_cast<float>(100 * n + 10 * c + p));
    }
  }
  write_file(dir / "x.npy", npy_file("<f4", "(2, 3, 2, 2)", raw_bytes(values)));
  const Dataset data = load_dataset((dir / "x.npy").string());
  EXPECT_EQ(data.count, 2);
  EXPECT_EQ(data.channels, 3);
  EXPECT_EQ(data.height, 2);
  EXPECT_EQ(data.width, 2);
  EXPECT_FALSE(data.has_labels());
  for (int n = 0; n < 2; ++n) {
    for (int p = 0; p < 4; ++p) {
      for (int c = 0; c < 3; ++c) {
        EXPECT_EQ(data.image(n)[static_cast<std::size_t>(p * 3 + c)], 100 * n + 10 * c + p);
      }
    }
  }
}

TEST(IoNpy, ThreeAndTwoDimensionalArraysHaveOneChannel) {
  const auto dir = test::temp_dir("IoNpy.Ranks");
  write_file(dir / "nhw.npy", npy_file("|u1", "(2, 2, 3)", iota_bytes(12)));
  const Dataset nhw = load_dataset((dir / "nhw.npy").string());
  EXPECT_EQ(std::vector<int>({nhw.count, nhw.height, nhw.width, nhw.channels}),
            std::vector<int>({2, 2, 3, 1}));
  EXPECT_EQ(nhw.pixels, iota_bytes(12));
  write_file(dir / "nf.npy",
             npy_file("<i8", "(3, 4)", raw_bytes(std::vector<std::int64_t>(12, 9))));
  const Dataset nf = load_dataset((dir / "nf.npy").string());
  EXPECT_EQ(std::vector<int>({nf.count, nf.height, nf.width, nf.channels}),
            std::vector<int>({3, 1, 4, 1}));
}

TEST(IoNpy, LabelsFileOverridesAndMayBeIntegralFloats) {
  const auto dir = test::temp_dir("IoNpy.Labels");
  write_file(dir / "x.npy", npy_file("|u1", "(3, 1, 2, 2)", iota_bytes(12)));
  write_file(dir / "y.npy",
             npy_file("<i8", "(3, 1)", raw_bytes(std::vector<std::int64_t>{2, 0, 1})));
  write_file(dir / "yf.npy", npy_file("<f8", "(3,)", raw_bytes(std::vector<double>{5, 6, 7})));
  EXPECT_EQ(load_dataset((dir / "x.npy").string(), (dir / "y.npy").string()).labels,
            (std::vector<int>{2, 0, 1}));
  EXPECT_EQ(load_dataset((dir / "x.npy").string(), (dir / "yf.npy").string()).labels,
            (std::vector<int>{5, 6, 7}));
  // An override also replaces the labels an IDX or CIFAR-10 file brings.
  write_file(dir / "c.bin", cifar_records(3));
  EXPECT_EQ(load_dataset((dir / "c.bin").string(), (dir / "yf.npy").string()).labels,
            (std::vector<int>{5, 6, 7}));
}

TEST(IoNpy, ShapeStringsReadAsNumPyPrintsThem) {
  EXPECT_EQ(npy_shape_string({4}), "(4,)");
  EXPECT_EQ(npy_shape_string({1, 3, 32, 32}), "(1, 3, 32, 32)");
  EXPECT_EQ(npy_shape_string({}), "()");
}

// Real data (../shared/external, DESIGN.md §5); each test skips when it is absent.

TEST(IoRealData, MnistT10k) {
  BNNC_REQUIRE_EXTERNAL(images, "mnist/t10k-images-idx3-ubyte.gz");
  const Dataset data = load_dataset(images.string());
  EXPECT_EQ(data.count, 10000);
  EXPECT_EQ(data.height, 28);
  EXPECT_EQ(data.width, 28);
  EXPECT_EQ(data.channels, 1);
  ASSERT_EQ(data.labels.size(), 10000u);
  EXPECT_EQ(std::vector<int>(data.labels.begin(), data.labels.begin() + 10),
            (std::vector<int>{7, 2, 1, 0, 4, 1, 4, 9, 5, 9}));
  EXPECT_EQ(class_counts(data.labels),
            (std::array<int, 10>{980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009}));
  // The folder reads the same split.
  EXPECT_EQ(load_dataset(images.parent_path().string()).pixels, data.pixels);
}

TEST(IoRealData, Cifar10First761) {
  BNNC_REQUIRE_EXTERNAL(path, "cifar10/test_batch_first761.bin");
  const Dataset data = load_dataset(path.string());
  EXPECT_EQ(data.count, 761);
  EXPECT_EQ(data.height, 32);
  EXPECT_EQ(data.width, 32);
  EXPECT_EQ(data.channels, 3);
  EXPECT_EQ(std::vector<int>(data.labels.begin(), data.labels.begin() + 10),
            (std::vector<int>{3, 8, 8, 0, 6, 6, 1, 6, 3, 1}));
  EXPECT_EQ(class_counts(data.labels),
            (std::array<int, 10>{74, 62, 77, 75, 67, 73, 88, 72, 83, 90}));
}

TEST(IoRealData, BnnPynqTestImages) {
  BNNC_REQUIRE_EXTERNAL(three, "bnn-pynq/test_image/3.image-idx3-ubyte");
  const Dataset digit = load_dataset(three.string());
  EXPECT_EQ(digit.count, 1);
  EXPECT_EQ(digit.height, 28);
  EXPECT_EQ(digit.width, 28);
  EXPECT_FALSE(digit.has_labels());
  BNNC_REQUIRE_EXTERNAL(deer, "bnn-pynq/test_image/deer.bin");
  const Dataset record = load_dataset(deer.string());
  EXPECT_EQ(record.count, 1);
  EXPECT_EQ(record.channels, 3);
  EXPECT_EQ(record.labels, (std::vector<int>{1}));  // a dummy label (SOURCES.md §1)
}

TEST(IoRealData, FinnCifar10InputIsTestImage0) {
  BNNC_REQUIRE_EXTERNAL(npy, "finn-examples/cifar10_input.npy");
  BNNC_REQUIRE_EXTERNAL(bin, "cifar10/test_batch_first761.bin");
  const NpyArray array = read_npy(npy.string());
  EXPECT_EQ(array.type, NpyType::Float32);
  EXPECT_EQ(array.shape, (std::vector<std::int64_t>{1, 3, 32, 32}));
  const Dataset from_npy = load_dataset(npy.string());
  const Dataset cifar = load_dataset(bin.string());
  ASSERT_EQ(from_npy.count, 1);
  EXPECT_EQ(from_npy.height, 32);
  EXPECT_EQ(from_npy.channels, 3);
  const auto image0 = cifar.image(0);
  EXPECT_EQ(from_npy.pixels, Bytes(image0.begin(), image0.end()));
}

TEST(IoRealData, FinnTfcInputIsMnistImages0To3) {
  BNNC_REQUIRE_EXTERNAL(npy, "onnx/finn/tfc-w1a1_input.npy");
  BNNC_REQUIRE_EXTERNAL(expected, "onnx/finn/tfc-w1a1_expected_output.npy");
  BNNC_REQUIRE_EXTERNAL(mnist, "mnist/t10k-images-idx3-ubyte.gz");
  const Dataset data = load_dataset(npy.string(), expected.string());
  const Dataset t10k = load_dataset(mnist.string());
  EXPECT_EQ(data.count, 4);
  EXPECT_EQ(data.height, 28);
  EXPECT_EQ(data.width, 28);
  EXPECT_EQ(data.channels, 1);
  EXPECT_EQ(data.pixels, Bytes(t10k.pixels.begin(), t10k.pixels.begin() + 4 * 784));
  EXPECT_EQ(data.labels, (std::vector<int>{7, 2, 1, 0}));
  const NpyArray output = read_npy(expected.string());
  EXPECT_EQ(output.type, NpyType::Int64);
  EXPECT_EQ(output.shape, (std::vector<std::int64_t>{4}));
}

TEST(IoRealData, FashionMnistFolderFromDebian) {
  const std::filesystem::path folder = "/usr/share/datasets/fashion-mnist";
  if (!std::filesystem::is_directory(folder)) {
    GTEST_SKIP() << folder << " is absent (apt-get install dataset-fashion-mnist)";
  }
  const Dataset data = load_dataset(folder.string());
  EXPECT_EQ(data.count, 10000);
  EXPECT_EQ(data.height, 28);
  EXPECT_EQ(data.width, 28);
  EXPECT_EQ(data.channels, 1);
  ASSERT_TRUE(data.has_labels());
  // Fashion-MNIST's test split is balanced.
  std::array<int, 10> thousand;
  thousand.fill(1000);
  EXPECT_EQ(class_counts(data.labels), thousand);
}

}  // namespace
}  // namespace bnnc
