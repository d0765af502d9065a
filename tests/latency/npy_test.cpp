#include "latency/npy.h"

#include <gtest/gtest.h>

#include <cstring>

#include "core/errors.h"
#include "tests/latency/shared_data.h"
#include "tests/support/run_command.h"

namespace hwnas::latency {
namespace {

std::string Bytes(uint64_t value, size_t size) {
  std::string bytes;
  for (size_t i = 0; i < size; ++i) bytes += static_cast<char>((value >> (8 * i)) & 0xff);
  return bytes;
}

// A .npy file as numpy writes it: magic, version, header length, header padded with spaces to a
// multiple of 64 bytes and ending in '\n', then the raw values.
std::string Npy(const std::string& dict, const std::string& data, int major = 1) {
  const size_t prefix = 6 + 2 + (major == 1 ? 2 : 4);
  std::string header = dict;
  while ((prefix + header.size() + 1) % 64 != 0) header += ' ';
  header += '\n';
  return std::string("\x93NUMPY", 6) + static_cast<char>(major) + '\0' +
         Bytes(header.size(), major == 1 ? 2 : 4) + header + data;
}

std::string Dict(const std::string& descr, const std::string& shape,
                 const std::string& fortran = "False") {
  return "{'descr': '" + descr + "', 'fortran_order': " + fortran + ", 'shape': " + shape + ", }";
}

// A valid cost table: cost = 1000 * layer + w * a (monotone in both).
std::vector<int64_t> Values(int layers) {
  std::vector<int64_t> values;
  for (int l = 0; l < layers; ++l) {
    for (int w = 1; w <= 8; ++w) {
      for (int a = 1; a <= 8; ++a) values.push_back(1000 * l + w * a);
    }
  }
  return values;
}

std::string Int64Data(const std::vector<int64_t>& values) {
  std::string data;
  for (int64_t v : values) data += Bytes(static_cast<uint64_t>(v), 8);
  return data;
}

std::string Float64Data(const std::vector<double>& values) {
  std::string data;
  for (double v : values) {
    uint64_t raw = 0;
    std::memcpy(&raw, &v, sizeof raw);
    data += Bytes(raw, 8);
  }
  return data;
}

size_t Index(int layer, int w, int a) {
  return static_cast<size_t>((layer * 8 + w - 1) * 8 + a - 1);
}

std::string ErrorOf(const std::string& bytes) {
  try {
    ParseHaqCostTable(bytes, "bad.npy");
  } catch (const DataError& e) {
    return e.what();
  }
  return "no error";
}

TEST(HaqCostTableTest, ReadsTheShippedQMobileNetV2Table) {
  HWNAS_REQUIRE_SHARED_DATA();
  const HaqCostTable t =
      LoadHaqCostTable(testing::SharedData("luts/haq-qmobilenetv2-cloud-batch16.npy"));
  EXPECT_EQ(t.layers, 53);
  EXPECT_EQ(t.cost.size(), 53u * 64);
  EXPECT_EQ(t.At(0, 8, 8), 1620752);
  EXPECT_EQ(t.At(0, 1, 8), 1606528);
  EXPECT_EQ(t.At(3, 8, 8), 4860688);
  EXPECT_EQ(t.At(3, 4, 4), 1222848);
  EXPECT_EQ(t.At(52, 8, 8), 40021);
  EXPECT_EQ(t.At(52, 1, 1), 5000);
  EXPECT_EQ(t.PolicyCost(std::vector<std::pair<int, int>>(53, {8, 8})), 39624933);
  EXPECT_EQ(t.PolicyCost(std::vector<std::pair<int, int>>(53, {4, 4})), 15716150);
  std::vector<std::pair<int, int>> mixed;
  for (int i = 0; i < 53; ++i) mixed.emplace_back(i % 8 + 1, i * 3 % 8 + 1);
  EXPECT_EQ(t.PolicyCost(mixed), 18447456);
}

TEST(HaqCostTableTest, LookupsOutOfRangeAreErrors) {
  const HaqCostTable t =
      ParseHaqCostTable(Npy(Dict("<i8", "(2, 8, 8)"), Int64Data(Values(2))), "ok.npy");
  EXPECT_EQ(t.At(1, 3, 5), 1015);
  EXPECT_THROW(t.At(2, 8, 8), DataError);
  EXPECT_THROW(t.At(0, 0, 8), DataError);
  EXPECT_THROW(t.At(0, 8, 9), DataError);
  try {
    t.PolicyCost({{8, 8}});
    FAIL() << "no error";
  } catch (const DataError& e) {
    EXPECT_EQ(std::string(e.what()),
              "a bit policy for 1 layers does not fit a HAQ cost table of 2 layers");
  }
}

TEST(HaqCostTableTest, AcceptsVersion2AndWholeFloat64Values) {
  const HaqCostTable v2 =
      ParseHaqCostTable(Npy(Dict("<i8", "(1, 8, 8)"), Int64Data(Values(1)), 2), "v2.npy");
  EXPECT_EQ(v2.At(0, 8, 8), 64);
  std::vector<double> reals(64);
  for (size_t i = 0; i < 64; ++i) reals[i] = static_cast<double>(Values(1)[i]);
  const HaqCostTable f8 =
      ParseHaqCostTable(Npy(Dict("<f8", "(1, 8, 8)"), Float64Data(reals)), "f8.npy");
  EXPECT_EQ(f8.At(0, 7, 3), 21);
  reals[5] = 6.5;
  EXPECT_EQ(ErrorOf(Npy(Dict("<f8", "(1, 8, 8)"), Float64Data(reals))),
            "bad.npy: HAQ cost table: value 5 (6.500000) is not a whole number");
}

TEST(HaqCostTableTest, BadFilesNameTheFileAndTheProblem) {
  const std::string data = Int64Data(Values(2));
  const std::string good = Npy(Dict("<i8", "(2, 8, 8)"), data);
  std::string wrong_magic = good;
  wrong_magic[1] = 'X';
  std::string version = good;
  version[6] = 4;
  const std::pair<std::string, std::string> cases[] = {
      {wrong_magic, "not a NumPy .npy file (the magic \\x93NUMPY is missing)"},
      {"", "not a NumPy .npy file (the magic \\x93NUMPY is missing)"},
      {version, "unsupported .npy version 4.0 (expected 1.0, 2.0 or 3.0)"},
      {good.substr(0, 40), "truncated in the header"},
      {Npy(Dict("<i4", "(2, 8, 8)"), data),
       "dtype '<i4' is not supported (expected '<i8', little-endian int64, or '<f8')"},
      {Npy(Dict(">i8", "(2, 8, 8)"), data),
       "dtype '>i8' is not supported (expected '<i8', little-endian int64, or '<f8')"},
      {Npy(Dict("<i8", "(2, 8, 8)", "True"), data),
       "fortran_order True is not supported (expected False)"},
      {Npy(Dict("<i8", "(2, 8, 4)"), data), "shape (2, 8, 4) is not (layers, 8, 8)"},
      {Npy(Dict("<i8", "(128,)"), data), "shape (128,) is not (layers, 8, 8)"},
      {Npy(Dict("<i8", "(3, 8, 8)"), data),
       "truncated: shape (3, 8, 8) needs 1536 data bytes, the file has 1024"},
      {good.substr(0, good.size() - 3),
       "truncated: shape (2, 8, 8) needs 1024 data bytes, the file has 1021"},
      {good + "x", "too long: shape (2, 8, 8) needs 1024 data bytes, the file has 1025"},
      {Npy("{'descr': '<i8', 'shape': (2, 8, 8)}", data),
       "header must have exactly the keys descr, fortran_order, shape"},
      {Npy("{'descr': '<i8', 'fortran_order': False, 'shape': (2, 8, 8), 'x': 1}", data),
       "header has an unexpected key 'x'"},
      {Npy("['<i8']", data), "header is not a dict (expected '{')"},
  };
  for (const auto& [bytes, problem] : cases) {
    EXPECT_EQ(ErrorOf(bytes), "bad.npy: HAQ cost table: " + problem) << problem;
  }
}

TEST(HaqCostTableTest, ValuesMustBeNonNegativeAndMonotoneInBothBitWidths) {
  std::vector<int64_t> values = Values(2);
  values[Index(1, 3, 4)] = values[Index(1, 2, 4)] - 1;
  EXPECT_EQ(ErrorOf(Npy(Dict("<i8", "(2, 8, 8)"), Int64Data(values))),
            "bad.npy: HAQ cost table: not monotone in w_bit at layer 1: LUT[1, w=3, a=4] = 1007 "
            "< LUT[1, w=2, a=4] = 1008");
  values = Values(2);
  values[Index(0, 8, 6)] = 1;
  EXPECT_EQ(ErrorOf(Npy(Dict("<i8", "(2, 8, 8)"), Int64Data(values))),
            "bad.npy: HAQ cost table: not monotone in w_bit at layer 0: LUT[0, w=8, a=6] = 1 < "
            "LUT[0, w=7, a=6] = 42");
  values = Values(2);
  values[Index(0, 1, 8)] = 6;
  EXPECT_EQ(ErrorOf(Npy(Dict("<i8", "(2, 8, 8)"), Int64Data(values))),
            "bad.npy: HAQ cost table: not monotone in a_bit at layer 0: LUT[0, w=1, a=8] = 6 < "
            "LUT[0, w=1, a=7] = 7");
  values = Values(2);
  values[0] = -5;
  EXPECT_EQ(ErrorOf(Npy(Dict("<i8", "(2, 8, 8)"), Int64Data(values))),
            "bad.npy: HAQ cost table: LUT[0, w=1, a=1] = -5 is negative");
}

TEST(HaqCostTableTest, FilesOnDiskAreCheckedToo) {
  const std::string dir = testing::MakeTempDir("haq-npy");
  std::vector<int64_t> values = Values(1);
  values[Index(0, 2, 2)] = 0;
  testing::WriteFile(dir + "/bad.npy", Npy(Dict("<i8", "(1, 8, 8)"), Int64Data(values)));
  try {
    LoadHaqCostTable(dir + "/bad.npy");
    FAIL() << "no error";
  } catch (const DataError& e) {
    EXPECT_EQ(e.code(), ExitCode::kDataError);
    EXPECT_EQ(std::string(e.what()), dir +
                                         "/bad.npy: HAQ cost table: not monotone in w_bit at "
                                         "layer 0: LUT[0, w=2, a=2] = 0 < LUT[0, w=1, a=2] = 2");
  }
  try {
    LoadHaqCostTable(dir + "/missing.npy");
    FAIL() << "no error";
  } catch (const DataError& e) {
    EXPECT_EQ(std::string(e.what()),
              dir + "/missing.npy: cannot read HAQ cost table (No such file or directory)");
  }
}

}  // namespace
}  // namespace hwnas::latency
