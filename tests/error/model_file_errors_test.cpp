// load_model on corrupt, truncated and too-new files: always a bnnc::Error naming the file and the
// problem, never a crash.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <functional>
#include <iterator>

#include "io/model_file.h"
#include "test_support.h"

namespace bnnc {
namespace {

using ::testing::HasSubstr;
using Bytes = std::vector<std::uint8_t>;

// A small graph with every kind of array: a quantize table, conv weights, thresholds with
// negation, max-pool min channels, dense weights and a label-select bias.
Graph small_graph() {
  Graph g;
  g.name = "small";
  g.classes = {"a", "b"};
  int x = g.add("input", InputAttrs{{4, 4, 1}, DType::uint(8)});
  std::vector<std::int32_t> table(256);
  for (int p = 0; p < 256; ++p) table[p] = p / 2 - 64;
  x = g.add("quant", QuantizeAttrs{table, DType::fixed(8, 7)}, {x});
  Conv2dAttrs conv;
  conv.weights = BinaryMatrix(3, 9);
  conv.weights.set(1, 4, true);
  x = g.add("conv", conv, {x});
  ThresholdAttrs thr;
  thr.thresholds = {-5, 0, 1000};
  thr.negate = {0, 1, 0};
  x = g.add("thr", thr, {x});
  x = g.add("pool", MaxPoolAttrs{2, 2, {0, 0, 1}}, {x});
  x = g.add("flatten", ReshapeAttrs{{3}}, {x});
  BinaryMatrix w(2, 3);
  w.set(0, 2, true);
  x = g.add("fc", DenseAttrs{w}, {x});
  g.add("label", LabelSelectAttrs{{1, -1}}, {x});
  return g;
}

Bytes read_bytes(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void write_bytes(const std::filesystem::path& path, const Bytes& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()),
            static_cast<std::streamsize>(bytes.size()));
}

// Message of the bnnc::Error that load_model throws (a failure when it throws nothing, or
// anything else).
std::string load_error(const std::filesystem::path& path) {
  try {
    load_model(path.string());
  } catch (const Error& e) {
    return e.what();
  }
  ADD_FAILURE() << "load_model(" << path << ") did not throw bnnc::Error";
  return {};
}

class ModelFileErrors : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = test::temp_dir(std::string("model_file_errors_") +
                          ::testing::UnitTest::GetInstance()->current_test_info()->name());
    good_ = dir_ / "good.bnnc";
    bad_ = dir_ / "bad.bnnc";
    save_model(small_graph(), good_.string());
    bytes_ = read_bytes(good_);
    ASSERT_GT(bytes_.size(), 20U);
  }

  std::string header() const {
    return std::string(bytes_.begin() + 20, bytes_.begin() + 20 + header_bytes());
  }
  long header_bytes() const {
    std::uint64_t n = 0;
    for (int i = 0; i < 8; ++i) n |= std::uint64_t{bytes_[12 + i]} << (8 * i);
    return static_cast<long>(n);
  }

  // Writes bad_ with the header text changed by edit (its length field updated) and the arrays
  // kept.
  void write_with_header(const std::function<void(std::string&)>& edit) {
    std::string text = header();
    edit(text);
    Bytes out(bytes_.begin(), bytes_.begin() + 12);
    for (int i = 0; i < 8; ++i) out.push_back(static_cast<std::uint8_t>(text.size() >> (8 * i)));
    out.insert(out.end(), text.begin(), text.end());
    out.insert(out.end(), bytes_.begin() + 20 + header_bytes(), bytes_.end());
    write_bytes(bad_, out);
  }

  // The same, and returns load_model's error.
  std::string load_with_header(const std::function<void(std::string&)>& edit) {
    write_with_header(edit);
    return load_error(bad_);
  }

  // Replaces the first occurrence of from (which must be there).
  static void replace(std::string& text, const std::string& from, const std::string& to) {
    const std::size_t at = text.find(from);
    ASSERT_NE(at, std::string::npos) << from;
    text.replace(at, from.size(), to);
  }

  std::filesystem::path dir_, good_, bad_;
  Bytes bytes_;
};

TEST_F(ModelFileErrors, TheGoodFileLoads) { EXPECT_NO_THROW(load_model(good_.string())); }

