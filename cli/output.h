// How commands print tabular results: a Table of column names and rows of cells, written as
// an aligned text table, a JSON array of objects, or RFC 4180 CSV. Also the --format option,
// so every command prints the same way.
#pragma once

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <variant>
#include <vector>

namespace CLI {
class App;
}

namespace hwnas::cli {

enum class OutputFormat { kTable, kJson, kCsv };

// One value: empty, an integer, a real number or text. Empty prints as "-" in a table, null in
// JSON and nothing in CSV; non-finite reals print as nan/inf in text and CSV, null in JSON.
class Cell {
 public:
  using Value = std::variant<std::monostate, int64_t, double, std::string>;

  Cell() = default;
  Cell(int value) : value_(int64_t{value}) {}
  Cell(int64_t value) : value_(value) {}
  Cell(double value) : value_(value) {}
  Cell(std::string value) : value_(std::move(value)) {}
  Cell(const char* value) : value_(std::string(value)) {}
  Cell(const std::optional<double>& value);
  Cell(const std::optional<int64_t>& value);

  const Value& value() const { return value_; }
  bool is_number() const { return value_.index() == 1 || value_.index() == 2; }
  // As shown in a text table: reals with 6 significant digits.
  std::string Text() const;
  // Exact: integers in full, reals in their shortest round-trip form.
  std::string ExactText() const;

 private:
  Value value_;
};

struct Table {
  std::vector<std::string> columns;
  std::vector<std::vector<Cell>> rows;  // each as long as `columns`
  bool header = true;                   // text form only: print the column names first
};

// Writes `table` in `format`; JSON is an array of objects keyed by column, in column order.
void WriteTable(std::ostream& out, const Table& table, OutputFormat format);

// One RFC 4180 field: quoted when it holds a comma, quote, CR or LF; quotes doubled.
std::string CsvField(const std::string& text);

// Adds "--format table|json|csv" (default table) to a command.
void AddFormatOption(CLI::App& command, OutputFormat* format);

}  // namespace hwnas::cli
