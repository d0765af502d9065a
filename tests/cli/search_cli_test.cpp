// End-to-end tests of `hwnas search`: the real binary searches the tiny synthetic space against a
// model device's latency table (computed, so the test does not time anything), retrains the
// derived network, and stores derived and final architectures; a bad target writes nothing.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <signal.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <optional>
#include <regex>
#include <set>

#include "core/netspec.h"
#include "results/store.h"
#include "tests/support/run_command.h"

namespace hwnas::testing {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

const std::string kConfig = std::string(HWNAS_SOURCE_DIR) + "/configs/search-synthetic.yaml";

std::vector<std::string> SearchArgs(const std::string& db, std::vector<std::string> extra = {}) {
  std::vector<std::string> args = {"--db",
                                   db,
                                   "-q",
                                   "search",
                                   kConfig,
                                   "device.name=roofline-example",
                                   "data.synthetic.train_samples=256",
                                   "train.epochs=1"};
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
}

TEST(SearchCliTest, StoresTheRunWithDerivedAndFinalArchitectures) {
  const std::string db = MakeTempDir("search") + "/h.db";
  CommandResult r = RunHwnas(SearchArgs(db));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("run 1 finished: search-synthetic"));
  EXPECT_THAT(r.out, HasSubstr("ms estimated"));

  auto store = results::Store::Open(db, results::Store::OpenMode::kExisting);
  const results::RunRecord run = store->GetRun(1);
  EXPECT_EQ(run.status, results::RunStatus::kFinished);
  EXPECT_EQ(run.strategy, "proxyless");
  const auto archs = store->Architectures(1);
  ASSERT_EQ(archs.size(), 3u);  // two search epochs, then the retrained network
  EXPECT_EQ(archs[0].record.role, "derived");
  EXPECT_EQ(archs[1].record.role, "derived");
  EXPECT_EQ(archs[2].record.role, "final");
  EXPECT_GT(archs[2].record.estimated_latency_ms.value_or(0), 0);
  EXPECT_GT(archs[2].record.measured_latency_ms.value_or(0), 0);
  bool entropy = false;
  for (const auto& m : store->Metrics(1)) entropy |= m.name == "stage1.block2.entropy";
  EXPECT_TRUE(entropy);
}

// synthetic-mbconv states 16x16x1 inputs and 4 classes; the search builds it for the data.
TEST(SearchCliTest, TheSpaceTakesItsInputAndClassesFromTheData) {
  const std::string db = MakeTempDir("search-fit") + "/h.db";
  CommandResult r = RunHwnas(SearchArgs(
      db, {"data.synthetic.image_size=12", "data.synthetic.channels=3", "data.synthetic.classes=3",
           "proxyless.epochs=1", "proxyless.warmup_epochs=0"}));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto store = results::Store::Open(db, results::Store::OpenMode::kExisting);
  const auto archs = store->Architectures(1);
  ASSERT_FALSE(archs.empty());
  const NetSpec net = NetSpecFromJson(archs.back().record.netspec_json, "final");
  EXPECT_EQ(net.input_size, 12);
  EXPECT_EQ(net.input_channels, 3);
  EXPECT_EQ(net.num_classes, 3);
  EXPECT_EQ(net.layers.front().in_channels, 3);
  EXPECT_EQ(net.layers.back().out_channels, 3);
}

TEST(SearchCliTest, FlopsTargetBelowTheCheapestNetworkExits78AndWritesNothing) {
  const std::string db = MakeTempDir("search-bad") + "/h.db";
  CommandResult r =
      RunHwnas(SearchArgs(db, {"proxyless.target_kind=flops", "proxyless.target_mflops=0.001"}));
  EXPECT_EQ(r.exit_code, 78);
  EXPECT_THAT(r.err, HasSubstr("proxyless.target_mflops: below the cheapest network"));
  EXPECT_FALSE(fs::exists(db));
}

