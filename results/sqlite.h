// Thin RAII wrappers over the SQLite C API, private to results/: a connection, a prepared
// statement and an IMMEDIATE transaction. Every SQLite failure becomes an IoError that names
// the database file. Nothing outside results/ includes this header.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>

namespace hwnas::results {

class Database {
 public:
  // Opens an existing file (create = false) or creates it. `path` is used in messages.
  Database(const std::string& path, bool create);
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  sqlite3* handle() const { return db_; }
  const std::string& path() const { return path_; }
  // Runs one or more statements without results.
  void Execute(const std::string& sql);
  // Throws IoError "PATH: sqlite message (what to do)" unless `rc` is SQLITE_OK/ROW/DONE.
  void Check(int rc) const;
  int64_t LastInsertId() const { return sqlite3_last_insert_rowid(db_); }
  int Changes() const { return sqlite3_changes(db_); }
  // Switches to WAL (readers never block the writer). WAL is stored in the file, so when the
  // switch loses a race with another connection, that one or the next open makes it; the
  // database works in rollback-journal mode meanwhile. Returns whether WAL is on.
  bool TryEnableWal();
  // Held by a Transaction for its lifetime, so threads sharing a Store do not interleave.
  std::recursive_mutex& write_mutex() { return write_mutex_; }

 private:
  std::string path_;
  sqlite3* db_ = nullptr;
  std::recursive_mutex write_mutex_;
};

class Statement {
 public:
  Statement(Database& db, const std::string& sql);
  ~Statement();
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  // Bind by 1-based index; return *this to chain. Non-finite doubles bind as NULL.
  Statement& Bind(int index, int64_t value);
  Statement& Bind(int index, int value) { return Bind(index, static_cast<int64_t>(value)); }
  Statement& Bind(int index, double value);
  Statement& Bind(int index, const std::string& value);
  Statement& Bind(int index, const char* value) { return Bind(index, std::string(value)); }
  Statement& Bind(int index, const std::optional<double>& value);
  Statement& Bind(int index, const std::optional<int64_t>& value);
  Statement& BindNull(int index);

  // Advances to the next row; false when done.
  bool Step();
  // Steps a statement that returns no rows.
  void Run();
  void Reset();

  bool IsNull(int column) const;
  int64_t Int(int column) const;
  double Real(int column) const;  // NULL reads as NaN
  std::string Text(int column) const;
  std::optional<double> OptionalReal(int column) const;
  std::optional<int64_t> OptionalInt(int column) const;

 private:
  Database& db_;
  sqlite3_stmt* stmt_ = nullptr;
};

// BEGIN IMMEDIATE takes the write lock up front, so two writers never deadlock upgrading a
// read lock; the busy timeout makes the second one wait. Rolls back unless Commit() was called.
class Transaction {
 public:
  explicit Transaction(Database& db);
  ~Transaction();
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  void Commit();

 private:
  Database& db_;
  std::unique_lock<std::recursive_mutex> lock_;
  bool done_ = false;
};

}  // namespace hwnas::results
