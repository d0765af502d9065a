// What the `hwnas latency` subcommands share: where the shipped configs live, turning a
// --device name into a device and its table from the store, and saving what was measured.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "core/options.h"
#include "core/search_space.h"
#include "latency/builder.h"
#include "latency/device.h"
#include "latency/table.h"
#include "measure/torch_device.h"
#include "results/store.h"

namespace CLI {
class App;
}

namespace hwnas::cli {

// $HWNAS_CONFIGS, else the configs/ directory of the source tree hwnas was built from.
std::string ConfigsDir();
SearchSpace LoadSpace(const std::string& name_or_path);

// --threads, --batch, --repeats for the measurable devices.
void AddMeasureOptions(CLI::App& command, latency::MeasureOptions* options);

// A device with the table its numbers go into. For cpu, cuda and model devices the table is
// the stored one of the same device, fingerprint and space (empty if none yet); for an imported
// table device `device` is null and the table is its newest imported table.
struct DeviceTable {
  std::unique_ptr<latency::Device> device;
  latency::LatencyTable table;
  size_t stored_entries = 0;  // entries the table had in the store when loaded
};

DeviceTable OpenDeviceTable(const results::Store& store, const std::string& device_name,
                            const latency::MeasureOptions& measure, const std::string& space);

// Saves a new table, or the entries added since it was loaded and its current properties.
// Returns the table id.
int64_t SaveDeviceTable(results::Store& store, DeviceTable& device_table);

// `count` random architectures of `space` drawn from their own seed stream per purpose (so
// calibration and validation never share architectures).
std::vector<Arch> RandomArchs(const SearchSpace& space, int64_t count, uint64_t seed,
                              uint64_t purpose);
std::vector<NetSpec> ToNetSpecs(const SearchSpace& space, const std::vector<Arch>& archs);

// On a measurable device, times `networks` random networks of `space` end to end and stores
// the table's network scale (LatencyEstimator multiplies layer sums by it) when the table has
// just been measured or has no scale yet. Does nothing on model devices or with networks = 0.
// Returns whether it calibrated.
bool CalibrateIfNeeded(DeviceTable& target, const SearchSpace& space, int64_t networks,
                       bool table_changed, const latency::BuildOptions& options);

// The device's table for the space, completed by measuring (or computing) what it lacks where
// the device allows and calibrated like `hwnas latency build`; a table-only device is returned
// as stored (it may lack keys).
DeviceTable CompleteDeviceTable(results::Store& store, const SearchSpace& space,
                                const Config& config, bool show_progress);

struct GlobalOptions;
// `latency estimate` and `latency validate` (latency_estimate_cmd.cpp).
void AddLatencyEstimateCommands(CLI::App& latency, const GlobalOptions& global);

}  // namespace hwnas::cli
