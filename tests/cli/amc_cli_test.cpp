// End-to-end tests of `hwnas search` with strategy amc: the real binary trains a synthetic
// network, prunes it under a FLOPs or a (model device) latency budget, and stores every episode
// and the final network; bad input exits with its documented code before a run is stored.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "results/store.h"
#include "tests/support/run_command.h"
#include "tests/support/trained_database.h"

namespace hwnas::testing {
namespace {

using ::testing::HasSubstr;

const std::string kConfigs = std::string(HWNAS_SOURCE_DIR) + "/configs/";

CommandResult Amc(const std::string& db, std::vector<std::string> extra = {}) {
  std::vector<std::string> args = {
      "--db", db, "-q", "search", kConfigs + "amc-synthetic.yaml", "amc.episodes=20"};
  args.insert(args.end(), extra.begin(), extra.end());
  return RunHwnas(args);
}

TEST(AmcCliTest, PrunesARunsNetworkAndStoresEveryEpisode) {
  const std::string db = TrainedDatabase("amc");
  const CommandResult r = Amc(db);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("run 2 finished: amc-synthetic"));
  EXPECT_THAT(r.out, HasSubstr("from           conv3s2x8 k3e3s2x16 k3e3x16 conv1x32 logits4"));

  auto store = results::Store::Open(db, results::Store::OpenMode::kExisting);
  const results::RunRecord run = store->GetRun(2);
  EXPECT_EQ(run.status, results::RunStatus::kFinished);
  EXPECT_EQ(run.strategy, "amc");
  const auto episodes = store->Episodes(2);
  ASSERT_EQ(episodes.size(), 20u);
  for (const auto& e : episodes) EXPECT_LE(e.record.cost_ratio, 0.5);
  const auto archs = store->Architectures(2);
  ASSERT_EQ(archs.size(), 1u);
  EXPECT_EQ(archs[0].record.role, "final");
  EXPECT_LE(archs[0].record.flops, 0.5 * 67584 + 1e-9);  // FLOPs of synthetic-cnn: 67,584
  EXPECT_GT(archs[0].record.measured_latency_ms.value_or(0), 0);
  std::vector<std::string> kinds;
  for (const auto& a : store->Artifacts(2)) kinds.push_back(a.kind);
  EXPECT_THAT(kinds, ::testing::UnorderedElementsAre("pruned_weights", "weights"));

  // The pruned network can be costed from the store, e.g. to time it on a quiet machine.
  const CommandResult estimate =
      RunHwnas({"--db", db, "latency", "estimate", "--run", "2", "--device", "roofline-example"});
  ASSERT_EQ(estimate.exit_code, 0) << estimate.err;
  EXPECT_THAT(estimate.out, HasSubstr("total "));
  const CommandResult missing = RunHwnas({"--db", db, "latency", "estimate", "--run", "2", "--role",
                                          "baseline", "--device", "roofline-example"});
  EXPECT_EQ(missing.exit_code, 64);
  EXPECT_THAT(missing.err, HasSubstr("run 2 stored no network of role 'baseline'"));
}

TEST(AmcCliTest, LatencyBudgetOnAModelDeviceHoldsForEveryEpisode) {
  const std::string db = TrainedDatabase("amc-latency");
  const CommandResult r = Amc(db, {"device.name=roofline-example", "amc.target_kind=latency",
                                   "amc.target_ms=0.095", "amc.finetune_epochs=0"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto store = results::Store::Open(db, results::Store::OpenMode::kExisting);
  for (const auto& e : store->Episodes(2)) EXPECT_LE(e.record.cost, 0.095);
  EXPECT_LE(store->Architectures(2)[0].record.estimated_latency_ms.value_or(1), 0.095);
}

// Bad input: one message, a documented exit code, and no run stored.
void ExpectRefused(const std::string& db, const std::vector<std::string>& extra, int code,
                   const std::string& message) {
  const CommandResult r = Amc(db, extra);
  EXPECT_EQ(r.exit_code, code) << r.err;
  EXPECT_THAT(r.err, HasSubstr(message));
  auto store = results::Store::Open(db, results::Store::OpenMode::kExisting);
  EXPECT_EQ(store->ListRuns().size(), 1u) << "a run was stored for " << extra.back();
}

TEST(AmcCliTest, BadInputIsRefusedBeforeARunIsStored) {
  const std::string db = TrainedDatabase("amc-bad");
  ExpectRefused(db, {"amc.source_run=99"}, 64, "unknown run '99'");
  ExpectRefused(db, {"amc.flops_ratio=0.01"}, 78,
                "amc.flops_ratio: below the cheapest pruned network (got 0.01; expected at least");
  ExpectRefused(db, {"amc.flops_ratio=1.5"}, 78,
                "amc.flops_ratio: out of range (got 1.5; expected a number in (0, 1])");
  ExpectRefused(db, {"amc.target_kind=latency", "amc.target_ms=0.5", "device.name=pixel9"}, 64,
                "unknown device 'pixel9'");
  ExpectRefused(db,
                {"amc.source_run=", "net=" + kConfigs + "nets/synthetic-cnn.yaml",
                 "amc.weights=/nonexistent/final.pt"},
                65, "no weights file at /nonexistent/final.pt");
  const std::string tiny = MakeTempDir("amc-tiny") + "/tiny.yaml";
  WriteFile(tiny,
            "name: tiny\ninput: {channels: 1, size: 16}\nclasses: 4\nlayers:\n"
            "  - {kind: conv, name: stem, out: 4, kernel: 3, stride: 2}\n"
            "  - {kind: logits, name: classifier}\n");
  ExpectRefused(db, {"amc.source_run=", "net=" + tiny, "amc.weights=" + tiny}, 65,
                "network 'tiny' has no channel group AMC can prune");
}

}  // namespace
}  // namespace hwnas::testing
