// End-to-end tests of `hwnas search` with strategy haq: the real binary trains a synthetic
// network and picks its bit widths under the cost of uniform 4-bit on the bit-serial model
// device, or under a model-size budget; `latency estimate --bits` costs a policy on HAQ's
// published MobileNetV2 table; bad input exits with its documented code before a run is stored.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>

#include "results/store.h"
#include "tests/support/run_command.h"
#include "tests/support/trained_database.h"

namespace hwnas::testing {
namespace {

using ::testing::HasSubstr;

const std::string kConfigs = std::string(HWNAS_SOURCE_DIR) + "/configs/";
const std::string kHaqTable =
    std::string(HWNAS_SOURCE_DIR) + "/../shared/data/luts/haq-qmobilenetv2-cloud-batch16.npy";

CommandResult Haq(const std::string& db, std::vector<std::string> extra = {}) {
  std::vector<std::string> args = {
      "--db", db, "-q", "search", kConfigs + "haq-synthetic.yaml", "haq.episodes=16"};
  args.insert(args.end(), extra.begin(), extra.end());
  return RunHwnas(args);
}

TEST(HaqCliTest, QuantizesARunsNetworkUnderALatencyAndASizeBudget) {
  const std::string db = TrainedDatabase("haq");
  const CommandResult r = Haq(db);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("run 2 finished: haq-synthetic"));
  EXPECT_THAT(r.out, HasSubstr("  bits           w8a8 "));
  const CommandResult size = Haq(db, {"haq.cost=size", "haq.budget_bits=3"});
  ASSERT_EQ(size.exit_code, 0) << size.err;

  auto store = results::Store::Open(db, results::Store::OpenMode::kExisting);
  for (int64_t run : {2, 3}) {
    EXPECT_EQ(store->GetRun(run).strategy, "haq");
    const auto episodes = store->Episodes(run);
    ASSERT_EQ(episodes.size(), 16u);
    for (const auto& e : episodes) EXPECT_LE(e.record.cost_ratio, 1.0);
    const auto archs = store->Architectures(run);
    ASSERT_EQ(archs.size(), 1u);
    EXPECT_THAT(archs[0].record.netspec_json, HasSubstr("\"op_bits\":\"w8a8"));
    EXPECT_FALSE(archs[0].record.measured_latency_ms.has_value());  // float timing says nothing
  }
  EXPECT_GT(store->Architectures(2)[0].record.estimated_latency_ms.value_or(0), 0);
}

void ExpectRefused(const std::string& db, const std::vector<std::string>& extra, int code,
                   const std::string& message) {
  const CommandResult r = Haq(db, extra);
  EXPECT_EQ(r.exit_code, code) << r.err;
  EXPECT_THAT(r.err, HasSubstr(message));
  auto store = results::Store::Open(db, results::Store::OpenMode::kExisting);
  EXPECT_EQ(store->ListRuns().size(), 1u) << "a run was stored for " << extra.back();
}

TEST(HaqCliTest, BadInputIsRefusedBeforeARunIsStored) {
  const std::string db = TrainedDatabase("haq-bad");
  ExpectRefused(db, {"device.name=cpu"}, 64, "device 'cpu' runs every layer in 32-bit");
  ExpectRefused(db, {"haq.budget_bits=9"}, 78,
                "haq.budget_bits: out of range (got 9; expected an integer in [0, 8])");
  ExpectRefused(db, {"haq.budget_bits=0", "haq.budget_ratio=0.01"}, 78,
                "haq.budget_ratio: below the cheapest policy (got 0.01; expected at least");
  ExpectRefused(db, {"haq.min_bits=6", "haq.max_bits=4", "haq.budget_bits=0"}, 78,
                "haq.min_bits: above haq.max_bits (got 6 > 4)");
  if (!std::filesystem::exists(kHaqTable)) GTEST_SKIP() << "shared data not found: " << kHaqTable;
  ASSERT_EQ(
      RunHwnas({"--db", db, "-q", "latency", "import", kHaqTable, "--device", "vu9p"}).exit_code,
      0);
  ExpectRefused(db, {"device.name=vu9p"}, 65,
                "HAQ table of device 'vu9p' has 53 layers, but network 'synthetic-cnn' has 9 "
                "quantizable operators");
}

std::string Repeat(const std::string& token, int n) {
  std::string text;
  for (int i = 0; i < n; ++i) text += (i ? " " : "") + token;
  return text;
}

TEST(HaqCliTest, EstimateCostsABitPolicyOnHaqsMobileNetV2Table) {
  if (!std::filesystem::exists(kHaqTable)) GTEST_SKIP() << "shared data not found: " << kHaqTable;
  const std::string db = MakeTempDir("haq-estimate") + "/h.db";
  ASSERT_EQ(
      RunHwnas({"--db", db, "-q", "latency", "import", kHaqTable, "--device", "vu9p"}).exit_code,
      0);
  auto estimate = [&](const std::string& bits) {
    return RunHwnas({"--db", db, "latency", "estimate", "--netspec",
                     kConfigs + "nets/mobilenetv2-imagenet.yaml", "--device", "vu9p", "--bits",
                     bits});
  };
  const CommandResult all8 = estimate(Repeat("w8a8", 53));
  ASSERT_EQ(all8.exit_code, 0) << all8.err;
  EXPECT_THAT(all8.out, HasSubstr("= 100.00% of all 8-bit"));
  const CommandResult all4 = estimate(Repeat("w4a4", 53));
  ASSERT_EQ(all4.exit_code, 0) << all4.err;
  EXPECT_THAT(all4.out, ::testing::Not(HasSubstr("= 100.00%")));
  const CommandResult short_policy = estimate(Repeat("w8a8", 52));
  EXPECT_EQ(short_policy.exit_code, 64);
  EXPECT_THAT(short_policy.err, HasSubstr("--bits: a bit policy for network "
                                          "'mobilenetv2-imagenet' needs 53 operators"));
  const CommandResult nine = estimate(Repeat("w9a8", 53));
  EXPECT_EQ(nine.exit_code, 64);
  EXPECT_THAT(nine.err, HasSubstr("expected wWaA with W and A in [1, 8]"));
}

}  // namespace
}  // namespace hwnas::testing
