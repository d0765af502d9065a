// The device factory: a device name from the command line or a config becomes a Device.
// Known names: `cpu`, `cuda` (where LibTorch sees a GPU), and the model devices described by
// configs/devices/NAME.yaml (or a path to such a file). Imported table devices live in the
// results store, not here: for them MakeDevice returns nullptr and the caller looks there.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "latency/device.h"
#include "measure/torch_device.h"

namespace hwnas::latency {

struct DeviceRequest {
  std::string name;
  MeasureOptions measure;   // for cpu and cuda
  std::string configs_dir;  // where devices/*.yaml live
};

// nullptr when `name` is none of the known devices.
std::unique_ptr<Device> MakeDevice(const DeviceRequest& request);

// "cpu", "cuda" and every model device file name, for "known devices" messages.
std::vector<std::string> KnownDeviceNames(const std::string& configs_dir);

}  // namespace hwnas::latency
