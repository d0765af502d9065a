#include "latency/table.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>

#include "core/errors.h"
#include "tests/latency/shared_data.h"
#include "tests/support/run_command.h"

namespace hwnas::latency {
namespace {

namespace fs = std::filesystem;

const char kConvKey[] = "Conv-input:224x224x3-output:112x112x32";
const char kBlockKey[] =
    "expanded_conv-input:112x112x16-output:56x56x24-expand:3-kernel:3-stride:2-idskip:0";

TableInfo Info() {
  TableInfo info;
  info.device = "pixel1";
  info.fingerprint = "pixel1|tflite|batch=1";
  info.space = "proxylessnas-mobile";
  return info;
}

LatencyEntry Stats(double mean, double std, int64_t count) {
  LatencyEntry s;
  s.mean = s.median = s.p10 = s.p90 = mean;
  s.stddev = std;
  s.count = count;
  return s;
}

std::string ImportError(const std::string& text) {
  try {
    ParseProxylessYaml(text, "t.yaml", Info());
  } catch (const DataError& e) {
    return e.what();
  }
  return "no error";
}

std::string Entry(const std::string& key, const std::string& body) { return key + ":\n" + body; }

const std::string kGoodBody = "  count: 3\n  mean: 1.5\n  std: 0.1\n";

// ---- LatencyTable ------------------------------------------------------------------------------

TEST(LatencyTableTest, InsertFindAndMissingKeys) {
  LatencyTable table(Info());
  table.Insert(kConvKey, Stats(4, 0.5, 10));
  table.Insert(kBlockKey, Stats(6, 0.2, 10));
  EXPECT_EQ(table.size(), 2u);
  EXPECT_TRUE(table.Contains(kConvKey));
  EXPECT_EQ(table.Find("Conv_1-input:7x7x320-output:7x7x1280"), nullptr);
  EXPECT_DOUBLE_EQ(table.At(kBlockKey).mean, 6);
  EXPECT_EQ(table.Keys(), (std::vector<std::string>{kConvKey, kBlockKey}));
  EXPECT_EQ(table.MissingKeys({"Logits-input:7x7x1280-output:1000", kConvKey,
                               "Logits-input:7x7x1280-output:1000",
                               "Conv_1-input:7x7x320-output:7x7x1280"}),
            (std::vector<std::string>{"Logits-input:7x7x1280-output:1000",
                                      "Conv_1-input:7x7x320-output:7x7x1280"}));
  table.Set(kConvKey, Stats(5, 0.5, 11));
  EXPECT_DOUBLE_EQ(table.At(kConvKey).mean, 5);
}

TEST(LatencyTableTest, DuplicateMalformedAndInvalidEntriesAreErrors) {
  LatencyTable table(Info());
  table.Insert(kConvKey, Stats(4, 0.5, 10));
  auto error_of = [&table](const std::string& key, const LatencyEntry& stats) -> std::string {
    try {
      table.Insert(key, stats);
    } catch (const DataError& e) {
      return e.what();
    }
    return "no error";
  };
  EXPECT_EQ(error_of(kConvKey, Stats(4, 0.5, 10)),
            "duplicate latency table key 'Conv-input:224x224x3-output:112x112x32'");
  EXPECT_EQ(error_of("Conv-input:224x224x3", Stats(4, 0.5, 10)),
            "malformed op key 'Conv-input:224x224x3': missing field 'output'");
  EXPECT_EQ(error_of(kBlockKey, Stats(-1, 0.5, 10)),
            "latency entry '" + std::string(kBlockKey) + "': mean -1 is not a finite number >= 0");
  EXPECT_EQ(error_of(kBlockKey, Stats(NAN, 0.5, 10)),
            "latency entry '" + std::string(kBlockKey) + "': mean nan is not a finite number >= 0");
  EXPECT_EQ(table.size(), 1u);
}

TEST(LatencyTableTest, AtNamesTheMissingKeyAndTheTable) {
  LatencyTable table(Info());
  try {
    table.At(kConvKey);
    FAIL() << "no error";
  } catch (const DataError& e) {
    EXPECT_EQ(std::string(e.what()),
              "latency table of device 'pixel1' (space 'proxylessnas-mobile') has no entry for "
              "'Conv-input:224x224x3-output:112x112x32'");
  }
}

// A table's entries are the stored type: they carry their key and the table's unit, and a
// measurement put into a table keeps only what is stored.
TEST(LatencyTableTest, EntriesCarryTheirKeyAndTheTablesUnit) {
  TableInfo info = Info();
  info.unit = "cycles";
  LatencyTable table(info);
  LatencyStats measured;
  measured.mean = measured.median = measured.p10 = measured.p90 = 3;
  measured.count = 5;
  measured.unstable = true;
  measured.probe_ms = 0.4;
  table.Insert(kConvKey, measured);
  const LatencyEntry& entry = table.At(kConvKey);
  EXPECT_EQ(entry.op_key, kConvKey);
  EXPECT_EQ(entry.unit, "cycles");
  EXPECT_EQ(entry.count, 5);
  EXPECT_EQ(ToRecord(table).entries[0].op_key, kConvKey);
}

TEST(LatencyTableTest, StoreRecordsRoundTrip) {
  TableInfo info = Info();
  info.source = results::LatencySource::kMeasured;
  info.device_kind = "measurable";
  info.properties_json = R"({"warmup": 10})";
  LatencyTable table(info);
  LatencyEntry predicted = Stats(2, 0, 0);
  predicted.predicted = true;
  table.Insert(kConvKey, Stats(4, 0.5, 10));
  table.Insert(kBlockKey, predicted);

  const results::LatencyTableRecord record = ToRecord(table);
  EXPECT_EQ(record.device.name, "pixel1");
  EXPECT_EQ(record.device.kind, "measurable");
  EXPECT_EQ(record.device.fingerprint, "pixel1|tflite|batch=1");
  EXPECT_EQ(record.space, "proxylessnas-mobile");
  EXPECT_EQ(record.source, results::LatencySource::kMeasured);
  EXPECT_EQ(record.properties_json, R"({"warmup": 10})");
  ASSERT_EQ(record.entries.size(), 2u);
  EXPECT_EQ(record.entries[0].op_key, kConvKey);
  EXPECT_DOUBLE_EQ(record.entries[0].stddev, 0.5);
  EXPECT_EQ(record.entries[0].unit, "ms");
  EXPECT_TRUE(record.entries[1].predicted);

  results::LatencyTableRecord stored = record;
  stored.id = 7;
  stored.created_at = 1234.5;
  const LatencyTable back = FromRecord(stored);
  EXPECT_EQ(back.info().store_id, 7);
  EXPECT_DOUBLE_EQ(back.info().created_at, 1234.5);
  EXPECT_EQ(back.info().fingerprint, info.fingerprint);
  EXPECT_EQ(back.info().source, results::LatencySource::kMeasured);
  EXPECT_EQ(back.Keys(), table.Keys());
  EXPECT_DOUBLE_EQ(back.At(kConvKey).stddev, 0.5);
  EXPECT_EQ(back.At(kConvKey).count, 10);
  EXPECT_TRUE(back.At(kBlockKey).predicted);
}

TEST(LatencyTableTest, FromRecordRejectsDuplicateKeysAndMixedUnits) {
  results::LatencyTableRecord record = ToRecord(LatencyTable(Info()));
  record.entries.push_back({kConvKey, 1, 1, 0, 1, 1, 3, "ms", false});
  record.entries.push_back({kConvKey, 2, 2, 0, 2, 2, 3, "ms", false});
  EXPECT_THROW(FromRecord(record), DataError);
  record.entries.back() = {kBlockKey, 2, 2, 0, 2, 2, 3, "us", false};
  try {
    FromRecord(record);
    FAIL() << "no error";
  } catch (const DataError& e) {
    EXPECT_EQ(std::string(e.what()),
              "latency entry '" + std::string(kBlockKey) + "' is in 'us', the table in 'ms'");
  }
}

// ---- Importing the shipped tables
// ----------------------------------------------------------------

TEST(ProxylessYamlTest, ImportsTheProxylessNasPixel1Table) {
  HWNAS_REQUIRE_SHARED_DATA();
  const LatencyTable table =
      ImportProxylessYaml(testing::SharedData("luts/proxylessnas-mobile-pixel1.yaml"), Info());
  EXPECT_EQ(table.size(), 72u);
  EXPECT_EQ(table.info().device, "pixel1");
  EXPECT_EQ(table.info().source, results::LatencySource::kImported);
  const LatencyEntry& conv = table.At(kConvKey);
  EXPECT_EQ(conv.count, 982);
  EXPECT_DOUBLE_EQ(conv.mean, 4.083755600814664);
  EXPECT_DOUBLE_EQ(conv.median, 4.083755600814664);
  EXPECT_DOUBLE_EQ(conv.stddev, std::sqrt(0.2502372872758427));
  EXPECT_TRUE(std::isnan(conv.p10));
  EXPECT_TRUE(std::isnan(conv.p90));
  const LatencyEntry& block = table.At(kBlockKey);
  EXPECT_EQ(block.count, 164);
  EXPECT_DOUBLE_EQ(block.mean, 6.240567073170731);
  EXPECT_DOUBLE_EQ(block.stddev, std::sqrt(0.07330791484716055));
  EXPECT_DOUBLE_EQ(table.At("Logits-input:7x7x1280-output:1000").mean, 0.3096415478615071);
}

TEST(ProxylessYamlTest, ImportsTheFiveOfaNote10Tables) {
  HWNAS_REQUIRE_SHARED_DATA();
  for (int resolution : {160, 176, 192, 208, 224}) {
    const std::string path =
        testing::SharedData("luts/ofa-note10-" + std::to_string(resolution) + ".yaml");
    const LatencyTable table = ImportProxylessYaml(path, Info());
    EXPECT_EQ(table.size(), 96u) << path;
    const std::string stem = "Conv-input:" + std::to_string(resolution) + "x" +
                             std::to_string(resolution) +
                             "x3-output:" + std::to_string(resolution / 2) + "x" +
                             std::to_string(resolution / 2) + "x24";
    EXPECT_TRUE(table.Contains(stem)) << path;
  }
  const LatencyTable table =
      ImportProxylessYaml(testing::SharedData("luts/ofa-note10-224.yaml"), Info());
  const LatencyEntry& stem = table.At("Conv-input:224x224x3-output:112x112x24");
  EXPECT_EQ(stem.count, 500);
  EXPECT_DOUBLE_EQ(stem.mean, 0.994418);
  EXPECT_DOUBLE_EQ(stem.stddev, 0.01726798413249215);
  const LatencyEntry& block = table.At(
      "expanded_conv-input:112x112x24-output:56x56x32-expand:144-kernel:3-stride:2-idskip:0-se:0-"
      "hs:0");
  EXPECT_EQ(block.count, 54);
  EXPECT_DOUBLE_EQ(block.mean, 4.812240740740741);
  EXPECT_DOUBLE_EQ(block.stddev, 0.08956353738593026);
}

TEST(ProxylessYamlTest, ExportedTablesImportIdentically) {
  HWNAS_REQUIRE_SHARED_DATA();
  const std::string dir = testing::MakeTempDir("latency-export");
  for (const char* file : {"proxylessnas-mobile-pixel1.yaml", "ofa-note10-176.yaml"}) {
    const LatencyTable table =
        ImportProxylessYaml(testing::SharedData(std::string("luts/") + file), Info());
    const std::string out = dir + "/" + file;
    ExportProxylessYaml(table, out);
    const LatencyTable back = ImportProxylessYaml(out, Info());
    ASSERT_EQ(back.Keys(), table.Keys()) << file;
    for (const auto& [key, stats] : table.entries()) {
      const LatencyEntry& again = back.At(key);
      EXPECT_EQ(again.count, stats.count) << key;
      EXPECT_EQ(again.mean, stats.mean) << key;  // exact, not approximately
      EXPECT_EQ(again.stddev, stats.stddev) << key;
    }
    EXPECT_EQ(testing::ReadFile(out), ProxylessYamlText(back)) << file;
  }
}

TEST(ProxylessYamlTest, ExportWritesSortedCountMeanStd) {
  LatencyTable table(Info());
  table.Insert(kBlockKey, Stats(6.25, 0.125, 164));
  table.Insert("Logits-input:7x7x1280-output:1000", Stats(0.3, 1e-05, 982));
  table.Insert(kConvKey, Stats(4, 0.5, 982));
  EXPECT_EQ(ProxylessYamlText(table),
            "# hwnas latency table\n# device: pixel1\n# fingerprint: pixel1|tflite|batch=1\n"
            "# space: proxylessnas-mobile\n"
            "Conv-input:224x224x3-output:112x112x32:\n  count: 982\n  mean: 4\n  std: 0.5\n"
            "Logits-input:7x7x1280-output:1000:\n  count: 982\n  mean: 0.3\n  std: 1e-05\n" +
                std::string(kBlockKey) + ":\n  count: 164\n  mean: 6.25\n  std: 0.125\n");
  const LatencyTable back = ParseProxylessYaml(ProxylessYamlText(table), "t.yaml", Info());
  EXPECT_EQ(back.At("Logits-input:7x7x1280-output:1000").stddev, 1e-05);
}

TEST(ProxylessYamlTest, ExportedFingerprintIsReadBack) {
  const std::string dir = testing::MakeTempDir("latency-fingerprint");
  LatencyTable table(Info());
  table.Insert(kConvKey, Stats(4, 0.5, 982));
  ExportProxylessYaml(table, dir + "/t.yaml");
  EXPECT_EQ(DeclaredFingerprint(dir + "/t.yaml"), "pixel1|tflite|batch=1");
  testing::WriteFile(dir + "/plain.yaml", "Conv-input:8x8x1-output:8x8x8:\n  count: 1\n");
  EXPECT_EQ(DeclaredFingerprint(dir + "/plain.yaml"), std::nullopt);
}

TEST(ProxylessYamlTest, ExportNeverOverwritesOnFailure) {
  const std::string dir = testing::MakeTempDir("latency-export-fail");
  const std::string out = dir + "/table.yaml";
  testing::WriteFile(out, "old contents\n");
  LatencyTable table(Info());
  table.Insert(kConvKey, Stats(4, 0.5, 982));
  table.Insert(kBlockKey, Stats(2, 0, 0));  // a predicted entry: no count, not exportable
  try {
    ExportProxylessYaml(table, out);
    FAIL() << "no error";
  } catch (const DataError& e) {
    EXPECT_EQ(std::string(e.what()), "cannot export latency entry '" + std::string(kBlockKey) +
                                         "': count 0 (the format needs >= 1)");
  }
  EXPECT_EQ(testing::ReadFile(out), "old contents\n");
  try {
    ExportProxylessYaml(LatencyTable(Info()), dir + "/no/such/dir/table.yaml");
    FAIL() << "no error";
  } catch (const IoError& e) {
    EXPECT_EQ(e.code(), ExitCode::kIoError);
    EXPECT_NE(std::string(e.what()).find(dir + "/no/such/dir/table.yaml"), std::string::npos);
  }
  size_t files = 0;
  for (const auto& entry : fs::directory_iterator(dir)) files += entry.is_regular_file();
  EXPECT_EQ(files, 1u);  // no temporary file left behind
}

// ---- Import errors ------------------------------------------------------------------------------

TEST(ProxylessYamlTest, BadNumbersAreLocatedWithKeyAndValue) {
  EXPECT_EQ(ImportError(Entry(kConvKey, "  count: 3\n  mean: -0.5\n  var: 0.1\n")),
            "t.yaml:3:9: error: Conv-input:224x224x3-output:112x112x32.mean: out of range (got "
            "-0.5; expected a number >= 0)");
  EXPECT_EQ(ImportError(Entry(kConvKey, "  count: 3\n  mean: fast\n  std: 0.1\n")),
            "t.yaml:3:9: error: Conv-input:224x224x3-output:112x112x32.mean: wrong type (got "
            "\"fast\"; expected a number >= 0)");
  EXPECT_EQ(ImportError(Entry(kConvKey, "  count: 3\n  mean: .nan\n  std: 0.1\n")),
            "t.yaml:3:9: error: Conv-input:224x224x3-output:112x112x32.mean: wrong type (got "
            "\".nan\"; expected a number >= 0)");
  EXPECT_EQ(ImportError(Entry(kConvKey, "  count: 0\n  mean: 1\n  std: 0.1\n")),
            "t.yaml:2:10: error: Conv-input:224x224x3-output:112x112x32.count: out of range (got "
            "0; expected an integer >= 1)");
  EXPECT_EQ(ImportError(Entry(kConvKey, "  count: 2.5\n  mean: 1\n  std: -1\n")),
            "t.yaml:2:10: error: Conv-input:224x224x3-output:112x112x32.count: wrong type (got "
            "\"2.5\"; expected an integer >= 1)\n"
            "t.yaml:4:8: error: Conv-input:224x224x3-output:112x112x32.std: out of range (got "
            "-1; expected a number >= 0)");
}

TEST(ProxylessYamlTest, MissingExtraAndConflictingFieldsAreErrors) {
  EXPECT_EQ(ImportError(Entry(kConvKey, "  count: 3\n  mean: 1\n")),
            "t.yaml:1:1: error: Conv-input:224x224x3-output:112x112x32.std: missing required key "
            "(expected var or std, a number >= 0)");
  EXPECT_EQ(ImportError(Entry(kConvKey, "  mean: 1\n  std: 0\n")),
            "t.yaml:1:1: error: Conv-input:224x224x3-output:112x112x32.count: missing required "
            "key (expected an integer >= 1)");
  EXPECT_EQ(ImportError(Entry(kConvKey, "  count: 3\n  mean: 1\n  var: 1\n  std: 1\n")),
            "t.yaml:5:8: error: Conv-input:224x224x3-output:112x112x32.std: give either var or "
            "std, not both");
  EXPECT_EQ(ImportError(Entry(kConvKey, kGoodBody + "  median: 1\n")),
            "t.yaml:5:3: error: Conv-input:224x224x3-output:112x112x32.median: unknown key; did "
            "you mean 'Conv-input:224x224x3-output:112x112x32.mean'?");
}

TEST(ProxylessYamlTest, DuplicateAndMalformedKeysAreLocated) {
  EXPECT_EQ(ImportError(Entry(kConvKey, kGoodBody) + Entry(kBlockKey, kGoodBody) +
                        Entry(kConvKey, kGoodBody)),
            "t.yaml:9:1: error: Conv-input:224x224x3-output:112x112x32: duplicate key (first "
            "defined at line 1)");
  EXPECT_EQ(ImportError(Entry(kConvKey, kGoodBody) +
                        Entry("Conv-input:224x224x3-output:112x112x32-kernel:3", kGoodBody)),
            "t.yaml:5:1: error: Conv-input:224x224x3-output:112x112x32-kernel:3: malformed op "
            "key: kernel 3 is written as plain 'Conv' without a kernel field");
  // A quoted key cannot be found by its line; it is reported at its first value instead.
  EXPECT_EQ(ImportError("'Conv-input:1x1x1':\n" + kGoodBody),
            "t.yaml:2:3: error: Conv-input:1x1x1: malformed op key: missing field 'output'");
}

TEST(ProxylessYamlTest, EveryProblemIsReportedAtOnceInLineOrder) {
  const std::string text = Entry("Logits-input:7x7x1280", kGoodBody) +
                           Entry(kConvKey, "  count: 3\n  mean: -1\n  std: 0\n") +
                           Entry(kBlockKey, "  count: 3\n  mean: 1\n  var: x\n");
  EXPECT_EQ(ImportError(text),
            "t.yaml:1:1: error: Logits-input:7x7x1280: malformed op key: missing field 'output'\n"
            "t.yaml:7:9: error: Conv-input:224x224x3-output:112x112x32.mean: out of range (got "
            "-1; expected a number >= 0)\n"
            "t.yaml:12:8: error: " +
                std::string(kBlockKey) + ".var: wrong type (got \"x\"; expected a number >= 0)");
}

TEST(ProxylessYamlTest, WholeFileProblemsAreErrors) {
  EXPECT_EQ(ImportError(""), "t.yaml: error: empty document (expected a mapping of keys)");
  EXPECT_EQ(ImportError("{}\n"), "t.yaml: error: the table has no entries");
  EXPECT_EQ(ImportError("- 1\n- 2\n"),
            "t.yaml:1:1: error: top level is not a mapping (got a sequence; expected a mapping of "
            "keys)");
  EXPECT_EQ(ImportError(std::string(kConvKey) + ": 4.5\n"),
            "t.yaml:1:41: error: Conv-input:224x224x3-output:112x112x32: wrong type (got \"4.5\"; "
            "expected a mapping)");
  EXPECT_EQ(ImportError(Entry(kConvKey, "  count: [3\n")).substr(0, 27),
            "t.yaml:3:1: error: invalid ");
}

TEST(ProxylessYamlTest, UnreadableFileIsADataError) {
  try {
    ImportProxylessYaml("/nonexistent/table.yaml", Info());
    FAIL() << "no error";
  } catch (const DataError& e) {
    EXPECT_EQ(e.code(), ExitCode::kDataError);
    EXPECT_EQ(std::string(e.what()),
              "/nonexistent/table.yaml: cannot read latency table file (No such file or "
              "directory)");
  }
}

}  // namespace
}  // namespace hwnas::latency
