// Questions about runs that the `hwnas results` commands ask and that take more than one store
// read: the runs passing filters and --where (and why none did), a run's final architecture and
// its architectures by role, several runs' summaries, every run oldest first, and the per-layer
// latency breakdown stored in a final architecture's NetSpec. No printing.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "results/selection.h"
#include "results/store.h"

namespace hwnas::results {

// Runs passing `filter` and every condition, newest first, with their summary values.
std::vector<RunSummary> SelectRuns(const Store& store, const RunFilter& filter,
                                   const std::vector<Condition>& conditions);

// Explains an empty answer as an Error with exit code 1: no runs match `filter` at all, none is
// left after --where `where` (`selected` empty), or no selected run has a value for `wanted`
// (e.g. "'accuracy'"; the message lists the values they have).
[[noreturn]] void ThrowNothingFound(const Store& store, const RunFilter& filter,
                                    const std::string& where,
                                    const std::vector<RunSummary>& selected,
                                    const std::string& wanted);

// How many architectures of each role ("final", "sample", ...) the run recorded.
std::map<std::string, int> ArchitectureRoleCounts(const Store& store, int64_t run_id);
// The run's last architecture with role "final", if any.
std::optional<StoredArchitecture> FinalArchitecture(const Store& store, int64_t run_id);

// The runs with their summary values, in the order of `run_ids`.
std::vector<RunSummary> RunSummaries(const Store& store, const std::vector<int64_t>& run_ids);
// A pipeline run's stage table: per stage (step order) its child run, network and time.
struct StageRow {
  std::string stage;
  int64_t run = 0;
  ArchitectureRecord network;  // role "stage:NAME"; empty for a stage without one (export)
  double seconds = 0;
};
std::vector<StageRow> PipelineStages(const Store& store, int64_t run_id);
// Every run id, oldest first.
std::vector<int64_t> RunIdsOldestFirst(const Store& store);

// The first array of objects in a NetSpec JSON whose members carry numbers named *latency*:
// generic on purpose, so any stored per-layer breakdown is found. `columns` holds the
// identifying names (name, op, op_key, key, kind, type) in first-seen order, then every
// *latency* number; `layers` the array as stored.
struct LatencyBreakdown {
  std::string array_name;
  std::vector<std::string> columns;
  nlohmann::ordered_json layers;
};
std::optional<LatencyBreakdown> FindLatencyBreakdown(const std::string& netspec_json);

}  // namespace hwnas::results
