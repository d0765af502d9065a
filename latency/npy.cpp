#include "latency/npy.h"

#include <cerrno>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <set>
#include <sstream>

#include "core/errors.h"

namespace hwnas::latency {
namespace {

constexpr int kBits = HaqCostTable::kMaxBits;
constexpr char kMagic[] = "\x93NUMPY";
constexpr size_t kMagicSize = 6;

struct NpyHeader {
  std::string descr;
  bool fortran_order = false;
  std::vector<int64_t> shape;
};

// Reads the Python dict literal numpy writes, e.g.
// "{'descr': '<i8', 'fortran_order': False, 'shape': (53, 8, 8), }". Problems come back as
// text, the caller adds the file name.
class HeaderParser {
 public:
  explicit HeaderParser(const std::string& text) : text_(text) {}

  std::string Parse(NpyHeader* header) {
    if (!Consume('{')) return "header is not a dict (expected '{')";
    std::set<std::string> seen;
    while (!Consume('}')) {
      std::optional<std::string> key = String();
      if (!key || !Consume(':')) return "header dict is malformed near byte " + Position();
      if (!seen.insert(*key).second) return "header repeats the key '" + *key + "'";
      const std::string error = Value(*key, header);
      if (!error.empty()) return error;
      if (!Consume(',') && !Peek('}')) return "header dict is malformed near byte " + Position();
    }
    SkipSpace();
    if (pos_ != text_.size()) return "header has text after the dict";
    if (seen.size() != 3) return "header must have exactly the keys descr, fortran_order, shape";
    return "";
  }

 private:
  std::string Position() const { return std::to_string(pos_); }

  void SkipSpace() {
    while (pos_ < text_.size() && std::strchr(" \t\r\n", text_[pos_]) != nullptr) ++pos_;
  }
  bool Peek(char c) {
    SkipSpace();
    return pos_ < text_.size() && text_[pos_] == c;
  }
  bool Consume(char c) {
    if (!Peek(c)) return false;
    ++pos_;
    return true;
  }
  bool Word(const std::string& word) {
    SkipSpace();
    if (text_.compare(pos_, word.size(), word) != 0) return false;
    pos_ += word.size();
    return true;
  }

  std::optional<std::string> String() {
    SkipSpace();
    if (pos_ >= text_.size() || (text_[pos_] != '\'' && text_[pos_] != '"')) return std::nullopt;
    const char quote = text_[pos_];
    const size_t end = text_.find(quote, pos_ + 1);
    if (end == std::string::npos) return std::nullopt;
    std::string value = text_.substr(pos_ + 1, end - pos_ - 1);
    pos_ = end + 1;
    return value;
  }

  std::optional<int64_t> Integer() {
    SkipSpace();
    const size_t start = pos_;
    while (pos_ < text_.size() && text_[pos_] >= '0' && text_[pos_] <= '9') ++pos_;
    if (pos_ == start || pos_ - start > 12) return std::nullopt;
    return std::stoll(text_.substr(start, pos_ - start));
  }

  // "(53, 8, 8)", "(53,)", "()"
  bool Tuple(std::vector<int64_t>* values) {
    if (!Consume('(')) return false;
    while (!Consume(')')) {
      std::optional<int64_t> value = Integer();
      if (!value) return false;
      values->push_back(*value);
      if (!Consume(',') && !Peek(')')) return false;
    }
    return true;
  }

  std::string Value(const std::string& key, NpyHeader* header) {
    if (key == "descr") {
      std::optional<std::string> descr = String();
      if (!descr) return "header 'descr' is not a string";
      header->descr = *descr;
    } else if (key == "fortran_order") {
      if (Word("True")) {
        header->fortran_order = true;
      } else if (!Word("False")) {
        return "header 'fortran_order' is not True or False";
      }
    } else if (key == "shape") {
      if (!Tuple(&header->shape)) return "header 'shape' is not a tuple of integers";
    } else {
      return "header has an unexpected key '" + key + "'";
    }
    return "";
  }

