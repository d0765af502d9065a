// hwnas_report_sample DB [SPECS_DIR OUT.html]: writes the sample store of
// tests/report/sample_store.h to DB and, given SPECS_DIR, the report of all its runs with every
// chart's spec in SPECS_DIR (for tests/report/render_specs.mjs).
#include <iostream>

#include "core/errors.h"
#include "report/report.h"
#include "tests/report/sample_store.h"

int main(int argc, char** argv) {
  if (argc != 2 && argc != 4) {
    std::cerr << "usage: hwnas_report_sample DB [SPECS_DIR OUT.html]\n";
    return 64;
  }
  try {
    {
      auto store = hwnas::results::Store::Open(argv[1]);
      hwnas::testing::WriteSampleStore(*store, HWNAS_SOURCE_DIR);
    }
    if (argc == 4) {
      hwnas::report::ReportOptions options;
      options.db_path = argv[1];
      options.all = true;
      options.specs_dir = argv[2];
      options.out = argv[3];
      hwnas::report::WriteReport(options);
    }
  } catch (const hwnas::Error& e) {
    std::cerr << "error: " << e.what() << '\n';
    return static_cast<int>(e.code());
  }
  return 0;
}
