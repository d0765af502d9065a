// WriteReport over the sample store: which charts each run gets, their data read from the
// store, the self-contained page, and the errors that leave no file behind.
#include <gtest/gtest.h>

#include <filesystem>
#include <set>

#include "core/errors.h"
#include "report/report.h"
#include "report/sections.h"
#include "results/sqlite.h"
#include "tests/report/sample_store.h"
#include "tests/support/run_command.h"

namespace hwnas::report {
namespace {

struct Sample {
  std::string dir = testing::MakeTempDir("report");
  std::string db = dir + "/hwnas.db";
  testing::SampleIds ids;
  Sample() {
    auto store = results::Store::Open(db);
    ids = testing::WriteSampleStore(*store, HWNAS_SOURCE_DIR);
  }
  ReportOptions Options(std::vector<std::string> runs = {}) const {
    ReportOptions options;
    options.db_path = db;
    options.runs = std::move(runs);
    options.all = options.runs.empty();
    options.out = dir + "/report.html";
    return options;
  }
};

std::set<std::string> ChartNames(const std::vector<Section>& sections) {
  std::set<std::string> names;
  for (const Section& s : sections)
    for (const Chart& c : s.charts) names.insert(c.name);
  return names;
}

const Chart& Find(const std::vector<Section>& sections, const std::string& name) {
  for (const Section& s : sections)
    for (const Chart& c : s.charts)
      if (c.name == name) return c;
  throw std::runtime_error("no chart " + name);
}

TEST(ReportTest, EveryRunGetsTheChartsItsDataSupports) {
  Sample sample;
  const auto store = results::Store::Open(sample.db);
  const testing::SampleIds& i = sample.ids;
  const auto sections =
      BuildSections(*store, {i.train, i.proxyless, i.amc, i.haq, i.validate, i.pipeline});
  const auto run = [](int64_t id, const std::string& chart) {
    return "run-" + std::to_string(id) + "-" + chart;
  };
  EXPECT_EQ(ChartNames(sections),
            (std::set<std::string>{
                "pareto", run(i.train, "training"), run(i.train, "layer-latency"),
                run(i.proxyless, "training"), run(i.proxyless, "probabilities"),
                run(i.proxyless, "expected-cost"), run(i.proxyless, "layer-latency"),
                run(i.amc, "rewards"), run(i.amc, "policy"), run(i.haq, "rewards"),
                run(i.haq, "policy"), run(i.validate, "validation"), run(i.pipeline, "stages")}));
  ASSERT_EQ(sections.size(), 7u);
  EXPECT_EQ(sections[1].title, "run 1: train-sample (train, finished, cpu)");
}

TEST(ReportTest, ChartsCarryTheStoredValues) {
  Sample sample;
  const auto store = results::Store::Open(sample.db);
  const testing::SampleIds& i = sample.ids;
  const auto sections = BuildSections(*store, {i.train, i.proxyless, i.amc, i.pipeline});
  const std::string p = "run-" + std::to_string(i.proxyless) + "-";
  const Spec& cost = Find(sections, p + "expected-cost").spec;
  EXPECT_EQ(cost["layer"][1]["encoding"]["y"]["datum"], 0.25);  // proxyless.target_ms
  const Spec& cells = Find(sections, p + "probabilities").spec["data"]["values"];
  ASSERT_EQ(cells.size(), 8u);  // 2 epochs x 2 blocks x 2 candidates
  EXPECT_EQ(cells[0]["row"], "b1 k3e3");
  EXPECT_DOUBLE_EQ(cells[1]["probability"].get<double>(), 0.9);  // b1 k3e3 at epoch 2
  const Spec& layers =
      Find(sections, "run-" + std::to_string(i.train) + "-layer-latency").spec["data"]["values"];
  ASSERT_EQ(layers.size(), 5u);
  EXPECT_EQ(layers[0]["layer"], "stem");
  EXPECT_DOUBLE_EQ(layers[4]["ms"].get<double>(), 0.5);
  const Spec& bars =
      Find(sections, "run-" + std::to_string(i.amc) + "-policy").spec["data"]["values"];
  ASSERT_EQ(bars.size(), 12u);  // 6 pruned layers x (best, uniform)
  EXPECT_EQ(bars[0]["value"], 0.5);
  EXPECT_EQ(bars[6]["policy"], "uniform");
  EXPECT_EQ(bars[6]["value"], 0.75);
  const Spec& stages =
      Find(sections, "run-" + std::to_string(i.pipeline) + "-stages").spec["data"]["values"];
  EXPECT_EQ(stages[0]["text"], std::to_string(i.stage));  // the search stage's run
  EXPECT_EQ(stages[13]["text"], "30.0");                  // retrain's seconds
}

TEST(ReportTest, WritesOneSelfContainedPage) {
  Sample sample;
  ReportOptions options = sample.Options();
  options.specs_dir = sample.dir + "/specs";
  const ReportSummary summary = WriteReport(options);
  EXPECT_EQ(summary.runs.size(), 7u);
  EXPECT_EQ(summary.runs.front(), sample.ids.train);  // oldest first
  EXPECT_EQ(summary.charts, 13);
  const std::string page = testing::ReadFile(options.out);
  EXPECT_EQ(static_cast<int64_t>(page.size()), summary.bytes);
  for (const char* text : {"/* vega */", "/* vega-lite */", "/* vega-embed */",
                           "id=\"hwnas-specs\"", "<div class=\"chart\" id=\"pareto\"></div>"})
    EXPECT_NE(page.find(text), std::string::npos) << text;
  EXPECT_EQ(page.find("src=\"http"), std::string::npos);  // nothing loaded from the network
  EXPECT_TRUE(std::filesystem::exists(options.specs_dir + "/pareto.vl.json"));
}

TEST(ReportTest, RunNamesCannotBreakThePage) {
  Sample sample;
  {
    auto store = results::Store::Open(sample.db);
    const int64_t id = testing::BeginSampleRun(*store, "x</script><!--", "train", "");
    store->MakeReporter(id)->OnArchitecture(
        testing::SampleArch("final", 0, testing::SampleNet(HWNAS_SOURCE_DIR), 0.5, 1.0));
  }
  const ReportOptions options = sample.Options();
  WriteReport(options);
  const std::string page = testing::ReadFile(options.out);
  EXPECT_EQ(page.find("x</script>"), std::string::npos);
  EXPECT_NE(page.find("<td>x&lt;/script&gt;&lt;!--</td>"), std::string::npos);  // the run table
  EXPECT_NE(page.find("x\\u003c/script>\\u003c!--"), std::string::npos);        // the specs' JSON
}

TEST(ReportTest, NamedRunsBringThePipelineStagesAndHonourWhere) {
  Sample sample;
  EXPECT_EQ(WriteReport(sample.Options({std::to_string(sample.ids.pipeline)})).runs,
            (std::vector<int64_t>{sample.ids.pipeline, sample.ids.stage}));
  ReportOptions options = sample.Options();
  options.where = "accuracy>=0.8";
  EXPECT_EQ(WriteReport(options).runs, (std::vector<int64_t>{sample.ids.proxyless}));
}

void ExpectError(const ReportOptions& options, ExitCode code, const std::string& message) {
  try {
    WriteReport(options);
    ADD_FAILURE() << "no error; expected: " << message;
  } catch (const Error& e) {
    EXPECT_EQ(e.code(), code);
    EXPECT_EQ(std::string(e.what()), message);
  }
  EXPECT_FALSE(std::filesystem::exists(options.out)) << "a page was written";
}

TEST(ReportTest, BadInputIsAClearErrorAndWritesNothing) {
  Sample sample;
  ExpectError(sample.Options({"no-such-run"}), ExitCode::kUsage,
              "unknown run 'no-such-run' (see 'hwnas results list')");
  ReportOptions options = sample.Options();
  options.where = "accuracy>2";
  ExpectError(options, ExitCode::kFailure, "no run satisfies --where 'accuracy>2'");
  options = sample.Options();
  options.all = false;
  ExpectError(options, ExitCode::kUsage, "give the runs to report (ids or names) or --all");
  const std::string empty = testing::MakeTempDir("report-empty") + "/hwnas.db";
  results::Store::Open(empty);
  options = sample.Options();
  options.db_path = empty;
  ExpectError(options, ExitCode::kFailure, "nothing to report: " + empty + " has no runs");
}

TEST(ReportTest, ADatabaseFromANewerHwnasIsRefused) {
  Sample sample;
  {
    results::Database db(sample.db, false);
    db.Execute("PRAGMA user_version = 99");
  }
  try {
    WriteReport(sample.Options());
    ADD_FAILURE() << "no error";
  } catch (const IoError& e) {
    EXPECT_NE(std::string(e.what()).find("database schema version 99 is newer than this hwnas"),
              std::string::npos)
        << e.what();
  }
  EXPECT_FALSE(std::filesystem::exists(sample.Options().out));
}

}  // namespace
}  // namespace hwnas::report
