// Plain records of devices and latency tables as the results store keeps them (namespace
// results); their entries are the one latency entry type (core/latency_entry.h). In core/ so that
// latency/ converts its tables to and from them without depending on the store, and the store
// keeps them without knowing about devices.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/latency_entry.h"

namespace hwnas::results {

struct DeviceRecord {
  std::string name;         // "cpu", "pixel1", ...
  std::string kind;         // "measurable", "table", "model"
  std::string fingerprint;  // conditions the numbers hold for; keys the device's tables
  std::string properties_json = "{}";
};

enum class LatencySource { kMeasured, kImported };

inline const char* LatencySourceName(LatencySource source) {
  return source == LatencySource::kImported ? "imported" : "measured";
}

struct LatencyTableRecord {
  int64_t id = 0;  // set by the store
  DeviceRecord device;
  std::string space;  // search space (or table) name the keys belong to
  LatencySource source = LatencySource::kMeasured;
  double created_at = 0;  // set by the store when 0; seconds since the Unix epoch
  std::string properties_json = "{}";
  int64_t entry_count = 0;  // filled when listing
  std::vector<LatencyEntry> entries;
};

}  // namespace hwnas::results
