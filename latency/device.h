// A Device is something latency is known for. Measurable devices (cpu, cuda) run an operator
// and time it; model devices compute a cost analytically from documented parameters (roofline,
// bit-serial accelerator); table devices only have tables measured elsewhere and imported.
// Each device has a fingerprint that keys its tables, so numbers measured under other
// conditions (processor, threads, batch, library) are never silently reused.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "core/latency_entry.h"
#include "core/netspec.h"

namespace hwnas::latency {

enum class DeviceKind { kMeasurable, kTable, kModel };
const char* DeviceKindName(DeviceKind kind);  // "measurable", "table", "model"

// One measurement, in milliseconds: the statistics a table keeps (the LatencyEntry part; its
// op_key stays empty until the measurement joins a table) plus what only a measurement knows,
// which no table or store keeps.
struct LatencyStats : LatencyEntry {
  bool unstable = false;  // spread stayed above the limit after the retries
  // Paired measurements only (Device::MeasurePaired): every sample was followed at once by a
  // sample of the reference probe (latency/probe.h). probe_ms is the median probe sample,
  // probe_ratio the median of sample / its probe sample; 0 when unpaired.
  double probe_ms = 0;
  double probe_ratio = 0;
};

class Device {
 public:
  virtual ~Device() = default;
  virtual std::string name() const = 0;
  virtual DeviceKind kind() const = 0;
  // The conditions the numbers hold for, as one stable string, e.g.
  // "cpu|AMD EPYC 7B13|threads=1|batch=1|torch=1.13.1|format=channels_last|bn=folded".
  virtual std::string fingerprint() const = 0;
  // Device parameters as a JSON object, stored with the device.
  virtual std::string properties_json() const { return "{}"; }

  // Latency of one layer (block) at its exact shape. Measurable and model devices only;
  // a table device throws (its numbers come from its imported tables).
  virtual LatencyStats Measure(const LayerSpec& layer) = 0;
  // End-to-end latency of a whole network, for validating table estimates.
  virtual LatencyStats MeasureNetwork(const NetSpec& net) = 0;
  // The same, each timed sample paired with a sample of the reference probe taken right after
  // it (LatencyStats::probe_ms, probe_ratio), so that the machine's speed at that very moment is
  // known. Devices without a probe return the unpaired measurement.
  virtual LatencyStats MeasurePaired(const LayerSpec& layer) { return Measure(layer); }
  virtual LatencyStats MeasureNetworkPaired(const NetSpec& net) { return MeasureNetwork(net); }
  // Median milliseconds of the reference probe (latency/probe.h) timed now, under the device's
  // threads and memory format, at batch 1, in about 20 ms. Measurable devices only; the others,
  // whose numbers do not depend on the machine's speed, return nullopt.
  virtual std::optional<double> TimeProbe() { return std::nullopt; }
};

}  // namespace hwnas::latency
