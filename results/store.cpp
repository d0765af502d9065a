// Opening the store and the writes that are not a run's progress: begin, finish, delete, and
// the detection of runs whose process died.
#include "results/store.h"

#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <limits>
#include <stdexcept>
#include <utility>
#include <vector>

#include "core/errors.h"
#include "core/sha256.h"
#include "results/internal.h"
#include "results/schema.h"
#include "results/sqlite.h"

#ifndef HWNAS_VERSION
#define HWNAS_VERSION "unknown"
#endif

namespace hwnas::results {
namespace {

namespace fs = std::filesystem;

constexpr int kBusyTimeoutMs = 10000;

// Refuses what must not be opened before SQLite sees the file; creates missing parents.
void CheckPath(const std::string& path, Store::OpenMode mode) {
  std::error_code error;
  bool exists = fs::exists(path, error);
  if (!exists && mode == Store::OpenMode::kExisting) {
    throw IoError("no results database at " + path + " (run a search first, or pass --db)");
  }
  if (exists) {
    if (fs::is_directory(path)) throw IoError(path + ": is a directory, not a database file");
    CheckSqliteHeader(path);
    return;
  }
  fs::path parent = fs::path(path).parent_path();
  if (!parent.empty() && !fs::exists(parent)) fs::create_directories(parent, error);
}

// NORMAL is durable in WAL mode except for the last commits before a power loss, and saves
// an fsync per transaction, which matters with a reporter writing every step.
void ConfigureConnection(Database& db) {
  db.TryEnableWal();
  db.Execute("PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON");
}

bool ProcessIsGone(int64_t pid) {
  if (pid <= 0) return false;
  return ::kill(static_cast<pid_t>(pid), 0) == -1 && errno == ESRCH;
}

// (run id, pid) of the running runs of `host` whose process no longer exists.
std::vector<std::pair<int64_t, int64_t>> FindDeadRuns(Database& db, const std::string& host) {
  std::vector<std::pair<int64_t, int64_t>> dead;
  Statement running(db, "SELECT id, pid FROM runs WHERE status = 'running' AND host = ?");
  running.Bind(1, host);
  while (running.Step()) {
    if (ProcessIsGone(running.Int(1))) dead.emplace_back(running.Int(0), running.Int(1));
  }
  return dead;
}

int64_t DeleteRows(Database& db, const char* table, int64_t run_id) {
  Statement remove(db, std::string("DELETE FROM ") + table + " WHERE run_id = ?");
  remove.Bind(1, run_id).Run();
  return db.Changes();
}

}  // namespace

double NowSeconds() {
  using std::chrono::duration;
  using std::chrono::system_clock;
  return duration<double>(system_clock::now().time_since_epoch()).count();
}

std::string HostName() {
  char name[256] = {};
  if (::gethostname(name, sizeof(name) - 1) != 0) return "unknown";
  return name;
}

const char* MetricValueType(double value) {
  if (std::isnan(value)) return "nan";
  if (std::isinf(value)) return value > 0 ? "inf" : "-inf";
  return "finite";
}

double MetricValueFromColumns(std::optional<double> value, const std::string& value_type) {
  if (value_type == "inf") return std::numeric_limits<double>::infinity();
  if (value_type == "-inf") return -std::numeric_limits<double>::infinity();
  if (value_type == "nan" || !value) return std::numeric_limits<double>::quiet_NaN();
  return *value;
}

Store::Store(std::unique_ptr<Database> db) : db_(std::move(db)) {}
Store::~Store() = default;

const std::string& Store::path() const { return db_->path(); }

std::unique_ptr<Store> Store::Open(const std::string& path, OpenMode mode) {
  CheckPath(path, mode);
  auto db = std::make_unique<Database>(path, mode == OpenMode::kCreate);
  sqlite3_busy_timeout(db->handle(), kBusyTimeoutMs);
  PrepareSchema(*db);
  ConfigureConnection(*db);
  std::unique_ptr<Store> store(new Store(std::move(db)));
  store->MarkInterruptedRuns();
  return store;
}

int64_t Store::BeginRun(const RunInfo& info) {
  Transaction transaction(*db_);
  if (info.parent_run) RequireRun(*db_, *info.parent_run);
  if (info.source_run) RequireRun(*db_, *info.source_run);
  double now = NowSeconds();
  Statement insert(*db_,
                   "INSERT INTO runs (name, strategy, status, parent_run_id, config_text, "
                   "config_hash, device, dataset, seed, engine_version, host, pid, started_at, "
                   "heartbeat_at, stage, source_run_id) "
                   "VALUES (?, ?, 'running', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
  insert.Bind(1, info.name).Bind(2, info.strategy).Bind(3, info.parent_run);
  insert.Bind(4, info.config_text);
  insert.Bind(5, info.config_hash.empty() ? Sha256Hex(info.config_text) : info.config_hash);
  insert.Bind(6, info.device).Bind(7, info.dataset).Bind(8, info.seed);
  insert.Bind(9, info.engine_version.empty() ? HWNAS_VERSION : info.engine_version);
  insert.Bind(10, HostName()).Bind(11, static_cast<int64_t>(::getpid()));
  insert.Bind(12, now).Bind(13, now).Bind(14, info.stage).Bind(15, info.source_run).Run();
  int64_t id = db_->LastInsertId();
  if (info.name.empty()) {
    Statement name(*db_, "UPDATE runs SET name = ? WHERE id = ?");
    name.Bind(1, (info.strategy.empty() ? "run" : info.strategy) + "-" + std::to_string(id));
    name.Bind(2, id).Run();
  }
  transaction.Commit();
  return id;
}

std::unique_ptr<Reporter> Store::MakeReporter(int64_t run_id) {
  return MakeRunRecorder(*db_, run_id);
}

void Store::FinishRun(int64_t run_id, RunStatus status, const std::string& error) {
  if (status == RunStatus::kRunning) {
    throw std::invalid_argument("FinishRun needs an end status, not running");
  }
  Transaction transaction(*db_);
  RequireRun(*db_, run_id);
  double now = NowSeconds();
  Statement update(*db_,
                   "UPDATE runs SET status = ?, error = ?, ended_at = ?, heartbeat_at = ? "
                   "WHERE id = ?");
  update.Bind(1, RunStatusName(status)).Bind(2, error).Bind(3, now).Bind(4, now);
  update.Bind(5, run_id).Run();
  transaction.Commit();
}

void Store::ReopenRun(int64_t run_id, int64_t keep_through_step) {
  Transaction transaction(*db_);
  const RunRecord run = GetRun(run_id);
  if (run.status == RunStatus::kFinished || run.status == RunStatus::kRunning)
    throw UsageError("run " + std::to_string(run_id) + " is " + RunStatusName(run.status) +
                     " (expected an interrupted or failed run to continue)");
  for (const char* table : {"metrics", "architectures"}) {
    Statement remove(*db_, std::string("DELETE FROM ") + table +
                               " WHERE run_id = ? AND (step IS NULL OR step > ?)");
    remove.Bind(1, run_id).Bind(2, keep_through_step).Run();
  }
  // An episode's index is its step (AMC and HAQ report both at the episode's index).
  Statement episodes(*db_, "DELETE FROM episodes WHERE run_id = ? AND episode > ?");
  episodes.Bind(1, run_id).Bind(2, keep_through_step).Run();
  DeleteRows(*db_, "artifacts", run_id);
  const double now = NowSeconds();
  Statement update(*db_,
                   "UPDATE runs SET status = 'running', error = '', ended_at = NULL, host = ?, "
                   "pid = ?, heartbeat_at = ? WHERE id = ?");
  update.Bind(1, HostName()).Bind(2, static_cast<int64_t>(::getpid())).Bind(3, now);
  update.Bind(4, run_id).Run();
  transaction.Commit();
}

DeletedRun Store::DeleteRun(int64_t run_id) {
  Transaction transaction(*db_);
  DeletedRun deleted;
  deleted.run = GetRun(run_id);
  deleted.metrics = DeleteRows(*db_, "metrics", run_id);
  deleted.architectures = DeleteRows(*db_, "architectures", run_id);
  deleted.episodes = DeleteRows(*db_, "episodes", run_id);
  deleted.artifacts = DeleteRows(*db_, "artifacts", run_id);
  Statement unlink(*db_, "UPDATE runs SET parent_run_id = NULL WHERE parent_run_id = ?");
  unlink.Bind(1, run_id).Run();
  deleted.child_runs_unlinked = db_->Changes();
  Statement unlink_derived(*db_, "UPDATE runs SET source_run_id = NULL WHERE source_run_id = ?");
  unlink_derived.Bind(1, run_id).Run();
  Statement remove(*db_, "DELETE FROM runs WHERE id = ?");
  remove.Bind(1, run_id).Run();
  transaction.Commit();
  return deleted;
}

// Only runs of this host can be checked: a pid means nothing on another machine. The read
// happens outside a transaction so that opening a healthy database never takes the write lock.
int Store::MarkInterruptedRuns() {
  const std::string host = HostName();
  auto dead = FindDeadRuns(*db_, host);
  if (dead.empty()) return 0;

  Transaction transaction(*db_);
  int marked = 0;
  Statement update(*db_,
                   "UPDATE runs SET status = 'interrupted', ended_at = heartbeat_at, error = ? "
                   "WHERE id = ? AND status = 'running'");
  for (const auto& [id, pid] : dead) {
    update.Bind(1, "process " + std::to_string(pid) + " on " + host +
                       " ended without finishing the run (killed or crashed)");
    update.Bind(2, id).Run();
    marked += db_->Changes();
    update.Reset();
  }
  transaction.Commit();
  return marked;
}

}  // namespace hwnas::results
