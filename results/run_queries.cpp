#include "results/run_queries.h"

#include <algorithm>
#include <set>

#include "core/errors.h"

namespace hwnas::results {
namespace {

using Json = nlohmann::ordered_json;

std::string JoinNames(const std::vector<std::string>& names) {
  std::string text;
  for (const auto& name : names) text += (text.empty() ? "" : ", ") + name;
  return text.empty() ? "none" : text;
}

// Columns of a per-layer breakdown: identifying names first, then every *latency* number.
std::vector<std::string> BreakdownColumns(const Json& layers) {
  static const std::set<std::string> kNameKeys = {"name", "op", "op_key", "key", "kind", "type"};
  std::vector<std::string> names, latencies;
  auto add = [](std::vector<std::string>& list, const std::string& key) {
    if (std::find(list.begin(), list.end(), key) == list.end()) list.push_back(key);
  };
  for (const Json& layer : layers) {
    if (!layer.is_object()) continue;
    for (const auto& [key, value] : layer.items()) {
      if (key.find("latency") != std::string::npos && value.is_number()) add(latencies, key);
      if (kNameKeys.count(key) > 0 && value.is_string()) add(names, key);
    }
  }
  if (latencies.empty()) return {};
  names.insert(names.end(), latencies.begin(), latencies.end());
  return names;
}

}  // namespace

std::vector<RunSummary> SelectRuns(const Store& store, const RunFilter& filter,
                                   const std::vector<Condition>& conditions) {
  std::vector<RunSummary> selected;
  for (RunSummary& summary : store.ListRunSummaries(filter)) {
    if (Satisfies(summary.values, conditions)) selected.push_back(std::move(summary));
  }
  return selected;
}

void ThrowNothingFound(const Store& store, const RunFilter& filter, const std::string& where,
                       const std::vector<RunSummary>& selected, const std::string& wanted) {
  if (store.ListRuns(filter).empty()) {
    throw Error(ExitCode::kFailure, "no runs match the filters in " + store.path());
  }
  if (selected.empty()) {
    throw Error(ExitCode::kFailure, "no run satisfies --where '" + where + "'");
  }
  throw Error(ExitCode::kFailure, "no run has a value for " + wanted +
                                      " (known values: " + JoinNames(SummaryNames(selected)) + ")");
}

std::map<std::string, int> ArchitectureRoleCounts(const Store& store, int64_t run_id) {
  std::map<std::string, int> roles;
  for (const auto& a : store.Architectures(run_id)) ++roles[a.record.role];
  return roles;
}

std::optional<StoredArchitecture> FinalArchitecture(const Store& store, int64_t run_id) {
  std::vector<StoredArchitecture> architectures = store.Architectures(run_id);
  for (auto it = architectures.rbegin(); it != architectures.rend(); ++it) {
    if (it->record.role == "final") return std::move(*it);
  }
  return std::nullopt;
}

std::vector<RunSummary> RunSummaries(const Store& store, const std::vector<int64_t>& run_ids) {
  std::vector<RunSummary> runs;
  for (int64_t id : run_ids) runs.push_back({store.GetRun(id), store.Summary(id)});
  return runs;
}

std::vector<StageRow> PipelineStages(const Store& store, int64_t run_id) {
  std::map<int64_t, StageRow> by_step;
  for (const MetricRecord& m : store.Metrics(run_id)) {
    if (m.name == "stage_seconds") by_step[m.step].seconds = m.value;
    if (m.name == "stage_run") by_step[m.step].run = static_cast<int64_t>(m.value);
  }
  for (const StoredArchitecture& a : store.Architectures(run_id))
    if (a.record.role.rfind("stage:", 0) == 0) by_step[a.record.step].network = a.record;
  std::vector<StageRow> rows;
  for (auto& [step, row] : by_step) {
    if (row.run > 0) row.stage = store.GetRun(row.run).stage;
    rows.push_back(std::move(row));
  }
  return rows;
}

std::vector<int64_t> RunIdsOldestFirst(const Store& store) {
  std::vector<int64_t> ids;
  for (const auto& run : store.ListRuns()) ids.insert(ids.begin(), run.id);
  return ids;
}

std::optional<LatencyBreakdown> FindLatencyBreakdown(const std::string& netspec_json) {
  Json spec = Json::parse(netspec_json, nullptr, /*allow_exceptions=*/false);
  if (!spec.is_object()) return std::nullopt;
  for (const auto& [key, value] : spec.items()) {
    if (!value.is_array()) continue;
    std::vector<std::string> columns = BreakdownColumns(value);
    if (!columns.empty()) return LatencyBreakdown{key, std::move(columns), value};
  }
  return std::nullopt;
}

}  // namespace hwnas::results
