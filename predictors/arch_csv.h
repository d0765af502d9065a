// Architectures measured end to end, read from CSV: a small strict CSV reader (every error names
// file, line and field) and the Once-for-All MobileNetV3 dialect (columns ks, e, d, r, then one
// latency column per device), as in ../shared/data/latency/ofa-mbv3-gpu-latency.csv.
#pragma once

#include <string>
#include <vector>

#include "predictors/arch_encoding.h"

namespace hwnas::predictors {

struct CsvTable {
  std::string path;
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;  // every row has header.size() fields
  std::vector<int> lines;                      // the file line of each row

  // Throws DataError "FILE: no column 'NAME' (columns: ...)".
  size_t Column(const std::string& name) const;
  // Throws DataError "FILE:LINE:FIELD: column 'NAME': 'TEXT' is not a number".
  double Number(size_t row, size_t column) const;
};

// Throws IoError when unreadable, DataError on an empty file or a row of the wrong width.
CsvTable ReadCsv(const std::string& path);

struct MeasuredArchs {
  std::vector<ArchSample> samples;
  EncodingLayout layout;                     // blocks grouped by stage, "resolution" scales
  std::vector<std::string> columns;          // the measured columns, e.g. "2080ti_1"
  std::vector<std::vector<double>> latency;  // [column][sample], milliseconds
};

// OFA rows: `ks` and `e` list kernel size and expansion of every block (joined by '-'), `d` the
// depth of every stage (blocks of a stage beyond its depth are "none"), `r` the resolution; every
// other column but `idx` is a latency. Throws DataError on missing or non-numeric columns,
// list lengths that do not fit, or non-positive latency.
MeasuredArchs ReadOfaArchCsv(const std::string& path);

}  // namespace hwnas::predictors
