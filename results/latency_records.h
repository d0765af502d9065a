// Plain records of devices and latency tables as the store keeps them. Torch-free, so latency/
// can build tables (measured or imported) on top without the store knowing about devices.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace hwnas::results {

struct DeviceRecord {
  std::string name;         // "cpu", "pixel1", ...
  std::string kind;         // "measurable", "table", "model"
  std::string fingerprint;  // conditions the numbers hold for; keys the device's tables
  std::string properties_json = "{}";
};

struct LatencyEntryRecord {
  std::string op_key;
  double mean = 0;
  double median = 0;
  double stddev = 0;
  double p10 = 0;
  double p90 = 0;
  int64_t count = 0;  // repetitions behind the statistics
  std::string unit = "ms";
  bool predicted = false;  // estimated by a predictor rather than measured
};

enum class LatencySource { kMeasured, kImported };

const char* LatencySourceName(LatencySource source);

struct LatencyTableRecord {
  int64_t id = 0;  // set by the store
  DeviceRecord device;
  std::string space;  // search space (or table) name the keys belong to
  LatencySource source = LatencySource::kMeasured;
  double created_at = 0;  // set by the store when 0; seconds since the Unix epoch
  std::string properties_json = "{}";
  int64_t entry_count = 0;  // filled when listing
  std::vector<LatencyEntryRecord> entries;
};

}  // namespace hwnas::results
