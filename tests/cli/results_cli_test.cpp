// End-to-end tests of `hwnas results ...`: a database is built through the Store API, then the
// real binary is run against it and its exit code, stdout and stderr are checked.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "results/store.h"
#include "tests/results/sample_runs.h"
#include "tests/support/run_command.h"

namespace hwnas::testing {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;
using Json = nlohmann::json;

const std::string kOddName = "odd, \"quoted\"\nname";

class ResultsCliTest : public ::testing::Test {
 protected:
  // Runs: 1 fast, 2 accurate, 3 dominated (amc), 4 pixel (estimated latency only), 5 odd name
  // (failed), 6 still running in this very process.
  static void SetUpTestSuite() {
    db_ = new std::string(NewDbPath("results-cli"));
    auto store = results::Store::Open(*db_);
    AddSampleRun(*store, {"fast", "proxyless", "cpu", 0.80, 1.0});
    AddSampleRun(*store, {"accurate", "proxyless", "cpu", 0.95, 3.0});
    AddSampleRun(*store, {"dominated", "amc", "cpu", 0.85, 4.0});
    AddSampleRun(*store, {"pixel", "proxyless", "pixel1", 0.90, std::nullopt, 2.0});
    AddSampleRun(*store,
                 {kOddName, "proxyless", "cpu", 0.5, 2.0, 2.0, results::RunStatus::kFailed});
    AddSampleRun(*store, {"live", "haq", "cpu", 0.7, 9.0, 9.0, results::RunStatus::kRunning});
    std::string weights = std::filesystem::path(*db_).parent_path() / "weights.pt";
    WriteFile(weights, "weights");
    store->MakeReporter(1)->OnArtifact("weights", weights);
  }
  static void TearDownTestSuite() { delete db_; }

  static CommandResult Results(std::vector<std::string> args) {
    args.insert(args.begin(), {"--db", *db_, "results"});
    return RunHwnas(args);
  }

  static Json ParseJson(const CommandResult& result) {
    EXPECT_EQ(result.exit_code, 0) << result.err;
    return Json::parse(result.out);
  }

  static std::vector<int64_t> Ids(const Json& rows) {
    std::vector<int64_t> ids;
    for (const auto& row : rows) ids.push_back(row["id"]);
    return ids;
  }

