// Fills a latency table by measuring layers on a device: every layer whose key the table lacks
// is measured once, in a shuffled order (so slow drift of the machine does not bias one stage
// of the network), with a progress bar. Nothing is stored here; the caller saves the table.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "latency/device.h"
#include "latency/table.h"

namespace hwnas::latency {

struct BuildOptions {
  uint64_t seed = 1;  // order of measurement
  bool show_progress = true;
};

struct BuildReport {
  int64_t measured = 0;  // entries added now
  int64_t reused = 0;    // entries the table already had
  double seconds = 0;
  double max_cv = 0;  // largest coefficient of variation among the entries measured now
  std::vector<std::string> unstable_keys;
};

BuildReport FillTable(Device& device, const std::vector<LayerSpec>& layers, LatencyTable& table,
                      const BuildOptions& options);

}  // namespace hwnas::latency