TEST(SearchCliTest, LatencyTargetBelowTheCheapestNetworkExits78AndStoresNoRun) {
  const std::string db = MakeTempDir("search-bad-latency") + "/h.db";
  CommandResult r = RunHwnas(SearchArgs(db, {"proxyless.target_ms=0.000001"}));
  EXPECT_EQ(r.exit_code, 78);
  EXPECT_THAT(r.err, HasSubstr("proxyless.target_ms: below the cheapest network of the space"));
  // a computed model device: nothing is timed
  EXPECT_THAT(r.err, ::testing::Not(HasSubstr("timed end to end")));
  auto store = results::Store::Open(db, results::Store::OpenMode::kExisting);
  EXPECT_TRUE(store->ListRuns().empty());  // only the device's latency table was kept
}

// On cpu a table whose layers were timed while the machine was busy prices every network too
// high. Simulated by multiplying every stored entry by 10: a target 4x the cheapest network is
// below it by the table, but the cheapest network timed end to end shows the table is off, and
// the search goes on with the table corrected instead of refusing the target.
TEST(SearchCliTest, ATableMeasuredWhileBusyIsCorrectedByTheCheapestNetwork) {
  const std::string db = MakeTempDir("search-busy-table") + "/h.db";
  const std::vector<std::string> on_cpu = {"device.name=cpu", "proxyless.epochs=1",
                                           "proxyless.warmup_epochs=0"};
  std::vector<std::string> tiny = on_cpu;
  tiny.push_back("proxyless.target_ms=0.000001");
  CommandResult refused = RunHwnas(SearchArgs(db, tiny));  // measures and keeps the table
  ASSERT_EQ(refused.exit_code, 78) << refused.err;
  EXPECT_THAT(refused.err, HasSubstr("; timed end to end just now it measured "));
  std::smatch cheapest;
  const std::regex at_least("expected at least ([0-9.]+) ms on device cpu");
  ASSERT_TRUE(std::regex_search(refused.err, cheapest, at_least)) << refused.err;
  const double cheapest_ms = std::stod(cheapest[1]);
  {
    auto store = results::Store::Open(db, results::Store::OpenMode::kExisting);
    const auto tables = store->ListLatencyTables();
    ASSERT_EQ(tables.size(), 1u);
    std::vector<LatencyEntry> busy = store->LoadLatencyTable(tables[0].id).entries;
    for (LatencyEntry& e : busy)
      for (double* v : {&e.mean, &e.median, &e.stddev, &e.p10, &e.p90}) *v *= 10;
    store->AddLatencyEntries(tables[0].id, busy);
  }
  std::vector<std::string> reachable = on_cpu;
  reachable.push_back("proxyless.target_ms=" + std::to_string(4 * cheapest_ms));
  CommandResult r = RunHwnas(SearchArgs(db, reachable));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto store = results::Store::Open(db, results::Store::OpenMode::kExisting);
  std::optional<double> correction;
  for (const auto& m : store->Metrics(1))
    if (m.name == "latency_cheapest_correction") correction = m.value;
  ASSERT_TRUE(correction.has_value());
  EXPECT_GT(*correction, 0.1 / 3);  // about 1/10; a busy machine now moves it either way
  EXPECT_LT(*correction, 0.1 * 3);
}

// On cpu the table is re-based to the machine's speed at the start of every run, so two runs of
// one config price the candidates differently and their searches part. The factor printed is
// rounded to three decimals; pinned with proxyless.rebase_factor, the search is the same again.
TEST(SearchCliTest, APinnedRebaseFactorReproducesTheSearchOnAMeasuredDevice) {
  const std::string db = MakeTempDir("search-pinned-rebase") + "/h.db";
  const std::vector<std::string> on_cpu = {"device.name=cpu", "proxyless.retrain_epochs=1"};
  std::vector<std::string> pinned = on_cpu;
  pinned.push_back("proxyless.rebase_factor=1.25");
  for (const auto& extra : {on_cpu, pinned, pinned}) {
    CommandResult r = RunHwnas(SearchArgs(db, extra));
    ASSERT_EQ(r.exit_code, 0) << r.err;
  }
  auto store = results::Store::Open(db, results::Store::OpenMode::kExisting);
  auto metric = [&](int64_t run, const std::string& name) -> std::optional<double> {
    for (const auto& m : store->Metrics(run))
      if (m.name == name) return m.value;
    return std::nullopt;
  };
  const std::optional<double> measured = metric(1, "latency_rebase_factor");
  ASSERT_TRUE(measured.has_value());
  EXPECT_DOUBLE_EQ(*measured, std::round(*measured * 1000) / 1000);
  EXPECT_TRUE(metric(1, "search_start_probe_ms").has_value());
  for (int64_t run : {2, 3}) {
    EXPECT_EQ(metric(run, "latency_rebase_factor"), 1.25);
    EXPECT_FALSE(metric(run, "search_start_probe_ms").has_value());  // nothing was timed
  }
  // The same architecture probabilities after every search epoch, to the last bit.
  std::vector<std::pair<std::string, double>> entropies[2];
  for (int64_t run : {2, 3})
    for (const auto& m : store->Metrics(run))
      if (m.name.find(".entropy") != std::string::npos)
        entropies[run - 2].push_back({m.name + "@" + std::to_string(m.step), m.value});
  EXPECT_FALSE(entropies[0].empty());
  EXPECT_EQ(entropies[0], entropies[1]);
}

