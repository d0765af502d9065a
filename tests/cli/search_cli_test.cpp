// End-to-end tests of `hwnas search`: the real binary searches the tiny synthetic space against a
// model device's latency table (computed, so the test does not time anything), retrains the
// derived network, and stores derived and final architectures; a bad target writes nothing.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>

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
  auto store = results::Store::Open(db, results::Store::OpenMode::kExisting);
  EXPECT_TRUE(store->ListRuns().empty());  // only the device's latency table was kept
}

}  // namespace
}  // namespace hwnas::testing