TEST_F(ModelFileErrors, NewerVersionIsRefused) {
  Bytes bytes = bytes_;
  bytes[8] = 7;
  write_bytes(bad_, bytes);
  EXPECT_EQ(load_error(bad_), bad_.string() +
                                  ": model format version 7 is newer than this bnnc reads (5); "
                                  "use a newer bnnc");
  bytes[8] = 0;
  bytes[11] = 0x80;  // 2^31: still newer, not negative
  write_bytes(bad_, bytes);
  EXPECT_THAT(load_error(bad_), HasSubstr("version 2147483648 is newer"));
  bytes[11] = 0;
  write_bytes(bad_, bytes);
  EXPECT_THAT(load_error(bad_), HasSubstr("version 0 does not exist"));
}

// pad_mode is version 2's: a version-1 file may not hold it, a version-2 file only its values,
// and only on bits.
TEST_F(ModelFileErrors, PadModeBelongsToVersion2) {
  ASSERT_EQ(bytes_[8], 1) << "a graph without zero padding is written as version 1";
  write_with_header([](std::string& text) {
    replace(text, "\"pad_value\":0,", "\"pad_value\":0,\"pad_mode\":\"zero\",");
  });
  EXPECT_EQ(load_error(bad_), bad_.string() +
                                  ": layer 2 'conv': unknown key 'pad_mode' (not part of model "
                                  "format version 1)");
  bytes_[8] = 2;
  EXPECT_THAT(load_with_header([](std::string& text) {
                replace(text, "\"pad_value\":0,", "\"pad_value\":0,\"pad_mode\":\"mirror\",");
              }),
              HasSubstr("layer 2 'conv': unknown pad mode 'mirror' (value, zero)"));
  EXPECT_THAT(load_with_header([](std::string& text) {
                replace(text, "\"pad_value\":0,", "\"pad_value\":0,\"pad_mode\":7,");
              }),
              HasSubstr("key 'pad_mode' must be a string, not integer"));
  // On the fixed-point input of this conv, pad mode zero is refused by the verifier.
  EXPECT_THAT(load_with_header([](std::string& text) {
                replace(text, "\"pad\":0,", "\"pad\":1,");
                replace(text, "\"pad_value\":0,", "\"pad_value\":0,\"pad_mode\":\"zero\",");
              }),
              HasSubstr("layer 'conv' (conv2d): pad mode zero is for bit input"));
}

TEST_F(ModelFileErrors, EveryTruncationIsAnError) {
  // Shrinking one file in place (rather than rewriting it each time) keeps this quick.
  write_bytes(bad_, bytes_);
  for (std::size_t length = bytes_.size(); length-- > 0;) {
    SCOPED_TRACE(length);
    std::filesystem::resize_file(bad_, length);
    const std::string message = load_error(bad_);
    EXPECT_THAT(message, HasSubstr(bad_.string() + ": "));
    if (length >= 20) {
      EXPECT_THAT(message, HasSubstr("truncated"));
    }
  }
}

TEST_F(ModelFileErrors, TrailingBytesAreAnError) {
  Bytes bytes = bytes_;
  bytes.push_back(0);
  write_bytes(bad_, bytes);
  EXPECT_THAT(load_error(bad_), HasSubstr("trailing bytes"));
}

TEST_F(ModelFileErrors, BadMagic) {
  Bytes bytes = bytes_;
  bytes[3] = 'X';
  write_bytes(bad_, bytes);
  EXPECT_EQ(load_error(bad_), bad_.string() + ": not a bnnc model file");
  write_bytes(bad_, Bytes{'P', 'K', 3, 4});
  EXPECT_EQ(load_error(bad_), bad_.string() + ": not a bnnc model file");
}

TEST_F(ModelFileErrors, MissingFileAndFolder) {
  EXPECT_EQ(load_error(dir_ / "absent.bnnc"), (dir_ / "absent.bnnc").string() + ": no such file");
  EXPECT_THAT(load_error(dir_), HasSubstr("is a folder"));
}

TEST_F(ModelFileErrors, HeaderLengthPastTheEnd) {
  Bytes bytes = bytes_;
  bytes[19] = 0x40;  // a header of 2^62 bytes
  write_bytes(bad_, bytes);
  EXPECT_THAT(load_error(bad_), HasSubstr("runs past the end of the file"));
}

TEST_F(ModelFileErrors, CorruptJson) {
  EXPECT_THAT(load_with_header([](std::string& h) { h[0] = '['; }),
              HasSubstr(": the header is not valid JSON: "));
  EXPECT_THAT(load_with_header([](std::string& h) { replace(h, "\"nodes\":", "\"nodes\""); }),
              HasSubstr("not valid JSON"));
  const std::string message =
      load_with_header([](std::string& h) { replace(h, "\"graph\"", "\"gr\xff\xfeph\""); });
  EXPECT_THAT(message, HasSubstr("not valid JSON"));
  EXPECT_EQ(message.find('\n'), std::string::npos) << "one line";
  EXPECT_THAT(load_with_header([](std::string& h) { h = "[1,2,3]"; }),
              HasSubstr(": header: must be a JSON object, not array"));
}

