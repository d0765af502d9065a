// What the `hwnas latency` subcommands share on the command line: the measurement options, and
// the estimate/validate commands registered from their own file. Device tables: runs/.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "core/config.h"
#include "measure/torch_device.h"
#include "runs/device_tables.h"

namespace CLI {
class App;
}

namespace hwnas::cli {

using latency::DeviceTable;
using runs::CalibrateIfNeeded;
using runs::CompleteDeviceTable;
using runs::OpenDeviceTable;
using runs::SaveDeviceTable;

// --threads, --batch, --repeats for the measurable devices.
void AddMeasureOptions(CLI::App& command, latency::MeasureOptions* options);

struct GlobalOptions;
// `latency estimate`, `validate`, `predictor` and `correct` (latency_estimate_cmd.cpp).
void AddLatencyEstimateCommands(CLI::App& latency, const GlobalOptions& global);

}  // namespace hwnas::cli