  static std::string* db_;
};

std::string* ResultsCliTest::db_ = nullptr;

TEST_F(ResultsCliTest, ListAsJsonNewestFirstWithSummaryValues) {
  Json rows = ParseJson(Results({"list", "--format", "json"}));
  EXPECT_THAT(Ids(rows), ElementsAre(6, 5, 4, 3, 2, 1));
  const Json& accurate = rows[4];
  EXPECT_EQ(accurate["name"], "accurate");
  EXPECT_EQ(accurate["strategy"], "proxyless");
  EXPECT_EQ(accurate["status"], "finished");
  EXPECT_EQ(accurate["device"], "cpu");
  EXPECT_EQ(accurate["dataset"], "synthetic");
  EXPECT_EQ(accurate["accuracy"], 0.95);
  EXPECT_EQ(accurate["latency_ms"], 3.0);
  EXPECT_EQ(rows[2]["latency_ms"], 2.0);  // estimated when nothing was measured
  EXPECT_EQ(rows[0]["status"], "running");
  EXPECT_EQ(rows[1]["name"], kOddName);
}

TEST_F(ResultsCliTest, ListFiltersAsCsvWithQuotingAndCrlf) {
  CommandResult result = Results({"list", "--status", "failed", "--format", "csv"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_THAT(result.out,
              StartsWith("id,name,strategy,status,device,dataset,started,duration_s,accuracy,"
                         "latency_ms\r\n5,\"odd, \"\"quoted\"\"\nname\",proxyless,failed,cpu,"));
  EXPECT_THAT(result.out, HasSubstr(",0.5,2\r\n"));

  EXPECT_THAT(Ids(ParseJson(Results({"list", "--strategy", "amc", "--format", "json"}))),
              ElementsAre(3));
  EXPECT_THAT(Ids(ParseJson(Results({"list", "--name", "a*", "--format", "json"}))),
              ElementsAre(2));
  EXPECT_THAT(Ids(ParseJson(Results({"list", "--name", "at", "--limit", "1", "--device", "cpu",
                                     "--format", "json"}))),
              ElementsAre(3));
}

TEST_F(ResultsCliTest, ListAsAlignedTable) {
  CommandResult result = Results({"list", "--device", "cpu"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  std::vector<std::string> lines;
  std::istringstream stream(result.out);
  for (std::string line; std::getline(stream, line);) lines.push_back(line);
  ASSERT_EQ(lines.size(), 6u);  // header + 5 runs on cpu
  EXPECT_THAT(lines[0], StartsWith("id  name"));
  EXPECT_THAT(lines[2], HasSubstr("odd, \"quoted\"\\nname"));  // one line per run
  // Columns line up: "strategy" starts at the same offset in every line.
  size_t column = lines[0].find("strategy");
  EXPECT_EQ(lines[1].substr(column, 3), "haq");
  EXPECT_EQ(lines[5].substr(column, 9), "proxyless");
}

TEST_F(ResultsCliTest, ShowPrintsFieldsArchitectureBreakdownArtifactsAndConfig) {
  CommandResult result = Results({"show", "fast"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_THAT(result.out, StartsWith("run 1: fast\n"));
  EXPECT_THAT(result.out, HasSubstr("final architecture on cpu"));
  EXPECT_THAT(result.out, HasSubstr("k3e6 k5e3 skip"));
  EXPECT_THAT(result.out, HasSubstr("measured_latency_ms   1"));
  EXPECT_THAT(result.out, HasSubstr("latency breakdown"));
  EXPECT_THAT(result.out, HasSubstr("stage1.block0        1.25"));
  EXPECT_THAT(result.out, HasSubstr("weights.pt"));
  EXPECT_THAT(result.out, HasSubstr("config\n  name: fast\n  strategy: proxyless\n"));

  Json run = ParseJson(Results({"show", "1", "--format", "json"}));
  EXPECT_EQ(run["name"], "fast");
  EXPECT_EQ(run["summary"]["latency_ms"], 1.0);
  EXPECT_EQ(run["artifacts"][0]["bytes"], 7);

  CommandResult csv = Results({"show", "1", "--format", "csv"});
  EXPECT_THAT(csv.out, StartsWith("section,field,value\r\nrun 1: fast,strategy,proxyless\r\n"));
  EXPECT_THAT(csv.out, HasSubstr("latency breakdown (NetSpec 'layers'),1.latency_ms,1.25\r\n"));
}

TEST_F(ResultsCliTest, BestRanksWithDirectionAndWhere) {
  EXPECT_THAT(Ids(ParseJson(Results({"best", "--metric", "accuracy", "--format", "json"}))),
              ElementsAre(2));
  EXPECT_THAT(Ids(ParseJson(Results({"best", "--metric", "latency_ms", "--format", "json"}))),
              ElementsAre(1));
  Json rows = ParseJson(Results({"best", "--metric", "accuracy", "--where",
                                 "latency_ms<=2.5 and accuracy>0.6", "--format", "json"}));
  EXPECT_THAT(Ids(rows), ElementsAre(4));
  EXPECT_EQ(rows[0]["accuracy"], 0.9);
  EXPECT_THAT(Ids(ParseJson(Results({"best", "--metric", "accuracy", "--min", "--strategy",
                                     "proxyless", "--format", "json"}))),
              ElementsAre(5));
  rows = ParseJson(Results({"best", "--metric", "train_loss", "--max", "--format", "json"}));
  EXPECT_EQ(rows[0]["train_loss"], 0.5);  // the ranked metric gets a column
}

TEST_F(ResultsCliTest, BestReportsBadWhereAndEmptyAnswers) {
  CommandResult bad = Results({"best", "--metric", "accuracy", "--where", "latency_ms<=2 and x"});
  EXPECT_EQ(bad.exit_code, 64);
  EXPECT_THAT(bad.err, HasSubstr("bad --where condition 'x'"));
  EXPECT_THAT(bad.err, HasSubstr("NAME OP NUMBER"));

  CommandResult none = Results({"best", "--metric", "accuracy", "--where", "latency_ms<0.1"});
  EXPECT_EQ(none.exit_code, 1);
  EXPECT_THAT(none.err, HasSubstr("no run satisfies --where 'latency_ms<0.1'"));
  CommandResult unknown = Results({"best", "--metric", "acuracy"});
  EXPECT_EQ(unknown.exit_code, 1);
  EXPECT_THAT(unknown.err, HasSubstr("no run has a value for 'acuracy' (known values: accuracy"));
}

TEST_F(ResultsCliTest, ParetoListsTheNonDominatedRunsByX) {
  Json rows =
      ParseJson(Results({"pareto", "--x", "latency_ms", "--y", "accuracy", "--format", "json"}));
  EXPECT_THAT(Ids(rows), ElementsAre(1, 4, 2));
  EXPECT_EQ(rows[1]["latency_ms"], 2.0);
  EXPECT_EQ(rows[1]["accuracy"], 0.9);
  EXPECT_THAT(Ids(ParseJson(Results({"pareto", "--device", "cpu", "--format", "json"}))),
              ElementsAre(1, 2));
}

TEST_F(ResultsCliTest, CompareHasOneColumnPerRun) {
  Json rows = ParseJson(Results({"compare", "1", "accurate", "--format", "json"}));
  ASSERT_GE(rows.size(), 10u);
  EXPECT_EQ(rows[0]["field"], "name");
  EXPECT_EQ(rows[0]["1"], "fast");
  EXPECT_EQ(rows[0]["2"], "accurate");
  bool found = false;
  for (const auto& row : rows) {
    if (row["field"] == "accuracy") {
      EXPECT_EQ(row["1"], 0.8);
      EXPECT_EQ(row["2"], 0.95);
      found = true;
    }
  }
  EXPECT_TRUE(found);
}

TEST_F(ResultsCliTest, ExportWritesJsonAndCsvAtomically) {
  Json all = ParseJson(Results({"export", "--all"}));
  ASSERT_EQ(all["runs"].size(), 6u);
  EXPECT_EQ(all["runs"][0]["id"], 1);
  EXPECT_EQ(all["runs"][0]["metrics"].size(), 4u);
  EXPECT_EQ(all["runs"][0]["architectures"][0]["arch"], "k3e6 k5e3 skip");

  std::string dir = MakeTempDir("export-out");
  std::string out = dir + "/metrics.csv";
  CommandResult csv = Results({"export", "5", "--format", "csv", "--out", out});
  ASSERT_EQ(csv.exit_code, 0) << csv.err;
  EXPECT_EQ(csv.out, "exported 1 run to " + out + "\n");
  std::string text = ReadFile(out);
  EXPECT_THAT(text, StartsWith("run_id,run_name,step,name,value,recorded_at\r\n"
                               "5,\"odd, \"\"quoted\"\"\nname\",0,train_loss,1.5,"));
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir), {}), 1);  // no temp left

  CommandResult neither = Results({"export"});
  EXPECT_EQ(neither.exit_code, 64);
  EXPECT_THAT(neither.err, HasSubstr("export needs either a RUN or --all"));
}

TEST_F(ResultsCliTest, UnknownAndAmbiguousRunsAreUsageErrors) {
  CommandResult unknown = Results({"show", "nope"});
  EXPECT_EQ(unknown.exit_code, 64);
  EXPECT_EQ(unknown.err, "error: unknown run 'nope' (see 'hwnas results list')\n");
  EXPECT_EQ(Results({"compare", "1", "42"}).exit_code, 64);
}

TEST_F(ResultsCliTest, HelpAtEveryLevel) {
  for (const auto& command :
       std::vector<std::vector<std::string>>{{"results", "--help"},
                                             {"results", "list", "--help"},
                                             {"results", "best", "--help"},
                                             {"results", "export", "--help"}}) {
    CommandResult help = RunHwnas(command);
    EXPECT_EQ(help.exit_code, 0) << command[1];
    EXPECT_THAT(help.out, HasSubstr("Usage: hwnas results")) << command[1];
  }
}

TEST(ResultsCliStandaloneTest, DeleteRemovesARunAndRefusesALiveOne) {
  std::string db = NewDbPath("results-cli-delete");
  {
    auto store = results::Store::Open(db);
    AddSampleRun(*store, {"keep"});
    AddSampleRun(*store, {"drop"});
    AddSampleRun(*store, {"live", "haq", "cpu", 0.7, 9.0, 9.0, results::RunStatus::kRunning});
  }
  // HWNAS_DB names the database when --db is not given.
  CommandResult deleted = RunHwnas({"results", "delete", "drop"}, {{"HWNAS_DB", db}});
  ASSERT_EQ(deleted.exit_code, 0) << deleted.err;
  EXPECT_EQ(deleted.out,
            "deleted run 2 (drop): 4 metric values, 1 architecture, 0 episodes, 0 artifact "
            "records\n");
  CommandResult live = RunHwnas({"--db", db, "results", "delete", "3"});
  EXPECT_EQ(live.exit_code, 64);
  EXPECT_THAT(live.err, HasSubstr("is still running"));
  EXPECT_EQ(RunHwnas({"--db", db, "results", "delete", "3", "--force"}).exit_code, 0);
  auto store = results::Store::Open(db);
  ASSERT_EQ(store->ListRuns().size(), 1u);
  EXPECT_EQ(store->ListRuns()[0].name, "keep");
}

TEST(ResultsCliStandaloneTest, ReadCommandsNeverCreateADatabase) {
  std::string db = NewDbPath("results-cli-missing");
  for (const auto& command : std::vector<std::vector<std::string>>{
           {"list"}, {"show", "1"}, {"best", "--metric", "accuracy"}, {"export", "--all"}}) {
    std::vector<std::string> args = {"--db", db, "results"};
    args.insert(args.end(), command.begin(), command.end());
    CommandResult result = RunHwnas(args);
    EXPECT_EQ(result.exit_code, 74) << command[0];
    EXPECT_EQ(result.err,
              "error: no results database at " + db + " (run a search first, or pass --db)\n");
  }
  EXPECT_FALSE(std::filesystem::exists(db));
}

TEST(ResultsCliStandaloneTest, RefusesFilesThatAreNotHwnasDatabases) {
  std::string db = NewDbPath("results-cli-foreign");
  WriteFile(db, "id,name\n1,not a database\n");
  CommandResult result = RunHwnas({"--db", db, "results", "list"});
  EXPECT_EQ(result.exit_code, 74);
  EXPECT_THAT(result.err, HasSubstr("not an SQLite database"));
  EXPECT_EQ(ReadFile(db), "id,name\n1,not a database\n");
}

}  // namespace
}  // namespace hwnas::testing
