// Lineage: how runs derive from one another. A run hangs under its pipeline (parent_run) or,
// outside a pipeline, under the run whose network it started from (source_run: AMC, HAQ and
// pipeline stages), so a pipeline prints as its stages and a chain of derived runs as a path.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <vector>

#include "results/store.h"

namespace hwnas::results {

struct LineageNode {
  RunRecord run;
  std::optional<StoredArchitecture> final_arch;  // the run's last "final" architecture
  std::vector<LineageNode> children;             // oldest first
};

// The tree that contains `run_id`, from its root ancestor. UsageError for an unknown run.
LineageNode RunLineage(const Store& store, int64_t run_id);

// {"run", "name", "strategy", "status", "stage", "source_run", "accuracy", "measured_latency_ms",
//  "latency_device", "children": [...]} per node.
nlohmann::ordered_json LineageJson(const LineageNode& root);

}  // namespace hwnas::results
