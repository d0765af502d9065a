// Everything the store knows about runs as one JSON document (for `hwnas results export` and
// `show --format json`), and the timestamp format used in every output.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "results/store.h"

namespace hwnas::results {

// "2024-05-01T12:00:00Z" (UTC); with `millis`, "2024-05-01T12:00:00.123Z".
std::string FormatTimestamp(double seconds_since_epoch, bool millis = false);

// One run: its fields, summary values, metrics, architectures, episodes and artifacts.
// Non-finite numbers become null (metrics keep a value_type that says which).
nlohmann::ordered_json RunToJson(const Store& store, int64_t run_id);

// {"format": "hwnas-results", "schema_version": N, "runs": [RunToJson...]}
nlohmann::ordered_json ExportRunsJson(const Store& store, const std::vector<int64_t>& run_ids);

}  // namespace hwnas::results
