// A device together with the latency table its numbers go into, as commands and strategies use
// them: cpu, cuda and model devices with their stored (or new) table, or an imported table
// device (no device object, only its table).
#pragma once

#include <cstddef>
#include <memory>

#include "latency/device.h"
#include "latency/table.h"

namespace hwnas::latency {

struct DeviceTable {
  std::unique_ptr<Device> device;  // null for an imported table device
  LatencyTable table;
  size_t stored_entries = 0;  // entries the table had in the store when loaded
};

}  // namespace hwnas::latency
