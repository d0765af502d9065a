// The database schema: the ordered list of migrations and the checks made when a file is
// opened (is it SQLite, is it ours, is it from a newer hwnas). Private to results/; the
// schema itself is documented in README.md (Results store).
#pragma once

#include <string>
#include <vector>

#include "results/sqlite.h"

namespace hwnas::results {

// PRAGMA application_id of every hwnas database: "HWNS" in ASCII.
constexpr int kApplicationId = 0x48574E53;

// One forward step of the schema. Version N is reached by applying steps 1..N in order; a
// later change appends a step and never edits a released one. A step is any SQL script; a
// column change on SQLite is a table rebuild inside the same script.
struct Migration {
  std::string description;
  std::string sql;
};

// The steps of this build, in order; version 1 is the initial schema.
const std::vector<Migration>& Migrations();

// The schema version this build writes (the number of migrations).
int CurrentSchemaVersion();

// Refuses (IoError) a file that is not an SQLite database, before SQLite touches it.
void CheckSqliteHeader(const std::string& path);

// Refuses a corrupt file, a foreign SQLite database and one from a newer hwnas; applies the
// missing migrations to an older one (or creates the schema in an empty file) in one
// transaction. Never modifies a file it refuses. Tests pass their own list of steps.
void PrepareSchema(Database& db, const std::vector<Migration>& migrations = Migrations());

// PRAGMA user_version of an open database.
int SchemaVersion(Database& db);

}  // namespace hwnas::results
