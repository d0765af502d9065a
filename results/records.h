// Plain records the store reads back: runs, metrics, architectures, episodes, artifacts, and
// the per-run summary values that list/best/pareto/compare rank by. No SQLite here.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>

#include "core/reporter.h"

namespace hwnas::results {

enum class RunStatus { kRunning, kFinished, kFailed, kInterrupted };

const char* RunStatusName(RunStatus status);
// "running", "finished", "failed", "interrupted"; nullopt for anything else.
std::optional<RunStatus> ParseRunStatus(const std::string& name);

// One row of the runs table. Times are seconds since the Unix epoch (UTC).
struct RunRecord {
  int64_t id = 0;
  std::string name;
  std::string strategy;
  RunStatus status = RunStatus::kRunning;
  std::optional<int64_t> parent_run;
  std::string stage;                  // "" unless a pipeline stage
  std::optional<int64_t> source_run;  // the run whose network it started from
  std::string config_text;
  std::string config_hash;
  std::string device;
  std::string dataset;
  int64_t seed = 0;
  std::string engine_version;
  std::string host;
  int64_t pid = 0;
  double started_at = 0;
  std::optional<double> ended_at;
  double heartbeat_at = 0;
  std::string error;

  // Until the end, or until the last heartbeat while the run has not ended.
  double DurationSeconds() const { return ended_at.value_or(heartbeat_at) - started_at; }
};

struct MetricRecord {
  int64_t step = 0;
  std::string name;
  double value = 0;  // NaN and +-inf survive the round trip
  double recorded_at = 0;
};

struct StoredArchitecture {
  int64_t id = 0;
  ArchitectureRecord record;  // record.step is -1 when none was given
  double recorded_at = 0;
};

struct StoredEpisode {
  EpisodeRecord record;
  double recorded_at = 0;
};

struct ArtifactRecord {
  std::string kind;
  std::string path;  // relative to the database's directory when the file is inside it
  std::string sha256;
  int64_t bytes = 0;
  double recorded_at = 0;
};

// Metric name -> value: each metric at its largest step, overlaid by the final architecture
// (accuracy, latency_ms, estimated_latency_ms, measured_latency_ms, flops, params, size_bits).
using SummaryValues = std::map<std::string, double>;

struct RunSummary {
  RunRecord run;
  SummaryValues values;
};

// Filters of ListRuns; empty strings and 0 mean "any".
struct RunFilter {
  std::string strategy;
  std::string status;  // a RunStatus name; anything else is a UsageError
  std::string device;
  std::string name;  // substring, or a glob when it contains * ? or [
  int64_t limit = 0;
};

// How many rows a run has in each of its tables.
struct RunCounts {
  int64_t metrics = 0;
  int64_t architectures = 0;
  int64_t episodes = 0;
  int64_t artifacts = 0;
};

// What DeleteRun removed.
struct DeletedRun {
  RunRecord run;
  int64_t metrics = 0;
  int64_t architectures = 0;
  int64_t episodes = 0;
  int64_t artifacts = 0;
  int64_t child_runs_unlinked = 0;  // runs whose parent_run pointed here, now NULL
};

}  // namespace hwnas::results
