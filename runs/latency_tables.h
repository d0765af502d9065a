// `hwnas latency build|import` as library calls: a space's table measured (or computed) on a
// device, reusing stored entries, calibrated and saved; or a table file measured elsewhere,
// validated completely before anything is stored, saved as a table device's table.
#pragma once

#include <cstdint>
#include <string>

#include "latency/builder.h"
#include "latency/device_table.h"
#include "measure/torch_device.h"
#include "runs/store_services.h"

namespace hwnas::runs {

struct TableBuild {
  std::string space;  // name or YAML file
  std::string device = "cpu";
  latency::MeasureOptions measure;
  int64_t rounds = 3;
  int64_t calibration_networks = 10;
  uint64_t seed = 1;
  std::string out;     // also written as ProxylessNAS-format YAML when set
  bool force = false;  // re-measure every entry
};

struct BuiltTable {
  latency::DeviceTable target;
  int64_t id = 0;
  latency::BuildReport report;
};

BuiltTable BuildTable(const TableBuild& request, const RunOptions& options);

struct TableImport {
  std::string file;
  std::string device;
  std::string format;               // proxyless-yaml or haq-npy; empty: by the file's extension
  std::string space;                // empty: the file name
  latency::MeasureOptions measure;  // the conditions a table for cpu or cuda must match
};

struct ImportedTable {
  int64_t id = 0;
  size_t entries = 0;
  std::string space;
};

ImportedTable ImportTable(TableImport request, const RunOptions& options);

}  // namespace hwnas::runs
