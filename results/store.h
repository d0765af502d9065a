// results::Store: the one SQLite database of a hwnas installation. Owns runs and everything
// they report (metrics, architectures, episodes, artifacts), devices and latency tables.
// All SQL of hwnas lives behind this class; the schema is documented in README.md (Results store).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/latency_records.h"
#include "core/reporter.h"
#include "results/records.h"

namespace hwnas::results {

class Database;

// What a run is, given when it begins. Host, pid and times are filled by the store.
struct RunInfo {
  std::string name;  // empty = "<strategy>-<id>"
  std::string strategy;
  std::optional<int64_t> parent_run;  // the pipeline (or search) this run is part of
  std::string stage;                  // its stage in the parent pipeline: "search", "prune", ...
  std::optional<int64_t> source_run;  // the run whose network this run started from
  std::string config_text;            // the resolved configuration
  std::string config_hash;            // empty = SHA-256 of config_text
  std::string device;
  std::string dataset;
  int64_t seed = 0;
  std::string engine_version;  // empty = this build's version
};

class Store {
 public:
  enum class OpenMode {
    kCreate,    // create the file when it is missing
    kExisting,  // IoError "no results database at PATH ..." when it is missing
  };

  // Opens (or creates) the database, migrates it, and marks runs of this host whose process
  // is gone as interrupted. Throws IoError for a corrupt, foreign or newer database, which is
  // left unchanged. One Store may be shared by threads; writes are serialized.
  static std::unique_ptr<Store> Open(const std::string& path, OpenMode mode = OpenMode::kCreate);
  ~Store();
  const std::string& path() const;

  // --- runs (store.cpp)
  int64_t BeginRun(const RunInfo& info);
  // Writes of a run, each call one transaction that also updates the run's heartbeat.
  // The Store must outlive the reporter.
  std::unique_ptr<Reporter> MakeReporter(int64_t run_id);
  void FinishRun(int64_t run_id, RunStatus status, const std::string& error = "");
  // Continues an interrupted or failed run in this process (`hwnas search resume`): status
  // running again with this host and pid, error cleared, and everything it reported after
  // `keep_through_step` removed (metrics and architectures with a larger step, and all artifacts,
  // which runs write at their end), so that the continuation reports those steps afresh.
  // One transaction; a finished or running run is a UsageError.
  void ReopenRun(int64_t run_id, int64_t keep_through_step);
  // Removes the run and all its rows in one transaction (artifact files stay on disk).
  DeletedRun DeleteRun(int64_t run_id);
  // Running runs of this host whose pid no longer exists become interrupted; returns how many.
  int MarkInterruptedRuns();

  // --- queries (queries.cpp); an unknown run is a UsageError
  // A numeric id, or a run name that matches exactly one run.
  int64_t ResolveRun(const std::string& reference) const;
  RunRecord GetRun(int64_t run_id) const;
  std::vector<RunRecord> ListRuns(const RunFilter& filter = {}) const;  // newest first
  std::vector<MetricRecord> Metrics(int64_t run_id) const;              // by step, then insertion
  std::vector<StoredArchitecture> Architectures(int64_t run_id) const;
  std::vector<StoredEpisode> Episodes(int64_t run_id) const;
  std::vector<ArtifactRecord> Artifacts(int64_t run_id) const;
  RunCounts Counts(int64_t run_id) const;
  // The data the run trained on; nullopt for runs without data (latency validate, old stores).
  std::optional<DatasetRecord> Dataset(int64_t run_id) const;
  SummaryValues Summary(int64_t run_id) const;
  std::vector<RunSummary> ListRunSummaries(const RunFilter& filter = {}) const;

  // --- latency tables (latency_store.cpp)
  // Upserts the device and writes the table with all its entries in one transaction.
  int64_t SaveLatencyTable(const LatencyTableRecord& table);
  // Adds or replaces entries of an existing table in one transaction.
  void AddLatencyEntries(int64_t table_id, const std::vector<LatencyEntry>& entries);
  LatencyTableRecord LoadLatencyTable(int64_t table_id) const;
  // The newest table for (device name, fingerprint, space), if any.
  std::optional<int64_t> FindLatencyTable(const std::string& device, const std::string& fingerprint,
                                          const std::string& space) const;
  std::vector<LatencyTableRecord> ListLatencyTables() const;  // without entries
  void DeleteLatencyTable(int64_t table_id);
  // Replaces a table's properties (e.g. a calibration added after it was first saved).
  void SetLatencyTableProperties(int64_t table_id, const std::string& properties_json);

 private:
  explicit Store(std::unique_ptr<Database> db);
  std::unique_ptr<Database> db_;
};

}  // namespace hwnas::results
