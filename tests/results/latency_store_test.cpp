// Devices and latency tables: saved in one transaction and read back whole.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "core/errors.h"
#include "results/store.h"
#include "tests/results/sample_runs.h"

namespace hwnas::results {
namespace {

LatencyTableRecord SampleTable(const std::string& fingerprint, int entries) {
  LatencyTableRecord table;
  table.device = {"cpu", "measurable", fingerprint, R"({"threads":1})"};
  table.space = "fashion-small";
  table.properties_json = R"({"warmup":10})";
  for (int i = 0; i < entries; ++i) {
    table.entries.push_back({"expanded_conv-input:28x28x16-kernel:" + std::to_string(i), 1.0 + i,
                             0.9 + i, 0.1, 0.8 + i, 1.2 + i, 50, "ms", i == 1});
  }
  return table;
}

TEST(LatencyStoreTest, SavesAndLoadsATable) {
  auto store = Store::Open(hwnas::testing::NewDbPath("latency-save"));
  int64_t id = store->SaveLatencyTable(SampleTable("fp1", 3));
  LatencyTableRecord loaded = store->LoadLatencyTable(id);
  EXPECT_EQ(loaded.id, id);
  EXPECT_EQ(loaded.device.name, "cpu");
  EXPECT_EQ(loaded.device.kind, "measurable");
  EXPECT_EQ(loaded.device.fingerprint, "fp1");
  EXPECT_EQ(loaded.device.properties_json, R"({"threads":1})");
  EXPECT_EQ(loaded.space, "fashion-small");
  EXPECT_EQ(loaded.source, LatencySource::kMeasured);
  EXPECT_GT(loaded.created_at, 0);
  EXPECT_EQ(loaded.entry_count, 3);
  ASSERT_EQ(loaded.entries.size(), 3u);
  const LatencyEntry& e = loaded.entries[1];
  EXPECT_EQ(e.op_key, "expanded_conv-input:28x28x16-kernel:1");
  EXPECT_EQ(e.mean, 2.0);
  EXPECT_EQ(e.median, 1.9);
  EXPECT_EQ(e.stddev, 0.1);
  EXPECT_EQ(e.p10, 1.8);
  EXPECT_EQ(e.p90, 2.2);
  EXPECT_EQ(e.count, 50);
  EXPECT_EQ(e.unit, "ms");
  EXPECT_TRUE(e.predicted);
  EXPECT_FALSE(loaded.entries[0].predicted);
}

TEST(LatencyStoreTest, FindsListsExtendsAndDeletes) {
  auto store = Store::Open(hwnas::testing::NewDbPath("latency-find"));
  int64_t old_table = store->SaveLatencyTable(SampleTable("fp1", 1));
  int64_t new_table = store->SaveLatencyTable(SampleTable("fp1", 2));
  LatencyTableRecord imported = SampleTable("fp2", 1);
  imported.source = LatencySource::kImported;
  int64_t other = store->SaveLatencyTable(imported);

  EXPECT_EQ(store->FindLatencyTable("cpu", "fp1", "fashion-small"), new_table);
  EXPECT_EQ(store->FindLatencyTable("cpu", "fp2", "fashion-small"), other);
  EXPECT_FALSE(store->FindLatencyTable("cpu", "fp3", "fashion-small").has_value());
  EXPECT_FALSE(store->FindLatencyTable("cpu", "fp1", "other-space").has_value());

  auto tables = store->ListLatencyTables();
  ASSERT_EQ(tables.size(), 3u);
  EXPECT_EQ(tables[0].id, old_table);
  EXPECT_EQ(tables[1].entry_count, 2);
  EXPECT_TRUE(tables[1].entries.empty());
  EXPECT_EQ(tables[2].source, LatencySource::kImported);

  LatencyEntry added{"new-key", 5, 5, 0, 5, 5, 10};
  LatencyEntry replaced = store->LoadLatencyTable(new_table).entries[0];
  replaced.mean = 42;
  store->AddLatencyEntries(new_table, {added, replaced});
  LatencyTableRecord extended = store->LoadLatencyTable(new_table);
  EXPECT_EQ(extended.entries.size(), 3u);
  EXPECT_EQ(extended.entries[0].mean, 42);

  store->DeleteLatencyTable(old_table);
  EXPECT_EQ(store->ListLatencyTables().size(), 2u);
  EXPECT_THROW(store->LoadLatencyTable(old_table), UsageError);
  EXPECT_THROW(store->AddLatencyEntries(old_table, {added}), UsageError);
}

TEST(LatencyStoreTest, AFailedSaveWritesNothing) {
  auto store = Store::Open(hwnas::testing::NewDbPath("latency-atomic"));
  LatencyTableRecord table = SampleTable("fp1", 3);
  table.entries[2].op_key = "";  // found only after the device and two entries were written
  EXPECT_THROW(store->SaveLatencyTable(table), DataError);
  EXPECT_TRUE(store->ListLatencyTables().empty());
}

}  // namespace
}  // namespace hwnas::results
