// `hwnas report` end to end through the front binary (torch-free), and its errors with the
// documented exit codes; `hwnas results show` names the report command.
#include <gtest/gtest.h>

#include <filesystem>

#include "results/sqlite.h"
#include "tests/report/sample_store.h"
#include "tests/support/run_command.h"

namespace hwnas::testing {
namespace {

struct CliSample {
  std::string dir = MakeTempDir("report-cli");
  std::string db = dir + "/hwnas.db";
  std::string out = dir + "/report.html";
  SampleIds ids;
  CliSample() { ids = WriteSampleStore(*results::Store::Open(db), HWNAS_SOURCE_DIR); }
};

TEST(ReportCliTest, WritesThePageAndSaysWhat) {
  CliSample sample;
  const CommandResult r = RunHwnas({"--db", sample.db, "report", "--all", "--out", sample.out});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out.rfind("wrote " + sample.out + ": 7 runs, 13 charts, ", 0), 0u) << r.out;
  EXPECT_NE(ReadFile(sample.out).find("id=\"hwnas-specs\""), std::string::npos);
}

TEST(ReportCliTest, ErrorsUseTheDocumentedExitCodes) {
  CliSample sample;
  CommandResult r = RunHwnas({"--db", sample.db, "report", "42", "--out", sample.out});
  EXPECT_EQ(r.exit_code, 64);
  EXPECT_EQ(r.err, "error: unknown run '42' (see 'hwnas results list')\n");
  r = RunHwnas({"--db", sample.db, "report", "--out", sample.out});
  EXPECT_EQ(r.exit_code, 64);
  r = RunHwnas({"--db", sample.dir + "/missing.db", "report", "--all", "--out", sample.out});
  EXPECT_EQ(r.exit_code, 74);
  EXPECT_NE(r.err.find("no results database at"), std::string::npos) << r.err;
  const std::string empty = MakeTempDir("report-cli-empty") + "/hwnas.db";
  results::Store::Open(empty);
  r = RunHwnas({"--db", empty, "report", "--all", "--out", sample.out});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_EQ(r.err, "error: nothing to report: " + empty + " has no runs\n");
  {
    results::Database db(sample.db, false);
    db.Execute("PRAGMA user_version = 99");
  }
  r = RunHwnas({"--db", sample.db, "report", "--all", "--out", sample.out});
  EXPECT_EQ(r.exit_code, 74);
  EXPECT_NE(r.err.find("newer than this hwnas"), std::string::npos) << r.err;
  EXPECT_FALSE(std::filesystem::exists(sample.out));
}

TEST(ReportCliTest, ResultsShowNamesTheReportCommand) {
  CliSample sample;
  const std::string id = std::to_string(sample.ids.amc);
  const CommandResult r = RunHwnas({"--db", sample.db, "results", "show", id});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::string line = "\nreport: hwnas report " + id + " --out run-" + id + ".html\n";
  EXPECT_EQ(r.out.substr(r.out.size() - line.size()), line);
}

}  // namespace
}  // namespace hwnas::testing
