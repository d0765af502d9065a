#include "results/lineage.h"

#include <map>
#include <set>

#include "results/run_queries.h"

namespace hwnas::results {
namespace {

// The run a run hangs under: its pipeline, else the run it started from.
std::optional<int64_t> TreeParent(const RunRecord& run) {
  return run.parent_run ? run.parent_run : run.source_run;
}

LineageNode Build(const Store& store, const RunRecord& run,
                  const std::multimap<int64_t, const RunRecord*>& children,
                  std::set<int64_t>& seen) {
  LineageNode node{run, FinalArchitecture(store, run.id), {}};
  seen.insert(run.id);
  const auto [begin, end] = children.equal_range(run.id);
  for (auto it = begin; it != end; ++it)
    if (seen.count(it->second->id) == 0)
      node.children.push_back(Build(store, *it->second, children, seen));
  return node;
}

nlohmann::ordered_json Optional(const std::optional<double>& value) {
  return value ? nlohmann::ordered_json(*value) : nlohmann::ordered_json();
}

}  // namespace

LineageNode RunLineage(const Store& store, int64_t run_id) {
  std::vector<RunRecord> runs = store.ListRuns();  // newest first
  std::map<int64_t, const RunRecord*> by_id;
  std::multimap<int64_t, const RunRecord*> children;  // oldest first within a parent
  for (auto it = runs.rbegin(); it != runs.rend(); ++it) {
    by_id[it->id] = &*it;
    if (const std::optional<int64_t> parent = TreeParent(*it)) children.emplace(*parent, &*it);
  }
  if (by_id.count(run_id) == 0) store.GetRun(run_id);  // throws the usual unknown-run error
  const RunRecord* root = by_id.at(run_id);
  std::set<int64_t> path = {root->id};  // a damaged store may hold a cycle
  for (std::optional<int64_t> up = TreeParent(*root); up && by_id.count(*up) && !path.count(*up);
       up = TreeParent(*root)) {
    root = by_id.at(*up);
    path.insert(root->id);
  }
  std::set<int64_t> seen;
  return Build(store, *root, children, seen);
}

nlohmann::ordered_json LineageJson(const LineageNode& node) {
  nlohmann::ordered_json json = {
      {"run", node.run.id},
      {"name", node.run.name},
      {"strategy", node.run.strategy},
      {"status", RunStatusName(node.run.status)},
      {"stage", node.run.stage},
      {"source_run", node.run.source_run ? nlohmann::ordered_json(*node.run.source_run) : nullptr}};
  const ArchitectureRecord* arch = node.final_arch ? &node.final_arch->record : nullptr;
  json["accuracy"] = arch ? Optional(arch->accuracy) : nullptr;
  json["measured_latency_ms"] = arch ? Optional(arch->measured_latency_ms) : nullptr;
  json["latency_device"] = arch ? arch->latency_device : "";
  json["children"] = nlohmann::ordered_json::array();
  for (const LineageNode& child : node.children) json["children"].push_back(LineageJson(child));
  return json;
}

}  // namespace hwnas::results
