// Fills a latency table by measuring layers on a device, and calibrates how whole networks
// relate to the sum of their layers. Every item is measured in several interleaved rounds, each
// in a new shuffled order, and keeps its fastest round: on a shared or virtual machine, slow
// periods (another tenant, a migrated vCPU) only ever add time, and they hit different items
// in different rounds. Nothing is stored here; the caller saves the table.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "latency/device.h"
#include "latency/table.h"

namespace hwnas::latency {

struct BuildOptions {
  uint64_t seed = 1;   // order of measurement
  int64_t rounds = 3;  // interleaved measurements per item; the fastest is kept
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

// End-to-end latency (ms, median of the fastest round) of each network, in input order.
std::vector<double> MeasureNetworks(Device& device, const std::vector<NetSpec>& nets,
                                    const BuildOptions& options, const std::string& label);

// Networks run slower than the sum of their layers timed alone: timed alone, a layer keeps its
// weights and activations in the L2 cache from call to call; inside a network the other layers
// evict them. Returns the median ratio measured / sum over `nets` (complete table required).
double CalibrateNetworkScale(Device& device, const std::vector<NetSpec>& nets,
                             const LatencyTable& table, const BuildOptions& options);

}  // namespace hwnas::latency
