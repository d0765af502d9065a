#include "predictors/arch_csv.h"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <set>
#include <sstream>

#include "core/errors.h"

namespace hwnas::predictors {
namespace {

std::vector<std::string> SplitFields(const std::string& line, char separator) {
  std::vector<std::string> fields;
  std::string field;
  std::istringstream in(line);
  while (std::getline(in, field, separator)) fields.push_back(field);
  if (!line.empty() && line.back() == separator) fields.emplace_back();
  return fields;
}

std::string Where(const CsvTable& t, size_t row, size_t column) {
  return t.path + ":" + std::to_string(t.lines[row]) + ":" + std::to_string(column + 1);
}

// "7-5-3" -> {7, 5, 3}; errors name the cell.
std::vector<int> IntList(const CsvTable& t, size_t row, size_t column) {
  std::vector<int> out;
  for (const std::string& part : SplitFields(t.rows[row][column], '-')) {
    char* end = nullptr;
    const long v = std::strtol(part.c_str(), &end, 10);
    if (part.empty() || *end != '\0')
      throw DataError(Where(t, row, column) + ": column '" + t.header[column] + "': '" +
                      t.rows[row][column] + "' is not a list of integers joined by '-'");
    out.push_back(static_cast<int>(v));
  }
  return out;
}

}  // namespace

size_t CsvTable::Column(const std::string& name) const {
  const auto it = std::find(header.begin(), header.end(), name);
  if (it != header.end()) return static_cast<size_t>(it - header.begin());
  std::string known;
  for (const std::string& h : header) known += (known.empty() ? "" : ", ") + h;
  throw DataError(path + ": no column '" + name + "' (columns: " + known + ")");
}

double CsvTable::Number(size_t row, size_t column) const {
  const std::string& text = rows[row][column];
  char* end = nullptr;
  const double v = std::strtod(text.c_str(), &end);
  if (text.empty() || *end != '\0' || !std::isfinite(v))
    throw DataError(Where(*this, row, column) + ": column '" + header[column] + "': '" + text +
                    "' is not a number");
  return v;
}

CsvTable ReadCsv(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw IoError("cannot read '" + path + "'");
  CsvTable t;
  t.path = path;
  std::string line;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    std::vector<std::string> fields = SplitFields(line, ',');
    if (t.header.empty()) {
      t.header = std::move(fields);
      continue;
    }
    if (fields.size() != t.header.size())
      throw DataError(path + ":" + std::to_string(number) + ": " + std::to_string(fields.size()) +
                      " fields, the header has " + std::to_string(t.header.size()));
    t.rows.push_back(std::move(fields));
    t.lines.push_back(number);
  }
  if (t.header.empty()) throw DataError(path + ": empty file (expected a header line)");
  if (t.rows.empty()) throw DataError(path + ": a header but no rows");
  return t;
}

MeasuredArchs ReadOfaArchCsv(const std::string& path) {
  const CsvTable t = ReadCsv(path);
  const size_t ks = t.Column("ks"), e = t.Column("e"), d = t.Column("d"), r = t.Column("r");
  MeasuredArchs out;
  std::vector<size_t> measured;
  for (size_t c = 0; c < t.header.size(); ++c)
    if (c != ks && c != e && c != d && c != r && t.header[c] != "idx") {
      measured.push_back(c);
      out.columns.push_back(t.header[c]);
    }
  if (measured.empty()) throw DataError(path + ": no latency columns besides idx, ks, e, d, r");
  out.latency.assign(measured.size(), {});
  std::set<std::string> categories;
  for (size_t i = 0; i < t.rows.size(); ++i) {
    const std::vector<int> kernels = IntList(t, i, ks), expands = IntList(t, i, e),
                           depths = IntList(t, i, d);
    if (kernels.size() != expands.size() || depths.empty() || kernels.size() % depths.size() != 0)
      throw DataError(Where(t, i, ks) + ": " + std::to_string(kernels.size()) + " kernels, " +
                      std::to_string(expands.size()) + " expansions and " +
                      std::to_string(depths.size()) + " stage depths do not fit together");
    const size_t per_stage = kernels.size() / depths.size();
    if (i == 0)
      for (size_t b = 0; b < kernels.size(); ++b)
        out.layout.group_of_block.push_back(static_cast<int>(b / per_stage));
    else if (kernels.size() != out.layout.group_of_block.size())
      throw DataError(Where(t, i, ks) + ": " + std::to_string(kernels.size()) +
                      " blocks, the first row has " +
                      std::to_string(out.layout.group_of_block.size()));
    ArchSample s;
    for (size_t b = 0; b < kernels.size(); ++b) {
      const bool present = static_cast<int>(b % per_stage) < depths[b / per_stage];
      s.choices.push_back(
          present ? "k" + std::to_string(kernels[b]) + "e" + std::to_string(expands[b]) : "none");
      categories.insert(s.choices.back());
    }
    s.numbers.push_back(t.Number(i, r));
    out.samples.push_back(std::move(s));
    for (size_t m = 0; m < measured.size(); ++m) {
      const double ms = t.Number(i, measured[m]);
      if (ms <= 0)
        throw DataError(Where(t, i, measured[m]) + ": column '" + t.header[measured[m]] +
                        "': latency " + t.rows[i][measured[m]] + " is not positive");
      out.latency[m].push_back(ms);
    }
  }
  out.layout.categories.assign(categories.begin(), categories.end());
  out.layout.numbers = {"resolution"};
  out.layout.scale_number = 0;
  out.layout.scale_reference = 224;
  return out;
}

}  // namespace hwnas::predictors
