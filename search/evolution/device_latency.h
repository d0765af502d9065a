// One device's latency for architectures of a space, as evolution targets use it: the candidate
// costs from the device's table (completed by measuring on cpu/cuda, computed on model devices,
// predicted by the op latency model on an imported table), summed per architecture as
// LatencyEstimator would, and a way to time a network end to end where the device allows.
#pragma once

#include <memory>
#include <string>

#include "core/options.h"
#include "core/search_space.h"
#include "latency/device.h"
#include "search/evolution/specialize.h"
#include "search/strategy.h"
#include "supernet/supernet.h"

namespace hwnas::search {

struct DeviceLatency {
  std::string device;
  std::shared_ptr<supernet::CandidateCosts> costs;
  std::shared_ptr<latency::Device> measurer;  // null unless measurable
  int64_t predicted_keys = 0;
};

DeviceLatency OpenDeviceLatency(RunServices& services, const SearchSpace& space,
                                const Config& config, const std::string& device, bool show);

// The target `ms` on the device; with `measure`, the found network is timed end to end where
// the device is measurable.
LatencyTarget MakeLatencyTarget(const DeviceLatency& d, double ms, const SearchSpace& space,
                                bool measure);

}  // namespace hwnas::search
