#include "results/schema.h"

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

#include "core/errors.h"

namespace hwnas::results {
namespace {

constexpr const char* kInitialSchema = R"sql(
CREATE TABLE runs (
  id             INTEGER PRIMARY KEY,
  name           TEXT NOT NULL,
  strategy       TEXT NOT NULL,
  status         TEXT NOT NULL
                   CHECK (status IN ('running', 'finished', 'failed', 'interrupted')),
  parent_run_id  INTEGER REFERENCES runs(id) ON DELETE SET NULL,
  config_text    TEXT NOT NULL DEFAULT '',
  config_hash    TEXT NOT NULL DEFAULT '',
  device         TEXT NOT NULL DEFAULT '',
  dataset        TEXT NOT NULL DEFAULT '',
  seed           INTEGER,
  engine_version TEXT NOT NULL DEFAULT '',
  host           TEXT NOT NULL DEFAULT '',
  pid            INTEGER,
  started_at     REAL NOT NULL,
  ended_at       REAL,
  heartbeat_at   REAL NOT NULL,
  error          TEXT NOT NULL DEFAULT ''
);
CREATE INDEX runs_by_name ON runs(name);
CREATE INDEX runs_by_status ON runs(status, host);
CREATE INDEX runs_by_start ON runs(started_at);
CREATE INDEX runs_by_parent ON runs(parent_run_id);

CREATE TABLE metrics (
  id          INTEGER PRIMARY KEY,
  run_id      INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  step        INTEGER NOT NULL,
  name        TEXT NOT NULL,
  value       REAL,
  value_type  TEXT NOT NULL DEFAULT 'finite'
                CHECK (value_type IN ('finite', 'nan', 'inf', '-inf')),
  recorded_at REAL NOT NULL
);
CREATE INDEX metrics_by_run ON metrics(run_id, name, step);

CREATE TABLE architectures (
  id                   INTEGER PRIMARY KEY,
  run_id               INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  role                 TEXT NOT NULL,
  step                 INTEGER,
  arch                 TEXT NOT NULL DEFAULT '',
  netspec_json         TEXT NOT NULL DEFAULT '',
  flops                REAL,
  params               REAL,
  size_bits            REAL,
  estimated_latency_ms REAL,
  measured_latency_ms  REAL,
  latency_device       TEXT NOT NULL DEFAULT '',
  accuracy             REAL,
  recorded_at          REAL NOT NULL
);
CREATE INDEX architectures_by_run ON architectures(run_id, role);

CREATE TABLE episodes (
  id          INTEGER PRIMARY KEY,
  run_id      INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  episode     INTEGER NOT NULL,
  reward      REAL,
  accuracy    REAL,
  cost        REAL,
  cost_ratio  REAL,
  policy_json TEXT NOT NULL DEFAULT '',
  recorded_at REAL NOT NULL
);
CREATE INDEX episodes_by_run ON episodes(run_id, episode);

CREATE TABLE artifacts (
  id          INTEGER PRIMARY KEY,
  run_id      INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
  kind        TEXT NOT NULL,
  path        TEXT NOT NULL,
  sha256      TEXT NOT NULL,
  bytes       INTEGER NOT NULL,
  recorded_at REAL NOT NULL
);
CREATE INDEX artifacts_by_run ON artifacts(run_id);

CREATE TABLE devices (
  id              INTEGER PRIMARY KEY,
  name            TEXT NOT NULL,
  kind            TEXT NOT NULL,
  fingerprint     TEXT NOT NULL,
  properties_json TEXT NOT NULL DEFAULT '{}',
  created_at      REAL NOT NULL,
  UNIQUE (name, fingerprint)
);

CREATE TABLE latency_tables (
  id              INTEGER PRIMARY KEY,
  device_id       INTEGER NOT NULL REFERENCES devices(id),
  fingerprint     TEXT NOT NULL,
  space           TEXT NOT NULL,
  source          TEXT NOT NULL CHECK (source IN ('measured', 'imported')),
  created_at      REAL NOT NULL,
  properties_json TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX latency_tables_by_device ON latency_tables(device_id, space, fingerprint);

CREATE TABLE latency_entries (
  table_id  INTEGER NOT NULL REFERENCES latency_tables(id) ON DELETE CASCADE,
  op_key    TEXT NOT NULL,
  mean      REAL,
  median    REAL,
  std       REAL,
  p10       REAL,
  p90       REAL,
  count     INTEGER NOT NULL DEFAULT 0,
  unit      TEXT NOT NULL DEFAULT 'ms',
  predicted INTEGER NOT NULL DEFAULT 0 CHECK (predicted IN (0, 1)),
  PRIMARY KEY (table_id, op_key)
) WITHOUT ROWID;
)sql";

// One row per run that loaded data; JSON arrays for the lists (they are read whole, never queried).
constexpr char kRunDatasets[] = R"sql(
CREATE TABLE run_datasets (
  run_id         INTEGER PRIMARY KEY REFERENCES runs(id) ON DELETE CASCADE,
  name           TEXT NOT NULL,
  path           TEXT NOT NULL DEFAULT '',
  height         INTEGER NOT NULL,
  width          INTEGER NOT NULL,
  channels       INTEGER NOT NULL,
  class_names    TEXT NOT NULL DEFAULT '[]',
  mean           TEXT NOT NULL DEFAULT '[]',
  stddev         TEXT NOT NULL DEFAULT '[]',
  train_images   INTEGER NOT NULL DEFAULT 0,
  holdout_images INTEGER NOT NULL DEFAULT 0,
  test_images    INTEGER NOT NULL DEFAULT 0,
  skipped_files  TEXT NOT NULL DEFAULT '[]',
  recorded_at    REAL NOT NULL
);
)sql";

// Pipelines and derived runs: the stage a child run is of its parent's pipeline, and the run
// whose network a run started from (AMC/HAQ source_run, a pipeline stage's input).
constexpr char kRunLineage[] = R"sql(
ALTER TABLE runs ADD COLUMN stage TEXT NOT NULL DEFAULT '';
ALTER TABLE runs ADD COLUMN source_run_id INTEGER REFERENCES runs(id) ON DELETE SET NULL;
CREATE INDEX runs_by_source ON runs(source_run_id);
)sql";