TEST_F(ModelFileErrors, UnknownOpMissingKeyWrongType) {
  EXPECT_THAT(load_with_header([](std::string& h) { replace(h, "\"maxpool\"", "\"avgpool\""); }),
              HasSubstr(": layer 4 'pool': unknown op 'avgpool'"));
  EXPECT_THAT(load_with_header([](std::string& h) { replace(h, "\"kernel\":2,", ""); }),
              HasSubstr(": layer 4 'pool': missing key 'kernel'"));
  EXPECT_THAT(
      load_with_header([](std::string& h) { replace(h, "\"kernel\":2", "\"kernel\":\"2\""); }),
      HasSubstr("layer 4 'pool': key 'kernel' must be an integer in 0..65536, not string"));
  EXPECT_THAT(
      load_with_header([](std::string& h) { replace(h, "\"kernel\":2", "\"kernel\":2.5"); }),
      HasSubstr("key 'kernel' must be an integer in 0..65536, not 2.5"));
  EXPECT_THAT(load_with_header([](std::string& h) {
                replace(h, "\"kernel\":2", "\"kernel\":99999999999999999999");
              }),
              HasSubstr("key 'kernel' must be an integer"));
  EXPECT_THAT(
      load_with_header([](std::string& h) { replace(h, "\"inputs\":[4]", "\"inputs\":4"); }),
      HasSubstr("key 'inputs' must be an array, not integer"));
  EXPECT_THAT(load_with_header(
                  [](std::string& h) { replace(h, "\"kernel\":2", "\"kernel\":2,\"pad\":1"); }),
              HasSubstr("layer 4 'pool': unknown key 'pad'"));
  EXPECT_THAT(
      load_with_header([](std::string& h) { replace(h, "\"nodes\": [", "\"nodes\": [7,"); }),
      HasSubstr("layer 0: must be a JSON object, not integer"));
  EXPECT_THAT(load_with_header([](std::string& h) { replace(h, "\"uint8\"", "\"uint99\""); }),
              HasSubstr("layer 0 'input': key 'dtype': unknown element type 'uint99'"));
  EXPECT_THAT(load_with_header(
                  [](std::string& h) { replace(h, "\"classes\": [\"a\"", "\"classes\": [1"); }),
              HasSubstr("key 'classes' must hold strings"));
  EXPECT_THAT(load_with_header([](std::string& h) { replace(h, "\"producer\"", "\"maker\""); }),
              HasSubstr("header: missing key 'producer'"));
  // Issue 12: 3 class names for 2 scores printed classes under other classes' names.
  EXPECT_THAT(load_with_header([](std::string& h) {
                replace(h, "\"classes\": [\"a\"", "\"classes\": [\"x\", \"a\"");
              }),
              HasSubstr("3 class names for 2 classes (the scores of 'label')"));
}

TEST_F(ModelFileErrors, ArrayOutOfRange) {
  // The label-select bias is the last array: move it past the end, make it too long, or make its
  // offset absurd.
  const std::string bias = "\"bias\":{\"type\":\"int8\",\"offset\":";
  ASSERT_NE(header().find(bias), std::string::npos) << header();
  const auto set_bias_offset = [&](const std::string& offset) {
    return [&, offset](std::string& h) {
      const std::size_t start = h.find(bias) + bias.size();
      h.replace(start, h.find(',', start) - start, offset);
    };
  };
  const std::size_t arrays = bytes_.size() - 20 - static_cast<std::size_t>(header_bytes());
  EXPECT_THAT(load_with_header(set_bias_offset(std::to_string(arrays - 1))),
              HasSubstr(fmt::format("layer 7 'label' array 'bias': 2 int8 at offset {} run past "
                                    "the end of the array section ({} bytes)",
                                    arrays - 1, arrays)));
  write_with_header(set_bias_offset(std::to_string(arrays - 2)));  // the last two bytes: fine
  EXPECT_NO_THROW(load_model(bad_.string()));
  EXPECT_THAT(load_with_header(set_bias_offset("18446744073709551615")),
              HasSubstr("key 'offset' must be an integer"));
  EXPECT_THAT(load_with_header(set_bias_offset("9223372036854775807")),
              HasSubstr("run past the end of the array section"));
  EXPECT_THAT(load_with_header(set_bias_offset("-8")),
              HasSubstr("key 'offset' must be an integer"));
  EXPECT_THAT(load_with_header([&](std::string& h) {
                replace(h, "\"count\":2}", "\"count\":9223372036854775807}");
              }),
              HasSubstr("run past the end of the array section"));
  EXPECT_THAT(load_with_header([&](std::string& h) {
                replace(h, "\"type\":\"int8\",\"offset\"", "\"type\":\"int128\",\"offset\"");
              }),
              HasSubstr("unknown element type 'int128'"));
  EXPECT_THAT(load_with_header(
                  [](std::string& h) { replace(h, "\"array_bytes\": ", "\"array_bytes\": 1"); }),
              HasSubstr("truncated: the header announces"));
}