// fine_tune: the derived network starts from the supernet's weights, saved beside the run.
TEST(SearchCliTest, FineTuneStartsFromTheInheritedWeights) {
  const std::string db = MakeTempDir("search-fine-tune") + "/h.db";
  CommandResult r = RunHwnas(SearchArgs(db, {"proxyless.fine_tune=true"}));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(fs::exists(fs::path(db).parent_path() / "hwnas-artifacts/run-1/inherited.pt"));
  auto store = results::Store::Open(db, results::Store::OpenMode::kExisting);
  EXPECT_EQ(store->GetRun(1).status, results::RunStatus::kFinished);
  std::vector<std::string> kinds;
  for (const auto& a : store->Artifacts(1)) kinds.push_back(a.kind);
  EXPECT_THAT(kinds, ::testing::ElementsAre("checkpoint", "inherited_weights", "weights"));
}

// The search decides on the held-out images; the retraining may then learn from all 256.
TEST(SearchCliTest, RetrainOnHoldoutTrainsTheDeliveredNetworkOnEveryTrainingImage) {
  const std::string db = MakeTempDir("search-all-images") + "/h.db";
  std::vector<std::string> args = SearchArgs(db, {"proxyless.retrain_on_holdout=true"});
  args.erase(std::find(args.begin(), args.end(), "-q"));
  CommandResult r = RunHwnas(args);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.err, HasSubstr("retraining on all 256 training images (the held-out ones too)"));
  EXPECT_THAT(r.out, ::testing::ContainsRegex("test accuracy  [0-9.]+%\n"));  // no held-out one

  auto store = results::Store::Open(db, results::Store::OpenMode::kExisting);
  std::set<int64_t> holdout_steps, retrain_steps;
  for (const auto& m : store->Metrics(1)) {
    if (m.name == "holdout_accuracy") holdout_steps.insert(m.step);
    if (m.name == "images_per_second") retrain_steps.insert(m.step);
  }
  EXPECT_EQ(holdout_steps, (std::set<int64_t>{1, 2}));           // the two search epochs only
  EXPECT_EQ(retrain_steps, (std::set<int64_t>{3, 4, 5, 6, 7}));  // proxyless.retrain_epochs
}

TEST(SearchCliTest, MissingDatasetExits65BeforeAnythingIsWritten) {
  const std::string dir = MakeTempDir("search-nodata");
  const std::string db = dir + "/h.db";
  CommandResult r = RunHwnas({"--db", db, "-q", "search",
                              std::string(HWNAS_SOURCE_DIR) + "/configs/quickstart.yaml",
                              "data.path=" + dir + "/missing"});
  EXPECT_EQ(r.exit_code, 65);
  EXPECT_THAT(r.err, HasSubstr(dir + "/missing/train-images-idx3-ubyte.gz"));
  EXPECT_FALSE(fs::exists(db));
}