  const std::string& text_;
  size_t pos_ = 0;
};

[[noreturn]] void Fail(const std::string& name, const std::string& what) {
  throw DataError(name + ": HAQ cost table: " + what);
}

uint64_t LittleEndian(const std::string& bytes, size_t offset, size_t size) {
  uint64_t value = 0;
  for (size_t i = 0; i < size; ++i) {
    value |= static_cast<uint64_t>(static_cast<unsigned char>(bytes[offset + i])) << (8 * i);
  }
  return value;
}

std::string ShapeText(const std::vector<int64_t>& shape) {
  std::string text = "(";
  for (size_t i = 0; i < shape.size(); ++i) text += (i ? ", " : "") + std::to_string(shape[i]);
  return text + (shape.size() == 1 ? ",)" : ")");
}

// The header text and where the data starts.
std::pair<std::string, size_t> SplitHeader(const std::string& bytes, const std::string& name) {
  if (bytes.size() < kMagicSize + 2 || bytes.compare(0, kMagicSize, kMagic, kMagicSize) != 0) {
    Fail(name, "not a NumPy .npy file (the magic \\x93NUMPY is missing)");
  }
  const int major = static_cast<unsigned char>(bytes[6]);
  const int minor = static_cast<unsigned char>(bytes[7]);
  if (major < 1 || major > 3 || minor != 0) {
    Fail(name, "unsupported .npy version " + std::to_string(major) + "." + std::to_string(minor) +
                   " (expected 1.0, 2.0 or 3.0)");
  }
  const size_t length_size = major == 1 ? 2 : 4;
  const size_t header_start = kMagicSize + 2 + length_size;
  if (bytes.size() < header_start) Fail(name, "truncated in the header");
  const size_t header_length = LittleEndian(bytes, kMagicSize + 2, length_size);
  if (bytes.size() < header_start + header_length) Fail(name, "truncated in the header");
  return {bytes.substr(header_start, header_length), header_start + header_length};
}

void CheckHeader(const NpyHeader& header, const std::string& name) {
  if (header.descr != "<i8" && header.descr != "<f8") {
    Fail(name, "dtype '" + header.descr +
                   "' is not supported (expected '<i8', little-endian int64, or '<f8')");
  }
  if (header.fortran_order) Fail(name, "fortran_order True is not supported (expected False)");
  const auto& s = header.shape;
  if (s.size() != 3 || s[0] < 1 || s[1] != kBits || s[2] != kBits) {
    Fail(name, "shape " + ShapeText(s) + " is not (layers, 8, 8)");
  }
}

int64_t DecodeValue(const std::string& bytes, size_t offset, bool is_float, const std::string& name,
                    size_t index) {
  const uint64_t raw = LittleEndian(bytes, offset, 8);
  int64_t value = 0;
  if (!is_float) {
    std::memcpy(&value, &raw, sizeof value);
    return value;
  }
  double real = 0;
  std::memcpy(&real, &raw, sizeof real);
  if (!std::isfinite(real) || real != std::floor(real) || std::fabs(real) >= 9.2e18) {
    Fail(name, "value " + std::to_string(index) + " (" + std::to_string(real) +
                   ") is not a whole number");
  }
  return static_cast<int64_t>(real);
}

std::string Cell(int64_t layer, int w, int a) {
  return "LUT[" + std::to_string(layer) + ", w=" + std::to_string(w) + ", a=" + std::to_string(a) +
         "]";
}

// Non-negative, and non-decreasing along w_bit and a_bit; names the first violation.
void CheckValues(const HaqCostTable& t, const std::string& name) {
  for (int64_t layer = 0; layer < t.layers; ++layer) {
    for (int w = 1; w <= kBits; ++w) {
      for (int a = 1; a <= kBits; ++a) {
        const int64_t v = t.At(layer, w, a);
        if (v < 0) Fail(name, Cell(layer, w, a) + " = " + std::to_string(v) + " is negative");
        if (w > 1 && v < t.At(layer, w - 1, a)) {
          Fail(name, "not monotone in w_bit at layer " + std::to_string(layer) + ": " +
                         Cell(layer, w, a) + " = " + std::to_string(v) + " < " +
                         Cell(layer, w - 1, a) + " = " + std::to_string(t.At(layer, w - 1, a)));
        }
        if (a > 1 && v < t.At(layer, w, a - 1)) {
          Fail(name, "not monotone in a_bit at layer " + std::to_string(layer) + ": " +
                         Cell(layer, w, a) + " = " + std::to_string(v) + " < " +
                         Cell(layer, w, a - 1) + " = " + std::to_string(t.At(layer, w, a - 1)));
        }
      }
    }
  }
}

}  // namespace

int64_t HaqCostTable::At(int64_t layer, int w_bit, int a_bit) const {
  if (layer < 0 || layer >= layers || w_bit < 1 || w_bit > kMaxBits || a_bit < 1 ||
      a_bit > kMaxBits) {
    throw DataError("HAQ cost table lookup out of range: layer " + std::to_string(layer) +
                    " (table has " + std::to_string(layers) + "), w_bit " + std::to_string(w_bit) +
                    ", a_bit " + std::to_string(a_bit) + " (bits must be in 1..8)");
  }
  return cost[static_cast<size_t>((layer * kMaxBits + w_bit - 1) * kMaxBits + a_bit - 1)];
}

int64_t HaqCostTable::PolicyCost(const std::vector<std::pair<int, int>>& bits) const {
  if (static_cast<int64_t>(bits.size()) != layers) {
    throw DataError("a bit policy for " + std::to_string(bits.size()) +
                    " layers does not fit a HAQ cost table of " + std::to_string(layers) +
                    " layers");
  }
  int64_t total = 0;
  for (size_t i = 0; i < bits.size(); ++i) {
    total += At(static_cast<int64_t>(i), bits[i].first, bits[i].second);
  }
  return total;
}

HaqCostTable ParseHaqCostTable(const std::string& bytes, const std::string& name) {
  const auto [header_text, data_start] = SplitHeader(bytes, name);
  NpyHeader header;
  const std::string error = HeaderParser(header_text).Parse(&header);
  if (!error.empty()) Fail(name, error);
  CheckHeader(header, name);
  HaqCostTable table;
  table.layers = header.shape[0];
  const size_t values = static_cast<size_t>(table.layers) * kBits * kBits;
  const size_t data_bytes = bytes.size() - data_start;
  if (data_bytes != values * 8) {
    Fail(name, std::string(data_bytes < values * 8 ? "truncated" : "too long") + ": shape " +
                   ShapeText(header.shape) + " needs " + std::to_string(values * 8) +
                   " data bytes, the file has " + std::to_string(data_bytes));
  }
  table.cost.resize(values);
  for (size_t i = 0; i < values; ++i) {
    table.cost[i] = DecodeValue(bytes, data_start + 8 * i, header.descr == "<f8", name, i);
  }
  CheckValues(table, name);
  return table;
}

HaqCostTable LoadHaqCostTable(const std::string& path) {
  std::error_code ignored;
  if (std::filesystem::is_directory(path, ignored)) {
    throw DataError(path + ": cannot read HAQ cost table (Is a directory)");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    throw DataError(path + ": cannot read HAQ cost table (" + std::strerror(errno) + ")");
  }
  std::stringstream buffer;
  buffer << in.rdbuf();
  return ParseHaqCostTable(buffer.str(), path);
}

}  // namespace hwnas::latency
