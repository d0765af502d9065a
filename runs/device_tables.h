// The store's latency tables as devices use them: a --device name turned into a device and its
// stored (or new) table, saving what was measured since, completing a space's table by measuring
// what it lacks, and the random networks tables are calibrated and validated on.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/options.h"
#include "core/search_space.h"
#include "latency/builder.h"
#include "latency/device_table.h"
#include "measure/torch_device.h"
#include "results/store.h"

namespace hwnas::runs {

// For cpu, cuda and model devices the table is the stored one of the same device, fingerprint
// and space (empty if none yet); for an imported table device `device` is null and the table is
// its newest imported table.
latency::DeviceTable OpenDeviceTable(const results::Store& store, const std::string& device_name,
                                     const latency::MeasureOptions& measure,
                                     const std::string& space);

// Saves a new table, or the entries added since it was loaded and its current properties.
// Returns the table id.
int64_t SaveDeviceTable(results::Store& store, latency::DeviceTable& device_table);

// On a measurable device, times `networks` random networks of `space` end to end and stores
// the table's network scale (LatencyEstimator multiplies layer sums by it) when the table has
// just been measured or has no scale yet. Does nothing on model devices or with networks = 0.
// Returns whether it calibrated.
bool CalibrateIfNeeded(latency::DeviceTable& target, const SearchSpace& space, int64_t networks,
                       bool table_changed, const latency::BuildOptions& options);

// The device's table for the space, completed by measuring (or computing) what it lacks where
// the device allows and calibrated like `hwnas latency build`; a table-only device is returned
// as stored (it may lack keys).
latency::DeviceTable CompleteDeviceTable(results::Store& store, const SearchSpace& space,
                                         const Config& config, bool show_progress);

}  // namespace hwnas::runs