TEST_F(ModelFileErrors, ArrayContentsAreChecked) {
  // Weights need uint64 words, exactly rows × words-per-row of them.
  EXPECT_THAT(load_with_header([](std::string& h) { replace(h, "\"rows\":3", "\"rows\":4"); }),
              HasSubstr("layer 2 'conv': matrix 'weights' of 4x9 bits needs 4 uint64 words, the "
                        "file has 3 uint64"));
  EXPECT_THAT(load_with_header([](std::string& h) { replace(h, "\"cols\":9", "\"cols\":3"); }),
              HasSubstr("matrix 'weights': row 1 has bits set past column 3"));
  // negate flags must fit uint8: point them at the thresholds {-5, 0, 1000}.
  EXPECT_THAT(load_with_header([](std::string& h) {
                const std::size_t thr = h.find("\"thresholds\":{");
                const std::size_t neg = h.find("\"negate\":{");
                ASSERT_NE(neg, std::string::npos);
                const std::string thr_ref = h.substr(thr + 14, h.find('}', thr) - thr - 14);
                const std::size_t end = h.find('}', neg);
                h.replace(neg + 10, end - neg - 10, thr_ref);
              }),
              HasSubstr("layer 3 'thr': array 'negate': value -5 at index 0 is out of range"));
  EXPECT_THAT(load_with_header(
                  [](std::string& h) { replace(h, "\"type\":\"uint64\"", "\"type\":\"int64\""); }),
              HasSubstr("needs 3 uint64 words, the file has 3 int64"));
}

TEST_F(ModelFileErrors, TypeErrorsNameTheFileAndTheLayer) {
  // A consistent file that describes an impossible graph: infer_types' message, after the path.
  EXPECT_THAT(load_with_header(
                  [](std::string& h) { replace(h, "\"shape\":[4,4,1]", "\"shape\":[4,4,2]"); }),
              HasSubstr(bad_.string() + ": layer 'conv' (conv2d): weight columns must equal"));
  EXPECT_THAT(
      load_with_header([](std::string& h) { replace(h, "\"inputs\":[4]", "\"inputs\":[9]"); }),
      HasSubstr(": layer 'flatten' (reshape): input index 9 must name an earlier layer"));
}

TEST_F(ModelFileErrors, EveryByteFlipIsHandled) {
  // Not every flip is detectable (a weight bit is just another weight), but none may crash, and
  // anything that fails must fail with bnnc::Error. The byte is flipped in place and restored.
  write_bytes(bad_, bytes_);
  std::fstream file(bad_, std::ios::in | std::ios::out | std::ios::binary);
  for (std::size_t i = 0; i < bytes_.size(); ++i) {
    for (std::uint8_t value : {static_cast<std::uint8_t>(bytes_[i] ^ 0x5a), bytes_[i]}) {
      file.seekp(static_cast<std::streamoff>(i));
      file.put(static_cast<char>(value));
      file.flush();
      if (value == bytes_[i]) break;
      try {
        load_model(bad_.string());
      } catch (const Error&) {
      }
    }
  }
  ASSERT_TRUE(file.good());
}

TEST(ModelFileSave, UnwritablePath) {
  const std::filesystem::path dir = test::temp_dir("model_file_save");
  try {
    save_model(small_graph(), (dir / "no" / "such" / "dir.bnnc").string());
    FAIL() << "save_model did not throw";
  } catch (const Error& e) {
    EXPECT_THAT(e.what(),
                HasSubstr((dir / "no" / "such" / "dir.bnnc").string() + ": cannot write"));
  }
}

}  // namespace
}  // namespace bnnc
