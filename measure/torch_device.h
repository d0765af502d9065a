// The measurable devices `cpu` and `cuda`: time layers and whole networks through LibTorch, with
// random weights in inference mode at their exact shapes. Owns the measurement method:
// warm-up, samples long enough to be timed reliably, repetitions, and a spread check. On
// `cuda` every sample ends with a device synchronization, so queued kernels are counted.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "core/options.h"
#include "latency/device.h"

namespace hwnas::latency {

struct MeasureOptions {
  int64_t threads = 1;         // intra-op threads (set for the whole process by the device)
  int64_t batch = 1;           // images per forward pass
  bool channels_last = true;   // memory format, part of the fingerprint
  int64_t repeats = 20;        // timed samples per operator and round, ...
  double budget_ms = 2000;     // ... unless this much time is spent first (at least 5 samples)
  double min_sample_ms = 3.0;  // each sample times enough calls to last at least this long
  double warmup_ms = 30.0;     // untimed calls first, to settle caches and allocators
  double max_cv = 0.05;        // a noisier measurement is repeated ...
  int64_t retries = 2;         // ... this many times, then flagged unstable
};

// How a config's `device` section is measured: its threads and batch, in the memory format the
// networks train in. Tables and the trainer's end-to-end latency use this one rule, so their
// numbers are taken under the same conditions.
inline MeasureOptions MeasureOptionsOf(const Config& config) {
  MeasureOptions measure;
  measure.threads = config.device.threads;
  measure.batch = config.device.batch;
  measure.channels_last = config.train.channels_last;
  return measure;
}

enum class TorchBackend { kCpu, kCuda };

// Throws UsageError for kCuda when LibTorch sees no GPU (CPU-only build or no device).
std::unique_ptr<Device> MakeTorchDevice(TorchBackend backend, const MeasureOptions& options);

// "AMD EPYC 7B13" from /proc/cpuinfo, or "unknown".
std::string ProcessorModel();
// Whether this LibTorch can run on a GPU here.
bool CudaAvailable();

}  // namespace hwnas::latency
