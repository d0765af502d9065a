// Reads: resolving run references, run rows, everything a run reported, summary values.
#include <cmath>
#include <nlohmann/json.hpp>

#include "core/errors.h"
#include "results/internal.h"
#include "results/sqlite.h"
#include "results/store.h"

namespace hwnas::results {
namespace {

constexpr const char* kRunColumns =
    "SELECT id, name, strategy, status, parent_run_id, config_text, config_hash, device, "
    "dataset, seed, engine_version, host, pid, started_at, ended_at, heartbeat_at, error, "
    "stage, source_run_id "
    "FROM runs ";

UsageError UnknownRun(const std::string& reference) {
  return UsageError("unknown run '" + reference + "' (see 'hwnas results list')");
}

RunRecord ReadRun(const Statement& row) {
  RunRecord run;
  run.id = row.Int(0);
  run.name = row.Text(1);
  run.strategy = row.Text(2);
  run.status = ParseRunStatus(row.Text(3)).value_or(RunStatus::kRunning);
  run.parent_run = row.OptionalInt(4);
  run.config_text = row.Text(5);
  run.config_hash = row.Text(6);
  run.device = row.Text(7);
  run.dataset = row.Text(8);
  run.seed = row.Int(9);
  run.engine_version = row.Text(10);
  run.host = row.Text(11);
  run.pid = row.Int(12);
  run.started_at = row.Real(13);
  run.ended_at = row.OptionalReal(14);
  run.heartbeat_at = row.Real(15);
  run.error = row.Text(16);
  run.stage = row.Text(17);
  run.source_run = row.OptionalInt(18);
  return run;
}

bool IsGlob(const std::string& pattern) {
  return pattern.find_first_of("*?[") != std::string::npos;
}

// WHERE clause and its text parameters for a RunFilter, in order.
std::string FilterClause(const RunFilter& filter, std::vector<std::string>* params) {
  std::string clause;
  auto add = [&](const std::string& condition, const std::string& value) {
    clause += (clause.empty() ? "WHERE " : " AND ") + condition;
    params->push_back(value);
  };
  if (!filter.strategy.empty()) add("strategy = ?", filter.strategy);
  if (!filter.status.empty()) {
    if (!ParseRunStatus(filter.status)) {
      throw UsageError("unknown status '" + filter.status +
                       "' (expected running, finished, failed or interrupted)");
    }
    add("status = ?", filter.status);
  }
  if (!filter.device.empty()) add("device = ?", filter.device);
  if (!filter.name.empty()) {
    add(IsGlob(filter.name) ? "name GLOB ?" : "instr(name, ?) > 0", filter.name);
  }
  return clause;
}

// Each metric at its largest step (the latest row when a step repeats). A run may hold
// millions of metric rows, so this walks the (run_id, name, step) index: a recursive skip
// scan finds each name with one seek, and one more seek finds its last step.
void AddLatestMetrics(Database& db, int64_t run_id, SummaryValues* values) {
  Statement latest(db,
                   "WITH RECURSIVE names(name) AS ("
                   "  SELECT min(name) FROM metrics WHERE run_id = ?1"
                   "  UNION ALL"
                   "  SELECT (SELECT min(name) FROM metrics WHERE run_id = ?1 AND name > n.name)"
                   "  FROM names n WHERE n.name IS NOT NULL) "
                   "SELECT m.name, m.value, m.value_type FROM names JOIN metrics m ON m.id = ("
                   "  SELECT id FROM metrics WHERE run_id = ?1 AND name = names.name"
                   "  ORDER BY step DESC, id DESC LIMIT 1)");
  latest.Bind(1, run_id);
  while (latest.Step()) {
    (*values)[latest.Text(0)] = MetricValueFromColumns(latest.OptionalReal(1), latest.Text(2));
  }
}

// The latest "final" architecture overrides metrics of the same name.
void AddFinalArchitecture(Database& db, int64_t run_id, SummaryValues* values) {
  Statement final_arch(db,
                       "SELECT accuracy, estimated_latency_ms, measured_latency_ms, flops, "
                       "params, size_bits FROM architectures WHERE run_id = ? AND role = 'final' "
                       "ORDER BY id DESC LIMIT 1");
  final_arch.Bind(1, run_id);
  if (!final_arch.Step()) {
    auto test_accuracy = values->find("test_accuracy");
    if (test_accuracy != values->end()) (*values)["accuracy"] = test_accuracy->second;
    return;
  }
  auto set = [&](const char* name, std::optional<double> value) {
    if (value) (*values)[name] = *value;
  };
  set("accuracy", final_arch.OptionalReal(0));
  set("estimated_latency_ms", final_arch.OptionalReal(1));
  set("measured_latency_ms", final_arch.OptionalReal(2));
  std::optional<double> latency = final_arch.OptionalReal(2);
  set("latency_ms", latency ? latency : final_arch.OptionalReal(1));
  set("flops", final_arch.OptionalReal(3));
  set("params", final_arch.OptionalReal(4));
  set("size_bits", final_arch.OptionalReal(5));
}

}  // namespace

const char* RunStatusName(RunStatus status) {
  switch (status) {
    case RunStatus::kRunning:
      return "running";
    case RunStatus::kFinished:
      return "finished";
    case RunStatus::kFailed:
      return "failed";
    case RunStatus::kInterrupted:
      return "interrupted";
  }
  return "running";
}

std::optional<RunStatus> ParseRunStatus(const std::string& name) {
  for (RunStatus status :
       {RunStatus::kRunning, RunStatus::kFinished, RunStatus::kFailed, RunStatus::kInterrupted}) {
    if (name == RunStatusName(status)) return status;
  }
  return std::nullopt;
}

void RequireRun(Database& db, int64_t run_id) {
  Statement exists(db, "SELECT 1 FROM runs WHERE id = ?");
  exists.Bind(1, run_id);
  if (!exists.Step()) throw UnknownRun(std::to_string(run_id));
}

int64_t Store::ResolveRun(const std::string& reference) const {
  bool numeric = !reference.empty() && reference.size() < 19 &&
                 reference.find_first_not_of("0123456789") == std::string::npos;
  if (numeric) {
    Statement by_id(*db_, "SELECT id FROM runs WHERE id = ?");
    by_id.Bind(1, static_cast<int64_t>(std::stoll(reference)));
    if (by_id.Step()) return by_id.Int(0);
  }
  Statement by_name(*db_, "SELECT id FROM runs WHERE name = ? ORDER BY id");
  by_name.Bind(1, reference);
  std::vector<int64_t> ids;
  while (by_name.Step()) ids.push_back(by_name.Int(0));
  if (ids.empty()) throw UnknownRun(reference);
  if (ids.size() > 1) {
    std::string list;
    for (int64_t id : ids) list += (list.empty() ? "" : ", ") + std::to_string(id);
    throw UsageError("run name '" + reference + "' matches runs " + list +
                     "; pass one of these ids instead");
  }
  return ids.front();
}

RunRecord Store::GetRun(int64_t run_id) const {
  Statement select(*db_, std::string(kRunColumns) + "WHERE id = ?");
  select.Bind(1, run_id);
  if (!select.Step()) throw UnknownRun(std::to_string(run_id));
  return ReadRun(select);
}

std::vector<RunRecord> Store::ListRuns(const RunFilter& filter) const {
  std::vector<std::string> params;
  std::string sql =
      kRunColumns + FilterClause(filter, &params) + " ORDER BY started_at DESC, id DESC";
  if (filter.limit > 0) sql += " LIMIT " + std::to_string(filter.limit);
  Statement select(*db_, sql);
  for (size_t i = 0; i < params.size(); ++i) select.Bind(static_cast<int>(i + 1), params[i]);
  std::vector<RunRecord> runs;
  while (select.Step()) runs.push_back(ReadRun(select));
  return runs;
}

std::vector<MetricRecord> Store::Metrics(int64_t run_id) const {
  RequireRun(*db_, run_id);
  Statement select(*db_,
                   "SELECT step, name, value, value_type, recorded_at FROM metrics "
                   "WHERE run_id = ? ORDER BY step, id");
  select.Bind(1, run_id);
  std::vector<MetricRecord> metrics;
  while (select.Step()) {
    metrics.push_back({select.Int(0), select.Text(1),
                       MetricValueFromColumns(select.OptionalReal(2), select.Text(3)),
                       select.Real(4)});
  }
  return metrics;
}

std::vector<StoredArchitecture> Store::Architectures(int64_t run_id) const {
  RequireRun(*db_, run_id);
  Statement select(*db_,
                   "SELECT id, role, step, arch, netspec_json, flops, params, size_bits, "
                   "estimated_latency_ms, measured_latency_ms, latency_device, accuracy, "
                   "recorded_at FROM architectures WHERE run_id = ? ORDER BY id");
  select.Bind(1, run_id);
  std::vector<StoredArchitecture> architectures;
  while (select.Step()) {
    StoredArchitecture stored;
    stored.id = select.Int(0);
    ArchitectureRecord& r = stored.record;
    r.role = select.Text(1);
    r.step = select.OptionalInt(2).value_or(-1);
    r.arch = select.Text(3);
    r.netspec_json = select.Text(4);
    r.flops = select.Real(5);
    r.params = select.Real(6);
    r.size_bits = select.Real(7);
    r.estimated_latency_ms = select.OptionalReal(8);
    r.measured_latency_ms = select.OptionalReal(9);
    r.latency_device = select.Text(10);
    r.accuracy = select.OptionalReal(11);
    stored.recorded_at = select.Real(12);
    architectures.push_back(std::move(stored));
  }
  return architectures;
}

std::vector<StoredEpisode> Store::Episodes(int64_t run_id) const {
  RequireRun(*db_, run_id);
  Statement select(*db_,
                   "SELECT episode, reward, accuracy, cost, cost_ratio, policy_json, recorded_at "
                   "FROM episodes WHERE run_id = ? ORDER BY episode, id");
  select.Bind(1, run_id);
  std::vector<StoredEpisode> episodes;
  while (select.Step()) {
    EpisodeRecord r{select.Int(0),  select.Real(1), select.Real(2),
                    select.Real(3), select.Real(4), select.Text(5)};
    episodes.push_back({r, select.Real(6)});
  }
  return episodes;
}

std::vector<ArtifactRecord> Store::Artifacts(int64_t run_id) const {
  RequireRun(*db_, run_id);
  Statement select(*db_,
                   "SELECT kind, path, sha256, bytes, recorded_at FROM artifacts "
                   "WHERE run_id = ? ORDER BY id");
  select.Bind(1, run_id);
  std::vector<ArtifactRecord> artifacts;
  while (select.Step()) {
    artifacts.push_back(
        {select.Text(0), select.Text(1), select.Text(2), select.Int(3), select.Real(4)});
  }
  return artifacts;
}

std::optional<DatasetRecord> Store::Dataset(int64_t run_id) const {
  RequireRun(*db_, run_id);
  Statement select(*db_,
                   "SELECT name, path, height, width, channels, class_names, mean, stddev, "
                   "train_images, holdout_images, test_images, skipped_files "
                   "FROM run_datasets WHERE run_id = ?");
  select.Bind(1, run_id);
  if (!select.Step()) return std::nullopt;
  const auto list = [&](int column) {
    return nlohmann::json::parse(select.Text(column), nullptr, /*allow_exceptions=*/false);
  };
  DatasetRecord r;
  r.name = select.Text(0);
  r.path = select.Text(1);
  r.height = select.Int(2);
  r.width = select.Int(3);
  r.channels = select.Int(4);
  try {
    r.class_names = list(5).get<std::vector<std::string>>();
    r.mean = list(6).get<std::vector<float>>();
    r.stddev = list(7).get<std::vector<float>>();
    r.skipped_files = list(11).get<std::vector<std::string>>();
  } catch (const nlohmann::json::exception& e) {
    throw IoError(db_->path() + ": run " + std::to_string(run_id) +
                  " has a damaged run_datasets row (" + e.what() + ")");
  }
  r.train_images = select.Int(8);
  r.holdout_images = select.Int(9);
  r.test_images = select.Int(10);
  return r;
}

RunCounts Store::Counts(int64_t run_id) const {
  RequireRun(*db_, run_id);
  Statement count(*db_,
                  "SELECT (SELECT count(*) FROM metrics WHERE run_id = ?1), "
                  "(SELECT count(*) FROM architectures WHERE run_id = ?1), "
                  "(SELECT count(*) FROM episodes WHERE run_id = ?1), "
                  "(SELECT count(*) FROM artifacts WHERE run_id = ?1)");
  count.Bind(1, run_id).Step();
  return {count.Int(0), count.Int(1), count.Int(2), count.Int(3)};
}

SummaryValues Store::Summary(int64_t run_id) const {
  SummaryValues values;
  AddLatestMetrics(*db_, run_id, &values);
  AddFinalArchitecture(*db_, run_id, &values);
  return values;
}

std::vector<RunSummary> Store::ListRunSummaries(const RunFilter& filter) const {
  std::vector<RunSummary> summaries;
  for (RunRecord& run : ListRuns(filter)) {
    SummaryValues values = Summary(run.id);
    summaries.push_back({std::move(run), std::move(values)});
  }
  return summaries;
}

}  // namespace hwnas::results
