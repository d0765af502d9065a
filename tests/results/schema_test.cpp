// Opening the store: schema creation, migrations, and refusal of files that are not ours.
#include "results/schema.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>

#include "core/errors.h"
#include "results/sqlite.h"
#include "results/store.h"
#include "tests/results/sample_runs.h"

namespace hwnas::results {
namespace {

using hwnas::testing::NewDbPath;
using hwnas::testing::ReadFile;
using hwnas::testing::WriteFile;
using ::testing::HasSubstr;

int64_t QueryInt(Database& db, const std::string& sql) {
  Statement statement(db, sql);
  return statement.Step() ? statement.Int(0) : -1;
}

std::string QueryText(Database& db, const std::string& sql) {
  Statement statement(db, sql);
  return statement.Step() ? statement.Text(0) : "";
}

// Expects Open to throw an IoError mentioning `message` and to leave the file's bytes alone.
void ExpectRefused(const std::string& path, const std::string& message) {
  const std::string before = ReadFile(path);
  try {
    Store::Open(path);
    FAIL() << "Open accepted " << path;
  } catch (const IoError& e) {
    EXPECT_THAT(e.what(), HasSubstr(message));
    EXPECT_THAT(e.what(), HasSubstr(path));
  }
  EXPECT_EQ(ReadFile(path), before) << "the refused file was modified";
}

TEST(SchemaTest, CreatesTheSchemaInAMissingFile) {
  std::string path = NewDbPath("schema-create");
  Store::Open(path);
  ASSERT_TRUE(std::filesystem::exists(path));
  Database db(path, false);
  EXPECT_EQ(SchemaVersion(db), CurrentSchemaVersion());
  EXPECT_EQ(QueryInt(db, "PRAGMA application_id"), kApplicationId);
  EXPECT_EQ(QueryText(db, "PRAGMA journal_mode"), "wal");
  for (const char* table : {"runs", "metrics", "architectures", "episodes", "artifacts", "devices",
                            "latency_tables", "latency_entries"}) {
    EXPECT_EQ(QueryInt(db, std::string("SELECT count(*) FROM sqlite_master WHERE type = 'table' "
                                       "AND name = '") +
                               table + "'"),
              1)
        << table;
  }
  EXPECT_GE(QueryInt(db, "SELECT count(*) FROM sqlite_master WHERE type = 'index'"), 8);
}

TEST(SchemaTest, ReopeningIsIdempotentAndKeepsData) {
  std::string path = NewDbPath("schema-reopen");
  int64_t id = 0;
  {
    auto store = Store::Open(path);
    id = hwnas::testing::AddSampleRun(*store, {"first"});
  }
  for (int i = 0; i < 2; ++i) {
    auto store = Store::Open(path);
    EXPECT_EQ(store->GetRun(id).name, "first");
    EXPECT_EQ(store->ListRuns().size(), 1u);
  }
  Database db(path, false);
  EXPECT_EQ(SchemaVersion(db), CurrentSchemaVersion());
}

TEST(SchemaTest, AnEmptyFileBecomesADatabase) {
  std::string path = NewDbPath("schema-empty");
  WriteFile(path, "");
  auto store = Store::Open(path);
  EXPECT_TRUE(store->ListRuns().empty());
}

TEST(SchemaTest, MigrationsStepForwardAndKeepData) {
  std::string path = NewDbPath("schema-migrate");
  const Migration v1{"things", "CREATE TABLE things (id INTEGER PRIMARY KEY, name TEXT)"};
  const Migration v2{"sizes", "ALTER TABLE things ADD COLUMN size REAL NOT NULL DEFAULT 1.5"};
  Database db(path, true);
  PrepareSchema(db, {v1});
  EXPECT_EQ(SchemaVersion(db), 1);
  db.Execute("INSERT INTO things (name) VALUES ('kept')");

  PrepareSchema(db, {v1, v2});
  EXPECT_EQ(SchemaVersion(db), 2);
  EXPECT_EQ(QueryText(db, "SELECT name || ':' || size FROM things"), "kept:1.5");
  PrepareSchema(db, {v1, v2});  // nothing left to do
  EXPECT_EQ(SchemaVersion(db), 2);
  EXPECT_EQ(QueryInt(db, "SELECT count(*) FROM things"), 1);
}

TEST(SchemaTest, AFailingMigrationLeavesTheOldVersion) {
  std::string path = NewDbPath("schema-migrate-fail");
  const Migration v1{"things", "CREATE TABLE things (id INTEGER PRIMARY KEY)"};
  const Migration bad{"broken", "CREATE TABLE more (x INTEGER); SELECT * FROM no_such_table"};
  Database db(path, true);
  PrepareSchema(db, {v1});
  EXPECT_THROW(PrepareSchema(db, {v1, bad}), IoError);
  EXPECT_EQ(SchemaVersion(db), 1);
  EXPECT_EQ(QueryInt(db, "SELECT count(*) FROM sqlite_master WHERE name = 'more'"), 0);
}

TEST(SchemaTest, RefusesADatabaseFromANewerHwnas) {
  std::string path = NewDbPath("schema-newer");
  Store::Open(path);
  {
    Database db(path, false);
    db.Execute("PRAGMA user_version = 7");
  }
  ExpectRefused(path, "database schema version 7 is newer than this hwnas supports (" +
                          std::to_string(CurrentSchemaVersion()) + "); upgrade hwnas");
}

TEST(SchemaTest, RefusesAFileThatIsNotSqlite) {
  std::string path = NewDbPath("schema-text");
  WriteFile(path, "name,accuracy\nrun,0.9\n");
  ExpectRefused(path, "not an SQLite database");
  WriteFile(path, "SQLite");  // shorter than the header
  ExpectRefused(path, "not an SQLite database");
}

TEST(SchemaTest, RefusesAnotherApplicationsDatabase) {
  std::string path = NewDbPath("schema-foreign");
  {
    Database db(path, true);
    db.Execute("CREATE TABLE recipes (name TEXT); INSERT INTO recipes VALUES ('bread')");
  }
  ExpectRefused(path, "not a hwnas database");
}

TEST(SchemaTest, RefusesACorruptDatabase) {
  std::string path = NewDbPath("schema-corrupt");
  {
    auto store = Store::Open(path);
    for (int i = 0; i < 40; ++i) {
      RunInfo info;
      info.name = "run" + std::to_string(i);
      info.config_text = std::string(2000, 'x');
      store->BeginRun(info);
    }
  }
  const std::string intact = ReadFile(path);
  ASSERT_GT(intact.size(), 8 * 4096u);
  // Damage in data pages (found by quick_check), then in the schema page (found at once).
  for (size_t first_byte : {size_t{3 * 4096}, size_t{200}}) {
    std::string bytes = intact;
    for (size_t i = first_byte; i < first_byte + 3 * 4096; ++i) {
      bytes[i] = static_cast<char>(i * 31);
    }
    WriteFile(path, bytes);
    ExpectRefused(path, "corrupt");
  }
}

TEST(SchemaTest, ReadOnlyOpenOfAMissingFileCreatesNothing) {
  std::string path = NewDbPath("schema-missing");
  try {
    Store::Open(path, Store::OpenMode::kExisting);
    FAIL() << "opened a missing database";
  } catch (const IoError& e) {
    EXPECT_EQ(std::string(e.what()),
              "no results database at " + path + " (run a search first, or pass --db)");
  }
  EXPECT_FALSE(std::filesystem::exists(path));
}

}  // namespace
}  // namespace hwnas::results
