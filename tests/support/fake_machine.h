// A measurable device for tests whose speed the test sets: a layer "runs" in a time that grows
// with its multiply-accumulates, a network in the sum of its layers times a network factor, and
// the reference probe in a fixed time, all times the current slowdown. Deterministic, torch-free.
#pragma once

#include <optional>
#include <string>

#include "core/netspec.h"
#include "latency/device.h"

namespace hwnas::testing {

class FakeMachine : public latency::Device {
 public:
  static constexpr double kProbeMs = 0.3;

  double slowdown = 1.0;        // 2.0: everything takes twice as long as on a quiet machine
  double network_factor = 1.0;  // end to end / sum of the layers
  bool has_probe = true;
  int network_timings = 0;  // MeasureNetwork calls so far
  // A slow phase: network timings up to the slow_timings-th (counted by network_timings) and
  // the probes paired with them run slow_phase times slower still.
  int slow_timings = 0;
  double slow_phase = 1.0;

  static double QuietLayerMs(const LayerSpec& layer) { return 0.01 + LayerFlops(layer) * 1e-7; }
  double QuietNetworkMs(const NetSpec& net) const {
    double sum = 0;
    for (const LayerSpec& layer : net.layers) sum += QuietLayerMs(layer);
    return sum * network_factor;
  }

  std::string name() const override { return "fake"; }
  latency::DeviceKind kind() const override { return latency::DeviceKind::kMeasurable; }
  std::string fingerprint() const override { return "fake|threads=1"; }
  latency::LatencyStats Measure(const LayerSpec& layer) override {
    phase_ = 1.0;
    return Stats(QuietLayerMs(layer) * slowdown);
  }
  latency::LatencyStats MeasureNetwork(const NetSpec& net) override {
    ++network_timings;
    phase_ = network_timings <= slow_timings ? slow_phase : 1.0;
    return Stats(QuietNetworkMs(net) * slowdown * phase_);
  }
  latency::LatencyStats MeasurePaired(const LayerSpec& layer) override {
    return Paired(Measure(layer));
  }
  latency::LatencyStats MeasureNetworkPaired(const NetSpec& net) override {
    return Paired(MeasureNetwork(net));
  }
  std::optional<double> TimeProbe() override {
    if (!has_probe) return std::nullopt;
    return kProbeMs * slowdown;
  }

 private:
  latency::LatencyStats Paired(latency::LatencyStats stats) const {
    if (!has_probe) return stats;
    stats.probe_ms = kProbeMs * slowdown * phase_;
    stats.probe_ratio = stats.median / stats.probe_ms;
    return stats;
  }
  double phase_ = 1.0;  // of the last timing

  static latency::LatencyStats Stats(double ms) {
    latency::LatencyStats s;
    s.mean = s.median = s.p10 = s.p90 = ms;
    s.count = 1;
    return s;
  }
};

}  // namespace hwnas::testing
