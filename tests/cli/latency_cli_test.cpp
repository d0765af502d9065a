// End-to-end tests of `hwnas latency ...` with the real binary: building a table on this CPU,
// importing the published phone and accelerator tables, estimating, validating, and every bad
// input leaving the database untouched.
#include <csignal>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "results/store.h"
#include "tests/support/run_command.h"

namespace hwnas::testing {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::Not;
using Json = nlohmann::json;

const std::string kData = std::string(HWNAS_SOURCE_DIR) + "/../shared/data/luts/";

// A macro, not a helper function: GTEST_SKIP() returns from the function it is written in.
#define REQUIRE_SHARED_DATA() \
  if (!fs::exists(kData)) GTEST_SKIP() << "shared data not found at " << kData

// 8x8x1 inputs; stem, first block, two identical 8->8 blocks with one candidate, classifier:
// four distinct layers to measure.
const char* kTinySpace =
    "name: tiny\ninput: {channels: 1, size: 8}\nclasses: 2\n"
    "stem: {out: 8, kernel: 3, stride: 1}\nfirst_block: {out: 8, expand: 1, kernel: 3}\n"
    "stages:\n  - {width: 8, depth: 2, stride: 1}\ncandidates: [k3e3]\nskip: true\n";

class LatencyCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = MakeTempDir("latency-cli");
    db_ = dir_ + "/h.db";
    space_ = dir_ + "/tiny.yaml";
    WriteFile(space_, kTinySpace);
  }
  CommandResult Latency(std::vector<std::string> args) {
    args.insert(args.begin(), {"--db", db_, "-q", "latency"});
    return RunHwnas(args);
  }
  std::string dir_, db_, space_;
};

TEST_F(LatencyCliTest, BuildMeasuresEveryLayerOnceAndReusesThemAfterwards) {
  CommandResult first = Latency({"build", "--space", space_, "--repeats", "5", "--rounds", "2",
                                 "--calibration-networks", "2", "--out", dir_ + "/cpu.yaml"});
  ASSERT_EQ(first.exit_code, 0) << first.err;
  EXPECT_THAT(first.out, HasSubstr("table 1: cpu / tiny, 4 entries (4 measured now, 0 reused)"));
  // Every one of the 8 measurements (4 entries x 2 rounds) paired with the probe, and the table
  // keeps its entries at the speed of their median.
  EXPECT_THAT(first.out, ::testing::ContainsRegex(
                             "stability \\+-[0-9.]+% \\(probe [0-9.]+ ms, [0-9.]+-[0-9.]+ over 8 "
                             "timings"));
  EXPECT_THAT(first.out, ::testing::ContainsRegex("entries kept at the speed of probe [0-9.]+ ms "
                                                  "\\(probe-v1\\)"));
  EXPECT_THAT(ReadFile(dir_ + "/cpu.yaml"),
              HasSubstr("expanded_conv-input:8x8x8-output:8x8x8-expand:3-kernel:3-stride:1-"
                        "idskip:1:\n  count: 5\n"));
  CommandResult second = Latency({"build", "--space", space_, "--repeats", "5", "--rounds", "1"});
  ASSERT_EQ(second.exit_code, 0) << second.err;
  EXPECT_THAT(second.out, HasSubstr("4 entries (0 measured now, 4 reused)"));
  // Other measurement conditions are another fingerprint: nothing is reused.
  CommandResult threads = Latency({"build", "--space", space_, "--repeats", "5", "--rounds", "1",
                                   "--calibration-networks", "0", "--threads", "2"});
  EXPECT_THAT(threads.out, HasSubstr("table 2: cpu / tiny, 4 entries (4 measured now, 0 reused)"));
}

// Ctrl-C during a table build (the database exists from the start; the table is saved in one
// transaction at the end): nothing partial is stored.
TEST_F(LatencyCliTest, AnInterruptedBuildStoresNoPartialTable) {
  CommandResult stopped = RunHwnasSignalling(
      {"--db", db_, "-q", "latency", "build", "--space", "fmnist-mbconv", "--device", "cpu"}, db_,
      SIGINT);
  EXPECT_NE(stopped.exit_code, 0);
  CommandResult list = Latency({"list", "--format", "csv"});
  ASSERT_EQ(list.exit_code, 0) << list.err;
  EXPECT_EQ(list.out.find("fmnist-mbconv"), std::string::npos) << list.out;
}