// What a finished search stored, minus times: every derived and the final architecture.
std::vector<std::string> StoredResult(const std::string& db, int64_t run_id) {
  auto store = results::Store::Open(db, results::Store::OpenMode::kExisting);
  std::vector<std::string> rows;
  for (const auto& a : store->Architectures(run_id))
    rows.push_back(a.record.role + " " + std::to_string(a.record.step) + " " + a.record.arch + " " +
                   std::to_string(a.record.accuracy.value_or(-1)));
  for (const auto& m : store->Metrics(run_id))
    if (m.name == "train_loss" || m.name == "holdout_accuracy" || m.name == "test_accuracy")
      rows.push_back(std::to_string(m.step) + " " + m.name + " " + std::to_string(m.value));
  return rows;
}

// Ctrl-C after the first checkpoint, then `search resume`: the run finishes with exactly what an
// uninterrupted run stores.
TEST(SearchCliTest, InterruptedRunResumesToTheUninterruptedResult) {
  const std::vector<std::string> longer = {"proxyless.epochs=6", "train.epochs=2"};
  const std::string whole_db = MakeTempDir("search-whole") + "/h.db";
  ASSERT_EQ(RunHwnas(SearchArgs(whole_db, longer)).exit_code, 0);

  const std::string db = MakeTempDir("search-resume") + "/h.db";
  const std::string checkpoint =
      fs::path(db).parent_path().string() + "/hwnas-artifacts/run-1/search-checkpoint.pt";
  CommandResult stopped = RunHwnasSignalling(SearchArgs(db, longer), checkpoint, SIGINT);
  ASSERT_EQ(stopped.exit_code, 130) << stopped.err;
  EXPECT_THAT(stopped.err, HasSubstr("continues from its last completed epoch with: hwnas search "
                                     "resume 1"));
  {
    auto store = results::Store::Open(db, results::Store::OpenMode::kExisting);
    EXPECT_EQ(store->GetRun(1).status, results::RunStatus::kInterrupted);
  }
  CommandResult resumed = RunHwnas({"--db", db, "-q", "search", "resume", "1"});
  ASSERT_EQ(resumed.exit_code, 0) << resumed.err;
  EXPECT_THAT(resumed.out, HasSubstr("run 1 finished: search-synthetic"));
  EXPECT_EQ(StoredResult(db, 1), StoredResult(whole_db, 1));

  CommandResult again = RunHwnas({"--db", db, "search", "resume", "1"});
  EXPECT_EQ(again.exit_code, 64);
  EXPECT_THAT(again.err, HasSubstr("run 1 has finished; there is nothing to resume"));
}

TEST(SearchCliTest, ResumeRefusesUnknownRunsAndChangedConfigs) {
  const std::string db = MakeTempDir("search-resume-bad") + "/h.db";
  CommandResult none = RunHwnas({"--db", db, "search", "resume", "1"});
  EXPECT_EQ(none.exit_code, 74);
  EXPECT_THAT(none.err, HasSubstr("no results database at"));

  const std::string checkpoint =
      fs::path(db).parent_path().string() + "/hwnas-artifacts/run-1/search-checkpoint.pt";
  ASSERT_EQ(
      RunHwnasSignalling(SearchArgs(db, {"proxyless.epochs=6"}), checkpoint, SIGINT).exit_code,
      130);
  CommandResult unknown = RunHwnas({"--db", db, "search", "resume", "7"});
  EXPECT_EQ(unknown.exit_code, 64);
  EXPECT_THAT(unknown.err, HasSubstr("unknown run '7' (see 'hwnas results list')"));

  std::vector<std::string> changed = {"--db", db, "search", "resume", "1", kConfig};
  for (const char* override : {"device.name=roofline-example", "data.synthetic.train_samples=256",
                               "train.epochs=1", "proxyless.epochs=5"})
    changed.push_back(override);
  CommandResult differs = RunHwnas(changed);
  EXPECT_EQ(differs.exit_code, 78);
  EXPECT_THAT(differs.err, HasSubstr("search-synthetic.yaml: error: proxyless.epochs: differs from "
                                     "the config run 1 started with, which a resumed run keeps "
                                     "(run -> now: proxyless.epochs: 6 -> 5)"));
  auto store = results::Store::Open(db, results::Store::OpenMode::kExisting);
  EXPECT_EQ(store->GetRun(1).status, results::RunStatus::kInterrupted);  // untouched
}

}  // namespace
}  // namespace hwnas::testing
