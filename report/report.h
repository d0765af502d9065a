// `hwnas report` as a library call: the runs asked for (ids or names, or every run, filtered by
// --where) read from the store, turned into charts (report/sections.h) and written as one
// self-contained HTML page (report/page.h), atomically: on any error no file is written.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace hwnas::report {

struct ReportOptions {
  std::string db_path;
  std::vector<std::string> runs;  // ids or names; with a pipeline run come its stages' runs
  bool all = false;               // every run instead (exclusive with `runs`)
  std::string where;              // results/selection.h conditions on summary values
  std::string out;                // the HTML file
  std::string specs_dir;          // when set, also every chart's spec as DIR/NAME.vl.json
  std::string title;              // empty = "hwnas report: DB_PATH"
};

struct ReportSummary {
  std::vector<int64_t> runs;  // in the report, in its order (oldest first)
  int64_t charts = 0;
  int64_t bytes = 0;  // of the page
};

// UsageError: neither runs nor --all, both, no --out, a bad --where, an unknown run. IoError: no
// database at db_path, a newer or foreign one, a file that cannot be written. Error with exit
// code 1: the database has no runs, or none is left after --where.
ReportSummary WriteReport(const ReportOptions& options);

}  // namespace hwnas::report