struct FileState {
  int application_id = 0;
  int user_version = 0;
  int64_t schema_objects = 0;
};

// Reads without writing. On a damaged file these reads fail with an IoError that says so.
FileState ReadState(Database& db) {
  FileState state;
  Statement app(db, "PRAGMA application_id");
  if (app.Step()) state.application_id = static_cast<int>(app.Int(0));
  state.user_version = SchemaVersion(db);
  Statement objects(db, "SELECT count(*) FROM sqlite_master");
  if (objects.Step()) state.schema_objects = objects.Int(0);
  return state;
}

// PRAGMA quick_check reads every page, so it finds damage that a schema read would miss.
void CheckIntegrity(Database& db) {
  Statement check(db, "PRAGMA quick_check(5)");
  std::string problems;
  while (check.Step()) {
    std::istringstream lines(check.Text(0));
    for (std::string line; std::getline(lines, line);) {
      if (line == "ok" || line.rfind("***", 0) == 0) continue;  // "*** in database main ***"
      problems += (problems.empty() ? "" : "; ") + line;
    }
  }
  if (!problems.empty()) {
    throw IoError(db.path() + ": database is corrupt (" + problems +
                  "); it was left unchanged. Restore it from a backup or pass another --db");
  }
}

// PRAGMA quick_check reads the whole file (about 50 MB/s), too slow for every command on a
// large database; there, damage is reported when a query reaches it.
constexpr uintmax_t kFullCheckMaxBytes = 16u << 20;

bool IsSmall(const std::string& path) {
  std::error_code error;
  uintmax_t size = std::filesystem::file_size(path, error);
  return !error && size <= kFullCheckMaxBytes;
}

// True when the schema must be created or migrated; throws for files we must not touch.
bool NeedsMigration(const Database& db, const FileState& state, int current) {
  if (state.application_id == kApplicationId) {
    if (state.user_version > current) {
      throw IoError(db.path() + ": database schema version " + std::to_string(state.user_version) +
                    " is newer than this hwnas supports (" + std::to_string(current) +
                    "); upgrade hwnas");
    }
    return state.user_version < current;
  }
  if (state.application_id == 0 && state.user_version == 0 && state.schema_objects == 0) {
    return true;  // a new, empty database
  }
  throw IoError(db.path() +
                ": not a hwnas database (an SQLite database of another application; it was "
                "left unchanged). Pass --db with another file");
}

}  // namespace

const std::vector<Migration>& Migrations() {
  static const std::vector<Migration> migrations = {
      {"initial schema: runs, metrics, architectures, episodes, artifacts, devices, latency "
       "tables",
       kInitialSchema},
      {"run_datasets: the data each run trained on (shape, class names, normalisation)",
       kRunDatasets},
      {"lineage: runs.stage and runs.source_run_id (pipelines, runs derived from another)",
       kRunLineage},
  };
  return migrations;
}

int CurrentSchemaVersion() { return static_cast<int>(Migrations().size()); }

int SchemaVersion(Database& db) {
  Statement version(db, "PRAGMA user_version");
  return version.Step() ? static_cast<int>(version.Int(0)) : 0;
}

void CheckSqliteHeader(const std::string& path) {
  static constexpr char kMagic[] = "SQLite format 3";  // 16 bytes with the terminating NUL
  std::ifstream in(path, std::ios::binary);
  char header[sizeof(kMagic)] = {};
  in.read(header, sizeof(header));
  if (in.gcount() == 0) return;  // an empty file is an empty database
  if (in.gcount() < static_cast<std::streamsize>(sizeof(header)) ||
      std::memcmp(header, kMagic, sizeof(header)) != 0) {
    throw IoError(path +
                  ": not an SQLite database (refusing to open or overwrite it); pass --db "
                  "with another file");
  }
}

void PrepareSchema(Database& db, const std::vector<Migration>& migrations) {
  const int target = static_cast<int>(migrations.size());
  FileState state = ReadState(db);
  const bool needs_migration = NeedsMigration(db, state, target);
  if (state.schema_objects > 0 && (needs_migration || IsSmall(db.path()))) CheckIntegrity(db);
  if (!needs_migration) return;
  // A new file is ours: make it WAL before the first write, so it is never written in
  // rollback-journal mode (which makes concurrent openers wait on each other).
  if (state.schema_objects == 0 && state.application_id == 0) db.TryEnableWal();

  // Another process may have migrated while we waited for the write lock: decide again.
  Transaction transaction(db);
  state = ReadState(db);
  if (!NeedsMigration(db, state, target)) return;
  for (size_t i = static_cast<size_t>(state.user_version); i < migrations.size(); ++i) {
    db.Execute(migrations[i].sql);
  }
  db.Execute("PRAGMA application_id = " + std::to_string(kApplicationId) +
             "; PRAGMA user_version = " + std::to_string(target));
  transaction.Commit();
}

}  // namespace hwnas::results