TEST_F(LatencyCliTest, EstimateMeasuresMissingEntriesOnTheCpu) {
  CommandResult r = Latency(
      {"estimate", "--space", space_, "--arch", "k3e3 skip", "--repeats", "5", "--format", "json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  Json rows = Json::parse(r.out);
  ASSERT_EQ(rows.size(), 5u);  // stem, first, stage1.block1, classifier; the re-based total
  EXPECT_EQ(rows[2]["layer"], "stage1.block1");
  EXPECT_EQ(rows[2]["source"], "measured");
  // The new entries were measured with the probe, so the table has one to re-base by.
  EXPECT_EQ(rows[4]["layer"], "(network, re-based)");
  EXPECT_GT(rows[4]["ms"].get<double>(), 0);
  CommandResult again = Latency(
      {"estimate", "--space", space_, "--arch", "k3e3 k3e3", "--repeats", "5", "--format", "json"});
  EXPECT_EQ(Json::parse(again.out)[3]["source"], "table");
}

TEST_F(LatencyCliTest, EstimateCanTimeTheWholeNetworkToo) {
  CommandResult r = Latency({"estimate", "--space", space_, "--arch", "k3e3 skip", "--repeats", "5",
                             "--measure-network"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out,
              ::testing::ContainsRegex(
                  "now on this machine: [0-9.]+ ms, re-based x[0-9.]+ \\(fastest probe [0-9.]+ "
                  "ms now of [0-9]+ over [0-9.]+ s, [0-9.]+ ms when the table was "
                  "measured\\)"));
  EXPECT_THAT(r.out, ::testing::ContainsRegex(
                         "measured end to end: [0-9.]+ ms \\(the re-based estimate is [-+][0-9.]+% "
                         "off\\)"));
  EXPECT_THAT(r.out, ::testing::ContainsRegex(
                         "stability \\+-[0-9.]+% \\(probe [0-9.]+ ms, [0-9.]+-[0-9.]+ over 3 "
                         "timings\\)"));
  CommandResult model = Latency({"estimate", "--space", space_, "--arch", "k3e3 skip", "--device",
                                 "roofline-example", "--measure-network"});
  EXPECT_EQ(model.exit_code, 64);
  EXPECT_THAT(model.err, HasSubstr("--measure-network needs a measurable device"));
}

TEST_F(LatencyCliTest, ImportsThePixel1TableAndEstimatesProxylessMobileExactly) {
  REQUIRE_SHARED_DATA();
  CommandResult imported =
      Latency({"import", kData + "proxylessnas-mobile-pixel1.yaml", "--device", "pixel1"});
  ASSERT_EQ(imported.exit_code, 0) << imported.err;
  EXPECT_THAT(imported.out, HasSubstr("imported 72 entries"));
  std::string arch;
  for (int i = 0; i < 21; ++i) arch += i ? " k3e6" : "k3e6";
  CommandResult r =
      Latency({"estimate", "--space", "proxyless-mobile", "--device", "pixel1", "--arch", arch});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // Sum of the 25 entries' means, computed independently from the file.
  EXPECT_THAT(r.out, HasSubstr("total 136.4663 ms on pixel1"));
}

TEST_F(LatencyCliTest, MissingKeysOnATableDeviceAreAnErrorNamingThem) {
  REQUIRE_SHARED_DATA();
  ASSERT_EQ(Latency({"import", kData + "proxylessnas-mobile-pixel1.yaml", "--device", "pixel1"})
                .exit_code,
            0);
  CommandResult r =
      Latency({"estimate", "--space", space_, "--arch", "k3e3 k3e3", "--device", "pixel1"});
  EXPECT_EQ(r.exit_code, 65);
  EXPECT_THAT(r.err, HasSubstr("lacks 4 key(s) this network needs:\n  "
                               "Conv-input:8x8x1-output:8x8x8\n"));
  EXPECT_THAT(r.err, HasSubstr("... and 1 more"));
}

TEST_F(LatencyCliTest, ImportsEveryNote10TableAndTheHaqCostTable) {
  REQUIRE_SHARED_DATA();
  for (const char* res : {"160", "176", "192", "208", "224"}) {
    CommandResult r = Latency({"import", kData + "ofa-note10-" + res + ".yaml", "--device",
                               std::string("note10-") + res});
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_THAT(r.out, HasSubstr("imported 96 entries"));
  }
  CommandResult haq =
      Latency({"import", kData + "haq-qmobilenetv2-cloud-batch16.npy", "--device", "vu9p"});
  ASSERT_EQ(haq.exit_code, 0) << haq.err;
  EXPECT_THAT(haq.out, HasSubstr("imported 3392 entries"));
  CommandResult show =
      Latency({"show", "vu9p", "--key", "haq-layer:0-wbits:8-abits:8", "--format", "json"});
  EXPECT_EQ(Json::parse(show.out)[0]["mean"], 1620752.0);
  CommandResult note =
      Latency({"show", "note10-224", "--key", "Conv-input:224x224x3", "--format", "json"});
  EXPECT_EQ(Json::parse(note.out)[0]["mean"], 0.994418);
}

TEST_F(LatencyCliTest, BadTableFileIsRejectedWithItsLocationAndNothingIsStored) {
  const std::string bad = dir_ + "/bad.yaml";
  WriteFile(bad,
            "Conv-input:8x8x1-output:8x8x8:\n  count: 3\n  mean: -1.5\n  std: 0.1\n"
            "Logits-input:1x1x8-output:2:\n  count: 3\n  mean: fast\n  std: 0.1\n");
  CommandResult r = Latency({"import", bad, "--device", "phone"});
  EXPECT_EQ(r.exit_code, 65);
  EXPECT_THAT(r.err, HasSubstr(bad + ":3:9: error: "));
  EXPECT_THAT(r.err, HasSubstr(bad + ":7:9: error: "));
  EXPECT_FALSE(fs::exists(db_));
}

TEST_F(LatencyCliTest, ATableStandsForThisCpuOnlyWithThisCpusFingerprint) {
  ASSERT_EQ(Latency({"build", "--space", space_, "--repeats", "5", "--calibration-networks", "0",
                     "--out", dir_ + "/cpu.yaml"})
                .exit_code,
            0);
  const std::string exported = ReadFile(dir_ + "/cpu.yaml");
  EXPECT_THAT(exported, ::testing::StartsWith("# hwnas latency table\n# device: cpu\n"
                                              "# fingerprint: cpu|"));
  // Same machine, same conditions: accepted as the cpu device's own table.
  const std::string other_db = dir_ + "/other.db";
  CommandResult same = RunHwnas({"--db", other_db, "latency", "import", dir_ + "/cpu.yaml",
                                 "--device", "cpu", "--space", "tiny"});
  ASSERT_EQ(same.exit_code, 0) << same.err;
  CommandResult reuse = RunHwnas({"--db", other_db, "-q", "latency", "build", "--space", space_,
                                  "--repeats", "5", "--calibration-networks", "0"});
  EXPECT_THAT(reuse.out, HasSubstr("4 entries (0 measured now, 4 reused)"));
  // Other threads: another fingerprint, refused for cpu, and nothing stored.
  CommandResult threads = RunHwnas({"--db", dir_ + "/third.db", "latency", "import",
                                    dir_ + "/cpu.yaml", "--device", "cpu", "--threads", "2"});
  EXPECT_EQ(threads.exit_code, 65);
  EXPECT_THAT(threads.err, HasSubstr("|threads=1|"));
  EXPECT_THAT(threads.err, HasSubstr("import it under another device name, e.g. --device "
                                     "cpu-other"));
  EXPECT_FALSE(fs::exists(dir_ + "/third.db"));
}

TEST_F(LatencyCliTest, PublishedTablesCannotStandForBuiltInDevices) {
  REQUIRE_SHARED_DATA();
  CommandResult cpu =
      Latency({"import", kData + "proxylessnas-mobile-pixel1.yaml", "--device", "cpu"});
  EXPECT_EQ(cpu.exit_code, 65);
  EXPECT_THAT(cpu.err, HasSubstr("does not say what it was measured under"));
  CommandResult model = Latency(
      {"import", kData + "proxylessnas-mobile-pixel1.yaml", "--device", "roofline-example"});
  EXPECT_EQ(model.exit_code, 64);
  EXPECT_THAT(model.err, HasSubstr("'roofline-example' is a model device"));
  EXPECT_FALSE(fs::exists(db_));
}

TEST_F(LatencyCliTest, UnknownDeviceAndSpaceListTheKnownNames) {
  CommandResult device =
      Latency({"estimate", "--space", space_, "--arch", "k3e3 k3e3", "--device", "tpu"});
  EXPECT_EQ(device.exit_code, 64);
  EXPECT_THAT(device.err, HasSubstr("unknown device 'tpu' (known: cpu, cuda, bitserial-bismo, "
                                    "roofline-example"));
  CommandResult space = Latency({"build", "--space", "imagenet-huge"});
  EXPECT_EQ(space.exit_code, 64);
  EXPECT_THAT(space.err, HasSubstr("unknown search space 'imagenet-huge'"));
  EXPECT_THAT(space.err, HasSubstr("fmnist-mbconv"));
}

TEST_F(LatencyCliTest, BadArchIsAUsageError) {
  CommandResult r = Latency({"estimate", "--space", space_, "--arch", "k3e3"});
  EXPECT_EQ(r.exit_code, 64);
  EXPECT_THAT(r.err, HasSubstr("--arch: "));
  EXPECT_FALSE(fs::exists(db_));
}

TEST_F(LatencyCliTest, ModelDevicesComputeEveryEntry) {
  CommandResult r = Latency({"estimate", "--space", space_, "--arch", "k3e3 k3e3", "--device",
                             "roofline-example", "--format", "json"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  Json rows = Json::parse(r.out);
  ASSERT_EQ(rows.size(), 5u);
  for (const auto& row : rows) {
    EXPECT_EQ(row["source"], "model");
    EXPECT_GT(row["ms"].get<double>(), 0.01);  // at least the per-operator overhead
  }
}

TEST_F(LatencyCliTest, ValidateStoresItsAgreementAsARun) {
  CommandResult r =
      Latency({"validate", "--space", space_, "--samples", "3", "--repeats", "5", "--rounds", "1"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("on 3 random architectures (run 1)"));
  auto store = results::Store::Open(db_, results::Store::OpenMode::kExisting);
  EXPECT_EQ(store->GetRun(1).strategy, "latency-validate");
  EXPECT_EQ(store->Architectures(1).size(), 3u);
  std::set<std::string> names;
  for (const auto& m : store->Metrics(1)) names.insert(m.name);
  EXPECT_EQ(names, (std::set<std::string>{"kendall_tau",
                                          "mape_percent",
                                          "max_error_percent",
                                          "within_10_percent",
                                          "within_5_percent",
                                          "plain_kendall_tau",
                                          "plain_mape_percent",
                                          "plain_max_error_percent",
                                          "plain_within_10_percent",
                                          "plain_within_5_percent",
                                          "network_scale",
                                          "rebased_kendall_tau",
                                          "rebased_mape_percent",
                                          "rebased_max_error_percent",
                                          "rebased_within_10_percent",
                                          "rebased_within_5_percent",
                                          "probe_ms",
                                          "probe_spread_percent",
                                          "machine_unstable",
                                          "table_probe_ms",
                                          "probe_vs_table"}));
  EXPECT_THAT(r.out, HasSubstr("x scale, re-based by probe"));
  EXPECT_THAT(r.out, ::testing::ContainsRegex("stability \\+-[0-9.]+% \\(probe"));
  // Without the probe: the figures of before, nothing re-based, no stability figure.
  CommandResult plain = Latency({"validate", "--space", space_, "--samples", "3", "--repeats", "5",
                                 "--rounds", "1", "--no-probe"});
  ASSERT_EQ(plain.exit_code, 0) << plain.err;
  EXPECT_THAT(plain.out, Not(HasSubstr("re-based")));
  EXPECT_THAT(plain.out, Not(HasSubstr("stability")));
  names.clear();
  for (const auto& m : store->Metrics(2)) names.insert(m.name);
  EXPECT_EQ(names.count("rebased_mape_percent"), 0u);
  EXPECT_EQ(names.count("probe_ms"), 0u);
}

TEST_F(LatencyCliTest, DiffComparesTwoTablesKeyByKey) {
  REQUIRE_SHARED_DATA();
  Latency({"import", kData + "ofa-note10-160.yaml", "--device", "n160"});
  Latency({"import", kData + "ofa-note10-224.yaml", "--device", "n224"});
  CommandResult r = Latency({"diff", "n160", "n224"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("2 common keys, 94 only in a, 94 only in b"));
}

}  // namespace
}  // namespace hwnas::testing
