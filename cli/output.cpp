#include "cli/output.h"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "core/errors.h"

namespace hwnas::cli {
namespace {

std::string NonFiniteText(double value) {
  if (std::isnan(value)) return "nan";
  return value > 0 ? "inf" : "-inf";
}

// Display width: count UTF-8 code points, not bytes, so names with accents stay aligned.
size_t DisplayWidth(const std::string& text) {
  return std::count_if(text.begin(), text.end(),
                       [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; });
}

// A text table cell stays on one line.
std::string OneLine(std::string text) {
  for (size_t pos = 0; (pos = text.find_first_of("\r\n\t", pos)) != std::string::npos;) {
    const char* escape = text[pos] == '\n' ? "\\n" : text[pos] == '\r' ? "\\r" : "\\t";
    text.replace(pos, 1, escape);
    pos += 2;
  }
  return text;
}

// Columns whose cells are all numbers (or empty) are right-aligned; mixed columns, such as
// the values of a field/value listing, stay left-aligned and readable.
std::vector<bool> NumericColumns(const Table& table) {
  std::vector<bool> numeric(table.columns.size(), true);
  for (const auto& row : table.rows) {
    for (size_t c = 0; c < row.size() && c < numeric.size(); ++c) {
      const Cell::Value& value = row[c].value();
      if (!row[c].is_number() && !std::holds_alternative<std::monostate>(value)) {
        numeric[c] = false;
      }
    }
  }
  return numeric;
}

void WriteText(std::ostream& out, const Table& table) {
  const size_t n = table.columns.size();
  std::vector<std::vector<std::string>> cells;
  if (table.header) cells.push_back(table.columns);
  for (const auto& row : table.rows) {
    std::vector<std::string> texts;
    for (const Cell& cell : row) texts.push_back(OneLine(cell.Text()));
    cells.push_back(std::move(texts));
  }
  std::vector<size_t> width(n, 0);
  for (const auto& row : cells) {
    for (size_t c = 0; c < n && c < row.size(); ++c) {
      width[c] = std::max(width[c], DisplayWidth(row[c]));
    }
  }
  const std::vector<bool> numeric = NumericColumns(table);
  for (const auto& row : cells) {
    std::string line;
    for (size_t c = 0; c < n && c < row.size(); ++c) {
      std::string pad(width[c] - DisplayWidth(row[c]), ' ');
      if (c > 0) line += "  ";
      line += numeric[c] ? pad + row[c] : row[c] + pad;
    }
    out << line.substr(0, line.find_last_not_of(' ') + 1) << '\n';
  }
}

nlohmann::ordered_json ToJson(const Cell& cell) {
  const Cell::Value& value = cell.value();
  if (auto* i = std::get_if<int64_t>(&value)) return *i;
  if (auto* d = std::get_if<double>(&value)) {
    return std::isfinite(*d) ? nlohmann::ordered_json(*d) : nlohmann::ordered_json();
  }
  if (auto* s = std::get_if<std::string>(&value)) return *s;
  return nullptr;
}

void WriteJson(std::ostream& out, const Table& table) {
  nlohmann::ordered_json rows = nlohmann::ordered_json::array();
  for (const auto& row : table.rows) {
    nlohmann::ordered_json object = nlohmann::ordered_json::object();
    for (size_t c = 0; c < table.columns.size() && c < row.size(); ++c) {
      object[table.columns[c]] = ToJson(row[c]);
    }
    rows.push_back(std::move(object));
  }
  out << rows.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << '\n';
}

// RFC 4180: CRLF line ends, a header record, fields quoted only where needed.
void WriteCsv(std::ostream& out, const Table& table) {
  auto write_record = [&](const std::vector<std::string>& fields) {
    for (size_t i = 0; i < fields.size(); ++i) out << (i > 0 ? "," : "") << CsvField(fields[i]);
    out << "\r\n";
  };
  write_record(table.columns);
  for (const auto& row : table.rows) {
    std::vector<std::string> fields;
    for (const Cell& cell : row) fields.push_back(cell.ExactText());
    write_record(fields);
  }
}

}  // namespace

Cell::Cell(const std::optional<double>& value) {
  if (value) value_ = *value;
}

Cell::Cell(const std::optional<int64_t>& value) {
  if (value) value_ = *value;
}

std::string Cell::Text() const {
  if (std::holds_alternative<std::monostate>(value_)) return "-";
  if (auto* d = std::get_if<double>(&value_)) {
    if (!std::isfinite(*d)) return NonFiniteText(*d);
    char buffer[32];
    // Whole numbers such as FLOPs and parameter counts read better in full than as 5.06702e+06.
    if (*d == std::floor(*d) && std::fabs(*d) < 1e15) {
      std::snprintf(buffer, sizeof(buffer), "%.0f", *d);
    } else {
      std::snprintf(buffer, sizeof(buffer), "%.6g", *d);
    }
    return buffer;
  }
  return ExactText();
}

std::string Cell::ExactText() const {
  if (auto* i = std::get_if<int64_t>(&value_)) return std::to_string(*i);
  if (auto* s = std::get_if<std::string>(&value_)) return *s;
  if (auto* d = std::get_if<double>(&value_)) {
    if (!std::isfinite(*d)) return NonFiniteText(*d);
    char buffer[32];
    auto result = std::to_chars(buffer, buffer + sizeof(buffer), *d);
    return std::string(buffer, result.ptr);
  }
  return "";
}

void WriteTable(std::ostream& out, const Table& table, OutputFormat format) {
  switch (format) {
    case OutputFormat::kTable:
      return WriteText(out, table);
    case OutputFormat::kJson:
      return WriteJson(out, table);
    case OutputFormat::kCsv:
      return WriteCsv(out, table);
  }
}

std::string CsvField(const std::string& text) {
  if (text.find_first_of(",\"\r\n") == std::string::npos) return text;
  std::string quoted = "\"";
  for (char c : text) {
    if (c == '"') quoted += '"';
    quoted += c;
  }
  return quoted + "\"";
}

void AddFormatOption(CLI::App& command, OutputFormat* format) {
  command
      .add_option_function<std::string>(
          "--format",
          [format](const std::string& name) {
            *format = name == "json"  ? OutputFormat::kJson
                      : name == "csv" ? OutputFormat::kCsv
                                      : OutputFormat::kTable;
          },
          "output format: table (aligned text), json (an array of objects) or csv (RFC 4180)")
      ->check(CLI::IsMember({"table", "json", "csv"}))
      ->default_str("table");
}

}  // namespace hwnas::cli
